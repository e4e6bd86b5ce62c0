package corpus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
	"unicode/utf8"
)

// unpunctuated returns about n bytes of words with no sentence punctuation
// and no line break: the article that became one 480 KB passage.
func unpunctuated(n int) string {
	words := []string{"the", "talks", "between", "Moscow", "and", "Washington", "continued", "without", "any", "result", "according", "to", "officials"}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// blob returns n bytes of one "word" of base64-like letters.
func blob(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[(i*7+i/64)%len(alphabet)]
	}
	return string(b)
}

// checkPieces fails unless pieces cut text as CutWords promises: in order,
// non-empty, at most size bytes, whole runes, no white space at either
// end, only white space between them, and a cut inside a word only where
// the word alone is longer than size.
func checkPieces(t *testing.T, text string, size int, pieces []Span) {
	t.Helper()
	size = max(size, utf8.UTFMax)
	prev := 0
	for _, p := range pieces {
		s := text[p.Start:p.End]
		switch {
		case p.Start < prev || p.End <= p.Start || p.End > len(text):
			t.Fatalf("piece %v after %d in %d bytes", p, prev, len(text))
		case len(s) > size:
			t.Fatalf("piece %v of %d bytes, over %d", p, len(s), size)
		case !utf8.ValidString(s) && utf8.ValidString(text):
			t.Fatalf("piece %v cuts a rune: %q", p, s)
		case s != strings.TrimFunc(s, unicode.IsSpace):
			t.Fatalf("piece %v has white space at an end: %q", p, s)
		}
		if strings.TrimFunc(text[prev:p.Start], unicode.IsSpace) != "" {
			t.Fatalf("text lost before piece %v: %q", p, text[prev:p.Start])
		}
		if p.End < len(text) {
			next, _ := utf8.DecodeRuneInString(text[p.End:])
			if !unicode.IsSpace(next) && strings.IndexFunc(s, unicode.IsSpace) >= 0 {
				t.Fatalf("piece %v cut inside a word: %q|%q", p, s[max(0, len(s)-20):], text[p.End:min(len(text), p.End+20)])
			}
		}
		prev = p.End
	}
	if strings.TrimFunc(text[prev:], unicode.IsSpace) != "" {
		t.Fatalf("text lost after the last piece: %q", text[prev:])
	}
}

