package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/redistest"
)

// TestConflictBacksOff: getUpdates answering 409 Conflict (another
// consumer polls the token) is logged once, with what it means, and
// backed off from, doubling, instead of asked again at once; polling
// resumes when the conflict ends.
func TestConflictBacksOff(t *testing.T) {
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	conflict := faketelegram.Fault{Code: 409, Description: faketelegram.ConflictDescription}
	tg.Fail("getUpdates", conflict, conflict, conflict)
	h := startWith(t, setup{tg: tg})
	if !tg.WaitFor(10*time.Second, func() bool { return tg.Calls("getUpdates") > 0 }) {
		t.Fatal("the bot never polled")
	}
	first := time.Now()
	time.Sleep(2500 * time.Millisecond)
	// Waits of 1 s then 2 s: at most 2 calls in the first 2.5 s (a slow
	// machine makes fewer, never more). A hot loop makes hundreds.
	if n := tg.Calls("getUpdates"); n > 3 {
		t.Errorf("%d getUpdates calls within %s of the first 409, want at most 3: polling loops hot", n, time.Since(first).Round(time.Millisecond))
	}
	tg.PushText(71, "Where did Putin and Biden last meet?")
	if got := h.await(t, 71, 1)[0].Text; !strings.Contains(got, "Geneva") {
		t.Errorf("answer after the conflict %q", got)
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "409 Conflict: another getUpdates consumer"); n != 1 {
		t.Errorf("the conflict was logged %d times, want once for the run of three:\n%s", n, logs)
	}
	if !strings.Contains(logs, `"msg":"telegram: polling works again after 409 conflicts","conflicts":3`) {
		t.Errorf("the end of the conflict was not logged with its count:\n%s", logs)
	}
}

// orderedAnswerer delays answers to questions holding "slow", and
// records how many questions were being answered at once, at most.
type orderedAnswerer struct {
	next bot.Answerer
	mu   *sync.Mutex
	busy *int
	peak *int
}

func (o orderedAnswerer) Answer(ctx context.Context, req answer.Request) (answer.Answer, error) {
	o.mu.Lock()
	*o.busy++
	*o.peak = max(*o.peak, *o.busy)
	o.mu.Unlock()
	defer func() { o.mu.Lock(); *o.busy--; o.mu.Unlock() }()
	d := 50 * time.Millisecond
	if strings.Contains(req.Question, "slow") {
		d = 1500 * time.Millisecond
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return answer.Answer{}, ctx.Err()
	}
	return o.next.Answer(ctx, req)
}

// TestWebhookChatOrderAcrossProcesses: three bots in webhook mode share
// one Redis, as replicas behind a load balancer; one chat's six
// questions are posted to them in turn, the first one slow to answer.
// One process at a time must answer the chat (never two questions of it
// at once), in update id order, each exactly once. Without the order
// kept in Redis, the second process answers the second question while
// the first still works on the first.
func TestWebhookChatOrderAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t)
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	var (
		mu         sync.Mutex
		busy, peak int
	)
	wrap := func(a bot.Answerer) bot.Answerer { return orderedAnswerer{a, &mu, &busy, &peak} }
	var hooks []*harness
	for _, name := range []string{"a", "b", "c"} {
		st := store(t, srv)
		hooks = append(hooks, startWith(t, setup{tg: tg, webhook: true, updates: st.Updates(999), chatOrder: st.Chats(999, name, 0), answerer: wrap}))
	}
	const chat = 61
	var asked []int // message ids, in update id order
	for i := range 6 {
		q := fmt.Sprintf("Where did Putin and Biden last meet? (question %d)", i)
		if i == 0 {
			q = "Where did Putin and Biden last meet? (slow)"
		}
		m := tg.Message(chat, chat, "private", q)
		asked = append(asked, m["message_id"].(int))
		body, _ := json.Marshal(map[string]any{"update_id": 500 + i, "message": m})
		postUpdate(t, hooks[i%3].hook, string(body))
	}
	hooks[0].await(t, chat, 6)
	time.Sleep(500 * time.Millisecond) // a seventh reply would show by now
	var replied []int
	for _, m := range tg.SentTo(chat) {
		replied = append(replied, m.ReplyTo)
	}
	if fmt.Sprint(replied) != fmt.Sprint(asked) {
		t.Errorf("replies to messages %v, want %v: each once, in order", replied, asked)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak != 1 {
		t.Errorf("%d questions of one chat answered at once, want 1", peak)
	}
}

// TestRelayRedisDown: two bots poll one token through a relay. While
// Redis is down, the poller goes on polling and answering alone and the
// standby never polls beside it (no 409 between them); once Redis is
// back (empty, as after a restart without persistence), one of them
// polls again and the rest is answered, each question exactly once.
func TestRelayRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	var hs []*harness
	for _, name := range []string{"a", "b"} {
		st := store(t, srv)
		hs = append(hs, startWith(t, setup{tg: tg, updates: st.Updates(999), relay: st.Relay(999, name, 0, 0), chatOrder: st.Chats(999, name, 0)}))
	}
	defer func() {
		if t.Failed() {
			for _, h := range hs {
				t.Logf("bot's log:\n%s", h.logs.String())
			}
		}
	}()
	rdb := srv.Client()
	lease := srv.Prefix + "{poll:999}:leader"
	if !tg.WaitFor(10*time.Second, func() bool { return rdb.Get(context.Background(), lease).Val() != "" }) {
		t.Fatal("no bot took the polling lease")
	}
	chat := int64(80)
	ask := func(n int) []int64 {
		var chats []int64
		for range n {
			chat++
			tg.PushText(chat, "Where did Putin and Biden last meet?")
			chats = append(chats, chat)
		}
		return chats
	}
	answered := func(chats []int64) bool {
		for _, c := range chats {
			if len(tg.SentTo(c)) == 0 {
				return false
			}
		}
		return true
	}
	var all []int64
	for _, phase := range []string{"redis up", "redis down", "redis back"} {
		switch phase {
		case "redis down":
			srv.Stop()
		case "redis back":
			srv.Restart()
		}
		chats := ask(5)
		all = append(all, chats...)
		if !tg.WaitFor(30*time.Second, func() bool { return answered(chats) }) {
			t.Fatalf("%s: questions not answered", phase)
		}
		if phase != "redis back" && tg.Conflicts() != 0 {
			t.Errorf("%s: %d polls ended by another's (409): the standby polled", phase, tg.Conflicts())
		}
	}
	time.Sleep(time.Second) // a second answer would show by now
	for _, c := range all {
		if n := len(tg.SentTo(c)); n != 1 {
			t.Errorf("chat %d: %d answers, want 1", c, n)
		}
	}
}
