package snapshot

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/retrieval"
)

// counter is a parse hook that counts, and names, the files parsed.
type counter struct {
	mu    sync.Mutex
	paths []string
}

func (c *counter) parse(p string, data []byte) (corpus.Document, []string, error) {
	c.mu.Lock()
	c.paths = append(c.paths, p)
	c.mu.Unlock()
	return corpus.ParseFile(p, data)
}

func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.paths
	c.paths = nil
	slices.Sort(out)
	return out
}

// fixture is a generated corpus on disk and a store over a fresh
// directory, with its parse counter and log.
type fixture struct {
	t      *testing.T
	dir    string // the corpus
	store  *Store
	parses *counter
	log    *logbuf.Buffer
}

func newFixture(t *testing.T, seed uint64, passages int) (*fixture, *corpusgen.Generated) {
	t.Helper()
	g, err := corpusgen.Generate(seed, passages, 100)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: t.TempDir(), parses: &counter{}, log: &logbuf.Buffer{}}
	if err := g.WriteDir(f.dir); err != nil {
		t.Fatal(err)
	}
	// A non-article file: its warning must survive the snapshot.
	os.WriteFile(filepath.Join(f.dir, "notes.pdf"), []byte("x"), 0o644)
	// Files written long ago, so that size and time prove them unchanged
	// (files as new as the snapshot are hashed; see racyWindow).
	ageFiles(t, f.dir, time.Now().Add(-time.Hour))
	f.store = New(t.TempDir(), Options{Log: slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})), Parse: f.parses.parse})
	return f, g
}

