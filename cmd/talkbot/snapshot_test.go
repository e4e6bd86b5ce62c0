package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/library"
)

// countingOpen opens the library as talkbot does, counting calls; with
// refuse set it fails instead.
type countingOpen struct {
	calls  atomic.Int32
	refuse bool
}

func (o *countingOpen) open(ctx context.Context, cfg library.Config) (*library.Library, library.Report, []corpus.Skipped, error) {
	o.calls.Add(1)
	if o.refuse {
		return nil, library.Report{}, nil, errors.New("the corpus must not be loaded")
	}
	return library.OpenWith(ctx, cfg)
}

// TestAskCacheBeforeCorpus: with REDIS_URL, a question whose answer is
// cached is answered without opening the corpus (neither parsing nor
// loading the index): the snapshot's manifest gives the corpus version.
// Once an article changes, the manifest no longer vouches for the
// version and the corpus is opened again.
func TestAskCacheBeforeCorpus(t *testing.T) {
	srv := redistest.Start(t)
	corpusDir := t.TempDir()
	g, err := corpusgen.Generate(21, 300, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteDir(corpusDir); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	entries, _ := os.ReadDir(corpusDir)
	for _, e := range entries {
		os.Chtimes(filepath.Join(corpusDir, e.Name()), old, old)
	}
	cfg := config{CorpusDir: corpusDir, IndexDir: t.TempDir(), RedisURL: srv.URL, RedisPrefix: srv.Prefix, RedisTimeout: time.Second, CacheTTL: time.Hour, JSON: true}
	question := g.Questions[0].Text
	ask1 := func(o *countingOpen) (cached bool, err error) {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := ask(context.Background(), cfg, question, o.open, &out, &errOut); err != nil {
			return false, err
		}
		var a struct {
			Cached   bool `json:"cached"`
			Answered bool `json:"answered"`
		}
		if err := json.Unmarshal(out.Bytes(), &a); err != nil || !a.Answered {
			t.Fatalf("answer %s (err %v); log:\n%s", out.String(), err, errOut.String())
		}
		return a.Cached, nil
	}

	first := &countingOpen{}
	if cached, err := ask1(first); err != nil || cached || first.calls.Load() != 1 {
		t.Fatalf("first ask: cached %v, err %v, corpus opened %d times; want an answer from the corpus", cached, err, first.calls.Load())
	}
	refusing := &countingOpen{refuse: true}
	if cached, err := ask1(refusing); err != nil || !cached || refusing.calls.Load() != 0 {
		t.Fatalf("second ask: cached %v, err %v, corpus opened %d times; want the cached answer, corpus untouched", cached, err, refusing.calls.Load())
	}
	// Another question is not in the cache: the corpus is opened.
	question = g.Questions[1].Text
	if _, err := ask1(refusing); err == nil || refusing.calls.Load() != 1 {
		t.Fatalf("an uncached question: err %v, corpus opened %d times; want the corpus opened", err, refusing.calls.Load())
	}
	// An article changed: the cached answer may be stale, so the version
	// is not taken from the manifest.
	question = g.Questions[0].Text
	f := filepath.Join(corpusDir, g.Corpus.Docs[0].ID+".md")
	data, _ := os.ReadFile(f)
	os.WriteFile(f, append(data, []byte("\nOne more sentence about the harbour of Velmora.\n")...), 0o644)
	again := &countingOpen{refuse: true}
	if _, err := ask1(again); err == nil || again.calls.Load() != 1 {
		t.Fatalf("after a change: err %v, corpus opened %d times; want the corpus opened", err, again.calls.Load())
	}
}
