package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/inbox"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/metrics"
	"github.com/talkbot/talkbot/redisstore"
	"github.com/talkbot/talkbot/snapshot"
	"github.com/talkbot/talkbot/webfetch"
)

// serveVars documents the variables only serve reads.
var serveVars = [][2]string{
	{"TELEGRAM_BOT_TOKEN", "the bot's token from @BotFather (required)"},
	{"TELEGRAM_API_ENDPOINT", "another Bot API server, e.g. http://localhost:8081 (default Telegram's)"},
	{"ADMIN_IDS", "comma-separated Telegram user ids allowed /reload and /stats"},
	{"HISTORY_TURNS", "turns remembered per chat for follow-ups (default 6)"},
	{"HISTORY_IDLE", "idle time after which a conversation is forgotten (default 1h)"},
	{"TELEGRAM_WEBHOOK_URL", "public HTTPS URL for webhook mode (default: long polling)"},
	{"TELEGRAM_WEBHOOK_SECRET", "secret Telegram sends with each update (required in webhook mode)"},
	{"LISTEN_ADDR", "address the webhook server listens on (default :8080)"},
	{"RATE_LIMIT", "questions a minute each user may ask (default 20)"},
	{"METRICS_ADDR", "address of /metrics, /healthz and /readyz (default :9090; off turns them off)"},
	{"LOG_QUESTIONS", "true puts the text of questions in the log (default false: privacy)"},
	{"STATE_DIR", "where updates taken and not yet answered are kept across crashes (default: the user's cache directory; off: memory only)"},
	{"FETCH_TIMEOUT", "time limit of fetching one /add link, body included (default 20s, at most 2m)"},
	{"FETCH_MAX_SIZE", "largest page /add fetches, e.g. 5MiB, 800KB or a number of bytes (default 5MiB, at most 100MiB)"},
	{"FETCH_MAX_REDIRECTS", "redirects /add follows (default 5, 1 to 20)"},
	{"FETCH_ALLOW", "for tests only: comma-separated address ranges (10.0.0.0/8, 127.0.0.1) /add may fetch from despite the guard against private addresses"},
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, sc, err := loadServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := serveLogger(stderr, logLevel(cfg.LogLevel, slog.LevelInfo))
	m := metrics.New()

	chat, ropts, svcOpts := answerParts(cfg, m)
	svcOpts.FallbackOffline = true // a user always gets a reply
	svcOpts.HistoryTurns = sc.turns
	svcOpts.Observer = m
	// At start there is no corpus to fall back on: serve the good articles
	// beside a bad file rather than not start. Reloads stay all or nothing.
	var snapshots *snapshot.Store
	if cfg.IndexDir != "" {
		snapshots = snapshot.New(cfg.IndexDir, snapshot.Options{Log: log})
	}
	lib, rep, skipped, err := library.OpenWith(ctx, library.Config{Dir: cfg.CorpusDir, Retrieval: ropts, Snapshots: snapshots, Lenient: true})
	if err != nil {
		return err
	}
	lib.Observe(m)
	log.Info("corpus loaded", "version", rep.Version, "docs", rep.Docs, "passages", rep.Passages, "warnings", len(rep.Warnings), "skipped", len(skipped), "took_ms", rep.Took.Milliseconds(), "from_snapshot", rep.Unchanged)
	for _, w := range rep.Warnings {
		log.Warn("corpus", "warning", w)
	}
	for _, f := range skipped {
		log.Error("corpus file skipped: serving the other articles; fix or remove it, then /reload", "file", f.Path, "err", f.Err)
	}
	started := lib.Live().Index()

	// Readiness: the bot cannot answer without a corpus or Telegram
	// (required); it answers degraded without Redis or with files skipped
	// (optional). The handler reads the map, so it is complete before the
	// server starts; what changes later is behind atomics.
	var (
		telegramDown atomic.Pointer[error] // nil once connected
		redisStore   atomic.Pointer[redisstore.Store]
	)
	notYet := errors.New("connecting")
	telegramDown.Store(&notYet)
	checks := map[string]metrics.Probe{
		"corpus": {Check: func(context.Context) error {
			if lib.Live().Index() == nil {
				return errors.New("no corpus loaded")
			}
			return nil
		}},
		"telegram": {Check: func(context.Context) error {
			if err := telegramDown.Load(); err != nil {
				return *err
			}
			return nil
		}},
	}
	if len(skipped) > 0 {
		checks["corpus files"] = metrics.Probe{Optional: true, Check: func(context.Context) error {
			if lib.Live().Index() != started {
				return nil // a reload since, all or nothing, succeeded
			}
			return fmt.Errorf("%d bad file(s) skipped at start, named in the log", len(skipped))
		}}
	}
	if cfg.RedisURL != "" {
		checks["redis"] = metrics.Probe{Optional: true, Check: func(ctx context.Context) error {
			if s := redisStore.Load(); s != nil {
				return s.Ping(ctx)
			}
			return errors.New("not opened yet")
		}}
	}
	// Served before connecting to Telegram, so that /healthz answers
	// while the connection is retried.
	if sc.metricsAddr != "" {
		ln, err := net.Listen("tcp", sc.metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: listen on %s: %w", sc.metricsAddr, err)
		}
		mux := metrics.Mux(m, checks)
		go func() {
			if err := metrics.Serve(ctx, ln, mux, log); err != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
		log.Info("metrics", "addr", ln.Addr().String())
	}

	// Telegram unreachable or answering 5xx as the bot starts is a blip:
	// try getMe again, with exponential backoff and jitter, until ctx
	// ends, rather than exit and be restarted in a loop. A token Telegram
	// refuses (401, 404) never comes right: exit at once. Errors pass
	// through bot.RedactingClient, so they never hold the token.
	const poll = 30 * time.Second
	client := bot.NewClient(sc.token, poll+15*time.Second)
	connectClient := bot.NewClient(sc.token, 10*time.Second) // bounds an attempt
	retry := backoff.NewExponentialBackOff()
	retry.InitialInterval = 500 * time.Millisecond
	retry.MaxInterval = 30 * time.Second
	attempt := 0
	api, err := backoff.Retry(ctx, func() (*tgbotapi.BotAPI, error) {
		attempt++
		api, err := tgbotapi.NewBotAPIWithClient(sc.token, sc.endpoint, connectClient)
		if err == nil {
			return api, nil
		}
		var tgErr *tgbotapi.Error
		code := 0
		if errors.As(err, &tgErr) {
			code = tgErr.Code
		}
		m.TelegramError(code)
		err = errors.New(strings.ReplaceAll(err.Error(), sc.token, "<token>")) // belt and braces
		if code == http.StatusUnauthorized || code == http.StatusNotFound {
			return nil, backoff.Permanent(fmt.Errorf("connect to Telegram: Telegram rejected the bot token (%d %s): check TELEGRAM_BOT_TOKEN", code, http.StatusText(code)))
		}
		down := fmt.Errorf("not connected: %w", err)
		telegramDown.Store(&down)
		return nil, err
	}, backoff.WithBackOff(retry), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, wait time.Duration) {
		log.Warn("telegram unreachable; retrying", "attempt", attempt, "err", err, "retry_in", wait.Round(time.Millisecond))
	}))
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped before Telegram answered", "attempts", attempt)
			return nil
		}
		return err
	}
	api.Client = client
	telegramDown.Store(nil)
	log.Info("telegram connected", "bot", api.Self.UserName, "attempts", attempt)

	mem := bot.NewLocalMemory(sc.turns, sc.idle)
	var memory bot.Memory = mem
	bcfg := bot.Config{
		Admins:       sc.admins,
		PollTimeout:  poll,
		FileEndpoint: sc.fileEndpoint,
		Limiter:      bot.NewLocalLimiter(sc.perMinute),
		Observer:     m,
		LogQuestions: sc.logQuestions,
		ChatQueue:    sc.perMinute,
		// Past the LLM's own limits (the follow-up rewrite, then the
		// answer), so that they fire first and the answer falls back offline.
		AnswerTimeout: 2*cfg.LLMTimeout + 30*time.Second,
		Fetch:         sc.fetch,
	}
	if len(sc.fetch.Allow) > 0 {
		log.Warn("FETCH_ALLOW lets /add fetch from these private or special addresses; it is meant for tests", "ranges", fmt.Sprint(sc.fetch.Allow))
	}
	if sc.stateDir != "" {
		path := filepath.Join(sc.stateDir, fmt.Sprintf("inbox-%d.log", api.Self.ID))
		ib, pending, err := inbox.Open(path)
		if err != nil {
			log.Warn("no inbox: unanswered updates are kept in memory only, and may be lost or answered twice if the process dies", "err", err)
		} else {
			defer ib.Close()
			bcfg.Inbox = ib
			log.Info("inbox", "path", path, "pending", len(pending))
		}
	}
	if cfg.RedisURL != "" {
		redisstore.QuietDriverLogs(log) // go-redis's own lines (failed dials…) as debug records here, not plain text on stderr
		store, err := openStore(cfg, log)
		if err != nil {
			return err
		}
		defer store.Close()
		redisStore.Store(store)
		svcOpts.Cache = store.Cache()
		svcOpts.Similar = store.Similar(cfg.CacheTTL)
		memory = store.Memory(sc.turns, sc.idle, mem)
		bcfg.Limiter = store.Limiter(sc.perMinute, bcfg.Limiter)
		bcfg.Updates = store.Updates(api.Self.ID)
		self := redisstore.NewInstance()
		log.Info("replica", "instance", self.ID, "host", self.Host)
		// Replicas: each chat answered by one process at a time, in order;
		// in polling mode one process polls and hands updates out.
		bcfg.ChatOrder = store.Chats(api.Self.ID, self.ID, 0)
		if sc.webhook.URL == "" {
			bcfg.Relay = store.Relay(api.Self.ID, self.ID, 0, 0)
		}
		peers := store.Peers(self)
		peers.Announce(ctx, rep.Version)
		bcfg.Peers = peers
		bcfg.Pacer = store.Pacer(api.Self.ID, peers, redisstore.PacerOptions{})
		go peers.Watch(ctx, func(ctx context.Context, version string) {
			if lib.Live().Index().Corpus().Version == version {
				return
			}
			rep, err := lib.Reload(ctx)
			if err != nil {
				log.Error("reload announced by another process failed; the old corpus keeps serving", "version", version, "err", err)
				return
			}
			log.Info("corpus reloaded, as another process did", "version", rep.Version, "announced", version, "docs", rep.Docs)
			peers.Announce(ctx, rep.Version)
		})
	} else {
		svcOpts.Cache = answer.NewLocalCache(10000, cfg.CacheTTL)
		svcOpts.Similar = answer.NewLocalSimilar(2000)
	}

	svc := answer.NewService(lib.Live(), chat, log, svcOpts)
	bcfg.Stats = svc.Stats
	redisMode := "none"
	if s := redisStore.Load(); s != nil {
		redisMode = string(s.Mode())
	}
	log.Info("serving", "bot", api.Self.UserName, "mode", svc.Mode(), "admins", len(sc.admins), "redis", redisMode)
	b := bot.New(api, svc, lib, memory, bcfg, log)
	if sc.webhook.URL == "" {
		return b.Run(ctx)
	}
	ln, err := net.Listen("tcp", sc.listen)
	if err != nil {
		return fmt.Errorf("webhook: listen on %s: %w", sc.listen, err)
	}
	return b.ServeWebhook(ctx, sc.webhook, ln)
}

