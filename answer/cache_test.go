package answer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/redisstore"
	"github.com/talkbot/talkbot/retrieval"
)

func TestNormalizeKeepsMeaning(t *testing.T) {
	same := [][2]string{
		{"How long did the call last?", "how long did the call last"},
		{"How  long did\tthe call last ?!", "HOW LONG DID THE CALL LAST."},
		{"What did Putin say?", "What did ＰＵＴＩＮ say?"}, // full-width letters
		{"Why didn't they agree?", "Why didn’t they agree?"},
		{"What happened on 2021-06-16?", "what happened on 2021-06-16"},
		{"Café talks?", "Cafe\u0301 talks?"}, // composed and decomposed é
		{"Is it \"final\"?", "Is it «final»?"},
	}
	differ := [][2]string{
		{"Did Biden agree to the demands?", "Did Biden not agree to the demands?"},
		{"Did Biden agree to the demands?", "Didn't Biden agree to the demands?"},
		{"What did Putin say about NATO?", "What did Biden say about NATO?"},
		{"What happened on June 16?", "What happened on June 17?"},
		{"What happened on 2021-06-16?", "What happened on 2021-06-17?"},
		{"Were 3.5 million troops sent?", "Were 35 million troops sent?"},
		{"Is the limit 1,000?", "Is the limit 1000?"},
		{"Was it -5 degrees?", "Was it 5 degrees?"},
		{"Who met in 2021?", "Who met in 2022?"},
	}
	key := func(q string) string {
		return answer.CacheKey(answer.KeyParts{CorpusVersion: "v", Mode: "llm", Model: "m", PromptVersion: "p", Question: q})
	}
	for _, p := range same {
		if key(p[0]) != key(p[1]) {
			t.Errorf("%q and %q should share a key (%q vs %q)", p[0], p[1], answer.Normalize(p[0]), answer.Normalize(p[1]))
		}
	}
	for _, p := range differ {
		if key(p[0]) == key(p[1]) {
			t.Errorf("%q and %q must not share a key (both %q)", p[0], p[1], answer.Normalize(p[0]))
		}
	}
}

func TestCacheKeyParts(t *testing.T) {
	base := answer.KeyParts{CorpusVersion: "v1", Mode: "llm", Model: "gpt", PromptVersion: "p1", Question: "q"}
	for name, change := range map[string]func(*answer.KeyParts){
		"corpus version": func(p *answer.KeyParts) { p.CorpusVersion = "v2" },
		"mode":           func(p *answer.KeyParts) { p.Mode = "offline" },
		"model":          func(p *answer.KeyParts) { p.Model = "llama" },
		"prompt version": func(p *answer.KeyParts) { p.PromptVersion = "p2" },
		"question":       func(p *answer.KeyParts) { p.Question = "q2" },
	} {
		p := base
		change(&p)
		if answer.CacheKey(p) == answer.CacheKey(base) {
			t.Errorf("changing the %s keeps the key", name)
		}
	}
}

// cachedService is one bot process: its own LLM client and Redis
// connection, sharing the LLM server, Redis and corpus with the others.
func cachedService(t *testing.T, srv *redistest.Server, ai *fakeopenai.Server, live *retrieval.Live) *answer.Service {
	t.Helper()
	store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "test-model", Timeout: 5 * time.Second})
	return answer.NewService(live, client, nil, answer.Options{Cache: store.Cache(), Model: client.Model()})
}

