package retrieval_test

import (
	"context"
	"slices"
	"testing"

	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/retrieval"
)

// TestTopKAgreesWithFullRanking: BM25's top k is the head of its whole
// ranking, and SearchLexical's is the head of its own for every k up to
// the depth it reorders.
func TestTopKAgreesWithFullRanking(t *testing.T) {
	g, err := corpusgen.Generate(7, 3000, 100)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(context.Background(), g.Corpus, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := len(g.Corpus.Passages)
	for _, q := range g.Questions {
		query := retrieval.NewQuery(q.Text)
		full := ix.SearchBM25(query, all)
		for _, k := range []int{1, 3, 10, 50} {
			got := ix.SearchBM25(query, k)
			want := full[:min(k, len(full))]
			if !slices.Equal(got, want) {
				t.Fatalf("%q k=%d: %v, want %v", q.Text, k, got, want)
			}
		}
		reordered := ix.SearchLexical(query, 20)
		for _, k := range []int{1, 3, 10, 19} {
			if got := ix.SearchLexical(query, k); !slices.Equal(got, reordered[:min(k, len(reordered))]) {
				t.Fatalf("%q k=%d: SearchLexical %v, want the head of %v", q.Text, k, got, reordered)
			}
		}
		for i := 1; i < len(full); i++ {
			if full[i].Score > full[i-1].Score || full[i].Score == full[i-1].Score && full[i].Passage < full[i-1].Passage {
				t.Fatalf("%q: ranking out of order at %d", q.Text, i)
			}
		}
	}
}
