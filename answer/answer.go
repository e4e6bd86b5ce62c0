// Package answer turns a question, and the conversation it belongs to,
// into a short answer grounded in the corpus, with numbered citations.
//
// It works in two modes: with an LLM, which writes the answer from the
// retrieved passages, and offline, which extracts the best sentences from
// them. Either way every claim cites a passage, and a question the corpus
// does not cover is refused rather than answered from thin air.
package answer

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/lexicon"
	"github.com/talkbot/talkbot/prompts"
	"github.com/talkbot/talkbot/retrieval"
)

// Modes of answering, as reported in Answer.Mode.
const (
	ModeOffline = "offline"
	ModeLLM     = "llm"
)

// NotCovered is the reply to a question the articles do not answer.
const NotCovered = "The articles do not cover this."

// Turn is one earlier exchange of a conversation, oldest first.
type Turn struct {
	Question string `json:"question"`
	Answer   string `json:"answer,omitempty"`
}

// Request is one question and the conversation before it.
type Request struct {
	Question string
	History  []Turn
	// Progress, when set and the LLM can stream, is called with the
	// answer written so far (citations renumbered as in the final
	// answer), so a front end can show it growing. The final Answer may
	// still differ: a reply that turns out not to be grounded is replaced.
	Progress func(partial string)

	// Lang is the asker's language, a BCP-47 tag such as "ru" (see
	// package lang); empty means the language the question is written
	// in. Answers and their fixed sentences come in it.
	Lang string

	// asked is the asker's own words when Question was rewritten to
	// stand alone; search, when set, is what to search the articles for
	// instead of the standalone question.
	asked, search string
}

// Citation is a passage an answer cites, numbered as in the answer text.
type Citation struct {
	N       int    `json:"n"`
	Doc     string `json:"doc"`
	Title   string `json:"title"`
	Source  string `json:"source"`
	Date    string `json:"date"`
	Passage string `json:"passage"`
	Text    string `json:"text"`
}

// Answer is the reply to one question.
type Answer struct {
	Question      string     `json:"question"`
	Text          string     `json:"answer"`
	Answered      bool       `json:"answered"`
	Citations     []Citation `json:"citations"`
	Mode          string     `json:"mode"`
	Cached        bool       `json:"cached"`
	CorpusVersion string     `json:"corpus_version"`

	// Standalone is the question that drove retrieval: the question
	// itself, or a follow-up rewritten with its context.
	Standalone string `json:"-"`
	// Retrieved lists the documents of the retrieved passages, best first,
	// without repeats; evaluation uses it.
	Retrieved []string `json:"-"`

	// unsure marks a refusal that stands for a reply the service could
	// not use (no citation, nothing supported, unparsable): another try
	// may do better, so it is not cached.
	unsure bool
}

// Chat is the LLM the service writes answers with.
type Chat interface {
	Complete(ctx context.Context, system, user string) (string, error)
}

// Streamer is a Chat that can also deliver its reply piece by piece.
type Streamer interface {
	Stream(ctx context.Context, system, user string, delta func(string)) (string, error)
}

// Service answers questions from the index currently in use.
type Service struct {
	index *retrieval.Live
	chat  Chat // nil: offline mode
	log   *slog.Logger
	opts  Options
	lex   *lexicon.Lexicon // paraphrases, for offline answers

	flight singleflight.Group

	llmCalls, llmErrors, cacheHits, questions atomic.Int64
}

// Options tunes a Service. The zero value is ready to use.
type Options struct {
	// TopK is how many passages an LLM answer may draw on; default 6.
	TopK int
	// HistoryTurns is how many earlier turns count for a follow-up; default 6.
	HistoryTurns int
	// FallbackOffline answers offline when the LLM fails, instead of
	// returning the error: for the bot, where a user must get a reply.
	FallbackOffline bool
	// Cache, when set, keeps answers for CacheTTL (default
	// DefaultCacheTTL). Offline follow-ups, which depend on the whole
	// conversation, and fallback answers are not cached.
	Cache    Cache
	CacheTTL time.Duration
	// LockWait is how long a question waits for another process answering
	// the same one (DefaultLockWait), before answering it itself: the other
	// may have died holding its claim.
	LockWait time.Duration
	// SkipSupportCheck turns off the check that an LLM answer's sentences
	// are borne out by the passages they cite (see docs/SUPPORT.md): for
	// tests of other parts, whose scripted replies cite at random. The
	// check is on by default and in the bot.
	SkipSupportCheck bool
	// Model names the LLM in cache keys, so answers of one model are
	// never served as another's.
	Model string
	// Similar and Embedder, both set, add a semantic cache: a question
	// whose embedding is within Similarity (default DefaultSimilarity) of
	// an earlier one's, and agrees with it on names, numbers, dates and
	// negation, gets the earlier answer.
	Similar    SimilarCache
	Embedder   retrieval.Embedder
	Similarity float64
	// Observer, if set, is told about searches and cache lookups.
	Observer Observer
}

