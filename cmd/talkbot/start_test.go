package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/internal/redistest"
)

// startToken is recognisable, so that a test can tell it leaked.
const startToken = "4242:START-secret-do-not-leak"

// served is a `talkbot serve` running in the background for one test.
type served struct {
	tg      *faketelegram.Server
	logs    *logbuf.Buffer
	metrics string // base URL of /healthz, /readyz, /metrics
	done    chan error
}

// serveBackground starts serve offline against tg with vars added to the
// environment. When the test ends serve is stopped and must return nil,
// or an error accepted by okErr.
func serveBackground(t *testing.T, tg *faketelegram.Server, vars map[string]string, okErr func(error) bool) *served {
	t.Helper()
	addr := freeAddr(t)
	env0 := map[string]string{
		"TELEGRAM_BOT_TOKEN":    startToken,
		"TELEGRAM_API_ENDPOINT": tg.URL,
		"METRICS_ADDR":          addr,
		"ADMIN_IDS":             "42",
	}
	for k, v := range vars {
		env0[k] = v
	}
	s := &served{tg: tg, logs: &logbuf.Buffer{}, metrics: "http://" + addr, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { s.done <- run(ctx, []string{"serve"}, env(env0), strings.NewReader(""), io.Discard, s.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil && (okErr == nil || !okErr(err)) {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
		if strings.Contains(s.logs.String(), startToken) {
			t.Error("the token appears in the log")
		}
	})
	return s
}

// up waits until serve polls Telegram.
func (s *served) up(t *testing.T, within time.Duration) {
	t.Helper()
	if !s.tg.WaitFor(within, func() bool { return s.tg.Calls("getUpdates") > 0 }) {
		t.Fatalf("serve did not start polling within %s:\n%s", within, s.logs.String())
	}
}

// ask sends a question from chat and returns the text of the reply.
func (s *served) ask(t *testing.T, chat int64, q string) string {
	t.Helper()
	s.tg.PushText(chat, q)
	if !s.tg.WaitFor(20*time.Second, func() bool {
		shown := s.tg.Shown(chat)
		return len(shown) > 0 && shown[len(shown)-1].ParseMode == "HTML"
	}) {
		t.Fatalf("no reply to %q: %+v\n%s", q, s.tg.Sent(), s.logs.String())
	}
	shown := s.tg.Shown(chat)
	return shown[len(shown)-1].Text
}

// logLines returns the log's JSON objects with the given message.
func (s *served) logLines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// TestServeRetriesTelegramAtStart: Telegram answering 502 as the bot
// starts is a blip: serve retries getMe with backoff, logging each
// failure once, serves /healthz (200) and /readyz (503, Telegram not
// connected) meanwhile, then comes up and answers.
func TestServeRetriesTelegramAtStart(t *testing.T) {
	tg := faketelegram.New(startToken, "talkbot_retry")
	t.Cleanup(tg.Close) // after serve stops
	tg.Fail("getMe", faketelegram.Fault{Code: 502}, faketelegram.Fault{Code: 502}, faketelegram.Fault{Code: 502, Description: "Bad Gateway"})
	s := serveBackground(t, tg, nil, nil)

	if !tg.WaitFor(10*time.Second, func() bool {
		code, _ := tryGet(s.metrics + "/healthz")
		return code != 0
	}) {
		t.Fatalf("/healthz never answered while Telegram was retried:\n%s", s.logs.String())
	}
	if code, body := get(t, s.metrics+"/healthz"); code != 200 {
		t.Errorf("/healthz while connecting: %d %q, want 200", code, body)
	}
	// The retries take over a second, so the check falls within them
	// unless the machine is very slow.
	if code, body := get(t, s.metrics+"/readyz"); tg.Calls("getMe") < 4 && (code != 503 || !strings.Contains(body, "telegram: ")) {
		t.Errorf("/readyz while connecting: %d %q, want 503 naming telegram", code, body)
	} else if tg.Calls("getMe") >= 4 {
		t.Log("connected before /readyz was checked while connecting")
	}

	s.up(t, 20*time.Second)
	if n := tg.Calls("getMe"); n != 4 {
		t.Errorf("getMe called %d times, want 3 failures and a success", n)
	}
	if reply := s.ask(t, 7, "Where did Putin and Biden last meet in person?"); !strings.Contains(reply, "Geneva") {
		t.Errorf("reply %q, want Geneva", reply)
	}
	if code, body := get(t, s.metrics+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz once connected: %d %q, want 200 ready", code, body)
	}
	retries := s.logLines(t, "telegram unreachable; retrying")
	if len(retries) != 3 {
		t.Errorf("%d retry log lines, want one for each of the 3 failures:\n%s", len(retries), s.logs.String())
	}
	for _, r := range retries {
		if r["level"] != "WARN" || !strings.Contains(r["err"].(string), "Bad Gateway") {
			t.Errorf("retry log line %v, want a warning with the error", r)
		}
	}
	if got := s.logLines(t, "telegram connected"); len(got) != 1 || got[0]["attempts"] != 4.0 {
		t.Errorf("connected log lines %v, want one after 4 attempts", got)
	}
}

// TestServeRejectedTokenAtStart: a token Telegram refuses is not a blip:
// serve exits at once with an error that says so without the token.
func TestServeRejectedTokenAtStart(t *testing.T) {
	tests := []struct {
		name     string
		fakeWith string               // the token the fake accepts
		faults   []faketelegram.Fault // getMe's answers
		want     string
	}{
		{name: "revoked (401)", fakeWith: startToken, faults: []faketelegram.Fault{{Code: 401, Description: "Unauthorized"}}, want: "(401 Unauthorized)"},
		{name: "malformed (404)", fakeWith: startToken, faults: []faketelegram.Fault{{Code: 404, Description: "Not Found"}}, want: "(404 Not Found)"},
		{name: "another bot's", fakeWith: "1:other", want: "(401 Unauthorized)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := faketelegram.New(tt.fakeWith, "talkbot_rejected")
			defer tg.Close()
			tg.Fail("getMe", tt.faults...)
			logs := &logbuf.Buffer{}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			vars := map[string]string{"TELEGRAM_BOT_TOKEN": startToken, "TELEGRAM_API_ENDPOINT": tg.URL, "METRICS_ADDR": freeAddr(t)}
			start := time.Now()
			err := run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), io.Discard, logs)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("serve took %s to give up on a rejected token", took)
			}
			if err == nil || !strings.Contains(err.Error(), "rejected the bot token "+tt.want) || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
				t.Fatalf("err = %v, want the token named as rejected %s", err, tt.want)
			}
			if strings.Contains(err.Error(), startToken) || strings.Contains(logs.String(), startToken) {
				t.Errorf("the token leaked: %v\n%s", err, logs.String())
			}
			if n := tg.Calls("getMe"); tt.faults != nil && n != 1 {
				t.Errorf("getMe called %d times, want one: a rejected token is not retried", n)
			}
		})
	}
}