// loadServe reads and checks serve's whole configuration, reporting
// every problem at once, before anything starts: the common settings,
// serve's own, and whether the corpus directory can be read.
func loadServe(args []string, getenv func(string) string, stderr io.Writer) (config, serveConfig, error) {
	cfg, rest, err := loadConfig("serve", "serve [flags]", args, getenv, stderr, nil)
	if errors.Is(err, errUsageShown) {
		return cfg, serveConfig{}, err
	}
	var problems []string
	var ue usageError
	if errors.As(err, &ue) {
		problems = append(problems, ue.msg)
	} else if err != nil {
		return cfg, serveConfig{}, err
	}
	if len(rest) > 0 {
		problems = append(problems, fmt.Sprintf("serve: unexpected argument %q", rest[0]))
	}
	sc, err := loadServeConfig(getenv)
	if errors.As(err, &ue) {
		problems = append(problems, ue.msg)
	}
	if err := checkCorpusDir(cfg.CorpusDir); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return cfg, sc, usageError{strings.Join(problems, "; ")}
	}
	return cfg, sc, nil
}

// checkCorpusDir reports a corpus directory that cannot be read; what is
// in it is checked when it loads.
func checkCorpusDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("CORPUS_DIR=%q: %v", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("CORPUS_DIR=%q: not a directory", dir)
	}
	if _, err := os.ReadDir(dir); err != nil {
		return fmt.Errorf("CORPUS_DIR=%q: cannot be read: %v", dir, errors.Unwrap(err))
	}
	return nil
}

