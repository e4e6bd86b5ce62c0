package library_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/snapshot"
)

// TestSnapshotAddRemove: with snapshots, a second start parses nothing,
// and an added or removed article parses at most that one file; the
// corpus version is each time what a load without snapshots computes.
func TestSnapshotAddRemove(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		text := fmt.Sprintf("# Report %d on the harbour\n\nThe harbour of Town%d handled %d ships in May, the port said on Monday.\n", i, i, 100+i)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("a%02d.md", i)), []byte(text), 0o644)
	}
	old := time.Now().Add(-time.Hour)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.Chtimes(filepath.Join(dir, e.Name()), old, old)
	}
	var mu sync.Mutex
	var parsed []string
	store := snapshot.New(t.TempDir(), snapshot.Options{Parse: func(p string, data []byte) (corpus.Document, []string, error) {
		mu.Lock()
		parsed = append(parsed, p)
		mu.Unlock()
		return corpus.ParseFile(p, data)
	}})
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := parsed
		parsed = nil
		return out
	}
	fresh := func() string {
		c, err := corpus.Load(context.Background(), dir, corpus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Version
	}
	open := func() (*library.Library, library.Report) {
		lib, rep, _, err := library.OpenWith(context.Background(), library.Config{Dir: dir, Snapshots: store})
		if err != nil {
			t.Fatal(err)
		}
		return lib, rep
	}
	if _, rep := open(); rep.Unchanged || len(take()) != 20 {
		t.Fatal("the first start should parse every article")
	}
	lib, rep := open()
	if !rep.Unchanged || len(take()) != 0 || rep.Version != fresh() {
		t.Fatalf("second start: unchanged %v, version %s (fresh %s); want the snapshot as it was", rep.Unchanged, rep.Version, fresh())
	}
	rep, err := lib.Add(context.Background(), "new.md", []byte(article))
	if err != nil {
		t.Fatal(err)
	}
	if p := take(); len(p) != 1 || p[0] != "new.md" || rep.Version != fresh() {
		t.Fatalf("Add parsed %q (want new.md alone); version %s, fresh %s", p, rep.Version, fresh())
	}
	rep, err = lib.Remove(context.Background(), "a03")
	if err != nil {
		t.Fatal(err)
	}
	if p := take(); len(p) != 0 || rep.Version != fresh() {
		t.Fatalf("Remove parsed %q (want none); version %s, fresh %s", p, rep.Version, fresh())
	}
}
