package answer_test

import (
	"context"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/prompts"
	"github.com/talkbot/talkbot/redisstore"
)

// TestQuestionNotStalledByADeadHolder: a process that died while
// answering left its claim on the question in Redis (as one killed in a
// deploy does). Everyone else asking the same question must get an
// answer within seconds, not wait out the claim.
func TestQuestionNotStalledByADeadHolder(t *testing.T) {
	srv := redistest.Start(t)
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Two hours [1]." })
	t.Cleanup(ai.Close)
	live := seedIndex(t)
	store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
	svc := answer.NewService(live, client, nil, answer.Options{Cache: store.Cache(), Model: "m", LockWait: 300 * time.Millisecond, SkipSupportCheck: true})

	const q = "How long did the video call last?"
	key := answer.CacheKey(answer.KeyParts{CorpusVersion: live.Index().Corpus().Version, Mode: answer.ModeLLM, Model: "m", PromptVersion: prompts.Version, Question: q})
	if err := srv.Client().Set(context.Background(), srv.Prefix+"lock:"+key, "dead-holder", 2*time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := svc.Answer(ctx, answer.Request{Question: q})
	if err != nil || !a.Answered {
		t.Fatalf("answer %+v, %v: a dead holder's claim stalled the question", a, err)
	}
}

// TestLockRenewedWhileHeld: a live holder keeps its claim past the
// claim's short lifetime, so a slow answer is not made twice; released,
// the claim is free at once.
func TestLockRenewedWhileHeld(t *testing.T) {
	srv := redistest.Start(t)
	store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ctx := context.Background()
	cache := store.Cache()
	unlock, ok := cache.Lock(ctx, "k", 300*time.Millisecond)
	if !ok {
		t.Fatal("first lock refused")
	}
	time.Sleep(time.Second) // over three lifetimes of the claim
	if _, ok := cache.Lock(ctx, "k", 300*time.Millisecond); ok {
		t.Fatal("a live holder's claim expired: it was not renewed")
	}
	unlock()
	unlock2, ok := cache.Lock(ctx, "k", 300*time.Millisecond)
	if !ok {
		t.Fatal("a released claim is still held")
	}
	unlock2()
}

// TestOfflineAnswerWhenTimeRunsOut: when the caller's time runs out
// while the LLM is still writing (a model slower than the bot allows),
// the question still gets the offline answer; only a caller that gave
// up (cancelled) gets none.
func TestOfflineAnswerWhenTimeRunsOut(t *testing.T) {
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Geneva [1]." })
	ai.Latency = time.Minute
	t.Cleanup(ai.Close)
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Minute})
	svc := answer.NewService(seedIndex(t), client, nil, answer.Options{FallbackOffline: true})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	a, err := svc.Answer(ctx, answer.Request{Question: "Where did Putin and Biden last meet in person?"})
	if err != nil || a.Mode != answer.ModeOffline || !a.Answered {
		t.Fatalf("answer %+v, %v: want the offline answer", a, err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, ccancel)
	if _, err := svc.Answer(cctx, answer.Request{Question: "Where did Putin and Biden last meet in person?"}); err == nil {
		t.Error("a cancelled question was answered")
	}
}