// serveLogger logs JSON, one object a line, for log collectors; text when
// a person watches stderr on a terminal. A duration is written as text
// ("1.5s"), never as a bare count of nanoseconds (fields named *_ms
// carry milliseconds).
func serveLogger(stderr io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		return a
	}}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(stderr, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(stderr, opts))
}

type serveConfig struct {
	token, endpoint string
	fileEndpoint    string
	admins          map[int64]bool
	turns           int
	idle            time.Duration
	webhook         bot.Webhook // URL empty: long polling
	listen          string
	perMinute       int
	metricsAddr     string // "" means no metrics server
	logQuestions    bool
	stateDir        string           // "" means no inbox
	fetch           webfetch.Options // the limits of /add's fetches
}

var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// loadServeConfig reads and checks serve's variables, reporting every
// problem at once.
func loadServeConfig(getenv func(string) string) (serveConfig, error) {
	sc := serveConfig{token: getenv("TELEGRAM_BOT_TOKEN"), endpoint: tgbotapi.APIEndpoint, fileEndpoint: tgbotapi.FileEndpoint, admins: map[int64]bool{}, turns: 6, idle: time.Hour}
	var problems []string
	if sc.token == "" {
		problems = append(problems, "TELEGRAM_BOT_TOKEN is not set")
	}
	if e := strings.TrimRight(getenv("TELEGRAM_API_ENDPOINT"), "/"); e != "" {
		if !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
			problems = append(problems, "TELEGRAM_API_ENDPOINT: want an http:// or https:// URL")
		} else {
			base := strings.TrimSuffix(e, "/bot%s/%s")
			sc.endpoint = base + "/bot%s/%s"
			sc.fileEndpoint = base + "/file/bot%s/%s"
		}
	}
	for _, f := range strings.Split(getenv("ADMIN_IDS"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("ADMIN_IDS: %q is not a numeric user id", f))
			continue
		}
		sc.admins[id] = true
	}
	if v := getenv("HISTORY_TURNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("HISTORY_TURNS=%q: want a positive number", v))
		}
		sc.turns = n
	}
	if v := getenv("HISTORY_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("HISTORY_IDLE=%q: want a duration such as 1h", v))
		}
		sc.idle = d
	}
	sc.perMinute = bot.DefaultQuestionsPerMinute
	if v := getenv("RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("RATE_LIMIT=%q: want a positive number of questions a minute", v))
		}
		sc.perMinute = n
	}
	sc.webhook = bot.Webhook{URL: getenv("TELEGRAM_WEBHOOK_URL"), Secret: getenv("TELEGRAM_WEBHOOK_SECRET")}
	sc.listen = cmp.Or(getenv("LISTEN_ADDR"), ":8080")
	if sc.webhook.URL != "" {
		u, err := url.Parse(sc.webhook.URL)
		localAPI := getenv("TELEGRAM_API_ENDPOINT") != "" // a self-hosted Bot API server also posts to http://
		if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && localAPI) {
			problems = append(problems, "TELEGRAM_WEBHOOK_URL: want an https:// URL")
		}
		if !webhookSecret.MatchString(sc.webhook.Secret) {
			problems = append(problems, "TELEGRAM_WEBHOOK_SECRET: set it to 1-256 letters, digits, '_' or '-' in webhook mode")
		}
		if _, _, err := net.SplitHostPort(sc.listen); err != nil {
			problems = append(problems, fmt.Sprintf("LISTEN_ADDR=%q: want host:port, such as :8080", sc.listen))
		}
	}
	sc.metricsAddr = ":9090"
	if v, set := lookup(getenv, "METRICS_ADDR"); set {
		sc.metricsAddr = v
	}
	if sc.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(sc.metricsAddr); err != nil {
			problems = append(problems, fmt.Sprintf("METRICS_ADDR=%q: want host:port, such as :9090, or empty for none", sc.metricsAddr))
		}
	}
	sc.stateDir = defaultCacheDir(getenv)
	if v, set := lookup(getenv, "STATE_DIR"); set {
		sc.stateDir = v
	}
	if v := getenv("LOG_QUESTIONS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("LOG_QUESTIONS=%q: want true or false", v))
		}
		sc.logQuestions = b
	}
	problems = append(problems, loadFetch(getenv, &sc.fetch)...)
	if len(problems) > 0 {
		return sc, usageError{strings.Join(problems, "; ")}
	}
	return sc, nil
}

