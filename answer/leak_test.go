package answer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/redisstore"
)

// TestFollowUpAnswerNeverServedToAnotherConversation is the leak of one
// user's conversation to another through the answer cache: whatever the
// follow-up rewrite returns, an answer that saw user A's conversation
// must not be served to user B, who typed the same words after another
// conversation — in one process, or across processes through Redis.
func TestFollowUpAnswerNeverServedToAnotherConversation(t *testing.T) {
	const followUp = "How long did it last?"
	rewrites := map[string]func(string) string{
		"empty rewrite":     func(string) string { return "" },
		"unchanged rewrite": func(q string) string { return q },
		"too long rewrite":  func(string) string { return strings.Repeat("blah ", 400) },
		"good rewrite":      func(string) string { return "How long did the Putin-Biden video call last?" },
	}
	srv := redistest.Start(t)
	for name, rewrite := range rewrites {
		t.Run(name, func(t *testing.T) {
			ai := fakeopenai.New(fakeopenai.EchoConversation(rewrite))
			t.Cleanup(ai.Close)
			live := seedIndex(t)
			caches := map[string]func() answer.Cache{
				"local": func() answer.Cache { return answer.NewLocalCache(100, time.Hour) },
				"redis": func() answer.Cache {
					store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix + strings.ReplaceAll(name, " ", "-") + ":"})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { store.Close() })
					return store.Cache()
				},
			}
			for cname, cache := range caches {
				t.Run(cname, func(t *testing.T) {
					shared := cache()
					service := func() *answer.Service {
						client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
						return answer.NewService(live, client, nil, answer.Options{Cache: shared, Model: "m", FallbackOffline: true})
					}
					ctx := context.Background()
					alice, bob := service(), service() // two processes sharing the cache
					a, err := alice.Answer(ctx, answer.Request{Question: followUp, History: []answer.Turn{
						{Question: "My doctor Alice-Secret-Diagnosis said I have an illness; does the call mention health?", Answer: "NOT_IN_ARTICLES"},
					}})
					if err != nil {
						t.Fatal(err)
					}
					b, err := bob.Answer(ctx, answer.Request{Question: followUp, History: []answer.Turn{
						{Question: "When did Putin and Biden talk by video?", Answer: "On December 7 [1]."},
					}})
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(b.Text, "Alice-Secret") {
						t.Fatalf("user B received user A's conversation: %q (cached %v; A's answer %q)", b.Text, b.Cached, a.Text)
					}
					if b.Question != followUp {
						t.Errorf("B's answer carries question %q", b.Question)
					}
				})
			}
		})
	}
}

// TestStandaloneRewriteIsAnsweredWithoutTheConversation: once a follow-up
// is rewritten to stand alone, the answer is written from the rewrite and
// the asker's own words, not the conversation; an answer to the
// standalone question asked directly serves the follow-up too, but not
// the other way round (the follow-up's words may be private).
func TestStandaloneRewriteIsAnsweredWithoutTheConversation(t *testing.T) {
	const rewrite = "How long did the Putin-Biden video call last?"
	ai := fakeopenai.New(fakeopenai.EchoConversation(func(string) string { return rewrite }))
	t.Cleanup(ai.Close)
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
	svc := answer.NewService(seedIndex(t), client, nil, answer.Options{Cache: answer.NewLocalCache(10, time.Hour), Model: "m", SkipSupportCheck: true})
	ctx := context.Background()
	followUp := func(words string) answer.Answer {
		t.Helper()
		a, err := svc.Answer(ctx, answer.Request{Question: words, History: []answer.Turn{{Question: "private words", Answer: "x"}}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	followUp("How long did my Ivan-Private call last?")
	chats := ai.Chats()
	if len(chats) != 2 {
		t.Fatalf("%d LLM calls, want condense and answer", len(chats))
	}
	p := chats[1].Messages[1].Content
	if strings.Contains(p, "private words") || !strings.Contains(p, rewrite) || !strings.Contains(p, "<asked>\nHow long did my Ivan-Private call last?\n</asked>") {
		t.Errorf("answer prompt after a standalone rewrite:\n%s", p)
	}
	if a, err := svc.Answer(ctx, answer.Request{Question: rewrite}); err != nil || a.Cached {
		t.Errorf("the rewritten question asked directly: cached %v, err %v; want a fresh answer (the follow-up's prompt held its asker's words)", a.Cached, err)
	}
	if a := followUp("How long did it last?"); !a.Cached {
		t.Error("a follow-up standing for a question answered directly is not served from the cache")
	}
}