func TestCacheMissThenHit(t *testing.T) {
	srv := redistest.Start(t)
	var calls atomic.Int64
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		calls.Add(1)
		if strings.Contains(req.Messages[0].Content, "standalone question") {
			return "Who leads the American delegation at the Geneva talks?"
		}
		return "Wendy Sherman [1]."
	})
	t.Cleanup(ai.Close)
	svc := cachedService(t, srv, ai, seedIndex(t))
	ctx := context.Background()

	first, err := svc.Answer(ctx, answer.Request{Question: "Who leads the American delegation at the Geneva talks?"})
	if err != nil || first.Cached || !first.Answered {
		t.Fatalf("first answer %+v, %v: want a fresh answer", first, err)
	}
	second, err := svc.Answer(ctx, answer.Request{Question: "who leads the American delegation at the Geneva talks"})
	if err != nil || !second.Cached || second.Text != first.Text || len(second.Citations) != len(first.Citations) {
		t.Fatalf("second answer %+v, %v: want the cached one", second, err)
	}
	if second.Question != "who leads the American delegation at the Geneva talks" {
		t.Errorf("a cached answer carries the earlier asker's question %q", second.Question)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d LLM calls, want 1", n)
	}
	// A follow-up is cached under its condensed question: one condense call, no answer call.
	third, err := svc.Answer(ctx, answer.Request{Question: "And the American one?", History: []answer.Turn{{Question: "Who leads the Russian delegation?", Answer: "Ryabkov [1]."}}})
	if err != nil || !third.Cached || third.Text != first.Text {
		t.Errorf("follow-up %+v, %v: want the cached answer of its condensed question", third, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d LLM calls, want 2 (the condense step only)", n)
	}
	if st := svc.Stats(); st.CacheHits != 2 || st.Questions != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestCachedRefusalNotServedAfterReload(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("# Talks\n\nThe presidents spoke for two hours about Ukraine.\n"), 0o644)
	lib, _, err := library.Open(context.Background(), dir, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		if strings.Contains(req.Messages[1].Content, "twelve residents") {
			return "It has twelve residents [1]."
		}
		return "NOT_IN_ARTICLES"
	})
	t.Cleanup(ai.Close)
	svc := cachedService(t, srv, ai, lib.Live())
	ctx := context.Background()
	q := answer.Request{Question: "How many residents does the lunar base have?"}
	for i := range 2 {
		a, err := svc.Answer(ctx, q)
		if err != nil || a.Answered || a.Cached != (i == 1) {
			t.Fatalf("ask %d: %+v, %v; want a refusal, cached the second time", i+1, a, err)
		}
	}
	os.WriteFile(filepath.Join(dir, "b.md"), []byte("# Lunar base opens\n\nThe lunar base opened on Monday with twelve residents.\n"), 0o644)
	if _, err := lib.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := svc.Answer(ctx, q)
	if err != nil || a.Cached || !a.Answered || !strings.Contains(a.Text, "twelve") {
		t.Errorf("after reload: %+v, %v; want a fresh answer from the new corpus", a, err)
	}
}

func TestConcurrentIdenticalQuestionsOneLLMCall(t *testing.T) {
	srv := redistest.Start(t)
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Two hours [1]." })
	ai.Latency = 300 * time.Millisecond
	t.Cleanup(ai.Close)
	live := seedIndex(t)
	procs := []*answer.Service{cachedService(t, srv, ai, live), cachedService(t, srv, ai, live)}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	texts := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := procs[i%2].Answer(context.Background(), answer.Request{Question: "How long did the video talks last?"})
			errs <- err
			texts <- a.Text
		}()
	}
	wg.Wait()
	close(errs)
	close(texts)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for text := range texts {
		if text != "Two hours [1]." {
			t.Errorf("answer %q", text)
		}
	}
	if n := len(ai.Chats()); n != 1 {
		t.Errorf("%d LLM calls for 20 identical questions in two processes, want 1", n)
	}
}

