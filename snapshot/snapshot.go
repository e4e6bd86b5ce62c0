// Package snapshot keeps a loaded corpus and its index on disk, with a
// manifest of the article files they were made from (path, size,
// modification time, content hash), so that a process starts by reading
// one file instead of parsing every article and indexing every passage.
//
// A start with no file changed serves the snapshot as it is. When files
// changed, were added or removed, only those are parsed again (the other
// articles are taken from the snapshot), the index is rebuilt and the
// snapshot rewritten. A snapshot that is damaged (checksums), of another
// format or made by other code is logged and rebuilt, never served.
package snapshot

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// racyWindow is how close to the moment its files were stat'ed a file's
// modification time may be for its size and time alone to prove it
// unchanged: a file written again within the file system's timestamp
// granularity of the stat could keep both, so such a file is hashed.
const racyWindow = 2 * time.Second

// Store keeps snapshots under one directory (INDEX_DIR), one file per
// corpus directory.
type Store struct {
	dir   string
	log   *slog.Logger
	parse func(p string, data []byte) (corpus.Document, []string, error)
	build string
}

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// Log receives what the store finds: a snapshot rebuilt and why,
	// files parsed again. Nil discards.
	Log *slog.Logger
	// Parse replaces corpus.ParseFile for the files that must be parsed:
	// for tests to count them.
	Parse func(p string, data []byte) (corpus.Document, []string, error)
}

// New returns a store keeping its snapshots in dir.
func New(dir string, opts Options) *Store {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Parse == nil {
		opts.Parse = corpus.ParseFile
	}
	return &Store{dir: dir, log: opts.Log, parse: opts.Parse, build: buildID()}
}

// buildID names the code that parsed a snapshot's articles and laid out
// its index: a snapshot made by other code is not reused, since its
// parses might differ from this code's. It is the executable's Go build
// ID, a hash of everything it was built from, where the executable can
// be read (ELF); else the VCS revision, the dependencies' versions and
// corpus.ParserVersion, which must then be raised with any change to
// what the parser makes.
func buildID() string {
	id := fmt.Sprintf("parser=%d", corpus.ParserVersion)
	if bi, ok := debug.ReadBuildInfo(); ok {
		h := sha256.New()
		fmt.Fprintln(h, bi.GoVersion, bi.Main.Path, bi.Main.Version)
		for _, m := range bi.Deps {
			fmt.Fprintln(h, m.Path, m.Version, m.Sum)
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintln(h, s.Key, s.Value)
			}
		}
		id += " build=" + hex.EncodeToString(h.Sum(nil)[:8])
	}
	if exe := executableID(); exe != "" {
		id += " exe=" + exe
	}
	return id
}

// executableID returns the Go build ID of the running executable, from
// its ELF note, or "" where it cannot be read.
func executableID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil || len(data) < 12 {
		return ""
	}
	// An ELF note: name size, description size, type, name (padded to
	// 4 bytes), description.
	namesz, descsz := f.ByteOrder.Uint32(data), f.ByteOrder.Uint32(data[4:])
	off := 12 + uint64(namesz+3)&^3
	if off+uint64(descsz) > uint64(len(data)) {
		return ""
	}
	return string(data[off : off+uint64(descsz)])
}

