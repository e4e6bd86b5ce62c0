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
	redisDown := errors.New("dial tcp: connection refused")
	tests := []struct {
		name   string
		checks map[string]metrics.Check
		code   int
		want   string
	}{
		{"ready", map[string]metrics.Check{"corpus": func(context.Context) error { return nil }}, 200, "ready"},
		{"redis down", map[string]metrics.Check{
			"corpus": func(context.Context) error { return nil },
			"redis":  func(context.Context) error { return redisDown },
		}, 503, "redis: dial tcp: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := metrics.Mux(metrics.New(), tt.checks)
			if code, _ := scrape(t, mux, "/healthz"); code != 200 {
				t.Errorf("/healthz %d, want 200 whatever the checks say", code)
			}
			code, body := scrape(t, mux, "/readyz")
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("/readyz %d %q, want %d %q", code, body, tt.code, tt.want)
			}
		})
	}
}
