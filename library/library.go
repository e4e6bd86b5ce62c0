// Package library keeps the corpus being served and reloads it: a new
// corpus and index are built beside the ones in use and swapped in at
// once, so questions keep being answered during a reload and a corpus
// that fails to load never replaces a good one.
package library

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// Library is the served corpus and its index.
type Library struct {
	dir  string // "" means the embedded seeds
	opts retrieval.Options
	live *retrieval.Live
	mu   sync.Mutex // one reload at a time; guards observer
	obs  Observer
}

// Observer is told the outcome of every reload, for metrics.
type Observer interface {
	Loaded(docs, passages int, version string, err error)
}

// Observe has o told about reloads from now on, and at once about the
// corpus being served.
func (l *Library) Observe(o Observer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs = o
	c := l.live.Index().Corpus()
	o.Loaded(len(c.Docs), len(c.Passages), c.Version, nil)
}

// Report says what a load produced.
type Report struct {
	Docs     int
	Passages int
	Version  string
	Warnings []string
	Took     time.Duration
}

// Open loads the corpus in dir (the embedded seeds when dir is empty) and
// indexes it.
func Open(ctx context.Context, dir string, opts retrieval.Options) (*Library, Report, error) {
	l := &Library{dir: dir, opts: opts}
	defer debug.FreeOSMemory() // what the build used is not needed again
	ix, rep, err := l.build(ctx)
	if err != nil {
		return nil, rep, err
	}
	l.live = retrieval.NewLive(ix)
	return l, rep, nil
}

// Live returns the index holder answers are served from.
func (l *Library) Live() *retrieval.Live { return l.live }

// Dir returns the corpus directory, or "" for the embedded seeds.
func (l *Library) Dir() string { return l.dir }

// Reload reads the corpus again and swaps it in. On error the corpus in
// use keeps serving. Either way the memory the build used, and the old
// corpus's, is handed back to the operating system: a reload is rare and
// briefly needs two corpora's worth, which the process should not keep.
func (l *Library) Reload(ctx context.Context) (Report, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer debug.FreeOSMemory()
	ix, rep, err := l.build(ctx)
	if err != nil {
		return rep, err
	}
	l.live.Swap(ix)
	return rep, nil
}

// ErrEmbedded is returned by Add when the library serves the embedded
// seeds: there is no directory to add files to.
var ErrEmbedded = errors.New("the bot serves its built-in articles; set CORPUS_DIR to a directory to add articles")

// maxName bounds the length of an added file's name.
const maxName = 120

// Add saves an article file under name in the corpus directory and
// reloads. The file must be one the corpus would load (.txt or .md, text,
// within the size limit); a file of the same name is replaced. If the
// corpus with the file fails to load, the directory is put back as it
// was and the corpus in use keeps serving.
func (l *Library) Add(ctx context.Context, name string, data []byte) (Report, error) {
	if l.dir == "" {
		return Report{}, ErrEmbedded
	}
	name, err := SafeName(name)
	if err != nil {
		return Report{}, err
	}
	if len(data) > corpus.DefaultMaxFileSize {
		return Report{}, fmt.Errorf("%s: %d bytes is over the limit of %d", name, len(data), corpus.DefaultMaxFileSize)
	}
	if _, _, err := corpus.Parse(strings.TrimSuffix(name, filepath.Ext(name)), data); err != nil {
		return Report{}, fmt.Errorf("%s: %w", name, err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	final := filepath.Join(l.dir, name)
	old, err := os.ReadFile(final)
	existed := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Report{}, fmt.Errorf("add %s: %w", name, err)
	}
	if err := writeAtomic(final, data); err != nil {
		return Report{}, fmt.Errorf("add %s: %w", name, err)
	}
	ix, rep, err := l.build(ctx)
	if err != nil {
		undo := os.Remove(final)
		if existed {
			undo = writeAtomic(final, old)
		}
		if undo != nil {
			return rep, fmt.Errorf("add %s: %w; and restoring the directory failed: %v", name, err, undo)
		}
		return rep, fmt.Errorf("add %s: %w", name, err)
	}
	l.live.Swap(ix)
	return rep, nil
}

// SafeName checks the name of a file to add and returns the name it is
// saved under: a plain file name (no directories), with a .txt or .md
// extension, and letters, digits, '-', '_' and '.' only (anything else
// becomes '_'). Hidden names are refused, since the corpus skips them.
func SafeName(name string) (string, error) {
	base := strings.TrimSpace(name)
	if strings.ContainsAny(base, `/\`) || strings.Contains(base, "..") || base == "" {
		return "", fmt.Errorf("file name %q: want a plain file name such as article.md", name)
	}
	if strings.HasPrefix(base, ".") {
		return "", fmt.Errorf("file name %q: hidden files are not loaded", name)
	}
	ext := strings.ToLower(filepath.Ext(base))
	if ext != ".txt" && ext != ".md" {
		return "", fmt.Errorf("file name %q: only .txt and .md files can be added", name)
	}
	safe := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, strings.TrimSuffix(base, filepath.Ext(base)))
	if len(safe) > maxName {
		return "", fmt.Errorf("file name %q: longer than %d bytes", name, maxName)
	}
	return safe + ext, nil
}

// writeAtomic writes data to path through a hidden temporary file in the
// same directory, so a reload never sees half a file.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func (l *Library) build(ctx context.Context) (ix *retrieval.Index, rep Report, err error) {
	if l.obs != nil {
		defer func() { l.obs.Loaded(rep.Docs, rep.Passages, rep.Version, err) }()
	}
	start := time.Now()
	c, err := corpus.Load(ctx, l.dir, corpus.Options{})
	if err != nil {
		return nil, Report{}, err
	}
	ix, err = retrieval.Build(ctx, c, l.opts)
	if err != nil {
		return nil, Report{}, fmt.Errorf("index corpus %s: %w", c.Version, err)
	}
	return ix, Report{
		Docs:     len(c.Docs),
		Passages: len(c.Passages),
		Version:  c.Version,
		Warnings: c.Warnings,
		Took:     time.Since(start),
	}, nil
}
