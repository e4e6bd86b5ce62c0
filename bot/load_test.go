package bot_test

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/internal/fakeopenai"
)

// TestLoadTelegramLimits has 300 chats ask at once, answered by a model
// that takes a second, against a Telegram that enforces its sending
// limits. The bot must pace itself: no 429s, close to 30 messages a
// second while answers wait, and every question answered exactly once.
//
// It runs only when asked for (-run Load), alone, as benchmarks do: the
// double times arrivals to the millisecond, and on a machine busy with
// other test packages the scheduler delays requests enough to bunch them.
func TestLoadTelegramLimits(t *testing.T) {
	longLoad(t)
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

// longLoad skips a long test unless it was asked for with -run Load.
func longLoad(t *testing.T) {
	t.Helper()
	if f := flag.Lookup("test.run"); f == nil || !strings.Contains(f.Value.String(), "Load") {
		t.Skip("long; run with -run Load")
	}
}

// TestLoadReload100k reloads a 100k-passage corpus while 50 chats keep
// asking: every question must get exactly one answer, from the old
// corpus until the new one is ready, and none may fail.
func TestLoadReload100k(t *testing.T) {
	longLoad(t)
	h := startWith(t, setup{})
	g, err := corpusgen.Generate(7, 100_000, 20)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteDir(h.dir); err != nil {
		t.Fatal(err)
	}
	const chats = 50
	begin := time.Now()
	h.tg.PushText(42, "/reload")
	reloaded := func() bool { return len(h.tg.SentTo(42)) > 0 }
	var wg sync.WaitGroup
	asked := make([]int, chats)
	for i := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := int64(20_000 + i)
			// Ask, wait for the answer, ask again, at a person's pace (within
			// the rate limit of 20 a minute): until the reload is done, and
			// twice more after.
			for after := 0; after < 2; {
				if reloaded() {
					after++
				}
				next := time.Now().Add(3500 * time.Millisecond)
				h.tg.PushText(chat, "Where did Putin and Biden last meet in person?")
				asked[i]++
				if !h.tg.WaitFor(5*time.Minute, func() bool { return len(h.tg.SentTo(chat)) >= asked[i] }) {
					return
				}
				time.Sleep(time.Until(next))
			}
		}()
	}
	wg.Wait()
	if !reloaded() {
		t.Fatal("no reply to /reload")
	}
	took := h.tg.SentTo(42)[0].At.Sub(begin)
	if got := h.tg.SentTo(42)[0].Text; !strings.Contains(got, "Reloaded:") {
		t.Fatalf("reload reply %q", got)
	}
	total := 0
	for i := range chats {
		chat := int64(20_000 + i)
		sent := h.tg.SentTo(chat)
		total += asked[i]
		if len(sent) != asked[i] {
			t.Errorf("chat %d asked %d times and got %d replies", chat, asked[i], len(sent))
		}
		for _, m := range sent {
			if !strings.Contains(m.Text, "Geneva") {
				t.Errorf("chat %d got %q", chat, m.Text)
			}
		}
	}
	q := g.Questions[0]
	h.tg.PushText(43, q.Text)
	reply := h.await(t, 43, 1)[0]
	t.Logf("reload of %d passages (%d documents) took %v; %d questions asked meanwhile by %d chats, all answered once; a generated question after it: %q -> %.80q",
		len(g.Corpus.Passages), len(g.Corpus.Docs), took.Round(time.Millisecond), total, chats, q.Text, reply.Text)
}