// Bounds of the fetch settings.
const (
	maxFetchSize      = 100 << 20
	maxFetchRedirects = 20
)

// loadFetch reads the limits of the pages /add fetches into o, and
// returns what is wrong with them.
func loadFetch(getenv func(string) string, o *webfetch.Options) []string {
	*o = webfetch.Options{Timeout: webfetch.DefaultTimeout, MaxBytes: webfetch.DefaultMaxBytes, MaxRedirects: webfetch.DefaultMaxRedirects}
	var problems []string
	if v := getenv("FETCH_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > bot.AddTimeout {
			problems = append(problems, fmt.Sprintf("FETCH_TIMEOUT=%q: want a positive duration of at most %s, such as 20s", v, bot.AddTimeout))
		} else {
			o.Timeout = d
		}
	}
	if v := getenv("FETCH_MAX_SIZE"); v != "" {
		n, err := parseSize(v)
		if err != nil || n <= 0 || n > maxFetchSize {
			problems = append(problems, fmt.Sprintf("FETCH_MAX_SIZE=%q: want a size of at most 100MiB, such as 5MiB, 800KB or 1048576", v))
		} else {
			o.MaxBytes = n
		}
	}
	if v := getenv("FETCH_MAX_REDIRECTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFetchRedirects {
			problems = append(problems, fmt.Sprintf("FETCH_MAX_REDIRECTS=%q: want a number from 1 to %d", v, maxFetchRedirects))
		} else {
			o.MaxRedirects = n
		}
	}
	for _, f := range strings.Split(getenv("FETCH_ALLOW"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			ip, ierr := netip.ParseAddr(f)
			if ierr != nil {
				problems = append(problems, fmt.Sprintf("FETCH_ALLOW: %q is not an address range such as 127.0.0.1/32 or an address", f))
				continue
			}
			p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			// The guard compares IPv4 addresses unmapped: so must the range be.
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		o.Allow = append(o.Allow, p.Masked())
	}
	return problems
}

// sizeUnits are the units parseSize reads, by suffix, longest first.
var sizeUnits = []struct {
	suffix string
	n      int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}

// parseSize reads a size in bytes: a whole number, with an optional unit
// (B, KB, MB, GB in powers of 1000; KiB, MiB, GiB in powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	if n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q out of range", s)
	}
	return n * mult, nil
}

// lookup reads a variable whose default is on, so that it can be turned
// off. getenv cannot tell a variable set empty from one unset, so "off"
// (or "none", "-") turns it off; empty or unset keeps the default.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	switch v {
	case "":
		return "", false
	case "-", "none", "off":
		return "", true
	}
	return v, true
}

// defaultCacheDir is talkbot's directory in the user's cache directory
// (os.UserCacheDir's rule, read through getenv), or "" if there is none:
// the default of STATE_DIR and INDEX_DIR.
func defaultCacheDir(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "talkbot")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "talkbot")
	}
	return ""
}