// Path returns the snapshot file of the corpus in dir: named after the
// directory's absolute path, so corpora in different directories keep
// different snapshots.
func (s *Store) Path(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("snapshot of %s: %w", dir, err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(s.dir, "corpus-"+hex.EncodeToString(sum[:8])+".snap"), nil
}

// Result is what Load produced.
type Result struct {
	Index   *retrieval.Index
	Skipped []corpus.Skipped // as corpus.Corpus.Skipped
	// Unchanged is set when no file changed: the snapshot was served as
	// it is, without parsing or indexing.
	Unchanged bool
	Parsed    int // article files parsed (the others were reused)
}

// Load returns the corpus in dir, indexed: from its snapshot when no file
// changed, else by parsing the files that changed and reusing the others'
// parses, then indexing; the snapshot is then rewritten. lenient loads
// as corpus.Options.SkipBad does. A snapshot that cannot be written is
// logged: the corpus is served all the same.
//
// Dense retrieval (opts.Embedder) is not kept in the snapshot: with it,
// the index is built again, from the snapshot's corpus.
func (s *Store) Load(ctx context.Context, dir string, lenient bool, opts retrieval.Options) (Result, error) {
	path, err := s.Path(dir)
	if err != nil {
		return Result{}, err
	}
	abs, _ := filepath.Abs(dir)
	scanned := time.Now()
	old, st, err := s.read(ctx, path, dir, abs)
	if err != nil {
		return Result{}, fmt.Errorf("load corpus %s: %w", dir, err)
	}
	if old != nil && st.unchanged && (lenient || !st.skipped) {
		r, err := s.serve(ctx, old, st.warnings, opts)
		if err == nil {
			return r, nil
		}
		s.log.Warn("corpus snapshot unusable; rebuilding it", "snapshot", path, "err", err)
	}
	return s.rebuild(ctx, dir, abs, path, old, lenient, scanned, opts)
}

// read reads the snapshot at path and, at the same time, checks the
// files in dir against its manifest. A snapshot that cannot be used is
// logged and nil; err is only for a directory that cannot be walked.
func (s *Store) read(ctx context.Context, path, dir, abs string) (*snap, state, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Info("no corpus snapshot yet; parsing every article", "snapshot", path)
		return nil, state{}, nil
	}
	if err != nil {
		s.log.Warn("corpus snapshot unreadable; rebuilding it", "snapshot", path, "err", err)
		return nil, state{}, nil
	}
	defer f.Close()
	m, crc, err := readManifest(f)
	if err != nil {
		s.log.Warn("corpus snapshot unusable; rebuilding it", "snapshot", path, "err", err)
		return nil, state{}, nil
	}
	if m.build != s.build || m.dir != abs {
		s.log.Warn("corpus snapshot made by other code or for another directory; rebuilding it", "snapshot", path, "build", m.build, "want", s.build, "dir", m.dir)
		return nil, state{}, nil
	}
	// Reading the snapshot and stat'ing every article file are both
	// mostly waiting: do them together.
	var (
		st       state
		checkErr error
		old      *snap
		readErr  error
		wg       sync.WaitGroup
	)
	wg.Go(func() { st, checkErr = check(ctx, dir, &m) })
	old, readErr = readBody(f, m, crc)
	wg.Wait()
	if checkErr != nil {
		return nil, state{}, checkErr
	}
	if readErr != nil {
		s.log.Warn("corpus snapshot unusable; rebuilding it", "snapshot", path, "err", readErr)
		return nil, state{}, nil
	}
	return old, st, nil
}

// serve returns the corpus and index of a snapshot whose files did not
// change.
func (s *Store) serve(ctx context.Context, old *snap, walkWarnings []string, opts retrieval.Options) (Result, error) {
	c, err := old.corpus(walkWarnings)
	if err != nil {
		return Result{}, err
	}
	var ix *retrieval.Index
	if opts.Embedder != nil {
		ix, err = retrieval.Build(ctx, c, opts)
		if err != nil {
			return Result{}, fmt.Errorf("index corpus %s: %w", c.Version, err)
		}
	} else if ix, err = retrieval.ReadIndex(old.index, c); err != nil {
		return Result{}, err
	}
	var skipped []corpus.Skipped
	for _, f := range old.files {
		if f.err != "" {
			skipped = append(skipped, corpus.Skipped{Path: f.path, Err: errors.New(f.err)})
		}
	}
	c.Skipped = skipped
	return Result{Index: ix, Skipped: skipped, Unchanged: true}, nil
}

