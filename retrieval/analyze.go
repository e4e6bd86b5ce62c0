// Package retrieval finds the passages of a corpus that best match a
// question: BM25 over stemmed terms, optionally fused with dense
// embeddings.
//
// An Index is immutable. Building one is separate from searching it, so a
// new index can be built beside the one in use and swapped in at once.
package retrieval

import (
	"strings"

	"github.com/kljensen/snowball/english"
)

// Terms returns the index terms of text: lower-cased words and numbers,
// without English stop words, reduced to their Snowball (Porter2) stems.
func Terms(text string) []string {
	var out []string
	for _, w := range Words(text) {
		if t := Term(w); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Term returns the index term of one word, or "" for a stop word.
func Term(word string) string {
	w := strings.ToLower(word)
	if english.IsStopWord(w) {
		return ""
	}
	return english.Stem(w, true)
}

// Words splits text into runs of letters and digits.
func Words(text string) []string {
	var out []string
	forEachWord(text, func(w string) { out = append(out, w) })
	return out
}

// analyzer is Terms with a memory of the words it has stemmed: building
// an index meets the same words again and again, and stemming is the
// costly part.
type analyzer struct{ seen map[string]string }

func newAnalyzer() *analyzer { return &analyzer{seen: map[string]string{}} }

// terms appends the index terms of text to buf[:0] and returns it: an
// index build analyzes every passage, so it reuses one buffer.
func (a *analyzer) terms(text string, buf []string) []string {
	out := buf[:0]
	forEachWord(text, func(w string) {
		t, ok := a.seen[w]
		if !ok {
			t = Term(w)
			a.seen[strings.Clone(w)] = t // the key must not pin the whole text
		}
		if t != "" {
			out = append(out, t)
		}
	})
	return out
}
