package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Passage size defaults, in bytes of UTF-8 text.
const (
	// DefaultMaxBytes is the size a passage grows to, whole sentences at
	// a time: about three sentences of news prose, small enough that the
	// six passages an answer draws on stay a small part of the prompt.
	DefaultMaxBytes = 700
	// DefaultHardMaxBytes is the size no passage ever passes. A real
	// sentence hardly ever comes near it (the seeds' longest is 328
	// bytes), while text in two-byte scripts such as Cyrillic still keeps
	// sentences of up to 1,000 letters whole. What passes it is not a
	// sentence but text without punctuation (a transcript, a table, an
	// encoded blob); left whole it became one passage of 480 KB and an
	// LLM request of 435,000 characters.
	DefaultHardMaxBytes = 2000
)

// Splitter cuts a document into passages of whole sentences. The zero
// value uses the defaults.
type Splitter struct {
	Sentences int // sentences per passage; default 3
	// MaxBytes is the size a passage grows to: sentences are added while
	// it stays within it, though a passage holds at least one sentence;
	// default DefaultMaxBytes.
	MaxBytes int
	// HardMaxBytes is the size no passage passes: a sentence longer than
	// it is cut, on word boundaries, into pieces of at most MaxBytes,
	// each a passage of its own. Default DefaultHardMaxBytes; never
	// below MaxBytes.
	HardMaxBytes int
	Overlap      int // sentences shared with the previous passage; default 1
}

func (s Splitter) sentences() int {
	if s.Sentences <= 0 {
		return 3
	}
	return s.Sentences
}

func (s Splitter) maxBytes() int {
	if s.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return s.MaxBytes
}

func (s Splitter) hardMaxBytes() int {
	if s.HardMaxBytes <= 0 {
		return max(DefaultHardMaxBytes, s.maxBytes())
	}
	return max(s.HardMaxBytes, s.maxBytes())
}

func (s Splitter) overlap() int {
	if s.Overlap < 0 {
		return 0
	}
	if s.Overlap == 0 {
		return 1
	}
	return min(s.Overlap, s.sentences()-1)
}

// Split returns the passages of text as byte spans, in order. Each passage
// holds up to Sentences sentences, starts Overlap sentences before the end
// of the previous one and never splits a sentence, unless the sentence is
// longer than HardMaxBytes: then it is cut into pieces that stand for
// sentences of their own. No passage is longer than HardMaxBytes.
func (s Splitter) Split(text string) []Span {
	sents := s.cutLong(text, SplitSentences(text))
	if len(sents) == 0 {
		return nil
	}
	var out []Span
	for i := 0; i < len(sents); {
		j := i + 1
		for j < len(sents) && j-i < s.sentences() && sents[j].End-sents[i].Start <= s.maxBytes() {
			j++
		}
		out = append(out, Span{sents[i].Start, sents[j-1].End})
		if j == len(sents) {
			break
		}
		next := j - s.overlap()
		if next <= i {
			next = i + 1
		}
		// The next passage must reach sentence j, or it would repeat part
		// of this one and add nothing: give up overlap that does not fit.
		for next < j && (j-next+1 > s.sentences() || sents[j].End-sents[next].Start > s.maxBytes()) {
			next++
		}
		i = next
	}
	return out
}

// cutLong replaces each sentence longer than the hard cap by pieces of at
// most MaxBytes, cut by CutWords.
func (s Splitter) cutLong(text string, sents []Span) []Span {
	out := make([]Span, 0, len(sents))
	for _, sp := range sents {
		if sp.End-sp.Start <= s.hardMaxBytes() {
			out = append(out, sp)
			continue
		}
		for _, piece := range CutWords(text[sp.Start:sp.End], s.maxBytes()) {
			out = append(out, Span{sp.Start + piece.Start, sp.Start + piece.End})
		}
	}
	return out
}

// CutWords cuts text into pieces of at most size bytes, as byte spans in
// order, without the white space between them. A piece ends at the last
// white space that lets it fit, so never inside a word; a word longer
// than size on its own (a URL, an encoded blob) is cut at the last whole
// rune that fits, so never inside a UTF-8 sequence. Pieces are never
// empty; a size below utf8.UTFMax, the longest rune, is taken as that.
func CutWords(text string, size int) []Span {
	size = max(size, utf8.UTFMax)
	var out []Span
	start := skipSpace(text, 0)
	for start < len(text) {
		end := len(text)
		if end-start > size {
			end = cutPoint(text, start, start+size)
		}
		out = append(out, Span{start, trimSpaceRight(text, start, end)})
		start = skipSpace(text, end)
	}
	return out
}