// rebuild loads dir, reusing old's parses of the files that did not
// change, indexes it and writes its snapshot.
func (s *Store) rebuild(ctx context.Context, dir, abs, path string, old *snap, lenient bool, scanned time.Time, opts retrieval.Options) (Result, error) {
	var (
		mu      sync.Mutex
		entries = map[string]fileEntry{}
		parsed  int
		known   = map[string]int{} // path -> document of old
		files   = map[string]fileEntry{}
	)
	if old != nil {
		for i, d := range old.docs {
			known[d.Path] = i
		}
		for _, f := range old.files {
			files[f.path] = f
		}
	}
	fsys := os.DirFS(dir)
	reuse := func(p string) (corpus.Document, []string, bool) {
		info, err := fs.Stat(fsys, p)
		if err != nil {
			return corpus.Document{}, nil, false // the read will say why
		}
		e := fileEntry{path: p, size: info.Size(), mtime: info.ModTime().UnixNano()}
		f, seen := files[p]
		i, ok := known[p]
		if seen && ok && f.size == e.size && f.mtime == e.mtime && trusted(f, old.scanned) {
			e.sum = f.sum
			mu.Lock()
			entries[p] = e
			mu.Unlock()
			return old.docs[i], old.warnings[i], true
		}
		mu.Lock()
		entries[p] = e
		mu.Unlock()
		return corpus.Document{}, nil, false
	}
	parse := func(p string, data []byte) (corpus.Document, []string, error) {
		sum := sha256.Sum256(data)
		mu.Lock()
		e := entries[p]
		e.sum = sum
		entries[p] = e
		mu.Unlock()
		if f, seen := files[p]; seen && f.sum == sum {
			if i, ok := known[p]; ok { // touched, not changed
				return old.docs[i], old.warnings[i], nil
			}
		}
		mu.Lock()
		parsed++
		mu.Unlock()
		return s.parse(p, data)
	}
	c, err := corpus.Load(ctx, dir, corpus.Options{SkipBad: lenient, Reuse: reuse, Parse: parse})
	if err != nil {
		return Result{}, err
	}
	ix, err := retrieval.Build(ctx, c, opts)
	if err != nil {
		return Result{}, fmt.Errorf("index corpus %s: %w", c.Version, err)
	}
	s.log.Info("corpus parsed and indexed", "dir", dir, "parsed", parsed, "reused", len(c.Docs)-parsed, "version", c.Version)

	m := manifest{build: s.build, dir: abs, version: c.Version, scanned: scanned.UnixNano(), passages: uint64(len(c.Passages))}
	warnings := make([][]string, len(c.Docs))
	for i, d := range c.Docs {
		m.files = append(m.files, entries[d.Path])
		warnings[i] = docWarnings(c.Warnings, d.Path)
	}
	for _, sk := range c.Skipped {
		e := entries[sk.Path]
		e.path, e.err = sk.Path, sk.Err.Error()
		m.files = append(m.files, e)
	}
	if err := s.write(path, m, c, warnings, ix); err != nil {
		s.log.Warn("could not save the corpus snapshot; the next start parses again", "snapshot", path, "err", err)
	}
	return Result{Index: ix, Skipped: c.Skipped, Parsed: parsed}, nil
}

// docWarnings picks the warnings of the file at p out of a corpus's,
// without the path they start with.
func docWarnings(all []string, p string) []string {
	var out []string
	prefix := p + ": "
	for _, w := range all {
		if len(w) > len(prefix) && w[:len(prefix)] == prefix {
			out = append(out, w[len(prefix):])
		}
	}
	return out
}

// write saves a snapshot of c and ix at path, atomically.
func (s *Store) write(path string, m manifest, c *corpus.Corpus, warnings [][]string, ix *retrieval.Index) error {
	index, err := ix.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode index: %w", err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { return encode(w, m, c, warnings, index) }); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	s.sweep()
	return nil
}