// TestServeHealthFailsOnRevokedToken: a token revoked while serving
// makes /healthz fail, so that the orchestrator restarts the bot or
// alerts, instead of it retrying forever reported healthy.
func TestServeHealthFailsOnRevokedToken(t *testing.T) {
	tg := faketelegram.New(startToken, "talkbot_revoked")
	t.Cleanup(tg.Close) // after serve stops
	// bot.Run may stop with an error on 401; what it must not do is leak the token.
	s := serveBackground(t, tg, nil, func(err error) bool {
		return strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "Unauthorized") || strings.Contains(err.Error(), "rejected")
	})
	s.up(t, 10*time.Second)
	if code, body := get(t, s.metrics+"/healthz"); code != 200 {
		t.Fatalf("/healthz before the token is revoked: %d %q", code, body)
	}
	revoked := make([]faketelegram.Fault, 20)
	for i := range revoked {
		revoked[i] = faketelegram.Fault{Code: 401, Description: "Unauthorized"}
	}
	tg.Fail("getUpdates", revoked...)
	tg.PushText(11, "hello") // ends the long poll in flight: the next one meets the 401
	var code int
	var body string
	if !tg.WaitFor(15*time.Second, func() bool {
		code, body = tryGet(s.metrics + "/healthz")
		return code == 503
	}) {
		t.Fatalf("/healthz after a 401: %d %q, want 503\n%s", code, body, s.logs.String())
	}
	if !strings.Contains(body, "telegram rejected the bot token") || strings.Contains(body, startToken) {
		t.Errorf("/healthz body %q, want it to say the token was rejected, without it", body)
	}
	if code, body := get(t, s.metrics+"/readyz"); code != 503 || !strings.Contains(body, "telegram rejected the bot token") {
		t.Errorf("/readyz after a 401: %d %q, want 503", code, body)
	}
	if _, _, err := runCmd(t, map[string]string{"METRICS_ADDR": strings.TrimPrefix(s.metrics, "http://")}, "", "healthcheck"); err == nil {
		t.Error("talkbot healthcheck passes with the token revoked")
	}
}

