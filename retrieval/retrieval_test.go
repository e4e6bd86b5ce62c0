package retrieval_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/retrieval"
)

func testCorpus(docs ...corpus.Document) *corpus.Corpus {
	return corpus.New(docs, corpus.Splitter{Sentences: 1, Overlap: -1})
}

func build(t *testing.T, c *corpus.Corpus, opts retrieval.Options) *retrieval.Index {
	t.Helper()
	ix, err := retrieval.Build(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestTerms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The negotiations were negotiated", "negoti negoti"},
		{"Putin's talks with Biden", "putin talk biden"},
		{"at 23.30 on January 10", "23 30 januari 10"},
		{"Putin-Biden video-summit", "putin biden video summit"},
		{"Переговоры в Женеве", "переговоры в женеве"}, // other languages: lower-cased only
	}
	for _, tt := range tests {
		got := ""
		for i, term := range retrieval.Terms(tt.in) {
			if i > 0 {
				got += " "
			}
			got += term
		}
		if got != tt.want {
			t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchRanking(t *testing.T) {
	c := testCorpus(
		corpus.Document{ID: "a", Title: "Weather report", Text: "Rain is expected in Geneva. The sun returns on Friday."},
		corpus.Document{ID: "b", Title: "Geneva talks", Text: "The delegations negotiated for hours. Nothing was agreed."},
		corpus.Document{ID: "c", Title: "Sport", Text: "The match ended in a draw."},
	)
	ix := build(t, c, retrieval.Options{})
	tests := []struct {
		query string
		want  string // passage id of the top hit
		n     int    // number of hits
	}{
		{"When will the sun return?", "a#2", 1},
		{"Did the negotiations in Geneva go anywhere?", "b#1", 3}, // stemmed "negotiations" + title boost of "Geneva talks"
		{"Who won the match?", "c#1", 1},
		{"cryptocurrency", "", 0},
	}
	for _, tt := range tests {
		hits := ix.SearchLexical(retrieval.NewQuery(tt.query), 10)
		if len(hits) != tt.n {
			t.Errorf("%q: %d hits, want %d", tt.query, len(hits), tt.n)
		}
		if tt.n > 0 && (len(hits) == 0 || c.Passages[hits[0].Passage].ID != tt.want) {
			t.Errorf("%q: top hit %v, want %s", tt.query, hits, tt.want)
		}
	}
}

func TestSearchDeterministicTies(t *testing.T) {
	var docs []corpus.Document
	for _, id := range []string{"d5", "d1", "d3", "d2", "d4"} {
		docs = append(docs, corpus.Document{ID: id, Title: "Same", Text: "Identical text about the summit."})
	}
	ix := build(t, testCorpus(docs...), retrieval.Options{})
	want := []int{0, 1, 2}
	for range 20 {
		hits := ix.SearchLexical(retrieval.NewQuery("summit"), 3)
		for i, h := range hits {
			if h.Passage != want[i] {
				t.Fatalf("tie order %v, want passages %v", hits, want)
			}
		}
	}
}

func TestQueryWeights(t *testing.T) {
	q := retrieval.NewQuery("Who leads the American side?").With("Who leads the Russian delegation?", 0.5)
	got := map[string]float64{}
	for _, term := range q.Terms {
		got[term.Term] = term.Weight
	}
	want := map[string]float64{"lead": 1, "american": 1, "side": 1, "russian": 0.5, "deleg": 0.5}
	if len(got) != len(want) {
		t.Fatalf("terms %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("weight of %q = %v, want %v", k, got[k], w)
		}
	}
}

func TestDenseFusion(t *testing.T) {
	srv := fakeopenai.New(nil)
	defer srv.Close()
	client := llm.New(llm.Config{BaseURL: srv.BaseURL(), EmbeddingsModel: "fake-embed"})
	c := testCorpus(
		corpus.Document{ID: "a", Title: "Sanctions", Text: "Washington warned of sanctions against Moscow."},
		corpus.Document{ID: "b", Title: "Climate", Text: "Glaciers are melting faster than expected."},
	)
	ix := build(t, c, retrieval.Options{Embedder: client, EmbedBatch: 1})
	if !ix.Dense() {
		t.Fatal("index has no dense part")
	}
	if got := srv.EmbeddingCalls(); got != 2 {
		t.Errorf("embedding calls while building = %d, want 2 (batch of 1)", got)
	}
	hits, err := ix.Search(context.Background(), retrieval.NewQuery("glaciers melting"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || c.Passages[hits[0].Passage].ID != "b#1" {
		t.Errorf("hits %v, want b#1 first and both passages (dense ranks every passage)", hits)
	}

	// The embeddings server failing at query time leaves BM25 results and an error.
	srv.Fail(fakeopenai.Fault{Status: 400}, fakeopenai.Fault{Status: 400})
	hits, err = ix.Search(context.Background(), retrieval.NewQuery("glaciers"), 2)
	if err == nil {
		t.Error("want an error when the question cannot be embedded")
	}
	if len(hits) != 1 || c.Passages[hits[0].Passage].ID != "b#1" {
		t.Errorf("fallback hits %v, want the BM25 hit b#1", hits)
	}
}

func TestFuse(t *testing.T) {
	a := []retrieval.Hit{{Passage: 1}, {Passage: 2}, {Passage: 3}}
	b := []retrieval.Hit{{Passage: 3}, {Passage: 1}, {Passage: 4}}
	got := retrieval.Fuse(3, a, b)
	want := []int{1, 3, 2}
	for i, h := range got {
		if h.Passage != want[i] {
			t.Fatalf("Fuse = %v, want passages %v", got, want)
		}
	}
}

type failingEmbedder struct{}

func (failingEmbedder) Embed(context.Context, []string) ([][]float32, error) {
	return nil, errors.New("down")
}

func TestBuildDenseFailure(t *testing.T) {
	_, err := retrieval.Build(context.Background(), testCorpus(corpus.Document{ID: "a", Title: "T", Text: "Text."}), retrieval.Options{Embedder: failingEmbedder{}})
	if err == nil {
		t.Fatal("a failing embedder must fail the build, so the old index keeps serving")
	}
}

func TestLiveSwap(t *testing.T) {
	one := build(t, testCorpus(corpus.Document{ID: "one", Title: "One", Text: "First corpus."}), retrieval.Options{})
	two := build(t, testCorpus(corpus.Document{ID: "two", Title: "Two", Text: "Second corpus."}), retrieval.Options{})
	live := retrieval.NewLive(one)
	held := live.Index()
	if old := live.Swap(two); old != one {
		t.Error("Swap did not return the previous index")
	}
	if live.Index() != two || held != one {
		t.Error("swap must change what new readers get and nothing a reader already holds")
	}
}

// TestSentenceProximity: a passage that holds the question's words in one
// sentence comes before passages that hold them apart, or hold one rare
// word of them more often.
func TestSentenceProximity(t *testing.T) {
	c := corpus.New([]corpus.Document{
		{ID: "apart", Title: "Notes", Text: "Ryabkov spoke first. Ryabkov then left. The delegation discussed missiles later in the week."},
		{ID: "together", Title: "Notes", Text: "The talks went on. Ryabkov discussed missiles with the delegation. Lunch was served."},
		{ID: "other", Title: "Notes", Text: "Weather was fine. Nothing else happened that day at all."},
	}, corpus.Splitter{Sentences: 3, Overlap: -1})
	ix := build(t, c, retrieval.Options{})
	q := retrieval.NewQuery("Did Ryabkov discuss missiles with the delegation?")
	bm25 := ix.SearchBM25(q, 3)
	if len(bm25) < 2 || c.Doc(c.Passages[bm25[0].Passage]).ID != "apart" {
		t.Fatalf("BM25 alone should prefer the repeated name: %v", bm25)
	}
	hits := ix.SearchLexical(q, 3)
	var got []string
	for _, h := range hits {
		got = append(got, c.Doc(c.Passages[h.Passage]).ID)
	}
	if want := []string{"together", "apart"}; !slices.Equal(got, want) {
		t.Errorf("SearchLexical ranks %v, want %v", got, want)
	}
	if got := ix.SearchLexical(q, 0); got != nil {
		t.Errorf("k=0: %v", got)
	}
}
