package bench

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/blugelabs/bluge"
	blugeen "github.com/blugelabs/bluge/analysis/lang/en"
	blugesearch "github.com/blugelabs/bluge/search"
	blugesimilarity "github.com/blugelabs/bluge/search/similarity"
	blugesegment "github.com/blugelabs/bluge_segment_api"

	"github.com/talkbot/talkbot/bench/internal/before"
	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// searcher answers one query string with the passages (indexes into
// Corpus.Passages) of its k best hits, best first. Query analysis is part
// of search on every engine, so it is inside every timed loop.
type searcher interface {
	search(q string, k int) ([]int, error)
	// diskBytes is the size of the files the index keeps on disk (and
	// maps into memory), which the heap does not show.
	diskBytes() int64
	close() error
}

// engine builds a searcher over the passages of a corpus: the passage
// text, and its article's title, which every engine weighs at half.
type engine struct {
	name  string
	build func(tb testing.TB, c *corpus.Corpus) searcher
	// buildsAs names the engine whose index this one builds, when it
	// differs only in how it searches: BenchmarkBuild skips it.
	buildsAs string
}

var engines = []engine{
	{name: "talkbot", build: buildTalkbot},
	{name: "talkbot-bm25", build: buildTalkbotBM25, buildsAs: "talkbot"},
	{name: "talkbot-before", build: buildBefore},
	{name: "bleve", build: buildBleve},
	{name: "bluge", build: buildBluge},
	{name: "bluge-bm25", build: buildBlugeBM25, buildsAs: "bluge"},
	{name: "bluge-mem", build: buildBlugeMem},
}

// batchSize is how many passages go in one bleve or bluge batch, as
// their docs advise for bulk indexing.
const batchSize = 1000

// talkbot searches as the product does (SearchLexical: BM25, then the
// best passages reordered by their best sentence), or with BM25 alone.
type talkbot struct {
	ix       *retrieval.Index
	bm25Only bool
}

func buildTalkbot(tb testing.TB, c *corpus.Corpus) searcher {
	ix, err := retrieval.Build(context.Background(), c, retrieval.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return talkbot{ix: ix}
}

// buildTalkbotBM25 is talkbot searching with its first stage alone,
// SearchBM25.
func buildTalkbotBM25(tb testing.TB, c *corpus.Corpus) searcher {
	s := buildTalkbot(tb, c).(talkbot)
	s.bm25Only = true
	return s
}

func (t talkbot) search(q string, k int) ([]int, error) {
	search := t.ix.SearchLexical
	if t.bm25Only {
		search = t.ix.SearchBM25
	}
	hits := search(retrieval.NewQuery(q), k)
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.Passage
	}
	return out, nil
}

func (talkbot) close() error { return nil }

func (talkbot) diskBytes() int64 { return 0 }

// talkbotBefore is talkbot's index and search before issue 14, with
// query analysis timed as for the others.
type talkbotBefore struct{ ix *before.Index }

func buildBefore(_ testing.TB, c *corpus.Corpus) searcher { return talkbotBefore{before.Build(c)} }

func (t talkbotBefore) search(q string, k int) ([]int, error) {
	hits := t.ix.SearchLexical(retrieval.NewQuery(q), k)
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.Passage
	}
	return out, nil
}

func (talkbotBefore) close() error { return nil }

func (talkbotBefore) diskBytes() int64 { return 0 }

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// passageDoc is what bleve indexes for a passage.
type passageDoc struct {
	Text  string `json:"text"`
	Title string `json:"title"`
}

type bleveSearcher struct {
	idx bleve.Index
	dir string
}

// bleveMapping is bleve's index mapping for passages: English analysis
// on both fields, BM25 scoring (which only scorch implements), nothing
// stored but the id bleve keeps anyway.
func bleveMapping() *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = index.BM25Scoring
	field := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		return f
	}
	m.DefaultMapping.AddFieldMappingsAt("text", field())
	m.DefaultMapping.AddFieldMappingsAt("title", field())
	return m
}

// buildBleve indexes c with bleve.New, which opens bleve's default index
// type, scorch, at a path in a temporary directory.
func buildBleve(tb testing.TB, c *corpus.Corpus) searcher {
	dir, err := os.MkdirTemp("", "bleve-*")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	idx, err := bleve.New(filepath.Join(dir, "index"), bleveMapping())
	if err != nil {
		tb.Fatal(err)
	}
	batch := idx.NewBatch()
	for i, p := range c.Passages {
		if err := batch.Index(strconv.Itoa(i), passageDoc{Text: p.Text, Title: c.Doc(p).Title}); err != nil {
			tb.Fatal(err)
		}
		if batch.Size() >= batchSize {
			if err := idx.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch = idx.NewBatch()
		}
	}
	if err := idx.Batch(batch); err != nil {
		tb.Fatal(err)
	}
	return bleveSearcher{idx, dir}
}

// bleveRequest runs q over text, and over title at half weight.
func bleveRequest(q string, k int) *bleve.SearchRequest {
	text := bleve.NewMatchQuery(q)
	text.SetField("text")
	title := bleve.NewMatchQuery(q)
	title.SetField("title")
	title.SetBoost(0.5)
	return bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(text, title), k, 0, false)
}

func (s bleveSearcher) search(q string, k int) ([]int, error) {
	res, err := s.idx.Search(bleveRequest(q, k))
	if err != nil {
		return nil, fmt.Errorf("bleve search: %w", err)
	}
	out := make([]int, len(res.Hits))
	for i, h := range res.Hits {
		if out[i], err = strconv.Atoi(h.ID); err != nil {
			return nil, fmt.Errorf("bleve hit id: %w", err)
		}
	}
	return out, nil
}

