package library

import (
	"context"

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
	return OpenWith(ctx, Config{Dir: dir, Retrieval: opts, Lenient: true})
}
