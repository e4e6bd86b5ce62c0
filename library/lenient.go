package library

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// OpenLenient is Open for a process that is starting, so has no corpus
// to fall back on: rather than refuse to start over one bad file (binary,
// unreadable, not UTF-8, too large…), it serves the good articles and
// returns the files it left out, for the caller to report. It fails, as
// Open does, when no good article remains or the directory itself is
// wrong.
//
// Only the first load is lenient: Reload and Add stay all or nothing, so
// a corpus that silently lost articles never replaces one being served.
func OpenLenient(ctx context.Context, dir string, opts retrieval.Options) (*Library, Report, []corpus.Skipped, error) {
	l := &Library{dir: dir, opts: opts}
	defer debug.FreeOSMemory() // what the build used is not needed again
	start := time.Now()
	c, err := corpus.Load(ctx, dir, corpus.Options{SkipBad: true})
	if err != nil {
		return nil, Report{}, nil, err
	}
	ix, err := retrieval.Build(ctx, c, opts)
	if err != nil {
		return nil, Report{}, nil, fmt.Errorf("index corpus %s: %w", c.Version, err)
	}
	l.live = retrieval.NewLive(ix)
	return l, Report{
		Docs:     len(c.Docs),
		Passages: len(c.Passages),
		Version:  c.Version,
		Warnings: c.Warnings,
		Took:     time.Since(start),
	}, c.Skipped, nil
}
