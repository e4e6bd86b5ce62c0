// Package before is talkbot's lexical index as it was before issue 14
// (commit 3d05809): posting lists of (passage, float32 weight) in a map,
// and an exhaustive search that scores every posting of every query term
// into an array of one score per passage. The benchmarks run it beside
// the current index, in the same run, for the before/after comparison,
// and a test checks that both return the same results.
package before

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// BM25 parameters and the weight of a title match relative to the body.
const (
	k1         = 1.2
	b          = 0.75
	titleBoost = 0.5
)

// Index is the old index over the passages of one corpus.
type Index struct {
	n     int
	body  field
	title field
}

// field holds the inverted index of one text field of every passage.
type field struct {
	terms  map[string][]posting
	avgLen float64
}

// posting is one passage holding a term, with the term's BM25 weight in
// it before IDF: tf·(k1+1) / (tf + k1·(1−b+b·len/avgLen)), computed once
// at build time so a search only multiplies and adds.
type posting struct {
	passage uint32
	w       float32
}

// accumulator holds the scores of one search: a score per passage, and
// which passages were touched, so clearing costs what was used.
type accumulator struct {
	scores  []float64
	touched []uint32
}

var accumulators = sync.Pool{New: func() any { return &accumulator{} }}

// Build indexes every passage of c, as retrieval.Build did.
func Build(c *corpus.Corpus) *Index {
	an := newAnalyzer()
	docTitles := make([][]string, len(c.Docs))
	for i, d := range c.Docs {
		docTitles[i] = an.terms(d.Title, nil)
	}
	return &Index{
		n: len(c.Passages),
		body: buildField(len(c.Passages), func(i int, buf []string) []string {
			return an.terms(c.Passages[i].Text, buf)
		}),
		title: buildField(len(c.Passages), func(i int, _ []string) []string {
			return docTitles[c.Passages[i].Doc]
		}),
	}
}

// buildField indexes n passages, whose terms termsOf gives (appending
// to buf[:0] if it likes). It goes over them twice: first to count, so
// that every posting list is allocated once at its exact size, out of one
// array; then to fill them. A build thus never holds every passage's terms
// at once nor leaves grown-and-dropped posting lists behind, which keeps
// a reload's peak memory close to the index's own size.
func buildField(n int, termsOf func(i int, buf []string) []string) field {
	lens := make([]uint32, n)
	df := map[string]int{}
	counts := map[string]uint32{}
	var buf []string
	total, postings := 0, 0
	for i := range n {
		buf = termsOf(i, buf)
		lens[i] = uint32(len(buf))
		total += len(buf)
		clear(counts)
		for _, t := range buf {
			counts[t]++
		}
		for t := range counts {
			df[t]++
		}
		postings += len(counts)
	}
	f := field{terms: make(map[string][]posting, len(df)), avgLen: 1}
	if n > 0 && total > 0 {
		f.avgLen = float64(total) / float64(n)
	}
	all := make([]posting, postings)
	off := 0
	for t, d := range df {
		f.terms[t] = all[off : off : off+d]
		off += d
	}
	for i := range n {
		buf = termsOf(i, buf)
		clear(counts)
		for _, t := range buf {
			counts[t]++
		}
		norm := k1 * (1 - b + b*float64(lens[i])/f.avgLen)
		for t, c := range counts {
			tf := float64(c)
			f.terms[t] = append(f.terms[t], posting{passage: uint32(i), w: float32(tf * (k1 + 1) / (tf + norm))})
		}
	}
	return f
}

func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// SearchLexical is Search with BM25 alone.
func (ix *Index) SearchLexical(q retrieval.Query, k int) []retrieval.Hit {
	n := ix.n
	if n == 0 || k <= 0 {
		return nil
	}
	acc := accumulators.Get().(*accumulator)
	defer accumulators.Put(acc)
	if len(acc.scores) < n {
		acc.scores = make([]float64, n)
	}
	for _, t := range q.Terms {
		ix.body.add(acc, t, n, 1*t.Weight)
		ix.title.add(acc, t, n, titleBoost*t.Weight)
	}
	hits := topK(acc, k)
	for _, p := range acc.touched {
		acc.scores[p] = 0
	}
	acc.touched = acc.touched[:0]
	return hits
}

func (f *field) add(acc *accumulator, t retrieval.QueryTerm, n int, weight float64) {
	ps := f.terms[t.Term]
	if len(ps) == 0 {
		return
	}
	w := idf(n, len(ps)) * weight
	if w <= 0 {
		return // would leave touched passages looking untouched
	}
	for _, p := range ps {
		if acc.scores[p.passage] == 0 {
			acc.touched = append(acc.touched, p.passage)
		}
		acc.scores[p.passage] += w * float64(p.w)
	}
}

// topK returns the k best scored passages, best first, keeping only k
// candidates at a time instead of sorting every match.
func topK(acc *accumulator, k int) []retrieval.Hit {
	h := make([]retrieval.Hit, 0, k+1)
	worse := func(a, b retrieval.Hit) bool { return a.Score < b.Score || a.Score == b.Score && a.Passage > b.Passage }
	for _, p := range acc.touched {
		hit := retrieval.Hit{Passage: int(p), Score: acc.scores[p]}
		if len(h) == k && !worse(h[0], hit) {
			continue
		}
		// h is a min-heap by worse: h[0] is the worst kept.
		h = append(h, hit)
		for i := len(h) - 1; i > 0; {
			parent := (i - 1) / 2
			if !worse(h[i], h[parent]) {
				break
			}
			h[i], h[parent] = h[parent], h[i]
			i = parent
		}
		if len(h) > k {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
			for i := 0; ; {
				l, r, m := 2*i+1, 2*i+2, i
				if l < len(h) && worse(h[l], h[m]) {
					m = l
				}
				if r < len(h) && worse(h[r], h[m]) {
					m = r
				}
				if m == i {
					break
				}
				h[i], h[m] = h[m], h[i]
				i = m
			}
		}
	}
	sortHits(h)
	return h
}

func sortHits(hits []retrieval.Hit) {
	slices.SortFunc(hits, func(a, b retrieval.Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return a.Passage - b.Passage
	})
}

// analyzer is retrieval.Terms with a memory of the words it has stemmed.
type analyzer struct{ seen map[string]string }

func newAnalyzer() *analyzer { return &analyzer{seen: map[string]string{}} }

// terms appends the index terms of text to buf[:0] and returns it.
func (a *analyzer) terms(text string, buf []string) []string {
	out := buf[:0]
	start := -1
	flush := func(end int) {
		w := text[start:end]
		t, ok := a.seen[w]
		if !ok {
			t = retrieval.Term(w)
			a.seen[strings.Clone(w)] = t
		}
		if t != "" {
			out = append(out, t)
		}
		start = -1
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			flush(i)
		}
	}
	if start >= 0 {
		flush(len(text))
	}
	return out
}