func TestCutWords(t *testing.T) {
	tests := []struct {
		name string
		text string
		size int
		want []string // nil: check the rules only
	}{
		{"fits", "one two three", 20, []string{"one two three"}},
		{"exact fit", "one two", 7, []string{"one two"}},
		{"on spaces", "one two three four", 9, []string{"one two", "three", "four"}},
		{"space at the limit", "abcd efgh", 4, []string{"abcd", "efgh"}},
		{"runs of space", "  one   two\tthree  ", 5, []string{"one", "two", "three"}},
		{"long word alone", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"long word after short", "ab cdefghij kl", 4, []string{"ab", "cdef", "ghij", "kl"}},
		{"cyrillic word", "переговоры", 5, []string{"пе", "ре", "го", "во", "ры"}},
		{"emoji word", "😀😀😀", 5, []string{"😀", "😀", "😀"}},
		{"size below a rune", "abcdefgh", 1, []string{"abcd", "efgh"}},
		{"non-breaking space", "abc\u00a0def", 4, []string{"abc", "def"}},
		{"empty", "", 10, nil},
		{"white space only", " \t ", 10, nil},
		{"480 KB unpunctuated", unpunctuated(480 << 10), 700, nil},
		{"100 KB blob", blob(100 << 10), 700, nil},
		{"blob between words", "see " + blob(5000) + " and more words here", 700, nil},
		{"cyrillic unpunctuated", strings.Repeat("переговоры продолжились без результата ", 2000), 700, nil},
		{"mixed widths", strings.Repeat("a日本語😀bé ", 500) + strings.Repeat("日本語😀", 400), 701, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := CutWords(tt.text, tt.size)
			checkPieces(t, tt.text, tt.size, pieces)
			if tt.want == nil && strings.TrimSpace(tt.text) != "" {
				return
			}
			var got []string
			for _, p := range pieces {
				got = append(got, tt.text[p.Start:p.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// checkPassages fails unless passages are in order, within the hard cap
// and on rune boundaries, and together hold every word of text.
func checkPassages(t *testing.T, text string, s Splitter, passages []Span) {
	t.Helper()
	prev, covered := Span{-1, -1}, 0
	for _, p := range passages {
		if p.End <= p.Start || p.End > len(text) || p.Start <= prev.Start || p.End <= prev.End {
			t.Fatalf("passage %v after %v in %d bytes", p, prev, len(text))
		}
		if n := p.End - p.Start; n > s.hardMaxBytes() {
			t.Fatalf("passage %v of %d bytes, over the %d-byte cap", p, n, s.hardMaxBytes())
		}
		if !utf8.ValidString(text[p.Start:p.End]) {
			t.Fatalf("passage %v cuts a rune", p)
		}
		if gap := text[covered:max(covered, p.Start)]; strings.TrimFunc(gap, unicode.IsSpace) != "" {
			t.Fatalf("no passage holds %q", gap[:min(len(gap), 40)])
		}
		covered = max(covered, p.End)
		prev = p
	}
	if rest := text[covered:]; strings.TrimFunc(rest, unicode.IsSpace) != "" {
		t.Fatalf("no passage holds the end %q", rest[:min(len(rest), 40)])
	}
}

func TestSplitHardCap(t *testing.T) {
	sentence := func(n int) string { // exactly n bytes
		body := []byte(unpunctuated(n))[:n-len("Officials said .")]
		if body[len(body)-1] == ' ' {
			body[len(body)-1] = 'x'
		}
		return "Officials said " + string(body) + "."
	}
	tests := []struct {
		name     string
		text     string
		s        Splitter
		passages int // want this many; 0: any
		longest  int // want the longest passage this long; 0: any
	}{
		{"480 KB unpunctuated article", unpunctuated(480 << 10), Splitter{}, 0, 0},
		{"100 KB blob in a sentence", "It read " + blob(100<<10) + " and so on. Then it stopped.", Splitter{}, 0, 0},
		{"100 KB blob alone", blob(100 << 10), Splitter{}, 147, DefaultMaxBytes},
		{"cyrillic without punctuation", strings.Repeat("переговоры продолжились без результата ", 10000), Splitter{}, 0, 0},
		{"sentence at the hard cap stays whole", sentence(DefaultHardMaxBytes), Splitter{}, 1, DefaultHardMaxBytes},
		{"sentence past the hard cap is cut", sentence(DefaultHardMaxBytes + 1), Splitter{}, 3, 0},
		{"long sentence among short ones", "Short one. " + sentence(5000) + " Short two. Short three.", Splitter{}, 0, 0},
		{"480 KB of lower-case sentences", strings.Repeat("it went on. ", 40<<10), Splitter{}, 0, 0},
		{"480 KB of dots", strings.Repeat(".", 480<<10) + " x", Splitter{}, 0, 0},
		{"own caps", unpunctuated(10000), Splitter{MaxBytes: 100, HardMaxBytes: 300}, 0, 0},
		{"hard cap below MaxBytes is MaxBytes", sentence(900), Splitter{MaxBytes: 1000, HardMaxBytes: 10}, 1, 900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := tt.s.Split(tt.text)
			checkPassages(t, tt.text, tt.s, spans)
			longest := 0
			for _, p := range spans {
				longest = max(longest, p.End-p.Start)
			}
			if tt.passages > 0 && len(spans) != tt.passages {
				t.Errorf("%d passages, want %d", len(spans), tt.passages)
			}
			if tt.longest > 0 && longest != tt.longest {
				t.Errorf("longest passage %d bytes, want %d", longest, tt.longest)
			}
		})
	}
}

// TestSeedPassagesUncut checks that the hard cap changes none of the
// seeds' passages: no seed sentence comes near it.
func TestSeedPassagesUncut(t *testing.T) {
	c := loadSeeds(t)
	uncapped := Splitter{HardMaxBytes: 1 << 30}
	n := 0
	for _, d := range c.Docs {
		capped, whole := Splitter{}.Split(d.Text), uncapped.Split(d.Text)
		if !slices.Equal(capped, whole) {
			t.Errorf("%s: the hard cap changed its passages: %v, was %v", d.ID, capped, whole)
		}
		n += len(capped)
	}
	if n != len(c.Passages) {
		t.Errorf("%d passages split, corpus has %d", n, len(c.Passages))
	}
}

// TestLoadEnormousArticle loads the article that made a 435,000-character
// LLM request, beside a normal one, through the loader.
func TestLoadEnormousArticle(t *testing.T) {
	files := fstest.MapFS{
		"big.txt":    {Data: []byte("Transcript of the talks\n\n" + unpunctuated(480<<10) + "\n")},
		"normal.txt": {Data: []byte("Talks ended\n\nThe talks ended on Tuesday. Both sides said they would meet again. No date was set.\n")},
	}
	c, err := LoadFS(context.Background(), files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	perDoc := map[int]int{}
	for _, p := range c.Passages {
		perDoc[p.Doc]++
		if len(p.Text) > DefaultHardMaxBytes {
			t.Fatalf("%s is %d bytes, over the %d-byte cap", p.ID, len(p.Text), DefaultHardMaxBytes)
		}
		if d := c.Docs[p.Doc]; d.Text[p.Start:p.End] != p.Text {
			t.Fatalf("%s: offsets do not give its text", p.ID)
		}
	}
	if got := perDoc[0]; got < (480<<10)/DefaultMaxBytes {
		t.Errorf("the big article has %d passages, want at least %d", got, (480<<10)/DefaultMaxBytes)
	}
	if got := perDoc[1]; got == 0 || got > 2 {
		t.Errorf("the normal article has %d passages, want one or two", got)
	}
}

// FuzzCutWords checks CutWords' promises on arbitrary text and sizes.
func FuzzCutWords(f *testing.F) {
	for _, s := range []string{"one two three", "abcdefghij", "переговоры продолжились", "a😀 b\u00a0c\td", "\xff\xfe bad"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, text string, size int) {
		size = size%64 + 1
		if size < 1 {
			size += 64
		}
		checkPieces(t, text, size, CutWords(text, size))
	})
}

func ExampleCutWords() {
	text := "a sentence with a verylongwordindeed in it"
	for _, p := range CutWords(text, 10) {
		fmt.Printf("%q\n", text[p.Start:p.End])
	}
	// Output:
	// "a sentence"
	// "with a"
	// "verylongwo"
	// "rdindeed"
	// "in it"
}
