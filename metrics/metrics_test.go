package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/metrics"
)

func scrape(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestMetrics(t *testing.T) {
	m := metrics.New()
	m.Question("answered")
	m.Question("answered")
	m.Question("error")
	m.CacheLookup(true)
	m.CacheLookup(false)
	m.ModelCall("chat", 1500*time.Millisecond, nil, 100, 20)
	m.ModelCall("chat", time.Second, fmt.Errorf("call: %w", context.DeadlineExceeded), 0, 0)
	m.ModelCall("embed", time.Second, errors.New("500"), 0, 0)
	m.Retrieval(300 * time.Microsecond)
	m.TelegramError(429)
	m.TelegramError(0)
	m.Loaded(5, 33, "v1", nil)
	m.Loaded(0, 0, "", errors.New("broken"))
	m.Loaded(6, 40, "v2", nil)
	_, body := scrape(t, m.Handler(), "/metrics")
	for _, want := range []string{
		`talkbot_questions_total{outcome="answered"} 2`,
		`talkbot_questions_total{outcome="error"} 1`,
		`talkbot_cache_lookups_total{result="hit"} 1`,
		`talkbot_cache_lookups_total{result="miss"} 1`,
		`talkbot_llm_calls_total{kind="chat",outcome="ok"} 1`,
		`talkbot_llm_calls_total{kind="chat",outcome="timeout"} 1`,
		`talkbot_llm_calls_total{kind="embed",outcome="error"} 1`,
		`talkbot_llm_tokens_total{kind="prompt"} 100`,
		`talkbot_llm_tokens_total{kind="completion"} 20`,
		`talkbot_llm_latency_seconds_bucket{kind="chat",le="2"} 2`,
		`talkbot_retrieval_latency_seconds_count 1`,
		`talkbot_telegram_errors_total{code="429"} 1`,
		`talkbot_telegram_errors_total{code="0"} 1`,
		`talkbot_reloads_total{outcome="ok"} 2`,
		`talkbot_reloads_total{outcome="error"} 1`,
		`talkbot_corpus_documents 6`,
		`talkbot_corpus_passages 40`,
		`talkbot_corpus_info{version="v2"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `version="v1"`) {
		t.Error("the old corpus version is still reported")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	ok := metrics.Probe{Check: func(context.Context) error { return nil }}
	redisDown := metrics.Probe{Optional: true, Check: func(context.Context) error { return errors.New("dial tcp: connection refused") }}
	noCorpus := metrics.Probe{Check: func(context.Context) error { return errors.New("no corpus loaded") }}
	hangs := metrics.Probe{Optional: true, Check: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
	tests := []struct {
		name     string
		probes   map[string]metrics.Probe
		telegram []int // error codes reported before probing
		health   int
		code     int
		want     []string
		dont     []string
	}{
		{name: "ready", probes: map[string]metrics.Probe{"corpus": ok}, health: 200, code: 200, want: []string{"ready\n"}, dont: []string{"degraded"}},
		{name: "redis down is degraded, not unready", probes: map[string]metrics.Probe{"corpus": ok, "redis": redisDown},
			health: 200, code: 200, want: []string{"ready (degraded)", "redis: dial tcp: connection refused"}},
		{name: "no corpus is unready", probes: map[string]metrics.Probe{"corpus": noCorpus, "redis": redisDown},
			health: 200, code: 503, want: []string{"not ready", "corpus: no corpus loaded", "redis: dial tcp"}},
		{name: "a hanging check times out alone", probes: map[string]metrics.Probe{"corpus": ok, "redis": hangs},
			health: 200, code: 200, want: []string{"ready (degraded)", "redis: context deadline exceeded"}},
		{name: "passing failures leave health alone", probes: map[string]metrics.Probe{"corpus": ok}, telegram: []int{0, 429, 500, 502, 400, 403},
			health: 200, code: 200, want: []string{"ready\n"}},
		{name: "revoked token", probes: map[string]metrics.Probe{"corpus": ok}, telegram: []int{502, 401, 0},
			health: 503, code: 503, want: []string{"telegram rejected the bot token (401 Unauthorized)"}},
		{name: "wrong token", probes: map[string]metrics.Probe{"corpus": ok}, telegram: []int{404, 401},
			health: 503, code: 503, want: []string{"telegram rejected the bot token (404 Not Found)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			for _, code := range tt.telegram {
				m.TelegramError(code)
			}
			mux := metrics.Mux(m, tt.probes)
			if code, body := scrape(t, mux, "/healthz"); code != tt.health {
				t.Errorf("/healthz %d %q, want %d", code, body, tt.health)
			} else if code != 200 && !strings.Contains(body, "telegram rejected the bot token") {
				t.Errorf("/healthz %d %q does not say why", code, body)
			}
			code, body := scrape(t, mux, "/readyz")
			if code != tt.code {
				t.Errorf("/readyz %d %q, want %d", code, body, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("/readyz body %q lacks %q", body, w)
				}
			}
			for _, d := range tt.dont {
				if strings.Contains(body, d) {
					t.Errorf("/readyz body %q has %q", body, d)
				}
			}
		})
	}
}
