package retrieval_test

import (
	"context"
	"slices"
	"testing"

	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/retrieval"
)

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
		full := ix.SearchLexical(query, all)
		for _, k := range []int{1, 3, 10, 50} {
			got := ix.SearchLexical(query, k)
			want := full[:min(k, len(full))]
			if !slices.Equal(got, want) {
				t.Fatalf("%q k=%d: %v, want %v", q.Text, k, got, want)
			}
		}
		for i := 1; i < len(full); i++ {
			if full[i].Score > full[i-1].Score || full[i].Score == full[i-1].Score && full[i].Passage < full[i-1].Passage {
				t.Fatalf("%q: ranking out of order at %d", q.Text, i)
			}
		}
	}
}