// staleTemp is the age past which a temporary snapshot file is taken
// for one a killed process left: a write takes seconds.
const staleTemp = time.Hour

// sweep removes the temporary files of writes that never finished (the
// process was killed), leaving those of writes that may be under way.
func (s *Store) sweep() {
	temps, _ := filepath.Glob(filepath.Join(s.dir, tempPattern))
	for _, t := range temps {
		if info, err := os.Stat(t); err == nil && time.Since(info.ModTime()) > staleTemp {
			if os.Remove(t) == nil {
				s.log.Info("removed an unfinished snapshot", "file", t)
			}
		}
	}
}

// trusted reports whether a file's size and modification time, as
// recorded when the files were stat'ed at scanned, prove it unchanged
// when they are still the same.
func trusted(f fileEntry, scanned int64) bool {
	return f.mtime < scanned-int64(racyWindow)
}

// state is what check found.
type state struct {
	unchanged bool     // every file is as the manifest says
	skipped   bool     // the manifest lists files a lenient load left out
	warnings  []string // the walk's, as corpus.LoadFS words them
}

// check compares the article files in dir with a manifest: the same
// paths, each with the same size and modification time, or, for a file
// modified too close to when the manifest was made, the same content.
func check(ctx context.Context, dir string, m *manifest) (state, error) {
	files := make(map[string]*fileEntry, len(m.files))
	var st state
	for i := range m.files {
		files[m.files[i].path] = &m.files[i]
		if m.files[i].err != "" {
			st.skipped = true
		}
	}
	fsys := os.DirFS(dir)
	var paths []string
	same := true
	err := corpus.WalkArticles(ctx, fsys, func(p, _ string) error {
		if _, ok := files[p]; !ok {
			same = false
		}
		paths = append(paths, p)
		return nil
	}, func(p string, err error) {
		if errors.Is(err, corpus.ErrNotArticle) {
			st.warnings = append(st.warnings, fmt.Sprintf("%s: skipped, %v", p, corpus.ErrNotArticle))
			return
		}
		same = false // an unreadable entry: a load must say so
	})
	if err != nil {
		return state{}, err
	}
	if !same || len(paths) != len(m.files) {
		return st, nil
	}
	// A stat is a system call each: spread them over the processors.
	var changed atomic.Bool
	var g errgroup.Group
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		part := paths[w*len(paths)/workers : (w+1)*len(paths)/workers]
		g.Go(func() error {
			for _, p := range part {
				if changed.Load() {
					return nil
				}
				if !unchanged(fsys, p, files[p], m.scanned) {
					changed.Store(true)
				}
			}
			return ctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return state{}, err
	}
	st.unchanged = !changed.Load()
	return st, nil
}

// unchanged reports whether the file at p is the one f describes.
func unchanged(fsys fs.FS, p string, f *fileEntry, scanned int64) bool {
	info, err := fs.Stat(fsys, p)
	if err != nil || info.Size() != f.size || info.ModTime().UnixNano() != f.mtime {
		return false
	}
	if trusted(*f, scanned) {
		return true
	}
	data, err := fs.ReadFile(fsys, p)
	return err == nil && sha256.Sum256(data) == f.sum
}

// Version returns the version of the corpus in dir as its snapshot
// records it, reading only the snapshot's manifest, when no article
// changed since: what corpus.Load would compute, without parsing an
// article. ok is false when it is not known that way (no snapshot, a
// file changed, a file a strict load would refuse).
func (s *Store) Version(ctx context.Context, dir string) (version string, ok bool) {
	path, err := s.Path(dir)
	if err != nil {
		return "", false
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	m, _, err := readManifest(f)
	f.Close()
	abs, _ := filepath.Abs(dir)
	if err != nil || m.build != s.build || m.dir != abs {
		return "", false
	}
	st, err := check(ctx, dir, &m)
	if err != nil || !st.unchanged || st.skipped {
		return "", false
	}
	return m.version, true
}
