package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
)

func echo(req openai.ChatCompletionRequest) string {
	return "reply to: " + req.Messages[len(req.Messages)-1].Content
}

func TestComplete(t *testing.T) {
	const key = "sk-test-secret-key"
	tests := []struct {
		name      string
		faults    []fakeopenai.Fault
		key       string
		timeout   time.Duration
		want      string // reply, when no error
		wantErr   string
		wantTries int
	}{
		{name: "ok", key: key, want: "reply to: hi", wantTries: 1},
		{name: "429 then success", key: key, faults: []fakeopenai.Fault{{Status: 429, RetryAfter: "0"}}, want: "reply to: hi", wantTries: 2},
		{name: "503 twice then success", key: key, faults: []fakeopenai.Fault{{Status: 503}, {Status: 502}}, want: "reply to: hi", wantTries: 3},
		{name: "500 every time", key: key, faults: []fakeopenai.Fault{{Status: 500}, {Status: 500}, {Status: 500}}, wantErr: "server answered 500", wantTries: 3},
		{name: "bad key not retried", key: "wrong", wantErr: "server answered 401", wantTries: 1},
		{name: "malformed JSON", key: key, faults: []fakeopenai.Fault{{Status: 200, Body: `{"choices": [`}}, wantErr: "chat completion with test-model", wantTries: 1},
		{name: "stall past timeout", key: key, timeout: 200 * time.Millisecond, faults: []fakeopenai.Fault{{Delay: 5 * time.Second}}, wantErr: "no reply within 200ms", wantTries: 1},
		{name: "retry-after beyond deadline", key: key, timeout: time.Second, faults: []fakeopenai.Fault{{Status: 429, RetryAfter: "20"}}, wantErr: "server answered 429", wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeopenai.New(echo)
			defer srv.Close()
			srv.Key = key
			srv.Fail(tt.faults...)
			c := llm.New(llm.Config{APIKey: tt.key, BaseURL: srv.BaseURL(), Model: "test-model", Timeout: tt.timeout, MaxTries: 3})
			got, err := c.Complete(context.Background(), "system", "hi")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), tt.key) {
					t.Errorf("error leaks the API key: %v", err)
				}
			} else if err != nil || got != tt.want {
				t.Fatalf("Complete = %q, %v; want %q", got, err, tt.want)
			}
			if n := srv.Requests(); n != tt.wantTries {
				t.Errorf("server saw %d requests, want %d", n, tt.wantTries)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv := fakeopenai.New(echo)
	defer srv.Close()
	srv.Fail(fakeopenai.Fault{Status: 429, RetryAfter: "1"})
	c := llm.New(llm.Config{BaseURL: srv.BaseURL(), Timeout: 10 * time.Second})
	start := time.Now()
	if _, err := c.Complete(context.Background(), "s", "u"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v, before the 1s Retry-After", waited)
	}
}

func TestTimeoutError(t *testing.T) {
	srv := fakeopenai.New(echo)
	defer srv.Close()
	srv.Fail(fakeopenai.Fault{Delay: 5 * time.Second})
	c := llm.New(llm.Config{BaseURL: srv.BaseURL(), Timeout: 100 * time.Millisecond})
	_, err := c.Complete(context.Background(), "s", "u")
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

func TestEmbed(t *testing.T) {
	srv := fakeopenai.New(nil)
	defer srv.Close()
	c := llm.New(llm.Config{BaseURL: srv.BaseURL(), EmbeddingsModel: "emb"})
	vecs, err := c.Embed(context.Background(), []string{"alpha beta", "gamma"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2 || len(vecs[0]) != fakeopenai.Dims {
		t.Fatalf("got %d vectors", len(vecs))
	}
	if _, err := llm.New(llm.Config{BaseURL: srv.BaseURL()}).Embed(context.Background(), []string{"x"}); err == nil {
		t.Error("Embed without a model must fail")
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name    string
		faults  []fakeopenai.Fault
		want    string
		wantErr error
	}{
		{name: "whole reply", want: "reply to: the question asked here"},
		{name: "429 then stream", faults: []fakeopenai.Fault{{Status: 429, RetryAfter: "0"}}, want: "reply to: the question asked here"},
		{name: "stops halfway", faults: []fakeopenai.Fault{{Cut: true}}, wantErr: llm.ErrIncomplete},
		{name: "stall", faults: []fakeopenai.Fault{{Delay: 5 * time.Second}}, wantErr: llm.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeopenai.New(echo)
			defer srv.Close()
			srv.Fail(tt.faults...)
			c := llm.New(llm.Config{BaseURL: srv.BaseURL(), Model: "m", Timeout: 300 * time.Millisecond})
			var pieces []string
			got, err := c.Stream(context.Background(), "system", "the question asked here", func(d string) { pieces = append(pieces, d) })
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Stream = %q, %v; want %q", got, err, tt.want)
			}
			if len(pieces) < 2 || strings.Join(pieces, "") != got {
				t.Errorf("deltas %q do not add up to the reply in several pieces", pieces)
			}
		})
	}
}
