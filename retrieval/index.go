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
	terms  dictionary
	body   field
	title  field
	dense  *dense
	embed  Embedder
}

// Build indexes every passage of c. With an Embedder it also embeds every
// passage, which is the only part that can fail.
func Build(ctx context.Context, c *corpus.Corpus, opts Options) (*Index, error) {
	ix := &Index{corpus: c, embed: opts.Embedder}
	if err := ix.buildLexical(); err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	if opts.Embedder != nil {
		d, err := buildDense(ctx, c, opts.Embedder, opts.EmbedBatch)
		if err != nil {
			return nil, fmt.Errorf("build dense index: %w", err)
		}
		ix.dense = d
	}
	return ix, nil
}

// buildLexical indexes the passages' text and their articles' titles. It
// goes over the passages twice: first to count each posting list's
// postings and bytes, then to write them, compressed, into one array per
// field carved at the exact size. A build thus never holds every
// passage's terms at once nor leaves grown-and-dropped lists behind,
// which keeps a reload's peak memory close to the index's own size.
func (ix *Index) buildLexical() error {
	c := ix.corpus
	n := len(c.Passages)
	if uint64(n) >= done {
		return fmt.Errorf("%d passages: too many for one index", n)
	}
	an := newAnalyzer()
	ids := map[string]uint32{}
	var terms []string
	id := func(t string) uint32 {
		i, ok := ids[t]
		if !ok {
			i = uint32(len(terms))
			ids[t] = i
			terms = append(terms, t)
		}
		return i
	}
	// A title's terms and frequencies, once per article.
	type termFreq struct{ id, tf uint32 }
	titles := make([][]termFreq, len(c.Docs))
	titleLens := make([]uint32, len(c.Docs))
	counts := map[string]uint32{}
	for d, doc := range c.Docs {
		ts := an.terms(doc.Title, nil)
		titleLens[d] = uint32(len(ts))
		clear(counts)
		for _, t := range ts {
			counts[t]++
		}
		for t, tf := range counts {
			titles[d] = append(titles[d], termFreq{id(t), tf})
		}
	}
	var buf []string
	// The average lengths of a sample of passages, for the layers.
	sample := min(n, 2000)
	var bodySample, titleSample int
	for i := range sample {
		buf = an.terms(c.Passages[i].Text, buf)
		bodySample += len(buf)
		titleSample += int(titleLens[c.Passages[i].Doc])
	}
	sampleAvg := func(total int) float64 {
		if total == 0 {
			return 1
		}
		return float64(total) / float64(sample)
	}
	body := newFieldBuilder(n, sampleAvg(bodySample))
	title := newFieldBuilder(n, sampleAvg(titleSample))
	bodyTerms := func(i int) {
		buf = an.terms(c.Passages[i].Text, buf)
		clear(counts)
		for _, t := range buf {
			counts[t]++
		}
	}
	for i := range n {
		bodyTerms(i)
		body.f.lens[i] = uint32(len(buf))
		body.total += len(buf)
		for t, tf := range counts {
			body.count(id(t), uint32(i), tf)
		}
		d := c.Passages[i].Doc
		title.f.lens[i] = titleLens[d]
		title.total += int(titleLens[d])
		for _, p := range titles[d] {
			title.count(p.id, uint32(i), p.tf)
		}
	}
	dict, rank := newDictionary(terms)
	if err := body.layout(rank, n); err != nil {
		return fmt.Errorf("passage text: %w", err)
	}
	if err := title.layout(rank, n); err != nil {
		return fmt.Errorf("titles: %w", err)
	}
	for i := range n {
		bodyTerms(i)
		for t, tf := range counts {
			body.write(ids[t], uint32(i), tf)
		}
		for _, p := range titles[c.Passages[i].Doc] {
			title.write(p.id, uint32(i), p.tf)
		}
	}
	ix.terms, ix.body, ix.title = dict, body.finish(), title.finish()
	return nil
}

// Corpus returns the corpus the index was built from.
func (ix *Index) Corpus() *corpus.Corpus { return ix.corpus }

// Dense reports whether the index also searches by embeddings.
func (ix *Index) Dense() bool { return ix.dense != nil }

// DocFreq returns how many passages contain term in their body.
func (ix *Index) DocFreq(term string) int {
	t, ok := ix.terms.lookup(term)
	if !ok {
		return 0
	}
	return ix.body.df(t)
}

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
	t, ok := ix.terms.lookup(term)
	return ok && (ix.body.df(t) > 0 || ix.title.df(t) > 0)
}
