// Package library keeps the corpus being served and reloads it: a new
// corpus and index are built beside the ones in use and swapped in at
// once, so questions keep being answered during a reload and a corpus
// that fails to load never replaces a good one.
package library

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// Library is the served corpus and its index.
type Library struct {
	dir  string // "" means the embedded seeds
	opts retrieval.Options
	live *retrieval.Live
	mu   sync.Mutex // one reload at a time
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
// use keeps serving.
func (l *Library) Reload(ctx context.Context) (Report, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ix, rep, err := l.build(ctx)
	if err != nil {
		return rep, err
	}
	l.live.Swap(ix)
	return rep, nil
}

func (l *Library) build(ctx context.Context) (*retrieval.Index, Report, error) {
	start := time.Now()
	c, err := corpus.Load(ctx, l.dir, corpus.Options{})
	if err != nil {
		return nil, Report{}, err
	}
	ix, err := retrieval.Build(ctx, c, l.opts)
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
