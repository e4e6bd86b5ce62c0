package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/redistest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, env(vars), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestAskJSON(t *testing.T) {
	out, _, err := runCmd(t, nil, "", "ask", "--json", "How long did the Putin-Biden video conversation last?")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"answer", "answered", "cached", "citations", "corpus_version", "mode", "question"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("fields %v, want exactly %v", keys, want)
	}
	var a struct {
		Answer    string `json:"answer"`
		Answered  bool   `json:"answered"`
		Mode      string `json:"mode"`
		Citations []map[string]any
	}
	json.Unmarshal([]byte(out), &a)
	if !a.Answered || a.Mode != "offline" || !strings.Contains(a.Answer, "two hours") || len(a.Citations) == 0 {
		t.Fatalf("answer %+v", a)
	}
	var ckeys []string
	for k := range a.Citations[0] {
		ckeys = append(ckeys, k)
	}
	sort.Strings(ckeys)
	if want := []string{"date", "doc", "n", "passage", "source", "text", "title"}; !reflect.DeepEqual(ckeys, want) {
		t.Errorf("citation fields %v, want %v", ckeys, want)
	}
}

func TestAskText(t *testing.T) {
	out, _, err := runCmd(t, nil, "", "ask", "Where did Putin and Biden last meet?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Geneva") || !strings.Contains(out, "Sources:\n[1] No definite time set for Putin-Biden meeting yet, Kremlin says (TASS, November 9)") {
		t.Errorf("output:\n%s", out)
	}
	out, _, err = runCmd(t, nil, "", "ask", "What is the population of Canada?")
	if err != nil || strings.TrimSpace(out) != "The articles do not cover this." {
		t.Errorf("refusal output %q, err %v", out, err)
	}
}

