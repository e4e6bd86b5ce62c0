package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
)

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeInProduction runs `talkbot serve` as an operator would, with
// a recognisable token and API key, through failing neighbours: the
// model answers 500 then 429 then a broken stream, Telegram answers 429
// and 502 and a getUpdates 500. Every question must get one reply;
// /healthz, /readyz and /metrics must tell what happened; the log must
// be one JSON object a line, one line a question, without question text;
// and neither secret may appear in a log line, a reply or a metric.
func TestServeInProduction(t *testing.T) {
	const (
		token = "7777:TOKEN-secret-do-not-leak"
		key   = "sk-KEY-secret-do-not-leak"
	)
	// The model answers each question from the passage that holds its
	// answer, and refuses the one the articles do not cover; which
	// question meets which fault depends on timing, so every path must
	// lead to the same outcomes.
	met := fakeopenai.Cite("last met for talks in Geneva", "Putin and Biden last met for talks in Geneva on June 16 [%[1]s].")
	headed := fakeopenai.Cite("headed by Deputy Foreign Minister Sergei Ryabkov", "The Russian delegation will be headed by Deputy Foreign Minister Sergei Ryabkov [%[1]s].")
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		switch q := req.Messages[len(req.Messages)-1].Content; {
		case strings.Contains(q, "delegation"):
			return headed(req)
		case strings.Contains(q, "meet in person"):
			return met(req)
		}
		return "NOT_IN_ARTICLES"
	})
	defer ai.Close()
	ai.Key = key
	tg := faketelegram.New(token, "talkbot_prod")
	defer tg.Close()
	metricsAddr := freeAddr(t)
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN":    token,
		"TELEGRAM_API_ENDPOINT": tg.URL,
		"OPENAI_API_KEY":        key,
		"OPENAI_BASE_URL":       ai.BaseURL(),
		"LLM_TIMEOUT":           "3s",
		"ADMIN_IDS":             "42",
		"METRICS_ADDR":          metricsAddr,
	}
	logs := &logbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), io.Discard, logs) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	if !tg.WaitFor(10*time.Second, func() bool { return tg.Calls("getUpdates") > 0 }) {
		t.Fatalf("serve did not start: %s", logs.String())
	}

	tg.Fail("getUpdates", faketelegram.Fault{Code: 500})
	tg.Fail("sendMessage", faketelegram.Fault{Code: 429, RetryAfter: 1}, faketelegram.Fault{Code: 502})
	ai.Fail(fakeopenai.Fault{Status: 500}, fakeopenai.Fault{Status: 500}, fakeopenai.Fault{Status: 500},
		fakeopenai.Fault{Status: 429, RetryAfter: "1"}, fakeopenai.Fault{Cut: true})
	questions := []string{"Where did Putin and Biden last meet in person?", "Who will head the Russian delegation at the Geneva talks?", "What is the capital of Australia?"}
	for i, q := range questions {
		tg.PushText(int64(500+i), q)
	}
	if !tg.WaitFor(60*time.Second, func() bool {
		for i := range questions {
			shown := tg.Shown(int64(500 + i))
			if len(shown) < 1 || shown[len(shown)-1].ParseMode != "HTML" { // a partial answer is plain text
				return false
			}
		}
		return true
	}) {
		t.Fatalf("not every question got a reply: %+v\n%s", tg.Sent(), logs.String())
	}
	time.Sleep(200 * time.Millisecond) // let the last log line out
	var replies strings.Builder
	for i := range questions {
		sent := tg.Shown(int64(500 + i))
		if len(sent) != 1 {
			t.Errorf("chat %d reads %d messages, want one reply", 500+i, len(sent))
		}
		for _, m := range sent {
			replies.WriteString(m.Text + "\n")
		}
	}

	if code, body := get(t, "http://"+metricsAddr+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if _, _, err := runCmd(t, map[string]string{"METRICS_ADDR": metricsAddr}, "", "healthcheck"); err != nil {
		t.Errorf("talkbot healthcheck against the running bot: %v", err)
	}
	if code, body := get(t, "http://"+metricsAddr+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	_, m := get(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		`talkbot_questions_total{outcome="answered"}`,
		`talkbot_questions_total{outcome="refused"} 1`,
		`talkbot_cache_lookups_total{result="miss"}`,
		`talkbot_llm_calls_total{kind="stream",outcome="error"}`,
		`talkbot_llm_calls_total{kind="stream",outcome="ok"}`,
		`talkbot_llm_latency_seconds_bucket{kind="stream",le="`,
		`talkbot_retrieval_latency_seconds_count`,
		`talkbot_telegram_errors_total{code="429"} 1`,
		`talkbot_telegram_errors_total{code="502"} 1`,
		`talkbot_telegram_errors_total{code="500"} 1`,
		`talkbot_reloads_total{outcome="ok"} 1`,
		`talkbot_corpus_documents 5`,
		`talkbot_corpus_info{version="`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	questionLines := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec["msg"] == "question" {
			questionLines++
			for _, f := range []string{"chat", "latency_ms", "cache_hit", "citations", "outcome"} {
				if _, ok := rec[f]; !ok {
					t.Errorf("question log line lacks %s: %s", f, line)
				}
			}
		}
		for _, q := range questions {
			if strings.Contains(line, q) {
				t.Errorf("the log holds a question's text without LOG_QUESTIONS: %s", line)
			}
		}
	}
	if questionLines != len(questions) {
		t.Errorf("%d question log lines, want %d\n%s", questionLines, len(questions), logs.String())
	}
	for name, text := range map[string]string{"logs": logs.String(), "replies": replies.String(), "metrics": m} {
		for _, secret := range []string{token, key, "TOKEN-secret", "KEY-secret"} {
			if strings.Contains(text, secret) {
				t.Errorf("a secret (%s…) appears in the %s", secret[:8], name)
			}
		}
	}
}

func TestConfigCommandMasksSecrets(t *testing.T) {
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN":      "1:TOKEN-xyz",
		"OPENAI_API_KEY":          "sk-KEY-xyz",
		"REDIS_URL":               "redis://user:PASSWORD-xyz@localhost:6379/0",
		"TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/hook",
		"TELEGRAM_WEBHOOK_SECRET": "HOOK-xyz",
		"ADMIN_IDS":               "7,3",
	}
	out, _, err := runCmd(t, vars, "", "config")
	if err != nil {
		t.Fatalf("config: %v\n%s", err, out)
	}
	for _, secret := range []string{"TOKEN-xyz", "KEY-xyz", "PASSWORD-xyz", "HOOK-xyz"} {
		if strings.Contains(out, secret) {
			t.Errorf("config prints %s", secret)
		}
	}
	for _, want := range []string{"mode                     LLM", "ADMIN_IDS                3,7", "redis://user:xxxxx@localhost:6379/0", "METRICS_ADDR             :9090", "TELEGRAM_BOT_TOKEN       ******** (set)"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	vars["ADMIN_IDS"] = "bob"
	delete(vars, "TELEGRAM_BOT_TOKEN")
	if _, _, err := runCmd(t, vars, "", "config"); err == nil || !strings.Contains(err.Error(), "bob") || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
		t.Errorf("config with problems: err %v, want both named", err)
	}
}
