package snapshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/retrieval"
)

// benchDir returns a directory holding a generated corpus of n passages
// on disk: under TALKBOT_BENCH_DIR when set, kept for later runs and for
// timing the binary (docs/BENCHMARKS.md), else a temporary one.
func benchDir(b *testing.B, n int) string {
	b.Helper()
	root := os.Getenv("TALKBOT_BENCH_DIR")
	if root == "" {
		root = b.TempDir()
	}
	dir := filepath.Join(root, fmt.Sprintf("corpus-%d", n))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	g, err := corpusgen.Generate(1, n, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := g.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.Chtimes(filepath.Join(dir, e.Name()), old, old)
	}
	os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644) // hidden: not an article
	return dir
}

// BenchmarkStart times a start with nothing changed: the manifest
// checked against every file's size and time, the snapshot read, the
// corpus and its index ready to search. "cold" is the same start without
// a snapshot (parse every article, index every passage), for comparison.
func BenchmarkStart(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		name := fmt.Sprintf("n=%dk", n/1000)
		if n >= 1_000_000 {
			name = fmt.Sprintf("n=%dM", n/1_000_000)
		}
		b.Run(name+"/snapshot", func(b *testing.B) {
			dir := benchDir(b, n)
			s := New(filepath.Join(filepath.Dir(dir), "index"), Options{})
			start := time.Now()
			r, err := s.Load(context.Background(), dir, false, retrieval.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if !r.Unchanged { // this load parsed and indexed: the cold start
				b.ReportMetric(time.Since(start).Seconds(), "first-load-s")
			}
			b.ReportMetric(float64(len(r.Index.Corpus().Passages)), "passages")
			r = Result{}
			for b.Loop() {
				r, err := s.Load(context.Background(), dir, false, retrieval.Options{})
				if err != nil || !r.Unchanged {
					b.Fatalf("not served from the snapshot: %v", err)
				}
			}
		})
		b.Run(name+"/version", func(b *testing.B) {
			dir := benchDir(b, n)
			s := New(filepath.Join(filepath.Dir(dir), "index"), Options{})
			if _, err := s.Load(context.Background(), dir, false, retrieval.Options{}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, ok := s.Version(context.Background(), dir); !ok {
					b.Fatal("no version from the manifest")
				}
			}
		})
		b.Run(name+"/cold", func(b *testing.B) {
			dir := benchDir(b, n)
			for b.Loop() {
				c, err := corpus.Load(context.Background(), dir, corpus.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := retrieval.Build(context.Background(), c, retrieval.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
