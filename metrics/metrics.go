// Package metrics keeps the bot's Prometheus metrics and serves them
// with the health checks an orchestrator probes. Each part of the bot
// reports through a small interface of its own (answer.Observer,
// llm.Observer, bot.Observer, library.Observer); *Metrics implements them
// all, so no part depends on Prometheus.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the bot's set of metrics, in a registry of its own so that
// tests and several bots in one process never share counters.
type Metrics struct {
	registry *prometheus.Registry

	questions      *prometheus.CounterVec
	cache          *prometheus.CounterVec
	support        *prometheus.CounterVec
	llmCalls       *prometheus.CounterVec
	llmTokens      *prometheus.CounterVec
	llmLatency     *prometheus.HistogramVec
	retrieval      prometheus.Histogram
	telegramErrors *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	docs, passages prometheus.Gauge
	version        *prometheus.GaugeVec

	// rejected is the code (401 or 404) of the first Telegram answer
	// that refused the bot token, 0 while none has: a revoked or wrong
	// token never comes right by retrying, so it is remembered for the
	// health checks rather than counted and forgotten.
	rejected atomic.Int64
}

// New returns metrics registered in a new registry, together with the Go
// runtime's and the process's own.
func New() *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{
		registry: r,
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_questions_total", Help: "Questions by outcome: answered, refused (not in the articles), empty (no words), undelivered (Telegram would not take the reply), error.",
		}, []string{"outcome"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_cache_lookups_total", Help: "Answer cache lookups by result: hit or miss.",
		}, []string{"result"}),
		support: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_support_sentences_total", Help: "Sentences of model answers by the support check's verdict: kept (its citations support it), dropped (they do not), uncited (stated something without a citation; counted also as kept or dropped).",
		}, []string{"verdict"}),
		llmCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_llm_calls_total", Help: "Calls to the language model by kind (chat, stream, embed) and outcome (ok, error, timeout).",
		}, []string{"kind", "outcome"}),
		llmTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_llm_tokens_total", Help: "Tokens the language model reported using, by kind: prompt or completion.",
		}, []string{"kind"}),
		llmLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "talkbot_llm_latency_seconds", Help: "Time of one call to the language model, retries included.",
			Buckets: []float64{.1, .25, .5, 1, 2, 4, 8, 16, 32, 64},
		}, []string{"kind"}),
		retrieval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "talkbot_retrieval_latency_seconds", Help: "Time of one passage search.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 14), // 50 µs to 0.4 s
		}),
		telegramErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_telegram_errors_total", Help: "Failed Telegram API calls by error code (0: network).",
		}, []string{"code"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_reloads_total", Help: "Corpus loads and reloads by outcome: ok or error.",
		}, []string{"outcome"}),
		docs:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "talkbot_corpus_documents", Help: "Documents in the corpus being served."}),
		passages: prometheus.NewGauge(prometheus.GaugeOpts{Name: "talkbot_corpus_passages", Help: "Passages in the corpus being served."}),
		version: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "talkbot_corpus_info", Help: "1, labelled with the version of the corpus being served.",
		}, []string{"version"}),
	}
	for _, c := range []prometheus.Collector{m.questions, m.cache, m.support, m.llmCalls, m.llmTokens, m.llmLatency, m.retrieval, m.telegramErrors, m.reloads, m.docs, m.passages, m.version} {
		f(c)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Question counts a question's outcome: "answered", "refused" or "error".
func (m *Metrics) Question(outcome string) { m.questions.WithLabelValues(outcome).Inc() }

// CacheLookup counts an answer cache hit or miss.
func (m *Metrics) CacheLookup(hit bool) {
	m.cache.WithLabelValues(map[bool]string{true: "hit", false: "miss"}[hit]).Inc()
}

// SupportCheck counts the support check's verdicts on one answer's
// sentences.
func (m *Metrics) SupportCheck(kept, dropped, uncited int) {
	m.support.WithLabelValues("kept").Add(float64(kept))
	m.support.WithLabelValues("dropped").Add(float64(dropped))
	m.support.WithLabelValues("uncited").Add(float64(uncited))
}

// Retrieval records how long a search took.
func (m *Metrics) Retrieval(took time.Duration) { m.retrieval.Observe(took.Seconds()) }

// ModelCall records one call to the language model: its kind (chat,
// stream, embed), time, outcome and the tokens it reported.
func (m *Metrics) ModelCall(kind string, took time.Duration, err error, promptTokens, completionTokens int) {
	outcome := "ok"
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		outcome = "timeout"
	case err != nil:
		outcome = "error"
	}
	m.llmCalls.WithLabelValues(kind, outcome).Inc()
	m.llmLatency.WithLabelValues(kind).Observe(took.Seconds())
	if promptTokens > 0 {
		m.llmTokens.WithLabelValues("prompt").Add(float64(promptTokens))
	}
	if completionTokens > 0 {
		m.llmTokens.WithLabelValues("completion").Add(float64(completionTokens))
	}
}