func TestSameFacts(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"How long did the video talks last?", "How long did the talks by video last?", true},
		{"What did Putin say about NATO?", "What did Putin tell reporters about NATO?", true},
		{"Did Biden agree to the demands?", "Did Biden not agree to the demands?", false},
		{"Did Biden agree to the demands?", "Didn't Biden agree to the demands?", false},
		{"Did Putin warn Biden?", "Did Biden warn Putin?", false},
		{"What did Putin say about NATO?", "What did Lavrov say about NATO?", false},
		{"What happened on June 16?", "What happened on June 17?", false},
		{"What happened in June?", "What happened in July?", false},
		{"Were 3,000 troops sent?", "Were 30,000 troops sent?", false},
		{"What happened before the summit?", "What happened after the summit?", false},
	}
	for _, tt := range tests {
		if got := answer.SameFacts(tt.a, tt.b); got != tt.same {
			t.Errorf("SameFacts(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

// embedder embeds with the fake server's bag-of-words vectors.
type embedder struct{}

func (embedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = fakeopenai.Vector(t)
	}
	return out, nil
}

func TestSemanticCache(t *testing.T) {
	srv := redistest.Start(t)
	store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string { return "An answer [1]." })
	t.Cleanup(ai.Close)
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
	svc := answer.NewService(seedIndex(t), client, nil, answer.Options{
		SkipSupportCheck: true, // its scripted reply cites at random
		Cache:            store.Cache(), Similar: store.Similar(time.Hour), Embedder: embedder{}, Model: "m",
		Similarity: 0.8, // the fake's vectors are cruder than a real model's
	})
	ctx := context.Background()
	ask := func(q string) answer.Answer {
		t.Helper()
		a, err := svc.Answer(ctx, answer.Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ask("Did Putin warn Biden about sanctions over Ukraine?")
	tests := []struct {
		q      string
		cached bool
	}{
		{"Did Putin warn Biden about the sanctions over Ukraine?", true}, // reworded
		{"Did Biden warn Putin about sanctions over Ukraine?", false},    // names swapped
		{"Did Putin not warn Biden about sanctions over Ukraine?", false},
		{"Did Putin warn Biden about sanctions over Ukraine in 2022?", false},
		{"Did Lavrov warn Biden about sanctions over Ukraine?", false},
	}
	for _, tt := range tests {
		if a := ask(tt.q); a.Cached != tt.cached {
			t.Errorf("%q: cached = %v, want %v", tt.q, a.Cached, tt.cached)
		}
	}
}

// TestCachedAnswerWithoutIndex: CachedAnswer finds, with the corpus
// version alone and a service holding no index, the answer Answer
// cached, for LLM and offline answers; another corpus version, a
// follow-up or an uncached question miss, and no LLM is called.
func TestCachedAnswerWithoutIndex(t *testing.T) {
	srv := redistest.Start(t)
	var calls atomic.Int64
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		calls.Add(1)
		return "Wendy Sherman [1]."
	})
	t.Cleanup(ai.Close)
	live := seedIndex(t)
	version := live.Index().Corpus().Version
	ctx := context.Background()
	const q = "Who leads the American delegation at the Geneva talks?"

	store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "test-model", Timeout: 5 * time.Second})
	for _, mode := range []struct {
		name string
		chat answer.Chat
	}{{"llm", client}, {"offline", nil}} {
		t.Run(mode.name, func(t *testing.T) {
			opts := answer.Options{Cache: store.Cache(), Model: "test-model"}
			full := answer.NewService(live, mode.chat, nil, opts)
			want, err := full.Answer(ctx, answer.Request{Question: q})
			if err != nil || want.Cached {
				t.Fatalf("first answer %+v, %v", want, err)
			}
			before := calls.Load()
			bare := answer.NewService(retrieval.NewLive(nil), mode.chat, nil, opts)
			got, ok := bare.CachedAnswer(ctx, version, answer.Request{Question: "who leads the American delegation at the Geneva talks"})
			if !ok || !got.Cached || got.Text != want.Text || len(got.Citations) != len(want.Citations) {
				t.Fatalf("CachedAnswer = %+v, %v; want the cached %q", got, ok, want.Text)
			}
			if again, err := full.Answer(ctx, answer.Request{Question: q}); err != nil || !again.Cached || again.Text != got.Text {
				t.Fatalf("Answer from the cache %+v differs from CachedAnswer's", again)
			}
			for _, miss := range []struct {
				version string
				req     answer.Request
			}{
				{version + "x", answer.Request{Question: q}},
				{version, answer.Request{Question: "Who leads the Russian delegation?"}},
				{version, answer.Request{Question: q, History: []answer.Turn{{Question: "Geneva?", Answer: "Yes."}}}},
				{version, answer.Request{Question: "?!"}},
			} {
				if a, ok := bare.CachedAnswer(ctx, miss.version, miss.req); ok {
					t.Errorf("CachedAnswer(%s, %q) hit: %q", miss.version, miss.req.Question, a.Text)
				}
			}
			if calls.Load() != before {
				t.Error("CachedAnswer called the LLM")
			}
		})
	}
}
