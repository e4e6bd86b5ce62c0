package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"

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
	terms   map[string][]posting
	lengths []float32
	avgLen  float64
}

type posting struct {
	passage uint32
	tf      uint32
}

// Build indexes every passage of c. With an Embedder it also embeds every
// passage, which is the only part that can fail.
func Build(ctx context.Context, c *corpus.Corpus, opts Options) (*Index, error) {
	ix := &Index{corpus: c, embed: opts.Embedder}
	bodies := make([][]string, len(c.Passages))
	titles := make([][]string, len(c.Passages))
	docTitles := make([][]string, len(c.Docs))
	for i, d := range c.Docs {
		docTitles[i] = Terms(d.Title)
	}
	for i, p := range c.Passages {
		bodies[i] = Terms(p.Text)
		titles[i] = docTitles[p.Doc]
	}
	ix.body = buildField(bodies)
	ix.title = buildField(titles)
	if opts.Embedder != nil {
		d, err := buildDense(ctx, c, opts.Embedder, opts.EmbedBatch)
		if err != nil {
			return nil, fmt.Errorf("build dense index: %w", err)
		}
		ix.dense = d
	}
	return ix, nil
}

func buildField(docs [][]string) field {
	f := field{terms: map[string][]posting{}, lengths: make([]float32, len(docs))}
	total := 0
	counts := map[string]uint32{}
	for i, terms := range docs {
		clear(counts)
		for _, t := range terms {
			counts[t]++
		}
		for t, n := range counts {
			f.terms[t] = append(f.terms[t], posting{passage: uint32(i), tf: n})
		}
		f.lengths[i] = float32(len(terms))
		total += len(terms)
	}
	if len(docs) > 0 {
		f.avgLen = float64(total) / float64(len(docs))
	}
	if f.avgLen == 0 {
		f.avgLen = 1
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
	scores := make(map[uint32]float64)
	for _, t := range q.Terms {
		ix.body.add(scores, t, n, 1*t.Weight)
		ix.title.add(scores, t, n, titleBoost*t.Weight)
	}
	hits := make([]Hit, 0, len(scores))
	for p, s := range scores {
		hits = append(hits, Hit{Passage: int(p), Score: s})
	}
	sortHits(hits)
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

func (f *field) add(scores map[uint32]float64, t QueryTerm, n int, weight float64) {
	ps := f.terms[t.Term]
	if len(ps) == 0 {
		return
	}
	w := idf(n, len(ps)) * weight
	for _, p := range ps {
		tf := float64(p.tf)
		norm := 1 - b + b*float64(f.lengths[p.passage])/f.avgLen
		scores[p.passage] += w * tf * (k1 + 1) / (tf + k1*norm)
	}
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