// TelegramError counts a failed Telegram call by its error code; 0 is a
// network failure. A 401 or 404 means Telegram refused the bot token
// (Telegram answers 404 to a malformed token, 401 to a revoked one): it
// is remembered, and /healthz fails from then on, so that the
// orchestrator restarts the bot or alerts instead of it retrying forever
// while reported healthy.
func (m *Metrics) TelegramError(code int) {
	m.telegramErrors.WithLabelValues(strconv.Itoa(code)).Inc()
	if code == http.StatusUnauthorized || code == http.StatusNotFound {
		m.rejected.CompareAndSwap(0, int64(code))
	}
}

// TokenRejected returns an error once Telegram has refused the bot token
// (an answer 401 or 404 to any call), nil until then.
func (m *Metrics) TokenRejected() error {
	code := int(m.rejected.Load())
	if code == 0 {
		return nil
	}
	return fmt.Errorf("telegram rejected the bot token (%d %s): check TELEGRAM_BOT_TOKEN", code, http.StatusText(code))
}

// Loaded records a corpus load or reload: on success, the corpus now
// served.
func (m *Metrics) Loaded(docs, passages int, version string, err error) {
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.docs.Set(float64(docs))
	m.passages.Set(float64(passages))
	m.version.Reset()
	m.version.WithLabelValues(version).Set(1)
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Check is a readiness check: nil when ready, else what is wrong.
type Check func(ctx context.Context) error

// Probe is one readiness check and whether the bot needs it to answer.
// The zero Optional is required: a failing required probe (no corpus,
// Telegram not connected) makes /readyz answer 503, since the bot cannot
// answer; a failing optional one (Redis: the bot answers from its own
// memory without it) leaves /readyz 200 and reports the bot degraded, so
// that a shared dependency's outage does not take every replica out of
// service.
type Probe struct {
	Check    Check
	Optional bool
}

// checkTimeout bounds each readiness check; probes run concurrently, so
// /readyz answers within it whatever hangs.
const checkTimeout = 2 * time.Second

// Mux serves /metrics, /healthz and /readyz.
//
// /healthz says whether the process is worth keeping: 200 while it runs,
// 503 once Telegram has rejected the bot token (see TelegramError).
//
// /readyz runs every probe, each within 2 s: 200 "ready" when all pass;
// 200 "ready (degraded)" and the failing optional probes, one a line,
// when only optional ones fail; 503 "not ready" and every failing probe
// when a required one fails or the token was rejected.
//
// The handlers read probes without locking: the map must be complete
// before the mux serves, and each probe safe to call concurrently.
func Mux(m *Metrics, probes map[string]Probe) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := m.TokenRejected(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		code, body := readiness(r.Context(), m, probes)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		w.Write([]byte(body))
	})
	return mux
}

// readiness runs the probes concurrently and returns /readyz's status
// and body.
func readiness(ctx context.Context, m *Metrics, probes map[string]Probe) (int, string) {
	names := make([]string, 0, len(probes))
	for name := range probes {
		names = append(names, name)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			errs[i] = probes[name].Check(ctx)
		})
	}
	wg.Wait()
	var required, optional []string
	if err := m.TokenRejected(); err != nil {
		required = append(required, "telegram: "+err.Error())
	}
	for i, name := range names {
		if errs[i] == nil {
			continue
		}
		line := name + ": " + strings.ReplaceAll(errs[i].Error(), "\n", "; ")
		if probes[name].Optional {
			optional = append(optional, line)
		} else {
			required = append(required, line)
		}
	}
	switch {
	case len(required) > 0:
		return http.StatusServiceUnavailable, "not ready\n" + lines(required) + lines(optional)
	case len(optional) > 0:
		return http.StatusOK, "ready (degraded)\n" + lines(optional)
	}
	return http.StatusOK, "ready\n"
}

func lines(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return strings.Join(ss, "\n") + "\n"
}

// Serve serves h on ln until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		log.Warn("metrics server shutdown", "err", err)
	}
	return nil
}