// Observer is told what the service does, for metrics.
type Observer interface {
	Retrieval(took time.Duration)
	CacheLookup(hit bool)
	// SupportCheck is told how many sentences of a model's answer the
	// support check kept and dropped, and how many stated something
	// without a citation.
	SupportCheck(kept, dropped, uncited int)
}

// NewService returns a service answering from index. A nil chat means
// offline mode; a nil log discards logs.
func NewService(index *retrieval.Live, chat Chat, log *slog.Logger, opts Options) *Service {
	if opts.TopK <= 0 {
		opts.TopK = 6
	}
	if opts.HistoryTurns <= 0 {
		opts.HistoryTurns = 6
	}
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.Similarity <= 0 {
		opts.Similarity = DefaultSimilarity
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{index: index, chat: chat, log: log, opts: opts, lex: lexicon.New()}
}

// Mode returns ModeLLM or ModeOffline.
func (s *Service) Mode() string {
	if s.chat == nil {
		return ModeOffline
	}
	return ModeLLM
}

// Stats counts what the service did since it started.
type Stats struct {
	Questions int64 // questions answered, from the cache or not
	CacheHits int64
	LLMCalls  int64
	LLMErrors int64
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	return Stats{Questions: s.questions.Load(), CacheHits: s.cacheHits.Load(), LLMCalls: s.llmCalls.Load(), LLMErrors: s.llmErrors.Load()}
}

// complete calls the LLM, counting calls and failures.
func (s *Service) complete(ctx context.Context, system, user string) (string, error) {
	s.llmCalls.Add(1)
	reply, err := s.chat.Complete(ctx, system, user)
	if err != nil {
		s.llmErrors.Add(1)
	}
	return reply, err
}

// terminalEscape matches ANSI escape sequences ("\x1b[31m"), which
// terminals act on and nothing else should see.
var terminalEscape = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])`)

// CleanText makes untrusted text safe to search, show and quote: invalid
// UTF-8 and terminal escape sequences are dropped, control and format
// characters (bidirectional overrides, zero-width spaces) become spaces,
// and runs of white space shrink to one.
func CleanText(s string) string {
	if isClean(s) {
		return s // the common case, without allocating
	}
	s = strings.ToValidUTF8(s, " ")
	s = terminalEscape.ReplaceAllString(s, " ")
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isClean reports whether CleanText would leave s as it is.
func isClean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	space := true // a leading space is not clean
	for _, r := range s {
		switch {
		case r == ' ':
			if space {
				return false
			}
			space = true
			continue
		case r < 0x20 || r == 0x7f || r >= 0x80 && (unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)):
			return false
		}
		space = false
	}
	return !space || s == ""
}

// ErrEmptyQuestion is returned for a question with no words in it.
var ErrEmptyQuestion = errors.New("the question is empty")

// Answer answers one question.
func (s *Service) Answer(ctx context.Context, req Request) (Answer, error) {
	req.Question = CleanText(req.Question)
	if len(retrieval.Words(req.Question)) == 0 {
		return Answer{}, ErrEmptyQuestion
	}
	if len(req.History) > s.opts.HistoryTurns {
		req.History = req.History[len(req.History)-s.opts.HistoryTurns:]
	}
	s.questions.Add(1)
	req.Lang = askerLang(req)
	a, err := s.answer(ctx, req)
	return localize(a, req.Lang), err
}

// CachedAnswer answers req from the cache alone, given the version of
// the corpus that would answer it, without the index: for a process that
// has not loaded its corpus (talkbot ask), so that a question answered
// before costs no corpus load. It is the answer Answer would return from
// the cache for the same corpus. ok is false on a miss, without a cache,
// and for a follow-up, whose key depends on rewriting it.
func (s *Service) CachedAnswer(ctx context.Context, corpusVersion string, req Request) (a Answer, ok bool) {
	if s.opts.Cache == nil || len(req.History) > 0 {
		return Answer{}, false
	}
	req.Question = CleanText(req.Question)
	if len(retrieval.Words(req.Question)) == 0 {
		return Answer{}, false
	}
	req.Lang = askerLang(req)
	// The key cached gives a question without history: its standalone
	// form is itself, asked in its own words.
	key := CacheKey(KeyParts{CorpusVersion: corpusVersion, Mode: s.Mode(), Model: s.opts.Model, PromptVersion: prompts.Version, Question: req.Question, Lang: req.Lang})
	a, ok = s.opts.Cache.Get(ctx, key)
	if !ok {
		return Answer{}, false
	}
	s.questions.Add(1)
	return localize(s.hit(a, req), req.Lang), true
}

// answer answers req, whose language is known.
func (s *Service) answer(ctx context.Context, req Request) (Answer, error) {
	ix := s.index.Index() // one index for the whole answer, even across a reload
	if s.chat == nil {
		offline := func() (Answer, error) { return s.offline(ctx, ix, req), nil }
		if len(req.History) > 0 {
			return offline()
		}
		return s.cached(ctx, ix, req, req.Question, offline)
	}
	standalone, prompt := req.Question, req
	foreign := req.Lang != corpusLang
	if len(req.History) > 0 || foreign {
		rw, err := s.condense(ctx, req)
		if err != nil {
			return s.fallback(ctx, ix, req, err)
		}
		switch {
		case len(req.History) == 0:
			// A question in another language: only its search changes.
		case rw.question != "":
			// The rewrite stands alone: the answer is written from it and
			// the asker's own words, not the conversation, so it may be
			// shared with anyone asking the same in the same words.
			standalone, prompt.History = rw.question, nil
			if Normalize(rw.question) != Normalize(req.Question) {
				prompt.asked = req.Question
			}
		default:
			// The rewrite was unusable: the answer is written with the
			// conversation, and cached under it (see cached); the search
			// carries the last question beside the follow-up.
			prompt.search = req.History[len(req.History)-1].Question + " " + req.Question
		}
		if rw.search != "" {
			prompt.search = rw.search
		}
	}
	a, err := s.cached(ctx, ix, prompt, standalone, func() (Answer, error) { return s.generate(ctx, ix, prompt, standalone) })
	if err != nil {
		return s.fallback(ctx, ix, req, err)
	}
	a.Question = req.Question
	return a, nil
}

// fallback answers offline after the LLM failed, if the service may:
// also when the caller's time ran out, since an offline answer takes
// milliseconds, but not when the caller gave up (cancelled).
func (s *Service) fallback(ctx context.Context, ix *retrieval.Index, req Request, err error) (Answer, error) {
	if !s.opts.FallbackOffline || errors.Is(ctx.Err(), context.Canceled) {
		return Answer{}, err
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), offlineTimeout)
		defer cancel()
	}
	s.log.WarnContext(ctx, "llm failed; answering offline", "err", err)
	return s.offline(ctx, ix, req), nil
}

// offlineTimeout bounds an offline answer given after the caller's time
// ran out.
const offlineTimeout = 2 * time.Second

// search runs a query, logging rather than failing when only the dense
// half of a hybrid search broke.
func (s *Service) search(ctx context.Context, ix *retrieval.Index, q retrieval.Query, k int) []retrieval.Hit {
	start := time.Now()
	hits, err := ix.Search(ctx, q, k)
	if s.opts.Observer != nil {
		s.opts.Observer.Retrieval(time.Since(start))
	}
	if err != nil {
		s.log.WarnContext(ctx, "dense retrieval failed; using BM25 alone", "err", err)
	}
	return hits
}

// newAnswer fills the fields every answer has.
func newAnswer(ix *retrieval.Index, req Request, standalone, mode string, hits []retrieval.Hit) Answer {
	c := ix.Corpus()
	a := Answer{
		Question:      req.Question,
		Mode:          mode,
		CorpusVersion: c.Version,
		Standalone:    standalone,
		Citations:     []Citation{},
	}
	seen := map[string]bool{}
	for _, h := range hits {
		id := c.Doc(c.Passages[h.Passage]).ID
		if !seen[id] {
			seen[id] = true
			a.Retrieved = append(a.Retrieved, id)
		}
	}
	return a
}

// refuse turns a into the reply to a question the corpus does not cover.
func refuse(a Answer, text string) Answer {
	if text == "" {
		text = NotCovered
	}
	a.Text = text
	a.Answered = false
	a.Citations = []Citation{}
	return a
}

func citation(c *corpus.Corpus, n, passage int) Citation {
	p := c.Passages[passage]
	d := c.Doc(p)
	return Citation{N: n, Doc: d.ID, Title: d.Title, Source: d.Source, Date: d.Date, Passage: p.ID, Text: p.Text}
}

func historyTurns(h []Turn) []prompts.Turn {
	out := make([]prompts.Turn, len(h))
	for i, t := range h {
		out[i] = prompts.Turn{Question: t.Question, Answer: t.Answer}
	}
	return out
}