func ageFiles(t *testing.T, dir string, when time.Time) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(dir, e.Name()), when, when); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) load(lenient bool) Result {
	f.t.Helper()
	r, err := f.store.Load(context.Background(), f.dir, lenient, retrieval.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// fresh is what a load without any snapshot makes of the directory.
func (f *fixture) fresh() *retrieval.Index {
	f.t.Helper()
	c, err := corpus.Load(context.Background(), f.dir, corpus.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	ix, err := retrieval.Build(context.Background(), c, retrieval.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	return ix
}

// queries are questions about the corpus and random words of it.
func queries(c *corpus.Corpus, g *corpusgen.Generated, n int) []retrieval.Query {
	var qs []retrieval.Query
	if g != nil {
		for _, q := range g.Questions {
			qs = append(qs, retrieval.NewQuery(q.Text))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		p := c.Passages[r.IntN(len(c.Passages))].Text
		words := strings.Fields(p)
		var q []string
		for range 1 + r.IntN(4) {
			q = append(q, words[r.IntN(len(words))])
		}
		qs = append(qs, retrieval.NewQuery(strings.Join(q, " ")))
	}
	return qs
}

// sameAsFresh fails unless ix holds exactly the corpus a fresh load
// makes, version included, and answers every query as a fresh build.
func sameAsFresh(t *testing.T, ix, want *retrieval.Index, g *corpusgen.Generated) {
	t.Helper()
	got, exp := ix.Corpus(), want.Corpus()
	if got.Version != exp.Version {
		t.Fatalf("corpus version %s, a fresh load computes %s", got.Version, exp.Version)
	}
	if !reflect.DeepEqual(got.Docs, exp.Docs) {
		t.Fatal("documents differ from a fresh load's")
	}
	if !reflect.DeepEqual(got.Passages, exp.Passages) {
		t.Fatal("passages differ from a fresh load's")
	}
	if !slices.Equal(got.Warnings, exp.Warnings) {
		t.Fatalf("warnings %q, a fresh load's %q", got.Warnings, exp.Warnings)
	}
	for i, q := range queries(exp, g, 500) {
		for _, k := range []int{3, 10} {
			if a, b := ix.SearchLexical(q, k), want.SearchLexical(q, k); !slices.Equal(a, b) {
				t.Fatalf("query %d (%v) k=%d: snapshot %v, fresh %v", i, q.Terms, k, a, b)
			}
		}
	}
}

// TestSnapshotSameAsFresh: a start with nothing changed serves the
// snapshot without parsing an article, and it holds what a fresh load
// and build make: documents, passages, warnings, the corpus version, and
// the same results on 500+ queries.
func TestSnapshotSameAsFresh(t *testing.T) {
	f, g := newFixture(t, 3, 3000)
	first := f.load(false)
	if first.Unchanged || len(f.parses.take()) != len(g.Corpus.Docs) {
		t.Fatalf("a first load should parse every article")
	}
	want := f.fresh()
	sameAsFresh(t, first.Index, want, g)

	second := f.load(false)
	if !second.Unchanged {
		t.Fatalf("nothing changed, yet the snapshot was not served; log:\n%s", f.log)
	}
	if parsed := f.parses.take(); len(parsed) != 0 {
		t.Fatalf("parsed %d articles, want none", len(parsed))
	}
	sameAsFresh(t, second.Index, want, g)
	if v, ok := f.store.Version(context.Background(), f.dir); !ok || v != want.Corpus().Version {
		t.Fatalf("Version = %q, %v; want %q", v, ok, want.Corpus().Version)
	}
}

// TestSnapshotReparsesChangedFilesAlone: a changed, an added and a
// removed file: only the first two are parsed, the other articles come
// from the snapshot, and the result is what a fresh load makes. A file
// touched without changing is not parsed either.
func TestSnapshotReparsesChangedFilesAlone(t *testing.T) {
	f, g := newFixture(t, 4, 2000)
	f.load(false)
	f.parses.take()
	docs := g.Corpus.Docs
	changed := filepath.Join(f.dir, docs[3].ID+".md")
	data, _ := os.ReadFile(changed)
	os.WriteFile(changed, append(data, []byte("\nA new closing paragraph about Zorbleton's harbour.\n")...), 0o644)
	os.Remove(filepath.Join(f.dir, docs[7].ID+".md"))
	os.WriteFile(filepath.Join(f.dir, "zz_added.md"), []byte("---\ntitle: An added article\n---\nThe mayor of Quentown opened a bridge on Tuesday.\n"), 0o644)
	touched := filepath.Join(f.dir, docs[9].ID+".md")
	os.Chtimes(touched, time.Now(), time.Now())

	r := f.load(false)
	if r.Unchanged {
		t.Fatal("files changed, yet the snapshot was served as it was")
	}
	want := []string{docs[3].ID + ".md", "zz_added.md"}
	if parsed := f.parses.take(); !slices.Equal(parsed, want) {
		t.Fatalf("parsed %q, want only %q", parsed, want)
	}
	fresh := f.fresh()
	sameAsFresh(t, r.Index, fresh, nil)
	if _, ok := f.store.Version(context.Background(), f.dir); !ok {
		t.Fatal("the rewritten snapshot does not give the version")
	}
	// And the snapshot written after the change is served next time.
	if r := f.load(false); !r.Unchanged || len(f.parses.take()) != 0 {
		t.Fatal("the snapshot rewritten after a change was not served")
	}
	// A file changed within the same second keeps its size and time:
	// its content is hashed.
	os.Chtimes(changed, time.Now(), time.Now())
	f.load(false) // records the time as racy
	data, _ = os.ReadFile(changed)
	info, _ := os.Stat(changed)
	data[len(data)-3] = 'X' // same size
	os.WriteFile(changed, data, 0o644)
	os.Chtimes(changed, info.ModTime(), info.ModTime())
	if _, ok := f.store.Version(context.Background(), f.dir); ok {
		t.Fatal("Version trusted size and time of a file changed as the snapshot was made")
	}
	r = f.load(false)
	if r.Unchanged {
		t.Fatal("a file changed with the same size and time was not noticed")
	}
	sameAsFresh(t, r.Index, f.fresh(), nil)
}

// TestSnapshotDamagedRebuilt: a snapshot with a flipped bit anywhere,
// cut short, of another format version or made by other code is
// detected, logged and rebuilt, never served; the rebuilt one is whole.
func TestSnapshotDamagedRebuilt(t *testing.T) {
	f, g := newFixture(t, 5, 300)
	f.load(false)
	path, _ := f.store.Path(f.dir)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := f.fresh()
	manifestEnd := headerSize + int(binary.LittleEndian.Uint64(good[len(magic)+4:])) + 4
	check := func(what string, data []byte) {
		t.Helper()
		f.log = &logbuf.Buffer{}
		f.store.log = slog.New(slog.NewTextHandler(f.log, nil))
		f.parses.take()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Version reads the manifest alone, which has its own checksum:
		// damage past it does not make its version wrong.
		if v, ok := f.store.Version(context.Background(), f.dir); ok && (v != want.Corpus().Version || len(data) < manifestEnd || strings.Contains(what, "in the manifest")) {
			t.Fatalf("%s: Version trusted the snapshot's manifest", what)
		}
		r := f.load(false)
		if r.Unchanged {
			t.Fatalf("%s: served", what)
		}
		if !strings.Contains(f.log.String(), "rebuilding") {
			t.Fatalf("%s: not logged; log:\n%s", what, f.log)
		}
		if n := len(f.parses.take()); n != len(g.Corpus.Docs) {
			t.Fatalf("%s: parsed %d articles, want all %d", what, n, len(g.Corpus.Docs))
		}
		sameAsFresh(t, r.Index, want, g)
		if again := f.load(false); !again.Unchanged || again.Index.Corpus().Version != want.Corpus().Version {
			t.Fatalf("%s: the rebuilt snapshot is not served", what)
		}
	}
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 60 {
		bad := slices.Clone(good)
		at := r.IntN(len(bad))
		if i < 20 {
			at = r.IntN(manifestEnd)
		}
		bad[at] ^= 1 << r.IntN(8)
		what := "flipped bit in the manifest"
		if at >= manifestEnd {
			what = "flipped bit past the manifest"
		}
		check(what, bad)
	}
	for _, cut := range []int{0, 5, headerSize, manifestEnd - 1, manifestEnd + 3, len(good) / 2, len(good) - 1} {
		check("cut short", good[:cut])
	}
	check("longer", append(slices.Clone(good), 0))

	// Another format version, its checksums right.
	other := slices.Clone(good)
	binary.LittleEndian.PutUint32(other[len(magic):], formatVersion+1)
	fixSums(other, manifestEnd)
	check("another format version", other)

	// Made by other code (another parser version or revision).
	f.store.build = "parser=0 exe=another"
	f.load(false)
	f.store.build = buildID()
	check("another build", mustRead(t, path))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixSums recomputes the manifest's and the file's checksums.
func fixSums(data []byte, manifestEnd int) {
	binary.LittleEndian.PutUint32(data[manifestEnd-4:], crc32.Checksum(data[:manifestEnd-4], castagnoli))
	binary.LittleEndian.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], castagnoli))
}

// TestSnapshotConcurrentWriters: processes starting at once on the same
// corpus and INDEX_DIR each load it and write its snapshot; one whole
// snapshot is left, no temporary file, and it is served next.
func TestSnapshotConcurrentWriters(t *testing.T) {
	f, g := newFixture(t, 6, 1500)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := New(f.store.dir, Options{})
			if _, err := s.Load(context.Background(), f.dir, false, retrieval.Options{}); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatal("a concurrent load failed")
	}
	entries, _ := os.ReadDir(f.store.dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("index directory holds %q, want one snapshot", names)
	}
	r := f.load(false)
	if !r.Unchanged {
		t.Fatalf("the snapshot left by concurrent writers was not served; log:\n%s", f.log)
	}
	sameAsFresh(t, r.Index, f.fresh(), g)
}

// TestSnapshotLenient: a bad file left out by a lenient load is listed
// again when the snapshot is served; a strict load still refuses it.
func TestSnapshotLenient(t *testing.T) {
	f, _ := newFixture(t, 7, 300)
	os.WriteFile(filepath.Join(f.dir, "bad.txt"), []byte{0, 1, 2, 3}, 0o644)
	ageFiles(t, f.dir, time.Now().Add(-time.Hour))
	first := f.load(true)
	second := f.load(true)
	if !second.Unchanged || len(second.Skipped) != 1 || second.Skipped[0].Path != "bad.txt" {
		t.Fatalf("lenient start from the snapshot: unchanged %v, skipped %v", second.Unchanged, second.Skipped)
	}
	if second.Skipped[0].Err.Error() != first.Skipped[0].Err.Error() {
		t.Fatalf("skipped for %q, first for %q", second.Skipped[0].Err, first.Skipped[0].Err)
	}
	if _, err := f.store.Load(context.Background(), f.dir, false, retrieval.Options{}); err == nil {
		t.Fatal("a strict load served a corpus with a bad file")
	}
	if _, ok := f.store.Version(context.Background(), f.dir); ok {
		t.Fatal("Version vouched for a corpus a strict load refuses")
	}
}

// TestSnapshotPerDirectory: corpora in different directories keep
// different snapshots in one INDEX_DIR.
func TestSnapshotPerDirectory(t *testing.T) {
	a, _ := newFixture(t, 8, 200)
	b, _ := newFixture(t, 9, 200)
	b.store = a.store
	a.load(false)
	b.load(false)
	ra, rb := a.load(false), b.load(false)
	if !ra.Unchanged || !rb.Unchanged || ra.Index.Corpus().Version == rb.Index.Corpus().Version {
		t.Fatal("two corpora under one INDEX_DIR share a snapshot")
	}
}

// TestBuildIDNamesTheExecutable: on Linux the code a snapshot was made
// by is named by the executable's Go build ID, which changes with any
// change to the code, so no release reuses another's parses.
func TestBuildIDNamesTheExecutable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads an ELF note")
	}
	if id := buildID(); !strings.Contains(id, " exe=") || len(id) < len("parser=1 exe=")+20 {
		t.Fatalf("buildID() = %q, want the executable's build ID in it", id)
	}
}

