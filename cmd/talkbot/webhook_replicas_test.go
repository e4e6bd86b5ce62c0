package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/redistest"
)

// postHook posts an update to a webhook server as Telegram would,
// retrying while the server is not yet listening.
func postHook(t *testing.T, addr, secret string, update map[string]any) {
	t.Helper()
	body, _ := json.Marshal(update)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/hook", bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("webhook at %s answered %d", addr, resp.StatusCode)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("webhook at %s never listened", addr)
}

// TestWebhookReplicasKeepChatOrder runs three `talkbot serve` processes
// in webhook mode on one Redis, as replicas behind a load balancer that
// spreads one chat's six questions over them in turn; the model takes
// 2 s over the first. The chat must be answered one question at a time,
// in update id order, each once: without the order kept in Redis the
// other processes answer the later questions first.
func TestWebhookReplicasKeepChatOrder(t *testing.T) {
	srv := redistest.Start(t)
	tg := faketelegram.New("4545:HOOK-replicas", "talkbot_hooks")
	t.Cleanup(tg.Close)
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Putin and Biden last met in Geneva [1]." })
	t.Cleanup(ai.Close)
	ai.Fail(fakeopenai.Fault{Delay: 2 * time.Second, Status: 500}) // the first question's first try
	const secret = "hook_secret-4545"
	var addrs []string
	var ps []*proc
	for range 3 {
		addr := freeAddr(t)
		addrs = append(addrs, addr)
		ps = append(ps, startServe(t, map[string]string{
			"TELEGRAM_BOT_TOKEN":      tg.Token,
			"TELEGRAM_API_ENDPOINT":   tg.URL,
			"TELEGRAM_WEBHOOK_URL":    "https://bot.example.test/hook",
			"TELEGRAM_WEBHOOK_SECRET": secret,
			"LISTEN_ADDR":             addr,
			"OPENAI_BASE_URL":         ai.BaseURL(),
			"LLM_TIMEOUT":             "20s",
			"REDIS_URL":               srv.URL,
			"REDIS_PREFIX":            srv.Prefix,
			"STATE_DIR":               t.TempDir(),
			"RATE_LIMIT":              "1000",
		}))
	}
	const chat = 4600
	var asked []int // message ids, in update id order
	for i := range 6 {
		m := tg.Message(chat, chat, "private", fmt.Sprintf("Where did Putin and Biden last meet in person? (%d)", i))
		asked = append(asked, m["message_id"].(int))
		postHook(t, addrs[i%3], secret, map[string]any{"update_id": 100 + i, "message": m})
	}
	if !tg.WaitFor(60*time.Second, func() bool { return finalReplies(tg, []int64{chat})[chat] >= 6 }) {
		for _, p := range ps {
			t.Logf("replica log:\n%s", p.stderr.String())
		}
		t.Fatalf("%d of 6 questions answered", finalReplies(tg, []int64{chat})[chat])
	}
	time.Sleep(time.Second) // a seventh reply would show by now
	var replied []int
	for _, m := range tg.Shown(chat) {
		if m.ParseMode == "HTML" {
			replied = append(replied, m.ReplyTo)
		}
	}
	if fmt.Sprint(replied) != fmt.Sprint(asked) {
		t.Errorf("final replies to messages %v, want %v: each once, in order", replied, asked)
	}
	for _, p := range ps {
		p.stop(t, 40*time.Second)
	}
}
