package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blugelabs/bluge"
	blugesearch "github.com/blugelabs/bluge/search"

	"github.com/talkbot/talkbot/corpus"
)

func smallCorpus() *corpus.Corpus {
	return corpus.New([]corpus.Document{
		{ID: "a", Title: "Geneva talks", Text: "The delegations negotiated in Geneva for hours. Nothing was agreed."},
		{ID: "b", Title: "Weather", Text: "Rain is expected in Geneva. The sun returns on Friday."},
		{ID: "c", Title: "Sport", Text: "The match ended in a draw after extra time."},
	}, corpus.Splitter{})
}

func bleveMessages(e *blevesearch.Explanation, out *[]string) {
	if e == nil {
		return
	}
	*out = append(*out, e.Message)
	for _, c := range e.Children {
		bleveMessages(c, out)
	}
}

// TestBleveScoresBM25 proves, through bleve's own Explain output, that the
// index the benchmarks build is scorch scoring with BM25: bleve's legacy
// in-memory index (upsidedown) silently scores with TF-IDF instead.
func TestBleveScoresBM25(t *testing.T) {
	s := buildBleve(t, smallCorpus()).(bleveSearcher)
	defer s.close()
	req := bleveRequest("negotiations in Geneva", 10)
	req.Explain = true
	res, err := s.idx.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 {
		t.Fatal("no hits")
	}
	var msgs []string
	for _, h := range res.Hits {
		bleveMessages(h.Expl, &msgs)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "as per bm25 model") {
		t.Errorf("bleve's explanation does not score with BM25:\n%s", all)
	}
	if strings.Contains(all, "tf-idf") {
		t.Errorf("bleve's explanation scores with TF-IDF:\n%s", all)
	}
	adv, err := s.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := adv.(*scorch.Scorch); !ok {
		t.Errorf("bleve.New made a %T, not scorch", adv)
	}
}

func blugeMessages(e *blugesearch.Explanation, out *[]string) {
	if e == nil {
		return
	}
	*out = append(*out, e.Message)
	for _, c := range e.Children {
		blugeMessages(c, out)
	}
}

// TestBlugeScoresBM25 proves, through bluge's Explain output, that bluge
// as configured here scores with BM25.
func TestBlugeScoresBM25(t *testing.T) {
	s := buildBluge(t, smallCorpus()).(blugeSearcher)
	defer s.close()
	it, err := s.r.Search(context.Background(), bluge.NewTopNSearch(10, blugeQuery("negotiations in Geneva")).ExplainScores())
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for {
		m, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			break
		}
		blugeMessages(m.Explanation, &msgs)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5))") ||
		!strings.Contains(all, "freq / (freq + k1 * (1 - b + b * dl / avgdl))") {
		t.Errorf("bluge's explanation does not score with BM25:\n%s", all)
	}
}