// TestSnapshotWarningsInWalkOrder: the warnings of a corpus served from
// its snapshot are those of a fresh load, in its order, also when files
// in subdirectories sort otherwise by document id or by plain path.
func TestSnapshotWarningsInWalkOrder(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	// No title: each gets a warning.
	for _, p := range []string{"a/z.md", "a.md", "b.md", "a/c.txt"} {
		os.WriteFile(filepath.Join(dir, p), []byte("The council met on Monday in the town hall. It voted on the budget for "+p+".\n"), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "a", "x.pdf"), []byte("x"), 0o644)
	ageFiles(t, dir, time.Now().Add(-time.Hour))
	ageFiles(t, filepath.Join(dir, "a"), time.Now().Add(-time.Hour))
	s := New(t.TempDir(), Options{})
	for i := range 2 {
		r, err := s.Load(context.Background(), dir, false, retrieval.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := corpus.Load(context.Background(), dir, corpus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Index.Corpus().Warnings; !slices.Equal(got, fresh.Warnings) || len(got) < 5 {
			t.Fatalf("load %d (unchanged %v): warnings\n%q\nfresh\n%q", i, r.Unchanged, got, fresh.Warnings)
		}
		if i == 1 && !r.Unchanged {
			t.Fatal("the second load did not serve the snapshot")
		}
	}
}

// TestSnapshotSweepsUnfinishedWrites: a temporary file a killed writer
// left is removed by the next write; one as new as a write under way is
// kept.
func TestSnapshotSweepsUnfinishedWrites(t *testing.T) {
	f, _ := newFixture(t, 10, 100)
	os.MkdirAll(f.store.dir, 0o755)
	stale := filepath.Join(f.store.dir, ".snapshot-stale")
	fresh := filepath.Join(f.store.dir, ".snapshot-fresh")
	os.WriteFile(stale, []byte("half a snapshot"), 0o600)
	os.WriteFile(fresh, []byte("a snapshot being written"), 0o600)
	os.Chtimes(stale, time.Now().Add(-2*staleTemp), time.Now().Add(-2*staleTemp))
	f.load(false)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a killed writer's temporary file was kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("the temporary file of a write that may be under way was removed")
	}
}