// cutPoint returns where a piece of text that starts at start, on a rune
// that is not white space, and may not pass limit is best cut: at the
// last white space by limit, or else at the last rune boundary.
func cutPoint(text string, start, limit int) int {
	if r, _ := utf8.DecodeRuneInString(text[limit:]); unicode.IsSpace(r) {
		return limit // the piece ends with a whole word
	}
	for i := limit; i > start; {
		r, n := utf8.DecodeLastRuneInString(text[:i])
		if unicode.IsSpace(r) {
			return i - n
		}
		i -= n
	}
	for i := limit; i > start && i > limit-utf8.UTFMax; i-- {
		if utf8.RuneStart(text[i]) {
			return i
		}
	}
	return limit // not UTF-8: no rune to keep whole
}

// skipSpace returns the offset of the first rune at or after i that is not
// white space.
func skipSpace(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// trimSpaceRight returns the end of text[start:end] without its trailing
// white space.
func trimSpaceRight(text string, start, end int) int {
	for end > start {
		r, size := utf8.DecodeLastRuneInString(text[:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= size
	}
	return end
}

// abbreviations end with a period that does not end a sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true,
	"gen": true, "col": true, "lt": true, "sgt": true, "capt": true, "rep": true,
	"sen": true, "gov": true, "pres": true, "jr": true, "sr": true, "inc": true,
	"ltd": true, "co": true, "corp": true, "vs": true, "etc": true, "no": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"u.s": true, "u.k": true, "u.n": true, "e.u": true, "i.e": true, "e.g": true,
	"approx": true, "dept": true, "est": true, "fig": true, "mt": true,
}

// SplitSentences returns the sentences of text as byte spans, without
// surrounding white space. Line breaks always end a sentence.
func SplitSentences(text string) []Span {
	var out []Span
	start := -1
	emit := func(end int) {
		if start < 0 {
			return
		}
		for end > start {
			r, size := utf8.DecodeLastRuneInString(text[:end])
			if !unicode.IsSpace(r) {
				break
			}
			end -= size
		}
		if end > start {
			out = append(out, Span{start, end})
		}
		start = -1
	}
	for i := 0; i < len(text); {
		if start >= 0 {
			// Inside a sentence only a line break or a terminal mark
			// matters: skip the bytes that cannot begin either ('…' is
			// 0xE2 0x80 0xA6).
			for i < len(text) && !sentenceByte(text[i]) {
				i++
			}
			if i == len(text) {
				break
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			emit(i)
		case start < 0 && !unicode.IsSpace(r):
			start = i
		}
		i += size
		if start < 0 || !isTerminal(r) {
			continue
		}
		// Take further terminal marks and closing quotes or brackets.
		end := i
		for end < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[end:])
			if !isTerminal(r2) && !strings.ContainsRune(`"'”’»)]`, r2) {
				break
			}
			end += s2
		}
		// The first and last tests hold for every mark of the run alike:
		// when they fail, go on after the run, so that a long run of
		// marks is read once, not once per mark.
		if end < len(text) {
			r2, _ := utf8.DecodeRuneInString(text[end:])
			if r2 != ' ' && r2 != '\n' {
				i = end
				continue // "23.30", "kremlin.ru"
			}
		}
		if r == '.' && isAbbreviation(text[start:i-1]) {
			continue
		}
		if !startsSentence(text[end:]) {
			i = end
			continue
		}
		emit(end)
		i = end
	}
	emit(len(text))
	return out
}

// sentenceByte reports whether c can begin a line break or a terminal
// mark.
func sentenceByte(c byte) bool { return c == '\n' || c == '.' || c == '!' || c == '?' || c == 0xE2 }

func isTerminal(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

// isAbbreviation reports whether the word before a period is an
// abbreviation or an initial ("J.").
func isAbbreviation(before string) bool {
	k := strings.LastIndexFunc(before, func(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == '"' })
	word := before[k+1:]
	if word == "" {
		return false
	}
	if utf8.RuneCountInString(word) == 1 {
		r, _ := utf8.DecodeRuneInString(word)
		return unicode.IsUpper(r)
	}
	return abbreviations[strings.ToLower(word)]
}

// startsSentence reports whether the text after a terminal mark opens a
// new sentence: white space, then an upper-case letter, digit, quote or
// bracket, or the end of the text or line.
func startsSentence(rest string) bool {
	rest = strings.TrimLeft(rest, " ")
	if rest == "" || rest[0] == '\n' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune(`"'“‘«([—–-`, r) || !unicode.IsLetter(r) && !unicode.IsPunct(r)
}
