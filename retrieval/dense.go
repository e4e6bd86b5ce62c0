package retrieval

import (
	"context"
	"fmt"
	"math"

	"github.com/talkbot/talkbot/corpus"
)

// Embedder turns texts into vectors, one per text, in order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// dense holds one unit-length vector per passage.
type dense struct {
	vecs [][]float32
}

func buildDense(ctx context.Context, c *corpus.Corpus, e Embedder, batch int) (*dense, error) {
	if batch <= 0 {
		batch = 64
	}
	d := &dense{vecs: make([][]float32, 0, len(c.Passages))}
	for start := 0; start < len(c.Passages); start += batch {
		end := min(start+batch, len(c.Passages))
		texts := make([]string, 0, end-start)
		for _, p := range c.Passages[start:end] {
			texts = append(texts, c.Doc(p).Title+"\n"+p.Text)
		}
		vecs, err := e.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("embed passages %d-%d: %w", start, end-1, err)
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("embed passages %d-%d: got %d vectors for %d texts", start, end-1, len(vecs), len(texts))
		}
		for _, v := range vecs {
			d.vecs = append(d.vecs, unit(v))
		}
	}
	return d, nil
}

func (d *dense) search(q []float32, k int) []Hit {
	q = unit(q)
	hits := make([]Hit, 0, len(d.vecs))
	for i, v := range d.vecs {
		if len(v) != len(q) {
			continue
		}
		hits = append(hits, Hit{Passage: i, Score: float64(dot(q, v))})
	}
	sortHits(hits)
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// Cosine returns the cosine similarity of two vectors of equal length.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	return float64(dot(unit(a), unit(b)))
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(n))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}
