package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

func store(t *testing.T, srv *redistest.Server) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRateLimitFlood(t *testing.T) {
	h := startWith(t, setup{limiter: bot.NewLocalLimiter(3)})
	for range 10 {
		h.tg.PushText(31, "Where did Putin and Biden last meet?")
	}
	h.tg.PushText(32, "Where did Putin and Biden last meet?")
	if got := h.await(t, 32, 1)[0].Text; !strings.Contains(got, "Geneva") {
		t.Errorf("another user's answer %q", got)
	}
	msgs := h.await(t, 31, 4)
	time.Sleep(500 * time.Millisecond)
	msgs = h.tg.SentTo(31)
	answers, warnings := 0, 0
	for _, m := range msgs {
		switch {
		case strings.Contains(m.Text, "Geneva"):
			answers++
		case strings.Contains(m.Text, "slow down and try again in"):
			warnings++
		}
	}
	if answers != 3 || warnings != 1 || len(msgs) != 4 {
		t.Errorf("%d answers, %d warnings in %d messages; want 3 answers and one warning", answers, warnings, len(msgs))
	}
}

func TestMemorySurvivesBotRestart(t *testing.T) {
	srv := redistest.Start(t)
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	first := startWith(t, setup{tg: tg, memory: store(t, srv).Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour))})
	tg.PushText(41, "Who will lead the Russian delegation in Geneva?")
	first.await(t, 41, 1)
	first.stop()

	second := startWith(t, setup{tg: tg, memory: store(t, srv).Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour))})
	tg.PushText(41, "And who leads the American side?")
	if got := second.await(t, 41, 2)[1].Text; !strings.Contains(got, "Sherman") {
		t.Errorf("follow-up after a restart %q: the conversation was lost", got)
	}
}

func TestDuplicateUpdateAnsweredOnce(t *testing.T) {
	srv := redistest.Start(t)
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	a := startWith(t, setup{tg: tg, webhook: true, updates: store(t, srv).Updates(999)})
	b := startWith(t, setup{tg: tg, webhook: true, updates: store(t, srv).Updates(999)})
	body, _ := json.Marshal(map[string]any{"update_id": 77, "message": tg.Message(51, 51, "private", "Where did Putin and Biden last meet?")})
	for _, h := range []*harness{a, b, a} { // a webhook retry, and the same update at another process
		postUpdate(t, h.hook, string(body))
	}
	a.await(t, 51, 1)
	time.Sleep(500 * time.Millisecond)
	if n := len(tg.SentTo(51)); n != 1 {
		t.Errorf("%d replies to one update delivered three times to two processes", n)
	}
}

func postUpdate(t *testing.T, url, body string) {
	t.Helper()
	for range 100 {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hookSecret)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("webhook answered %d", resp.StatusCode)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("webhook server did not start")
}
