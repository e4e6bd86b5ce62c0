package retrieval

import (
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/talkbot/talkbot/internal/corpusgen"
)

func persistCorpus(t *testing.T, seed uint64, n int) (*corpusgen.Generated, *Index) {
	t.Helper()
	g, err := corpusgen.Generate(seed, n, 200)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(t.Context(), g.Corpus, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g, ix
}

// TestIndexFileRoundTrip: an index read back from its encoding answers
// every query exactly as the freshly built one does.
func TestIndexFileRoundTrip(t *testing.T) {
	g, ix := persistCorpus(t, 5, 20000)
	data, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadIndex(data, g.Corpus)
	if err != nil {
		t.Fatal(err)
	}
	queries := randomQueries(rand.New(rand.NewPCG(5, 5)), g.Corpus, 300)
	for _, q := range g.Questions {
		queries = append(queries, NewQuery(q.Text))
	}
	for i, q := range queries {
		for _, k := range []int{3, 10} {
			if a, b := got.SearchLexical(q, k), ix.SearchLexical(q, k); !slices.Equal(a, b) {
				t.Fatalf("query %d k=%d: read back %v, built %v", i, k, a, b)
			}
		}
		for _, term := range q.Terms {
			if got.DocFreq(term.Term) != ix.DocFreq(term.Term) || got.Contains(term.Term) != ix.Contains(term.Term) {
				t.Fatalf("term %q differs", term.Term)
			}
		}
	}
}

// TestIndexFileRefused: a damaged file, one of another format version
// and one made for another corpus are refused with ErrIndexFile, never
// served.
func TestIndexFileRefused(t *testing.T) {
	g, ix := persistCorpus(t, 6, 3000)
	data, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(6, 6))
	for range 200 { // flip one bit anywhere
		bad := slices.Clone(data)
		bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
		if _, err := ReadIndex(bad, g.Corpus); !errors.Is(err, ErrIndexFile) {
			t.Fatalf("a flipped bit: %v, want ErrIndexFile", err)
		}
	}
	for _, cut := range []int{0, 3, 12, len(data) / 2, len(data) - 1} {
		if _, err := ReadIndex(data[:cut], g.Corpus); !errors.Is(err, ErrIndexFile) {
			t.Fatalf("cut at %d: %v, want ErrIndexFile", cut, err)
		}
	}
	// Another version, with a valid checksum: refused for its version.
	other := slices.Clone(data[:len(data)-4])
	other[len(fileMagic)] = fileVersion + 1
	e := encoder{b: other}
	e.u32(crc32.Checksum(other, castagnoli))
	if _, err := ReadIndex(e.b, g.Corpus); !errors.Is(err, ErrIndexFile) {
		t.Fatalf("another version: %v, want ErrIndexFile", err)
	}
	// Another corpus.
	g2, _ := corpusgen.Generate(7, 3000, 10)
	if _, err := ReadIndex(data, g2.Corpus); !errors.Is(err, ErrIndexFile) {
		t.Fatalf("another corpus: %v, want ErrIndexFile", err)
	}
	changed := *g.Corpus
	changed.Version += "x"
	if _, err := ReadIndex(data, &changed); !errors.Is(err, ErrIndexFile) {
		t.Fatalf("a changed corpus version: %v, want ErrIndexFile", err)
	}
}
