package retrieval

// The exhaustive search talkbot used before dynamic pruning and
// compressed postings, kept as the reference SearchBM25 must agree
// with: every posting of every query term scored into an array of one
// score per passage.

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/corpusgen"
)

type refIndex struct {
	n     int
	body  refField
	title refField
}

// field holds the inverted index of one text field of every passage.
type refField struct {
	terms  map[string][]refPosting
	avgLen float64
}

// posting is one passage holding a term, with the term's BM25 weight in
// it before IDF: tf·(k1+1) / (tf + k1·(1−b+b·len/avgLen)), computed once
// at build time so a search only multiplies and adds.
type refPosting struct {
	passage uint32
	w       float32
}

// accumulator holds the scores of one search: a score per passage, and
// which passages were touched, so clearing costs what was used.
type refAccumulator struct {
	scores  []float64
	touched []uint32
}

// buildField indexes n passages, whose terms termsOf gives (appending
// to buf[:0] if it likes). It goes over them twice: first to count, so
// that every posting list is allocated once at its exact size, out of one
// array; then to fill them. A build thus never holds every passage's terms
// at once nor leaves grown-and-dropped posting lists behind, which keeps
// a reload's peak memory close to the index's own size.
func refBuildField(n int, termsOf func(i int, buf []string) []string) refField {
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
	f := refField{terms: make(map[string][]refPosting, len(df)), avgLen: 1}
	if n > 0 && total > 0 {
		f.avgLen = float64(total) / float64(n)
	}
	all := make([]refPosting, postings)
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
			f.terms[t] = append(f.terms[t], refPosting{passage: uint32(i), w: float32(tf * (k1 + 1) / (tf + norm))})
		}
	}
	return f
}

func refBuild(c *corpus.Corpus) *refIndex {
	an := newAnalyzer()
	docTitles := make([][]string, len(c.Docs))
	for i, d := range c.Docs {
		docTitles[i] = an.terms(d.Title, nil)
	}
	return &refIndex{
		n: len(c.Passages),
		body: refBuildField(len(c.Passages), func(i int, buf []string) []string {
			return an.terms(c.Passages[i].Text, buf)
		}),
		title: refBuildField(len(c.Passages), func(i int, _ []string) []string {
			return docTitles[c.Passages[i].Doc]
		}),
	}
}

// search is SearchBM25 as it was: SearchLexical before sentences counted.
func (ix *refIndex) search(q Query, k int) []Hit {
	n := ix.n
	if n == 0 || k <= 0 {
		return nil
	}
	acc := &refAccumulator{}
	if len(acc.scores) < n {
		acc.scores = make([]float64, n)
	}
	for _, t := range q.Terms {
		ix.body.add(acc, t, n, 1*t.Weight)
		ix.title.add(acc, t, n, titleBoost*t.Weight)
	}
	hits := refTopK(acc, k)
	for _, p := range acc.touched {
		acc.scores[p] = 0
	}
	acc.touched = acc.touched[:0]
	return hits
}

