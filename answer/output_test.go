package answer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
)

// limitedService is llmService with the LLM client's limits set by cfg.
func limitedService(t *testing.T, s script, cfg llm.Config, opts answer.Options) (*answer.Service, *fakeopenai.Server) {
	t.Helper()
	srv := fakeopenai.New(s.reply)
	t.Cleanup(srv.Close)
	cfg.BaseURL, cfg.Model, cfg.Timeout, cfg.MaxTries = srv.BaseURL(), "test-model", 10*time.Second, 2
	return answer.NewService(seedIndex(t), llm.New(cfg), nil, opts), srv
}

// runaway is a grounded answer going on for 200 KB, as in the incident.
var runaway = strings.Repeat("They talked for two hours [2]. ", 200<<10/31)

// noLimits lets a 200 KB reply through the LLM client, so that only the
// service's own cap stands in its way.
var noLimits = llm.Config{MaxTokens: 1_000_000, MaxShortTokens: 1_000_000, MaxReplyBytes: 1 << 20}

func TestRunawayReplyIsNotAnAnswer(t *testing.T) {
	const question = "How long did the video talks last?"
	followUp := []answer.Turn{{Question: "Who leads the Russian delegation in Geneva?", Answer: "Sergei Ryabkov [1]."}}
	tests := []struct {
		name    string
		script  script
		cfg     llm.Config
		faults  []fakeopenai.Fault
		stream  bool
		history []answer.Turn
		wantErr error // without the offline fallback
	}{
		{name: "200 KB reply stops at the token limit", script: script{answer: runaway}, wantErr: llm.ErrTooLong},
		{name: "200 KB reply streamed", script: script{answer: runaway}, stream: true, wantErr: llm.ErrTooLong},
		{name: "200 KB reply past the token limit", script: script{answer: runaway}, cfg: llm.Config{MaxTokens: 1_000_000, MaxReplyBytes: llm.DefaultMaxReplyBytes}, wantErr: llm.ErrTooLong},
		{name: "200 KB reply past the token limit, streamed", script: script{answer: runaway}, cfg: llm.Config{MaxTokens: 1_000_000, MaxReplyBytes: llm.DefaultMaxReplyBytes}, stream: true, wantErr: llm.ErrTooLong},
		{name: "200 KB reply from a chat without limits", script: script{answer: runaway}, cfg: noLimits, wantErr: answer.ErrReplyTooLong},
		{name: "200 KB reply from a chat without limits, streamed", script: script{answer: runaway}, cfg: noLimits, stream: true, wantErr: answer.ErrReplyTooLong},
		{name: "citation ranges grow past the cap", script: script{answer: strings.Repeat("Talks [1-6]. ", 1200)}, cfg: noLimits, wantErr: answer.ErrReplyTooLong},
		{name: "30 MB body", script: script{answer: runaway}, faults: []fakeopenai.Fault{{BodySize: 30 << 20}, {BodySize: 30 << 20}, {BodySize: 30 << 20}}, wantErr: llm.ErrTooLong},
		{name: "follow-up rewrite runs away", script: script{condensed: runaway, answer: "Two hours [1]."}, history: followUp, wantErr: llm.ErrTooLong},
		{name: "follow-up rewrite from a chat without limits", script: script{condensed: runaway, answer: "Two hours [1]."}, cfg: noLimits, history: followUp, wantErr: answer.ErrReplyTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, srv := limitedService(t, tt.script, tt.cfg, answer.Options{FallbackOffline: true, Cache: answer.NewLocalCache(10, time.Hour)})
			srv.Fail(tt.faults...)
			var partials []string
			req := answer.Request{Question: question, History: tt.history}
			if tt.stream {
				req.Progress = func(p string) { partials = append(partials, p) }
			}
			for ask := 1; ask <= 2; ask++ {
				a, err := svc.Answer(context.Background(), req)
				if err != nil {
					t.Fatalf("ask %d: %v", ask, err)
				}
				if a.Mode != answer.ModeOffline || a.Cached || len(a.Text) > answer.MaxReplyBytes {
					t.Fatalf("ask %d: mode %q, cached %v, %d bytes; want a fresh offline answer", ask, a.Mode, a.Cached, len(a.Text))
				}
				if tt.history == nil && (!a.Answered || !strings.Contains(a.Text, "two hours")) {
					t.Errorf("ask %d: fallback %q, want the offline answer", ask, a.Text)
				}
			}
			if st := svc.Stats(); st.LLMCalls != 2 || st.LLMErrors != 2 {
				t.Errorf("stats %+v: want each ask's one LLM call counted as failed", st)
			}
			if tt.stream && len(partials) == 0 {
				t.Error("nothing was streamed: the test does not exercise a partial reply")
			}
			for _, p := range partials {
				if len(p) > answer.MaxReplyBytes {
					t.Fatalf("a partial of %d bytes was shown", len(p))
				}
			}

			strict, srv := limitedService(t, tt.script, tt.cfg, answer.Options{})
			srv.Fail(tt.faults...)
			if _, err := strict.Answer(context.Background(), req); !errors.Is(err, tt.wantErr) {
				t.Errorf("without fallback: err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestTokenLimitsOnRequests(t *testing.T) {
	svc, srv := limitedService(t, script{condensed: "How long did the video talks last?", answer: "Two hours [1]."}, llm.Config{}, answer.Options{})
	_, err := svc.Answer(context.Background(), answer.Request{
		Question: "And how long did they last?",
		History:  []answer.Turn{{Question: "Did Putin and Biden talk by video?", Answer: "Yes [1]."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	chats := srv.Chats()
	if len(chats) != 2 {
		t.Fatalf("%d LLM calls, want condense then answer", len(chats))
	}
	for i, want := range []int{llm.DefaultMaxShortTokens, llm.DefaultMaxTokens} {
		if got := chats[i].MaxTokens; got != want {
			t.Errorf("call %d: max_tokens %d, want %d", i, got, want)
		}
	}
}
