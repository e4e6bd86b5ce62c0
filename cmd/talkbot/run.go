package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/qa"
	"github.com/talkbot/talkbot/redisstore"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/snapshot"
)

const usage = `talkbot answers questions about news articles, with citations.

usage:
  talkbot ask [--json] [--corpus DIR] QUESTION   answer one question
  talkbot chat [--json] [--corpus DIR]           answer questions from stdin, one per line, as one conversation
  talkbot eval --qa FILE [--corpus DIR] [--json] score a question set
  talkbot sources [--json] [--corpus DIR]        list the documents of the corpus
  talkbot serve [--corpus DIR]                   run the Telegram bot (TELEGRAM_BOT_TOKEN)
  talkbot config                                 print the effective configuration, secrets masked, and its problems
  talkbot healthcheck                            exit 0 if the bot on METRICS_ADDR is alive (for containers)

Run "talkbot COMMAND -h" for the flags and environment variables of a command.
`

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "ask":
		return runAsk(ctx, rest, getenv, stdout, stderr)
	case "chat":
		return runChat(ctx, rest, getenv, stdin, stdout, stderr)
	case "eval":
		return runEval(ctx, rest, getenv, stdout, stderr)
	case "sources":
		return runSources(ctx, rest, getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, getenv, stderr)
	case "config":
		return runConfig(rest, getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, getenv)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q (want ask, chat, eval, sources, serve or config)", cmd)}
}

func runAsk(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("ask", "ask [flags] QUESTION", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(rest, " "))
	if question == "" {
		return usageError{"ask: no question given (usage: talkbot ask [--json] QUESTION)"}
	}
	return ask(ctx, cfg, question, library.OpenWith, stdout, stderr)
}

// ask answers one question. The corpus is opened (with open) only when
// the answer is not in the cache: the snapshot's manifest gives the
// corpus version the cache key needs.
func ask(ctx context.Context, cfg config, question string, open openFunc, stdout, stderr io.Writer) error {
	svc, err := newService(ctx, cfg, stderr, true, true, open)
	if err != nil {
		return err
	}
	defer svc.close()
	a, err := svc.Answer(ctx, answer.Request{Question: question})
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	return printAnswer(stdout, a, cfg.JSON)
}

func runChat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("chat", "chat [flags] < questions.txt", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("chat: unexpected argument %q: questions are read from standard input", rest[0])}
	}
	svc, err := newService(ctx, cfg, stderr, true, false, library.OpenWith)
	if err != nil {
		return err
	}
	defer svc.close()
	var history []answer.Turn
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "":
			continue
		case "/reset", "/new":
			history = nil
			continue
		}
		a, err := svc.Answer(ctx, answer.Request{Question: line, History: history})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// One failed question does not end the conversation.
			if err := printError(stdout, line, err, cfg.JSON); err != nil {
				return err
			}
			continue
		}
		if err := printAnswer(stdout, a, cfg.JSON); err != nil {
			return err
		}
		history = append(history, answer.Turn{Question: line, Answer: a.Text})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("chat: read questions: %w", err)
	}
	return nil
}

func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var qaFile string
	cfg, rest, err := loadConfig("eval", "eval --qa FILE [flags]", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&qaFile, "qa", "", "question set, one JSON object per line (required)")
	})
	if err != nil {
		return err
	}
	if qaFile == "" {
		return usageError{"eval: --qa FILE is required"}
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("eval: unexpected argument %q", rest[0])}
	}
	f, err := os.Open(qaFile)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	cases, err := qa.Load(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("eval: read %s: %w", qaFile, err)
	}
	svc, err := newService(ctx, cfg, stderr, false, false, library.OpenWith) // measure answers, not the cache
	if err != nil {
		return err
	}
	defer svc.close()
	report := qa.Run(ctx, svc, cases)
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(report)
	}
	return report.WriteText(stdout)
}

func runSources(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("sources", "sources [flags]", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("sources: unexpected argument %q", rest[0])}
	}
	c, err := corpus.Load(ctx, cfg.CorpusDir, corpus.Options{})
	if err != nil {
		return err
	}
	counts := make([]int, len(c.Docs))
	for _, p := range c.Passages {
		counts[p.Doc]++
	}
	if cfg.JSON {
		type source struct {
			ID       string `json:"id"`
			Title    string `json:"title"`
			Source   string `json:"source"`
			Date     string `json:"date"`
			Passages int    `json:"passages"`
		}
		enc := json.NewEncoder(stdout)
		for i, d := range c.Docs {
			if err := enc.Encode(source{d.ID, d.Title, d.Source, d.Date, counts[i]}); err != nil {
				return err
			}
		}
		return nil
	}
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "corpus %s: %d documents, %d passages\n", c.Version, len(c.Docs), len(c.Passages))
	for i, d := range c.Docs {
		fmt.Fprintf(w, "\n%s\n  title:    %s\n  source:   %s\n  date:     %s\n  passages: %d\n", d.ID, d.Title, orDash(d.Source), orDash(d.Date), counts[i])
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", warn)
	}
	return w.Flush()
}

// openFunc opens the library answers come from: library.OpenWith, or a
// test's double that counts or refuses.
type openFunc func(context.Context, library.Config) (*library.Library, library.Report, []corpus.Skipped, error)

