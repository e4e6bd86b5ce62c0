// Package bench measures talkbot's retrieval side by side with bleve, the
// reference Go search library. It is its own module so that the product
// never depends on bleve.
package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/qa"
	"github.com/talkbot/talkbot/retrieval"
)

var sizes = []struct {
	name string
	n    int
}{{"1k", 1000}, {"10k", 10000}, {"100k", 100000}}

var (
	genMu sync.Mutex
	gens  = map[int]*corpusgen.Generated{}
)

// generated returns the corpus of n passages, made once per run.
func generated(tb testing.TB, n int) *corpusgen.Generated {
	genMu.Lock()
	defer genMu.Unlock()
	if g := gens[n]; g != nil {
		return g
	}
	g, err := corpusgen.Generate(42, n, 500)
	if err != nil {
		tb.Fatal(err)
	}
	gens[n] = g
	return g
}

func talkbotIndex(tb testing.TB, c *corpus.Corpus) *retrieval.Index {
	ix, err := retrieval.Build(context.Background(), c, retrieval.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}

// passageDoc is what bleve indexes for a passage: the same text and
// title talkbot indexes.
type passageDoc struct {
	Text  string `json:"text"`
	Title string `json:"title"`
}

func bleveIndex(tb testing.TB, c *corpus.Corpus) bleve.Index {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = index.BM25Scoring
	m.DefaultMapping.AddFieldMappingsAt("text", textField())
	m.DefaultMapping.AddFieldMappingsAt("title", textField())
	idx, err := bleve.NewMemOnly(m)
	if err != nil {
		tb.Fatal(err)
	}
	batch := idx.NewBatch()
	for i, p := range c.Passages {
		if err := batch.Index(fmt.Sprint(i), passageDoc{Text: p.Text, Title: c.Doc(p).Title}); err != nil {
			tb.Fatal(err)
		}
		if batch.Size() >= 1000 {
			if err := idx.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch = idx.NewBatch()
		}
	}
	if err := idx.Batch(batch); err != nil {
		tb.Fatal(err)
	}
	return idx
}

func textField() *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = en.AnalyzerName
	f.Store = false
	f.IncludeTermVectors = false
	f.IncludeInAll = false
	return f
}

// bleveSearch runs q over text, and over title at half weight, as talkbot does.
func bleveSearch(tb testing.TB, idx bleve.Index, q string, k int) []int {
	text := bleve.NewMatchQuery(q)
	text.SetField("text")
	title := bleve.NewMatchQuery(q)
	title.SetField("title")
	title.SetBoost(0.5)
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(text, title), k, 0, false)
	res, err := idx.Search(req)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int, len(res.Hits))
	for i, h := range res.Hits {
		fmt.Sscan(h.ID, &out[i])
	}
	return out
}

func BenchmarkSearch(b *testing.B) {
	for _, size := range sizes {
		g := generated(b, size.n)
		b.Run("talkbot/n="+size.name, func(b *testing.B) {
			ix := talkbotIndex(b, g.Corpus)
			queries := make([]retrieval.Query, len(g.Questions))
			for i, q := range g.Questions {
				queries[i] = retrieval.NewQuery(q.Text)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				ix.SearchLexical(queries[i%len(queries)], 10)
			}
		})
		b.Run("bleve/n="+size.name, func(b *testing.B) {
			idx := bleveIndex(b, g.Corpus)
			defer idx.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				bleveSearch(b, idx, g.Questions[i%len(g.Questions)].Text, 10)
			}
		})
	}
}

// heapAfter runs build and returns what it built and the live heap it
// added; the garbage collections that measure it are not timed.
func heapAfter(b *testing.B, build func() any) (any, uint64) {
	var before, after runtime.MemStats
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.StartTimer()
	v := build()
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.StartTimer()
	if after.HeapAlloc < before.HeapAlloc {
		return v, 0
	}
	return v, after.HeapAlloc - before.HeapAlloc
}

func BenchmarkBuild(b *testing.B) {
	for _, size := range sizes {
		g := generated(b, size.n)
		n := float64(len(g.Corpus.Passages))
		b.Run("talkbot/n="+size.name, func(b *testing.B) {
			var heap uint64
			for b.Loop() {
				var ix any
				ix, heap = heapAfter(b, func() any { return talkbotIndex(b, g.Corpus) })
				runtime.KeepAlive(ix)
			}
			b.ReportMetric(float64(heap)/n, "heapB/passage")
		})
		b.Run("bleve/n="+size.name, func(b *testing.B) {
			var heap uint64
			for b.Loop() {
				var idx any
				idx, heap = heapAfter(b, func() any { return bleveIndex(b, g.Corpus) })
				idx.(bleve.Index).Close()
			}
			b.ReportMetric(float64(heap)/n, "heapB/passage")
		})
	}
}

// TestRecall prints recall@3 of both engines on the dev questions over the
// seed corpus and on generated questions over a generated corpus.
func TestRecall(t *testing.T) {
	seeds, err := corpus.Load(context.Background(), "", corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../qa/testdata/dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := qa.Load(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	type question struct {
		text   string
		docs   []string
		answer string // if set, any passage holding this sentence is a hit
	}
	var dev []question
	for _, c := range cases {
		if len(c.Docs) > 0 {
			dev = append(dev, question{text: c.Question, docs: c.Docs})
		}
	}
	g := generated(t, 10000)
	var gen []question
	for _, q := range g.Questions {
		gen = append(gen, question{text: q.Text, docs: []string{q.Doc}})
	}
	shared, err := corpusgen.GenerateShared(43, 10000, 500, 300)
	if err != nil {
		t.Fatal(err)
	}
	var hard []question
	for _, q := range shared.Questions {
		hard = append(hard, question{text: q.Text, docs: []string{q.Doc}, answer: q.Answer})
	}
	for _, set := range []struct {
		name      string
		c         *corpus.Corpus
		questions []question
	}{
		{"dev.jsonl on the seeds", seeds, dev},
		{"generated, n=10k", g.Corpus, gen},
		{"shared names, n=10k", shared.Corpus, hard},
	} {
		ix := talkbotIndex(t, set.c)
		idx := bleveIndex(t, set.c)
		var tb, bl int
		for _, q := range set.questions {
			want := map[string]bool{}
			for _, d := range q.docs {
				want[d] = true
			}
			hit := func(passages []int) bool {
				for _, p := range passages[:min(3, len(passages))] {
					if want[set.c.Doc(set.c.Passages[p]).ID] {
						return true
					}
					if q.answer != "" && strings.Contains(set.c.Passages[p].Text, q.answer) {
						return true
					}
				}
				return false
			}
			var mine []int
			for _, h := range ix.SearchLexical(retrieval.NewQuery(q.text), 3) {
				mine = append(mine, h.Passage)
			}
			if hit(mine) {
				tb++
			}
			if hit(bleveSearch(t, idx, q.text, 3)) {
				bl++
			}
		}
		idx.Close()
		n := float64(len(set.questions))
		t.Logf("recall@3 %-24s talkbot %.3f  bleve %.3f  (%d questions)", set.name, float64(tb)/n, float64(bl)/n, len(set.questions))
		if tb < bl {
			t.Errorf("%s: talkbot's recall@3 is below bleve's", set.name)
		}
	}
}