func (f *refField) add(acc *refAccumulator, t QueryTerm, n int, weight float64) {
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

// refTopK returns the k best scored passages, best first, by sorting
// every match: slow, and sharing nothing with the search's heap, which
// is what a reference should be.
func refTopK(acc *refAccumulator, k int) []Hit {
	h := make([]Hit, 0, len(acc.touched))
	for _, p := range acc.touched {
		h = append(h, Hit{Passage: int(p), Score: acc.scores[p]})
	}
	sortHits(h)
	return h[:min(k, len(h))]
}

// randomQueries returns count queries over c: words of random passages
// and titles, with stop words, unknown words, repeated terms and weights
// of every kind an answer may give (down to zero and below).
func randomQueries(r *rand.Rand, c *corpus.Corpus, count int) []Query {
	weights := []float64{1, 1, 1, 0.5, 0.25, 2, 0.8, 0, -1}
	var qs []Query
	for i := range count {
		var q Query
		terms := 1 + r.IntN(7)
		if i%25 == 0 {
			terms = 40 + r.IntN(30) // past what one window handles: runDAAT
		}
		for range terms {
			p := c.Passages[r.IntN(len(c.Passages))]
			text := p.Text
			if r.IntN(5) == 0 {
				text = c.Doc(p).Title
			}
			words := Words(text)
			var term string
			switch x := r.IntN(20); {
			case x == 0:
				term = "zzunknownzz"
			case x == 1 && len(q.Terms) > 0:
				term = q.Terms[r.IntN(len(q.Terms))].Term // a repeat
			default:
				term = Term(words[r.IntN(len(words))])
			}
			if term == "" {
				continue
			}
			q.Terms = append(q.Terms, QueryTerm{Term: term, Weight: weights[r.IntN(len(weights))]})
		}
		qs = append(qs, q)
	}
	return qs
}

// TestSearchMatchesExhaustive: SearchBM25, with its pruning and
// compressed postings, returns exactly what the exhaustive search returns
// (same passages, same order, same scores to the bit) for the generated
// questions and 600 random queries at each size, for several k.
func TestSearchMatchesExhaustive(t *testing.T) {
	// Larger corpora (100k, 1M) are compared in bench/, against a copy of
	// the exhaustive search: here they would take minutes under -race.
	for _, n := range []int{3000, 30000} {
		g, err := corpusgen.Generate(uint64(n), n, 300)
		if err != nil {
			t.Fatal(err)
		}
		c := g.Corpus
		ix, err := Build(t.Context(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ref := refBuild(c)
		r := rand.New(rand.NewPCG(uint64(n), 1))
		queries := randomQueries(r, c, 600)
		for _, q := range g.Questions {
			queries = append(queries, NewQuery(q.Text))
		}
		shared, err := corpusgen.GenerateShared(uint64(n)+1, n/10, 100, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range shared.Questions {
			queries = append(queries, NewQuery(q.Text).With(q.Answer, 0.5))
		}
		for qi, q := range queries {
			for _, k := range []int{1, 3, 10, 50} {
				got, want := ix.SearchBM25(q, k), ref.search(q, k)
				if !slices.Equal(got, want) {
					t.Fatalf("n=%d query %d %v k=%d:\n got %v\nwant %v", n, qi, q.Terms, k, got, want)
				}
			}
			for _, term := range q.Terms {
				if got, want := ix.DocFreq(term.Term), len(ref.body.terms[term.Term]); got != want {
					t.Fatalf("DocFreq(%q) = %d, want %d", term.Term, got, want)
				}
				want := len(ref.body.terms[term.Term]) > 0 || len(ref.title.terms[term.Term]) > 0
				if got := ix.Contains(term.Term); got != want {
					t.Fatalf("Contains(%q) = %v, want %v", term.Term, got, want)
				}
			}
		}
		for qi, q := range queries {
			for _, k := range []int{3, 50} { // one below rerankDepth, one above
				got, want := ix.SearchLexical(q, k), ref.searchSentences(c, q, k)
				if !slices.Equal(got, want) {
					t.Fatalf("sentences: n=%d query %d %v k=%d:\n got %v\nwant %v", n, qi, q.Terms, k, got, want)
				}
			}
		}
		t.Logf("n=%d: %d queries agree", len(c.Passages), len(queries))
	}
}

// searchSentences is SearchLexical the plain way: every sentence of the
// BM25 best analysed whole with Terms, no stems skipped.
func (ix *refIndex) searchSentences(c *corpus.Corpus, q Query, k int) []Hit {
	hits := ix.search(q, max(k, rerankDepth))
	weight := map[string]float64{}
	for _, t := range q.Terms {
		if df := len(ix.body.terms[t.Term]); df > 0 && t.Weight > 0 {
			if _, ok := weight[t.Term]; !ok {
				weight[t.Term] = t.Weight * idf(ix.n, df)
			}
		}
	}
	if len(hits) < 2 {
		return hits
	}
	for i, h := range hits {
		text := c.Passages[h.Passage].Text
		best := 0.0
		for _, sp := range corpus.SplitSentences(text) {
			seen := map[string]bool{}
			sum := 0.0
			for _, t := range Terms(text[sp.Start:sp.End]) {
				if w, ok := weight[t]; ok && !seen[t] {
					seen[t] = true
					sum += w
				}
			}
			best = max(best, sum)
		}
		hits[i].Score += best
	}
	sortHits(hits)
	return hits[:min(k, len(hits))]
}