func TestChat(t *testing.T) {
	in := "Who will lead the Russian delegation in Geneva?\nAnd who leads the American side?\n/reset\n\nWhat is the population of Canada?\n"
	out, _, err := runCmd(t, nil, in, "chat", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d output lines for 3 questions:\n%s", len(lines), out)
	}
	var answers []struct {
		Answer   string `json:"answer"`
		Answered bool   `json:"answered"`
	}
	for _, l := range lines {
		var a struct {
			Answer   string `json:"answer"`
			Answered bool   `json:"answered"`
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	if !strings.Contains(answers[0].Answer, "Ryabkov") || !strings.Contains(answers[1].Answer, "Sherman") || answers[2].Answered {
		t.Errorf("answers %+v", answers)
	}
}

// TestEvalDevSet is the acceptance bar of the offline mode on the dev set.
func TestEvalDevSet(t *testing.T) {
	out, _, err := runCmd(t, nil, "", "eval", "--qa", filepath.Join("..", "..", "qa", "testdata", "dev.jsonl"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Unanswerable    int     `json:"unanswerable"`
		RecallAt3       float64 `json:"recall_at_3"`
		AnswerAccuracy  float64 `json:"answer_accuracy"`
		RefusalAccuracy float64 `json:"refusal_accuracy"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@3 %.2f, answer accuracy %.2f, refusal accuracy %.2f", r.RecallAt3, r.AnswerAccuracy, r.RefusalAccuracy)
	if r.RecallAt3 < 0.9 || r.AnswerAccuracy < 0.8 || r.Unanswerable != 2 || r.RefusalAccuracy != 1 {
		t.Errorf("dev set: recall@3 %.2f (want ≥ 0.9), answer accuracy %.2f (want ≥ 0.8), refused %.0f%% of %d unanswerable (want all)",
			r.RecallAt3, r.AnswerAccuracy, 100*r.RefusalAccuracy, r.Unanswerable)
	}
}

func TestEvalTextListsFailures(t *testing.T) {
	dir := t.TempDir()
	qa := filepath.Join(dir, "qa.jsonl")
	os.WriteFile(qa, []byte(`{"id":"x1","question":"Where did Putin and Biden last meet?","docs":["004_c6c5edef42ed08a6"],"answer_any":["Reykjavik"]}`+"\n"), 0o644)
	out, _, err := runCmd(t, nil, "", "eval", "--qa", qa)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"recall@1 1.000", "answer accuracy 0.000", "x1: Where did Putin", `answer lacks all of ["Reykjavik"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
}

func TestSources(t *testing.T) {
	out, _, err := runCmd(t, nil, "", "sources")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5 documents", "004_c6c5edef42ed08a6\n  title:    No definite time set", "source:   TASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("sources output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		usage   bool
		wantErr string
	}{
		{"no command", nil, nil, true, "no command"},
		{"unknown command", nil, []string{"fly"}, true, `unknown command "fly"`},
		{"unknown flag", nil, []string{"ask", "--bogus", "q"}, true, "flag provided but not defined: -bogus"},
		{"no question", nil, []string{"ask", "--json"}, true, "no question given"},
		{"eval without qa", nil, []string{"eval"}, true, "--qa FILE is required"},
		{"bad timeout env", map[string]string{"LLM_TIMEOUT": "soon"}, []string{"ask", "q"}, true, `LLM_TIMEOUT="soon"`},
		{"bad base url", map[string]string{"OPENAI_BASE_URL": "localhost:1234"}, []string{"ask", "q"}, true, "OPENAI_BASE_URL"},
		{"embeddings without llm", map[string]string{"EMBEDDINGS_MODEL": "e"}, []string{"ask", "q"}, true, "EMBEDDINGS_MODEL needs"},
		{"missing corpus flag", nil, []string{"ask", "--corpus", missing, "q"}, false, "load corpus " + missing},
		{"missing corpus env", map[string]string{"CORPUS_DIR": missing}, []string{"sources"}, false, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, tt.vars, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			var ue usageError
			if errors.As(err, &ue) != tt.usage {
				t.Errorf("usage error = %v, want %v", !tt.usage, tt.usage)
			}
			if strings.Contains(err.Error(), "\n") && !tt.usage {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	_, stderr, err := runCmd(t, nil, "", "ask", "-h")
	if !errors.Is(err, errUsageShown) || !strings.Contains(stderr, "usage: talkbot ask") || !strings.Contains(stderr, "OPENAI_API_KEY") {
		t.Errorf("err %v, help:\n%s", err, stderr)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("Lunar base opens\n\nThe lunar base opened on Monday with twelve residents.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("Harbour reopens\n\nThe harbour reopened after the storm.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.md"), []byte("# Budget passes\n\nParliament passed the budget on Tuesday.\n"), 0o644)
	out, _, err := runCmd(t, map[string]string{"CORPUS_DIR": filepath.Join(dir, "missing")}, "", "ask", "How many residents does the lunar base have?", "--corpus", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "twelve residents") {
		t.Errorf("output %q", out)
	}
}

func TestAskLLMMode(t *testing.T) {
	const key = "sk-never-print-me"
	srv := fakeopenai.New(fakeopenai.Cite("lasted two hours", "The call lasted two hours [%[1]s]."))
	defer srv.Close()
	srv.Key = key
	vars := map[string]string{"OPENAI_API_KEY": key, "OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_MODEL": "m"}
	out, stderr, err := runCmd(t, vars, "", "ask", "--json", "How long did the Putin-Biden video call last?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"mode":"llm"`) || !strings.Contains(out, "two hours [1]") {
		t.Errorf("output %s", out)
	}
	if got := srv.Chats()[0].Model; got != "m" {
		t.Errorf("model %q, want OPENAI_MODEL", got)
	}

	srv.Fail(fakeopenai.Fault{Status: 401}, fakeopenai.Fault{Status: 401})
	out, stderr, err = runCmd(t, vars, "", "ask", "How long was the call?")
	if err == nil {
		t.Fatal("want an error when the server refuses")
	}
	if strings.Contains(err.Error()+stderr+out, key) {
		t.Errorf("the API key leaked: %v %s", err, stderr)
	}
}

func TestServeConfig(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		endpoint string
		wantErr  []string
	}{
		{"defaults", map[string]string{"TELEGRAM_BOT_TOKEN": "t"}, "https://api.telegram.org/bot%s/%s", nil},
		{"base endpoint", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "TELEGRAM_API_ENDPOINT": "http://localhost:8081/"}, "http://localhost:8081/bot%s/%s", nil},
		{"every problem at once", map[string]string{"ADMIN_IDS": "12, bob", "HISTORY_TURNS": "0", "TELEGRAM_API_ENDPOINT": "ftp://x"},
			"", []string{"TELEGRAM_BOT_TOKEN is not set", `"bob" is not a numeric user id`, "HISTORY_TURNS", "TELEGRAM_API_ENDPOINT"}},
		{"webhook", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/hook", "TELEGRAM_WEBHOOK_SECRET": "abc_DEF-123"}, "https://api.telegram.org/bot%s/%s", nil},
		{"webhook problems", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "TELEGRAM_WEBHOOK_URL": "http://bot.example.com/hook", "TELEGRAM_WEBHOOK_SECRET": "has space", "LISTEN_ADDR": "8080"},
			"", []string{"TELEGRAM_WEBHOOK_URL: want an https:// URL", "TELEGRAM_WEBHOOK_SECRET", "LISTEN_ADDR"}},
		{"webhook without secret", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/hook"},
			"", []string{"TELEGRAM_WEBHOOK_SECRET"}},
		{"common and serve problems together", map[string]string{"OPENAI_BASE_URL": "localhost:11434", "CORPUS_DIR": "/no/such/dir", "METRICS_ADDR": "9090", "LOG_QUESTIONS": "maybe", "CACHE_TTL": "forever"},
			"", []string{"OPENAI_BASE_URL", "TELEGRAM_BOT_TOKEN is not set", `CORPUS_DIR="/no/such/dir"`, "METRICS_ADDR", "LOG_QUESTIONS", "CACHE_TTL"}},
		{"corpus is a file", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "CORPUS_DIR": "run_test.go"}, "", []string{"not a directory"}},
		{"redis sentinel", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "REDIS_URL": "redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster/0"}, "https://api.telegram.org/bot%s/%s", nil},
		{"redis cluster", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "REDIS_URL": "redis+cluster://10.0.0.1:7000,10.0.0.2:7001"}, "https://api.telegram.org/bot%s/%s", nil},
		{"redis sentinel without a master name", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "REDIS_URL": "redis+sentinel://:PW-secret@10.0.0.1:26379"}, "", []string{"REDIS_URL: want /mastername"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, sc, err := loadServe(nil, env(tt.vars), io.Discard)
			if tt.wantErr == nil {
				if err != nil || sc.endpoint != tt.endpoint {
					t.Fatalf("endpoint %q, err %v", sc.endpoint, err)
				}
				return
			}
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("err %q quotes a password", err)
			}
		})
	}
}

func TestAskUsesRedisCache(t *testing.T) {
	srv := redistest.Start(t)
	vars := map[string]string{"REDIS_URL": srv.URL, "REDIS_PREFIX": srv.Prefix}
	for i, want := range []bool{false, true} {
		out, _, err := runCmd(t, vars, "", "ask", "--json", "Where did Putin and Biden last meet?")
		if err != nil {
			t.Fatal(err)
		}
		var a struct {
			Cached   bool `json:"cached"`
			Answered bool `json:"answered"`
		}
		if err := json.Unmarshal([]byte(out), &a); err != nil || !a.Answered || a.Cached != want {
			t.Errorf("ask %d: %s (err %v); want cached=%v", i+1, out, err, want)
		}
	}
	// A dead Redis costs the cache, not the answer.
	out, _, err := runCmd(t, map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, "", "ask", "Where did Putin and Biden last meet?")
	if err != nil || !strings.Contains(out, "Geneva") {
		t.Errorf("with Redis unreachable: %q, %v", out, err)
	}
}
