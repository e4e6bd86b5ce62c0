package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
)

// TestLoadTelegramLimits has 300 chats ask at once, answered by a model
// that takes a second, against a Telegram that enforces its sending
// limits. The bot must pace itself: no 429s, close to 30 messages a
// second while answers wait, and every question answered exactly once.
func TestLoadTelegramLimits(t *testing.T) {
	const (
		chats   = 300
		latency = time.Second
	)
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		return "The presidents met in Geneva, and they spoke about strategic stability and cyber attacks [1]."
	})
	t.Cleanup(ai.Close)
	ai.Latency = latency
	h := startWith(t, setup{llm: ai})
	questions := []string{
		"Where did Putin and Biden last meet in person?",
		"What did Biden warn Putin about?",
		"Who will head the Russian delegation at the Geneva talks?",
		"How long did the Putin-Biden video conversation last?",
		"What did Putin say about the Minsk agreements?",
		"What did the leaders say about Ukraine?",
	}
	begin := time.Now()
	for i := range chats {
		h.tg.PushText(int64(10_000+i), fmt.Sprintf("%s (reader %d)", questions[i%len(questions)], i))
	}
	final := func(chat int64) bool {
		shown := h.tg.Shown(chat)
		return len(shown) > 0 && shown[len(shown)-1].ParseMode == "HTML"
	}
	if !h.tg.WaitFor(2*time.Minute, func() bool {
		for i := range chats {
			if !final(int64(10_000 + i)) {
				return false
			}
		}
		return true
	}) {
		t.Fatal("not every chat got its answer within 2 minutes")
	}
	last := time.Since(begin)

	var at []time.Time
	for _, m := range h.tg.Sent() {
		at = append(at, m.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for i := range chats {
		chat := int64(10_000 + i)
		shown := h.tg.Shown(chat)
		if len(shown) != 1 || !strings.Contains(shown[0].Markup, "src:") {
			t.Errorf("chat %d reads %d messages, want one answer with its Sources button: %+v", chat, len(shown), shown)
		}
	}
	span := at[len(at)-1].Sub(at[0])
	perSecond := float64(len(at)-1) / span.Seconds()
	throttled := h.tg.Throttled()
	t.Logf("load: %d chats, model latency %v: %d messages and edits, last answer after %v, %.1f answers/s overall, %.1f messages/s while answers waited (%.0f%% of 30), %d 429s",
		chats, latency, len(at), last.Round(time.Millisecond), chats/last.Seconds(), perSecond, 100*perSecond/30, throttled)
	if throttled != 0 {
		for _, l := range strings.Split(h.logs.String(), "\n") {
			if strings.Contains(l, "rate limit") {
				t.Log(l)
			}
		}
		t.Errorf("Telegram answered 429 %d times: the bot does not keep to the limits", throttled)
	}
	// The target is 27 (90% of 30); the bot paces at 28 and measures
	// 27.6-27.8 under -race here. The slack is for a busier machine.
	if perSecond < 26.5 {
		t.Errorf("%.1f messages a second while answers waited, want about 27 (90%% of 30)", perSecond)
	}
}
