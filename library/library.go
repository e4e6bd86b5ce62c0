// Package library keeps the corpus being served and reloads it: a new
// corpus and index are built beside the ones in use and swapped in at
// once, so questions keep being answered during a reload and a corpus
// that fails to load never replaces a good one.
package library

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/snapshot"
)

// Library is the served corpus and its index.
type Library struct {
	dir   string // "" means the embedded seeds
	opts  retrieval.Options
	store *snapshot.Store // nil: every load parses every article
	live  *retrieval.Live
	mu    sync.Mutex // one reload or write at a time; guards observer
	obs   Observer

	staged staging // uploads waiting for an admin to confirm a replacement
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
	// Unchanged is set when the corpus came from its snapshot as it
	// was: no article parsed, no passage indexed.
	Unchanged bool

	// Article is the article Add or Replace saved, as the new corpus
	// holds it; zero after Open and Reload.
	Article Article
	// Replaced lists the articles Replace overwrote or removed to make
	// room for Article, as they were, so the admin is told what went.
	Replaced []Article
}

// Open loads the corpus in dir (the embedded seeds when dir is empty) and
// indexes it.
func Open(ctx context.Context, dir string, opts retrieval.Options) (*Library, Report, error) {
	l, rep, _, err := OpenWith(ctx, Config{Dir: dir, Retrieval: opts})
	return l, rep, err
}

// Config says what OpenWith opens and how.
type Config struct {
	Dir       string // "" means the embedded seeds
	Retrieval retrieval.Options
	// Snapshots, if set, keeps every load's parsed articles and index on
	// disk, so that the next start reads them instead of parsing and
	// indexing, and a reload parses only the files that changed. Not
	// used for the embedded seeds.
	Snapshots *snapshot.Store
	// Lenient leaves bad files out of the first load, as OpenLenient.
	Lenient bool
}

// OpenWith is Open, and OpenLenient when cfg.Lenient, with the options
// of cfg. The files a lenient load left out are returned.
func OpenWith(ctx context.Context, cfg Config) (*Library, Report, []corpus.Skipped, error) {
	l := &Library{dir: cfg.Dir, opts: cfg.Retrieval}
	if cfg.Dir != "" {
		l.store = cfg.Snapshots
	}
	ix, rep, skipped, err := l.load(ctx, cfg.Lenient)
	if err != nil {
		return nil, rep, nil, err
	}
	if !rep.Unchanged {
		debug.FreeOSMemory() // what the build used is not needed again
	}
	l.live = retrieval.NewLive(ix)
	return l, rep, skipped, nil
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

func (l *Library) build(ctx context.Context) (ix *retrieval.Index, rep Report, err error) {
	if l.obs != nil {
		defer func() { l.obs.Loaded(rep.Docs, rep.Passages, rep.Version, err) }()
	}
	ix, rep, _, err = l.load(ctx, false)
	return ix, rep, err
}

// load reads the corpus, from its snapshot if the library keeps one,
// and indexes it; lenient leaves bad files out (see OpenLenient).
func (l *Library) load(ctx context.Context, lenient bool) (*retrieval.Index, Report, []corpus.Skipped, error) {
	start := time.Now()
	var (
		ix        *retrieval.Index
		skipped   []corpus.Skipped
		unchanged bool
	)
	if l.store != nil {
		r, err := l.store.Load(ctx, l.dir, lenient, l.opts)
		if err != nil {
			return nil, Report{}, nil, err
		}
		ix, skipped, unchanged = r.Index, r.Skipped, r.Unchanged
	} else {
		c, err := corpus.Load(ctx, l.dir, corpus.Options{SkipBad: lenient})
		if err != nil {
			return nil, Report{}, nil, err
		}
		if ix, err = retrieval.Build(ctx, c, l.opts); err != nil {
			return nil, Report{}, nil, fmt.Errorf("index corpus %s: %w", c.Version, err)
		}
		skipped = c.Skipped
	}
	c := ix.Corpus()
	return ix, Report{
		Docs:      len(c.Docs),
		Passages:  len(c.Passages),
		Version:   c.Version,
		Warnings:  c.Warnings,
		Took:      time.Since(start),
		Unchanged: unchanged,
	}, skipped, nil
}
