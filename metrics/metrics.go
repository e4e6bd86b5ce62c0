// Package metrics keeps the bot's Prometheus metrics and serves them
// with the health checks an orchestrator probes. Each part of the bot
// reports through a small interface of its own (answer.Observer,
// llm.Observer, bot.Observer, library.Observer); *Metrics implements them
// all, so no part depends on Prometheus.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
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
	llmCalls       *prometheus.CounterVec
	llmTokens      *prometheus.CounterVec
	llmLatency     *prometheus.HistogramVec
	retrieval      prometheus.Histogram
	telegramErrors *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	docs, passages prometheus.Gauge
	version        *prometheus.GaugeVec
}

// New returns metrics registered in a new registry, together with the Go
// runtime's and the process's own.
func New() *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{
		registry: r,
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_questions_total", Help: "Questions by outcome: answered, refused (not in the articles), error.",
		}, []string{"outcome"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "talkbot_cache_lookups_total", Help: "Answer cache lookups by result: hit or miss.",
		}, []string{"result"}),
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
	for _, c := range []prometheus.Collector{m.questions, m.cache, m.llmCalls, m.llmTokens, m.llmLatency, m.retrieval, m.telegramErrors, m.reloads, m.docs, m.passages, m.version} {
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
// network failure.
func (m *Metrics) TelegramError(code int) { m.telegramErrors.WithLabelValues(strconv.Itoa(code)).Inc() }

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

// Mux serves /metrics, /healthz (the process answers) and /readyz (every
// check passes, each within 2 s; 503 and the reasons otherwise).
func Mux(m *Metrics, checks map[string]Check) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var failed []byte
		for name, check := range checks {
			if err := check(ctx); err != nil {
				failed = append(failed, name+": "+err.Error()+"\n"...)
			}
		}
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write(failed)
			return
		}
		w.Write([]byte("ready\n"))
	})
	return mux
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
