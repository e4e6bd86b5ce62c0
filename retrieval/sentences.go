package retrieval

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/corpus"
)

// rerankDepth is how many of BM25's best passages SearchLexical reorders
// by their best sentence. On the generated shared-names questions at 100k
// passages (seed 43), reordering the best 10, 20 and 50 found the answer
// in the top 3 for 0.896, 0.912 and 0.916 of them (BM25 alone: 0.740),
// and BM25's top 20 costs about 1.4 times its top 10.
const rerankDepth = 20

// SearchLexical returns the k best passages for q, best first: BM25's
// best (SearchBM25, at least rerankDepth of them), each scored again with
// the weight of the query terms its best sentence holds, so that a
// passage with the question's words together in one sentence comes
// before one that holds them scattered. An answer is a sentence: this is
// term proximity (as in BM25TP, Rasolofo and Savoy, 2003) measured by
// sentences, which needs no positions in the index.
//
// For k up to rerankDepth the results for a smaller k are a prefix of
// those for a larger one.
func (ix *Index) SearchLexical(q Query, k int) []Hit {
	if k <= 0 {
		return nil
	}
	hits := ix.SearchBM25(q, max(k, rerankDepth))
	if len(hits) > 1 {
		m := newSentenceMatcher(ix, q)
		for i := range hits {
			hits[i].Score += m.bestSentence(ix.corpus.Passages[hits[i].Passage].Text)
		}
		sortHits(hits)
	}
	return hits[:min(k, len(hits))]
}

// sentenceMatcher finds the query terms in the sentences of passages.
type sentenceMatcher struct {
	terms   []string
	weights []float64 // a term's query weight times its IDF over passages
	stems   map[string]int
	found   []bool
	// first marks the bytes a word may begin with, lower-cased, to be
	// one of terms: most words are turned away by it alone.
	first [256]bool
}

func newSentenceMatcher(ix *Index, q Query) *sentenceMatcher {
	m := &sentenceMatcher{stems: map[string]int{}}
	n := len(ix.corpus.Passages)
	for _, t := range q.Terms {
		df := ix.DocFreq(t.Term)
		if df == 0 || !(t.Weight > 0) {
			continue
		}
		m.terms = append(m.terms, t.Term)
		m.weights = append(m.weights, t.Weight*idf(n, df))
		m.addFirst(t.Term)
	}
	m.found = make([]bool, len(m.terms))
	return m
}

// addFirst marks the first bytes of the words that may stem to t, by
// mayStemTo's rules.
func (m *sentenceMatcher) addFirst(t string) {
	for c := range 256 {
		if mayStemTo(string(rune(c)), t[:1]) || c >= utf8.RuneSelf {
			m.first[c] = true
		}
	}
}

// bestSentence returns the largest weight of query terms that one
// sentence of text holds, each term counted once.
func (m *sentenceMatcher) bestSentence(text string) float64 {
	best := 0.0
	for _, sp := range corpus.SplitSentences(text) {
		clear(m.found)
		sum := 0.0
		forEachWord(text[sp.Start:sp.End], func(w string) {
			if i := m.termOf(w); i >= 0 && !m.found[i] {
				m.found[i] = true
				sum += m.weights[i]
			}
		})
		best = max(best, sum)
	}
	return best
}

// termOf returns the index of the query term word stems to, or -1. A word
// is stemmed only when it could stem to a query term (mayStemTo), and
// then once per search.
func (m *sentenceMatcher) termOf(word string) int {
	if !m.first[word[0]] {
		return -1
	}
	may := false
	for _, t := range m.terms {
		if mayStemTo(word, t) {
			may = true
			break
		}
	}
	if !may {
		return -1
	}
	i, ok := m.stems[word]
	if !ok {
		i = slices.Index(m.terms, Term(word))
		m.stems[word] = i
	}
	return i
}

// mayStemTo reports whether word could have the index term t. A Snowball
// English stem is its word lower-cased with the ending replaced, so the
// word begins with all of the stem but its last letter ("hoping" has
// "hope"), but for a "y" made "i" ("dying" has "die"). A word with other
// than ASCII before that point is always worth stemming.
func mayStemTo(word, t string) bool {
	n := max(1, len(t)-1)
	if len(word) < n {
		return false
	}
	for i := range n {
		c := word[i]
		if c >= utf8.RuneSelf || t[i] >= utf8.RuneSelf {
			return true
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] && !(c == 'y' && t[i] == 'i') {
			return false
		}
	}
	return true
}

// forEachWord calls f with each run of letters and digits of text, as
// Words splits it, without allocating.
func forEachWord(text string, f func(string)) {
	start := -1
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			f(text[start:i])
			start = -1
		}
		i += size
	}
	if start >= 0 {
		f(text[start:])
	}
}

// isWordRune reports whether r belongs to a word: a letter or a digit.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
