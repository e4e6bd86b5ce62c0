package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/talkbot/talkbot/corpus"
)

// BM25 parameters and the weight of a title match relative to the body.
const (
	k1         = 1.2
	b          = 0.75
	titleBoost = 0.5
)

// Options configures Build.
type Options struct {
	// Embedder, when set, adds dense retrieval fused with BM25.
	Embedder Embedder
	// EmbedBatch is how many passages go in one embeddings request; default 64.
	EmbedBatch int
}

// Index is a search index over the passages of one corpus.
type Index struct {
	corpus *corpus.Corpus
	body   field
	title  field
	dense  *dense
	embed  Embedder
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

// Build indexes every passage of c. With an Embedder it also embeds every
// passage, which is the only part that can fail.
func Build(ctx context.Context, c *corpus.Corpus, opts Options) (*Index, error) {
	ix := &Index{corpus: c, embed: opts.Embedder}
	an := newAnalyzer()
	docTitles := make([][]string, len(c.Docs))
	for i, d := range c.Docs {
		docTitles[i] = an.terms(d.Title, nil)
	}
	ix.body = buildField(len(c.Passages), func(i int, buf []string) []string {
		return an.terms(c.Passages[i].Text, buf)
	})
	ix.title = buildField(len(c.Passages), func(i int, _ []string) []string {
		return docTitles[c.Passages[i].Doc]
	})
	if opts.Embedder != nil {
		d, err := buildDense(ctx, c, opts.Embedder, opts.EmbedBatch)
		if err != nil {
			return nil, fmt.Errorf("build dense index: %w", err)
		}
		ix.dense = d
	}
	return ix, nil
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

// Corpus returns the corpus the index was built from.
func (ix *Index) Corpus() *corpus.Corpus { return ix.corpus }

// Dense reports whether the index also searches by embeddings.
func (ix *Index) Dense() bool { return ix.dense != nil }

// DocFreq returns how many passages contain term in their body.
func (ix *Index) DocFreq(term string) int { return len(ix.body.terms[term]) }

// IDF returns the BM25 inverse document frequency of a term over passage
// bodies; unseen terms get the highest value.
func (ix *Index) IDF(term string) float64 {
	return idf(len(ix.corpus.Passages), ix.DocFreq(term))
}

func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// Hit is one search result.
type Hit struct {
	Passage int     // index into Corpus.Passages
	Score   float64 // higher is better; comparable only within one search
}

// Search returns the k best passages for q, best first; ties go to the
// passage that comes first in the corpus, so results are deterministic.
//
// With dense retrieval the BM25 and embedding rankings are fused by
// reciprocal rank. If embedding the question fails, Search still returns
// the BM25 ranking, together with the error.
func (ix *Index) Search(ctx context.Context, q Query, k int) ([]Hit, error) {
	lexical := ix.SearchLexical(q, k)
	if ix.dense == nil || q.Text == "" {
		return lexical, nil
	}
	vecs, err := ix.embed.Embed(ctx, []string{q.Text})
	if err != nil || len(vecs) != 1 {
		if err == nil {
			err = fmt.Errorf("embedder returned %d vectors for 1 input", len(vecs))
		}
		return lexical, fmt.Errorf("embed question: %w", err)
	}
	depth := max(k*4, 50)
	return Fuse(k, ix.SearchLexical(q, depth), ix.dense.search(vecs[0], depth)), nil
}

// SearchLexical is Search with BM25 alone.
func (ix *Index) SearchLexical(q Query, k int) []Hit {
	n := len(ix.corpus.Passages)
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

func (f *field) add(acc *accumulator, t QueryTerm, n int, weight float64) {
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
func topK(acc *accumulator, k int) []Hit {
	h := make([]Hit, 0, k+1)
	worse := func(a, b Hit) bool { return a.Score < b.Score || a.Score == b.Score && a.Passage > b.Passage }
	for _, p := range acc.touched {
		hit := Hit{Passage: int(p), Score: acc.scores[p]}
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

func sortHits(hits []Hit) {
	slices.SortFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return a.Passage - b.Passage
	})
}

// Fuse merges rankings by reciprocal rank fusion (k = 60), which needs no
// score calibration between BM25 and cosine similarity.
func Fuse(k int, rankings ...[]Hit) []Hit {
	const rrfK = 60
	scores := map[int]float64{}
	for _, r := range rankings {
		for rank, h := range r {
			scores[h.Passage] += 1 / float64(rrfK+rank+1)
		}
	}
	hits := make([]Hit, 0, len(scores))
	for p, s := range scores {
		hits = append(hits, Hit{Passage: p, Score: s})
	}
	sortHits(hits)
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// Contains reports whether any passage or title of the corpus has term.
func (ix *Index) Contains(term string) bool {
	return len(ix.body.terms[term]) > 0 || len(ix.title.terms[term]) > 0
}