func (s bleveSearcher) close() error { return s.idx.Close() }

func (s bleveSearcher) diskBytes() int64 { return dirBytes(s.dir) }

type blugeSearcher struct {
	w   *bluge.Writer
	r   *bluge.Reader
	dir string
}

var blugeAnalyzer = blugeen.NewAnalyzer()

// buildBluge indexes c with bluge.DefaultConfig at a path in a temporary
// directory, as bluge's README does, with its English analyzer on both
// fields; bluge scores with BM25 by default.
func buildBluge(tb testing.TB, c *corpus.Corpus) searcher {
	dir, err := os.MkdirTemp("", "bluge-*")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return buildBlugeWith(tb, c, bluge.DefaultConfig(dir), dir)
}

// buildBlugeBM25 is buildBluge scoring with BM25 as bluge's Explain
// output states it (bm25Similarity): bluge v0.2.2 computes its IDF
// otherwise (TestBlugeIDF).
func buildBlugeBM25(tb testing.TB, c *corpus.Corpus) searcher {
	dir, err := os.MkdirTemp("", "bluge-*")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	config := bluge.DefaultConfig(dir)
	config.DefaultSimilarity = bm25Similarity{}
	return buildBlugeWith(tb, c, config, dir)
}

// buildBlugeMem is buildBluge with bluge.InMemoryOnlyConfig: the whole
// index on the heap, nothing on disk.
func buildBlugeMem(tb testing.TB, c *corpus.Corpus) searcher {
	return buildBlugeWith(tb, c, bluge.InMemoryOnlyConfig(), "")
}

func buildBlugeWith(tb testing.TB, c *corpus.Corpus, config bluge.Config, dir string) searcher {
	w, err := bluge.OpenWriter(config)
	if err != nil {
		tb.Fatal(err)
	}
	batch := bluge.NewBatch()
	for i, p := range c.Passages {
		doc := bluge.NewDocument(strconv.Itoa(i)).
			AddField(bluge.NewTextField("text", p.Text).WithAnalyzer(blugeAnalyzer)).
			AddField(bluge.NewTextField("title", c.Doc(p).Title).WithAnalyzer(blugeAnalyzer))
		batch.Update(doc.ID(), doc)
		if (i+1)%batchSize == 0 {
			if err := w.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch = bluge.NewBatch()
		}
	}
	if err := w.Batch(batch); err != nil {
		tb.Fatal(err)
	}
	r, err := w.Reader()
	if err != nil {
		tb.Fatal(err)
	}
	return blugeSearcher{w: w, r: r, dir: dir}
}

// blugeQuery runs q over text, and over title at half weight.
func blugeQuery(q string) bluge.Query {
	return bluge.NewBooleanQuery().AddShould(
		bluge.NewMatchQuery(q).SetField("text").SetAnalyzer(blugeAnalyzer),
		bluge.NewMatchQuery(q).SetField("title").SetAnalyzer(blugeAnalyzer).SetBoost(0.5),
	)
}

func (s blugeSearcher) search(q string, k int) ([]int, error) {
	it, err := s.r.Search(context.Background(), bluge.NewTopNSearch(k, blugeQuery(q)))
	if err != nil {
		return nil, fmt.Errorf("bluge search: %w", err)
	}
	var out []int
	for {
		m, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("bluge next hit: %w", err)
		}
		if m == nil {
			return out, nil
		}
		id := -1
		err = m.VisitStoredFields(func(field string, value []byte) bool {
			if field == "_id" {
				id, _ = strconv.Atoi(string(value))
				return false
			}
			return true
		})
		if err != nil || id < 0 {
			return nil, fmt.Errorf("bluge hit id (%d): %w", id, err)
		}
		out = append(out, id)
	}
}

func (s blugeSearcher) diskBytes() int64 {
	if s.dir == "" {
		return 0
	}
	return dirBytes(s.dir)
}

func (s blugeSearcher) close() error {
	if err := s.r.Close(); err != nil {
		return fmt.Errorf("close bluge reader: %w", err)
	}
	return s.w.Close()
}

// bm25Similarity is bluge's BM25 (k1 = 1.2, b = 0.75, field lengths kept
// exactly as bluge keeps them) with the IDF its Explain output states,
// log(1 + (N - n + 0.5) / (n + 0.5)). bluge v0.2.2's own IDF misplaces a
// parenthesis and computes log(1 + (N - n) + 0.5 / (n + 0.5)), nearly
// the same for every term: blugelabs/bluge pull request 151, open.
type bm25Similarity struct{}

func (bm25Similarity) ComputeNorm(numTerms int) float32 {
	return blugesimilarity.NewBM25Similarity().ComputeNorm(numTerms)
}

func (bm25Similarity) Scorer(boost float64, collection blugesegment.CollectionStats, term blugesegment.TermStats) blugesearch.Scorer {
	n, docs := float64(term.DocumentFrequency()), float64(collection.DocumentCount())
	idf := blugesearch.NewExplanation(math.Log(1+(docs-n+0.5)/(n+0.5)), "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
		blugesearch.NewExplanation(n, "n, number of documents containing term"),
		blugesearch.NewExplanation(docs, "N, total number of documents with field"))
	avg := blugesimilarity.NewBM25Similarity().AverageFieldLength(collection)
	return blugesimilarity.NewBM25Scorer(boost, 1.2, 0.75, avg, idf)
}
