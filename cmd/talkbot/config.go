package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/redisstore"
)

// config is the effective configuration: environment variables, then flags.
type config struct {
	CorpusDir       string
	IndexDir        string // "" keeps no snapshot
	OpenAIKey       string
	OpenAIBaseURL   string
	Model           string
	EmbeddingsModel string
	LLMTimeout      time.Duration
	LogLevel        string
	JSON            bool
	RedisURL        string
	RedisPrefix     string
	RedisTimeout    time.Duration
	CacheTTL        time.Duration
	Similarity      float64
}

// envVars documents every environment variable talkbot reads.
var envVars = [][2]string{
	{"CORPUS_DIR", "directory of .txt/.md articles (default: the embedded seed articles)"},
	{"INDEX_DIR", "where the parsed corpus and its index are kept between starts, one file per CORPUS_DIR; \"off\" keeps none (default: talkbot under the user's cache directory)"},
	{"OPENAI_API_KEY", "API key; setting it (or OPENAI_BASE_URL) turns on LLM mode"},
	{"OPENAI_BASE_URL", "OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama"},
	{"OPENAI_MODEL", "chat model (default " + llm.DefaultModel + ")"},
	{"EMBEDDINGS_MODEL", "embeddings model; setting it adds dense retrieval (needs LLM mode)"},
	{"LLM_TIMEOUT", "time limit of one LLM call, retries included (default 60s)"},
	{"LOG_LEVEL", "debug, info, warn or error (default warn; info for serve)"},
	{"REDIS_URL", "Redis for the answer cache (and, for serve, memory, limits, reloads, the shared Telegram pace); e.g. redis://localhost:6379/0, redis+sentinel://:pw@host:26379,host2:26379/mymaster/0, redis+cluster://host:7000,host2:7001"},
	{"REDIS_PREFIX", "prefix of every Redis key (default talkbot:)"},
	{"REDIS_TIMEOUT", "time limit of one Redis call (default 200ms)"},
	{"CACHE_TTL", "how long an answer is cached (default 24h)"},
	{"SEMANTIC_THRESHOLD", "with EMBEDDINGS_MODEL, cosine similarity at which a reworded question reuses a cached answer (default 0.95)"},
}

// usageError is a mistake in how talkbot was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errUsageShown means -h was asked for and help was printed.
var errUsageShown = errors.New("usage shown")

// loadConfig reads the environment, then parses the flags of one command
// over it. It returns the remaining arguments.
func loadConfig(name, synopsis string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (config, []string, error) {
	cfg := config{
		CorpusDir:       getenv("CORPUS_DIR"),
		IndexDir:        getenv("INDEX_DIR"),
		OpenAIKey:       getenv("OPENAI_API_KEY"),
		OpenAIBaseURL:   getenv("OPENAI_BASE_URL"),
		Model:           getenv("OPENAI_MODEL"),
		EmbeddingsModel: getenv("EMBEDDINGS_MODEL"),
		LogLevel:        getenv("LOG_LEVEL"),
		LLMTimeout:      llm.DefaultTimeout,
		RedisURL:        getenv("REDIS_URL"),
		RedisPrefix:     cmp.Or(getenv("REDIS_PREFIX"), redisstore.DefaultPrefix),
		RedisTimeout:    redisstore.DefaultTimeout,
		CacheTTL:        answer.DefaultCacheTTL,
		Similarity:      answer.DefaultSimilarity,
	}
	var errs []error
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"REDIS_TIMEOUT", &cfg.RedisTimeout}, {"CACHE_TTL", &cfg.CacheTTL}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 500ms or 24h", d.name, v))
			} else {
				*d.to = t
			}
		}
	}
	switch cfg.IndexDir {
	case "off":
		cfg.IndexDir = ""
	case "":
		// No cache directory (no HOME): no snapshot, every start parses.
		cfg.IndexDir = defaultCacheDir(getenv)
	}
	if v := getenv("SEMANTIC_THRESHOLD"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			errs = append(errs, fmt.Errorf("SEMANTIC_THRESHOLD=%q: want a number above 0 and at most 1", v))
		} else {
			cfg.Similarity = f
		}
	}
	if cfg.RedisURL != "" {
		if _, err := redisstore.CheckURL(cfg.RedisURL); err != nil {
			errs = append(errs, fmt.Errorf("REDIS_URL: %w", err)) // CheckURL never quotes the URL, which may hold a password
		}
	}
	if v := getenv("LLM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("LLM_TIMEOUT=%q: want a positive duration such as 30s", v))
		} else {
			cfg.LLMTimeout = d
		}
	}

	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.CorpusDir, "corpus", cfg.CorpusDir, "directory of .txt/.md articles (env CORPUS_DIR; default: embedded seeds)")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "chat model (env OPENAI_MODEL)")
	fs.DurationVar(&cfg.LLMTimeout, "timeout", cfg.LLMTimeout, "time limit of one LLM call (env LLM_TIMEOUT)")
	fs.BoolVar(&cfg.JSON, "json", false, "print JSON")
	if extra != nil {
		extra(fs)
	}
	rest, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "usage: talkbot %s\n\nflags:\n", synopsis)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nenvironment:")
		vars := envVars
		if name == "serve" {
			vars = append(vars, serveVars...)
		}
		for _, v := range vars {
			fmt.Fprintf(stderr, "  %-22s %s\n", v[0], v[1])
		}
		return cfg, nil, errUsageShown
	}
	if err != nil {
		return cfg, nil, usageError{fmt.Sprintf("%s: %v (see talkbot %s -h)", name, err, name)}
	}
	if cfg.LLMTimeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	if cfg.OpenAIBaseURL != "" {
		if u, err := url.Parse(cfg.OpenAIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("OPENAI_BASE_URL: want an http:// or https:// URL"))
		}
	}
	if cfg.EmbeddingsModel != "" && !cfg.llmMode() {
		errs = append(errs, errors.New("EMBEDDINGS_MODEL needs OPENAI_API_KEY or OPENAI_BASE_URL"))
	}
	switch strings.ToLower(cfg.LogLevel) {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", cfg.LogLevel))
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return cfg, nil, usageError{strings.Join(msgs, "; ")} // every problem, on one line
	}
	return cfg, rest, nil
}

// llmMode reports whether answers come from an LLM.
func (c config) llmMode() bool { return c.OpenAIKey != "" || c.OpenAIBaseURL != "" }

// parseInterspersed parses flags wherever they stand among the arguments,
// so that both `ask --json "q"` and `ask "q" --json` work; "--" ends flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}
