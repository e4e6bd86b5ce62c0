package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Splitter cuts a document into passages of whole sentences. The zero
// value uses the defaults.
type Splitter struct {
	Sentences int // sentences per passage; default 3
	MaxBytes  int // passage size cap, unless one sentence is longer; default 700
	Overlap   int // sentences shared with the previous passage; default 1
}

func (s Splitter) sentences() int {
	if s.Sentences <= 0 {
		return 3
	}
	return s.Sentences
}

func (s Splitter) maxBytes() int {
	if s.MaxBytes <= 0 {
		return 700
	}
	return s.MaxBytes
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
// of the previous one and never splits a sentence.
func (s Splitter) Split(text string) []Span {
	sents := SplitSentences(text)
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
		if end < len(text) {
			r2, _ := utf8.DecodeRuneInString(text[end:])
			if r2 != ' ' && r2 != '\n' {
				continue // "23.30", "kremlin.ru"
			}
		}
		if r == '.' && isAbbreviation(text[start:i-1]) {
			continue
		}
		if !startsSentence(text[end:]) {
			continue
		}
		emit(end)
		i = end
	}
	emit(len(text))
	return out
}

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