// TestServeSkipsBadCorpusFiles: one binary file in CORPUS_DIR no longer
// stops the bot from starting: it serves the good articles, logs an
// error naming the file, and /readyz says degraded, with a count only.
func TestServeSkipsBadCorpusFiles(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"lunar.md":     "# Lunar base opens\n\nThe lunar base opened on Monday with twelve residents from four countries.\n",
		"harbour.md":   "# Harbour bridge reopens\n\nThe harbour bridge reopened on Friday after two years of repairs.\n",
		"scan-017.txt": "PK\x03\x04\x14\x00\x00\x00\x08\x00binary",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tg := faketelegram.New(startToken, "talkbot_degraded")
	t.Cleanup(tg.Close) // after serve stops
	s := serveBackground(t, tg, map[string]string{"CORPUS_DIR": dir}, nil)
	s.up(t, 10*time.Second)

	if reply := s.ask(t, 9, "How many residents does the lunar base have?"); !strings.Contains(reply, "twelve") {
		t.Errorf("reply %q, want the lunar article's answer", reply)
	}
	skipped := s.logLines(t, "corpus file skipped: serving the other articles; fix or remove it, then /reload")
	if len(skipped) != 1 || skipped[0]["level"] != "ERROR" || skipped[0]["file"] != "scan-017.txt" {
		t.Errorf("skip log lines %v, want one error naming scan-017.txt\n%s", skipped, s.logs.String())
	}
	if loaded := s.logLines(t, "corpus loaded"); len(loaded) != 1 || loaded[0]["docs"] != 2.0 || loaded[0]["skipped"] != 1.0 || loaded[0]["took_ms"] == nil {
		t.Errorf("corpus loaded log lines %v, want 2 docs, 1 skipped and took_ms", loaded)
	}
	code, body := get(t, s.metrics+"/readyz")
	if code != 200 || !strings.Contains(body, "degraded") || !strings.Contains(body, "1 bad file(s) skipped") {
		t.Errorf("/readyz: %d %q, want 200 degraded with the count", code, body)
	}
	if strings.Contains(body, "scan-017") {
		t.Errorf("/readyz names the file over HTTP: %q", body)
	}
}

// TestServeSkipsNothingWhenAllBad: with no good article left, serve
// still refuses to start, naming the bad files.
func TestServeSkipsNothingWhenAllBad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "scan.txt"), []byte("PK\x03\x04\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := faketelegram.New(startToken, "talkbot_empty")
	defer tg.Close()
	vars := map[string]string{"TELEGRAM_BOT_TOKEN": startToken, "TELEGRAM_API_ENDPOINT": tg.URL, "METRICS_ADDR": "off", "CORPUS_DIR": dir}
	_, _, err := runCmd(t, vars, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "scan.txt: binary file") {
		t.Errorf("err = %v, want the bad file named", err)
	}
}

// TestServeReadyWithoutRedis: Redis is optional, the bot answers without
// it, so /readyz stays 200 and says degraded when Redis is down.
func TestServeReadyWithoutRedis(t *testing.T) {
	tests := []struct {
		name  string
		redis func(t *testing.T) (url string, stop func())
	}{
		{name: "down from the start", redis: func(t *testing.T) (string, func()) {
			return "redis://" + freeAddr(t) + "/0", nil
		}},
		{name: "goes down while serving", redis: func(t *testing.T) (string, func()) {
			r := redistest.Start(t)
			if r.Shared() {
				t.Skip("cannot stop a shared Redis")
			}
			return r.URL, r.Stop
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, stop := tt.redis(t)
			tg := faketelegram.New(startToken, "talkbot_noredis")
			t.Cleanup(tg.Close) // after serve stops
			s := serveBackground(t, tg, map[string]string{"REDIS_URL": url, "REDIS_PREFIX": "talkbot-start-test:"}, nil)
			s.up(t, 10*time.Second)
			chat := int64(300 + 10*i)
			if stop != nil {
				if code, body := get(t, s.metrics+"/readyz"); code != 200 || body != "ready\n" {
					t.Errorf("/readyz with Redis up: %d %q", code, body)
				}
				s.ask(t, chat, "Where did Putin and Biden last meet in person?")
				stop()
			}
			if reply := s.ask(t, chat+1, "Who will head the Russian delegation at the Geneva talks?"); reply == "" {
				t.Error("empty reply without Redis")
			}
			code, body := get(t, s.metrics+"/readyz")
			if code != 200 || !strings.Contains(body, "ready (degraded)") || !strings.Contains(body, "redis: ") {
				t.Errorf("/readyz with Redis down: %d %q, want 200 degraded naming redis", code, body)
			}
			if code, body := get(t, s.metrics+"/healthz"); code != 200 {
				t.Errorf("/healthz with Redis down: %d %q", code, body)
			}
		})
	}
}

// tryGet is get for a server that may not listen (yet): code 0 then.
func tryGet(url string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeWaitsForUnreachableTelegram: with nothing listening at the
// Bot API endpoint, serve keeps retrying, logging each failure without
// the token (the network error quotes the URL, which holds it), until
// it is stopped; then it returns without an error.
func TestServeWaitsForUnreachableTelegram(t *testing.T) {
	logs := &logbuf.Buffer{}
	vars := map[string]string{"TELEGRAM_BOT_TOKEN": startToken, "TELEGRAM_API_ENDPOINT": "http://" + freeAddr(t), "METRICS_ADDR": "off"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), io.Discard, logs) }()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), "telegram unreachable; retrying") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "telegram unreachable; retrying"); n < 2 {
		t.Fatalf("%d retries logged, want serve to keep trying:\n%s", n, logs.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve stopped while connecting: %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop while connecting")
	}
	out := logs.String()
	if strings.Contains(out, startToken) || strings.Contains(out, "START-secret") {
		t.Errorf("the token appears in the log:\n%s", out)
	}
	if !strings.Contains(out, "connection refused") || !strings.Contains(out, "<token>") {
		t.Errorf("the retries do not say what failed (redacted):\n%s", out)
	}
}
