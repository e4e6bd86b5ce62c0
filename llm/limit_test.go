package llm_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
)

// words returns n words of text, each "word" and a space: n tokens to
// the fake, 5n bytes.
func words(n int) string { return strings.Repeat("word ", n) }

// call asks c for a reply, streamed or not, and returns it with the
// pieces streamed.
func call(t *testing.T, c *llm.Client, stream bool) (string, []string, error) {
	t.Helper()
	if !stream {
		reply, err := c.Complete(context.Background(), "system", "question")
		return reply, nil, err
	}
	var pieces []string
	reply, err := c.Stream(context.Background(), "system", "question", func(d string) { pieces = append(pieces, d) })
	return reply, pieces, err
}

func TestReplyLimits(t *testing.T) {
	tests := []struct {
		name    string
		cfg     llm.Config
		reply   string
		tooLong bool
	}{
		{name: "short reply", reply: "Two hours [1]."},
		{name: "exactly the token limit", cfg: llm.Config{MaxTokens: 20}, reply: words(20)},
		{name: "one token over: the server stops at length", cfg: llm.Config{MaxTokens: 20}, reply: words(21), tooLong: true},
		{name: "200 KB reply, default limits", reply: words(40_000), tooLong: true},
		// A server that writes on past max_tokens, or a limit raised high:
		// the byte cap still holds.
		{name: "200 KB reply past a raised token limit", cfg: llm.Config{MaxTokens: 100_000, MaxReplyBytes: llm.DefaultMaxReplyBytes}, reply: words(40_000), tooLong: true},
		{name: "exactly the byte cap", cfg: llm.Config{MaxTokens: 100_000, MaxReplyBytes: 5 * 1000}, reply: words(1000)},
		{name: "one byte over the byte cap", cfg: llm.Config{MaxTokens: 100_000, MaxReplyBytes: 5*1000 - 1}, reply: words(1000), tooLong: true},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += ", streamed"
			}
			t.Run(name, func(t *testing.T) {
				srv := fakeopenai.New(func(openai.ChatCompletionRequest) string { return tt.reply })
				defer srv.Close()
				cfg := tt.cfg
				cfg.BaseURL, cfg.Model = srv.BaseURL(), "m"
				c := llm.New(cfg)
				got, pieces, err := call(t, c, stream)
				if !tt.tooLong {
					if err != nil || got != tt.reply {
						t.Fatalf("reply of %d bytes, err %v; want the whole %d bytes", len(got), err, len(tt.reply))
					}
					return
				}
				if !errors.Is(err, llm.ErrTooLong) {
					t.Fatalf("err = %v, want ErrTooLong", err)
				}
				if got != "" {
					t.Errorf("a too-long reply came back as %d bytes of text", len(got))
				}
				limit := cfg.MaxReplyBytes
				if limit == 0 {
					limit = llm.DefaultMaxReplyBytes
				}
				if n := len(strings.Join(pieces, "")); n > limit {
					t.Errorf("streamed %d bytes, past the %d-byte cap", n, limit)
				}
			})
		}
	}
}

func TestTokenLimitIsSent(t *testing.T) {
	tests := []struct {
		name           string
		cfg            llm.Config
		short, stream  bool
		wantMax        int // max_tokens
		wantCompletion int // max_completion_tokens
	}{
		{name: "answer", wantMax: llm.DefaultMaxTokens},
		{name: "answer streamed", stream: true, wantMax: llm.DefaultMaxTokens},
		{name: "short reply", short: true, wantMax: llm.DefaultMaxShortTokens},
		{name: "configured", cfg: llm.Config{MaxTokens: 300, MaxShortTokens: 40}, wantMax: 300},
		{name: "configured short", cfg: llm.Config{MaxTokens: 300, MaxShortTokens: 40}, short: true, wantMax: 40},
		{name: "local model", cfg: llm.Config{Model: "llama3.1:8b"}, wantMax: llm.DefaultMaxTokens},
		// OpenAI's reasoning models take only max_completion_tokens.
		{name: "reasoning model", cfg: llm.Config{Model: "o3-mini"}, wantCompletion: llm.DefaultMaxTokens},
		{name: "reasoning model streamed", cfg: llm.Config{Model: "gpt-5-mini"}, stream: true, wantCompletion: llm.DefaultMaxTokens},
		{name: "reasoning model short", cfg: llm.Config{Model: "gpt-5-mini"}, short: true, wantCompletion: llm.DefaultMaxShortTokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeopenai.New(echo)
			defer srv.Close()
			cfg := tt.cfg
			cfg.BaseURL = srv.BaseURL()
			c := llm.New(cfg)
			var err error
			switch {
			case tt.short:
				_, err = c.CompleteShort(context.Background(), "s", "u")
			default:
				_, _, err = call(t, c, tt.stream)
			}
			if err != nil {
				t.Fatal(err)
			}
			req := srv.Chats()[0]
			if req.MaxTokens != tt.wantMax || req.MaxCompletionTokens != tt.wantCompletion {
				t.Errorf("max_tokens %d, max_completion_tokens %d; want %d, %d", req.MaxTokens, req.MaxCompletionTokens, tt.wantMax, tt.wantCompletion)
			}
		})
	}
}

// countingTransport counts the response body bytes its client reads.
type countingTransport struct {
	base http.RoundTripper
	read atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, &t.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestRunawayBody(t *testing.T) {
	const size = 30 << 20
	tests := []struct {
		name   string
		fault  fakeopenai.Fault
		stream bool
		max    int64 // MaxBodyBytes; the default when zero
	}{
		{name: "30 MB completion", fault: fakeopenai.Fault{BodySize: size}},
		{name: "30 MB server-sent event", fault: fakeopenai.Fault{BodySize: size}, stream: true},
		{name: "small cap", fault: fakeopenai.Fault{BodySize: size}, max: 64 << 10},
		// A body whose Content-Length is over the cap is not read at all.
		{name: "declared length over the cap", fault: fakeopenai.Fault{Body: `{"choices":[{"message":{"content":"` + strings.Repeat("x", 3000) + `"}}]}`}, max: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeopenai.New(echo)
			defer srv.Close()
			srv.Fail(tt.fault)
			tr := &countingTransport{base: &http.Transport{}}
			c := llm.New(llm.Config{BaseURL: srv.BaseURL(), Model: "m", MaxTries: 1, MaxBodyBytes: tt.max, HTTPClient: &http.Client{Transport: tr}})
			_, _, err := call(t, c, tt.stream)
			if !errors.Is(err, llm.ErrTooLong) {
				t.Errorf("err = %v, want ErrTooLong", err)
			}
			limit := tt.max
			if limit == 0 {
				limit = llm.DefaultMaxBodyBytes
			}
			if n := tr.read.Load(); n > limit+1 {
				t.Errorf("read %d bytes of the body, past the %d-byte cap", n, limit)
			}
			srv.Close() // waits for the handler to give up
			if tt.fault.BodySize > 0 && srv.BodyBytes() >= tt.fault.BodySize {
				t.Errorf("the server wrote all %d bytes: the client read on", srv.BodyBytes())
			}
		})
	}
}