// service answers a command's questions, from a corpus opened at once or,
// when lazy, only when a question's answer is not in the cache.
type service struct {
	*answer.Service
	live      *retrieval.Live // holds no index until the corpus is opened
	lib       library.Config
	open      openFunc
	snapshots *snapshot.Store // nil: none
	log       *slog.Logger
	opened    bool
	close     func()
}

// newService picks the mode and opens the corpus, unless lazy. With
// cached and REDIS_URL set, answers go through the Redis cache; close
// closes the connection.
func newService(ctx context.Context, cfg config, stderr io.Writer, cached, lazy bool, open openFunc) (*service, error) {
	log := newLogger(cfg.LogLevel, stderr)
	chat, ropts, opts := answerParts(cfg, nil)
	s := &service{live: retrieval.NewLive(nil), open: open, log: log, close: func() {}}
	if cfg.IndexDir != "" {
		s.snapshots = snapshot.New(cfg.IndexDir, snapshot.Options{Log: log})
	}
	s.lib = library.Config{Dir: cfg.CorpusDir, Retrieval: ropts, Snapshots: s.snapshots}
	if cached && cfg.RedisURL != "" {
		store, err := openStore(cfg, log)
		if err != nil {
			return nil, err
		}
		opts.Cache = store.Cache()
		opts.Similar = store.Similar(cfg.CacheTTL)
		s.close = func() { store.Close() }
	}
	s.Service = answer.NewService(s.live, chat, log, opts)
	if !lazy || opts.Cache == nil {
		if err := s.load(ctx); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// load opens the corpus, once.
func (s *service) load(ctx context.Context) error {
	if s.opened {
		return nil
	}
	lib, rep, _, err := s.open(ctx, s.lib)
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		s.log.Info("corpus", "warning", w) // "talkbot sources" lists them too
	}
	s.live.Swap(lib.Live().Index())
	s.opened = true
	return nil
}

// Answer answers req: from the cache, without opening the corpus, when
// the snapshot's manifest vouches for the corpus version and the answer
// is there; else from the corpus, opened now if it was not.
func (s *service) Answer(ctx context.Context, req answer.Request) (answer.Answer, error) {
	if !s.opened && s.snapshots != nil && s.lib.Dir != "" {
		if v, ok := s.snapshots.Version(ctx, s.lib.Dir); ok {
			if a, ok := s.Service.CachedAnswer(ctx, v, req); ok {
				return a, nil
			}
		}
	}
	if err := s.load(ctx); err != nil {
		return answer.Answer{}, err
	}
	return s.Service.Answer(ctx, req)
}

// answerParts picks the mode from cfg: the LLM to answer with (nil:
// offline), the retrieval options and the answer options. obs, if not
// nil, is told about every call to the LLM.
func answerParts(cfg config, obs llm.Observer) (answer.Chat, retrieval.Options, answer.Options) {
	opts := answer.Options{CacheTTL: cfg.CacheTTL, Similarity: cfg.Similarity}
	if !cfg.llmMode() {
		return nil, retrieval.Options{}, opts
	}
	client := llm.New(llm.Config{
		APIKey:          cfg.OpenAIKey,
		BaseURL:         cfg.OpenAIBaseURL,
		Model:           cfg.Model,
		EmbeddingsModel: cfg.EmbeddingsModel,
		Timeout:         cfg.LLMTimeout,
		Observer:        obs,
	})
	opts.Model = client.Model()
	var ropts retrieval.Options
	if cfg.EmbeddingsModel != "" {
		ropts.Embedder = client
		opts.Embedder = client
	}
	return client, ropts, opts
}

// openStore connects to REDIS_URL, which loadConfig has checked. A Redis
// that does not answer yet is logged, not fatal: the store picks it up
// when it comes.
func openStore(cfg config, log *slog.Logger) (*redisstore.Store, error) {
	store, err := redisstore.Open(cfg.RedisURL, redisstore.Options{Prefix: cfg.RedisPrefix, Timeout: cfg.RedisTimeout, Log: log})
	if err != nil {
		return nil, err
	}
	store.Ping(context.Background())
	return store, nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: logLevel(level, slog.LevelWarn)}))
}

// logLevel parses LOG_LEVEL, which loadConfig has checked.
func logLevel(level string, def slog.Level) slog.Level {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return def
}

// printAnswer writes an answer as JSON (one line) or as text with its
// list of cited articles.
func printAnswer(w io.Writer, a answer.Answer, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(a)
	}
	var b strings.Builder
	b.WriteString(a.Text)
	b.WriteString("\n")
	if len(a.Citations) > 0 {
		b.WriteString("\nSources:\n")
		for _, c := range a.Citations {
			fmt.Fprintf(&b, "[%d] %s", c.N, c.Title)
			var meta []string
			for _, m := range []string{c.Source, c.Date} {
				if m != "" {
					meta = append(meta, m)
				}
			}
			if len(meta) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(meta, ", "))
			}
			fmt.Fprintf(&b, " [%s]\n", c.Passage)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printError reports a question that failed, in the shape of the output.
func printError(w io.Writer, question string, err error, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			Question string `json:"question"`
			Error    string `json:"error"`
		}{question, err.Error()})
	}
	_, werr := fmt.Fprintf(w, "error: %v\n", err)
	return werr
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
