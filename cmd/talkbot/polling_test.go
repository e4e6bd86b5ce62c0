package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/redistest"
)

// These tests run several `talkbot serve` processes on one bot token,
// as replicas: one Bot API double (which allows one getUpdates consumer
// at a time, like Telegram) and one Redis.

// replicas starts n processes serving token from tg, each with its own
// state directory, sharing srv.
func replicas(t *testing.T, n int, srv *redistest.Server, tg *faketelegram.Server, ai *fakeopenai.Server, extra map[string]string) []*proc {
	t.Helper()
	var ps []*proc
	for range n {
		vars := map[string]string{
			"TELEGRAM_BOT_TOKEN":    tg.Token,
			"TELEGRAM_API_ENDPOINT": tg.URL,
			"OPENAI_BASE_URL":       ai.BaseURL(),
			"LLM_TIMEOUT":           "20s",
			"REDIS_URL":             srv.URL,
			"REDIS_PREFIX":          srv.Prefix,
			"STATE_DIR":             t.TempDir(),
			"RATE_LIMIT":            "1000",
		}
		for k, v := range extra {
			vars[k] = v
		}
		ps = append(ps, startServe(t, vars))
	}
	return ps
}

// poller returns the process holding the polling lease of bot botID,
// waiting up to 20 s for one to, with the id it holds it under.
func poller(t *testing.T, srv *redistest.Server, botID string, ps []*proc) (*proc, string) {
	t.Helper()
	key := srv.Prefix + "{poll:" + botID + "}:leader"
	rdb := srv.Client()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		id, _ := rdb.Get(context.Background(), key).Result()
		for _, p := range ps {
			if id != "" && p.alive() && strings.Contains(p.stderr.String(), `"instance":"`+id+`"`) {
				return p, id
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process took the polling lease within 20 s")
	return nil, ""
}

// answeredOnce checks that every chat read exactly one final answer.
func answeredOnce(t *testing.T, tg *faketelegram.Server, chats []int64) (missing, twice int) {
	t.Helper()
	for c, n := range finalReplies(tg, chats) {
		switch {
		case n == 0:
			missing++
		case n > 1:
			twice++
			t.Errorf("chat %d got %d answers, want exactly one", c, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d chats never answered", missing, len(chats))
	}
	return missing, twice
}

// allAnswered reports whether every chat read a final answer.
func allAnswered(tg *faketelegram.Server, chats []int64) bool {
	got := finalReplies(tg, chats)
	for _, c := range chats {
		if got[c] == 0 {
			return false
		}
	}
	return true
}

// TestPollingLeaderKilled runs three replicas in polling mode, kills
// the one polling with SIGKILL in the middle of a burst of questions,
// and asks more: another process must poll within 5 s, and every
// question, before and after the kill, be answered exactly once. Only
// one process polls at a time: Telegram's double never ends a poll with
// 409 for another.
func TestPollingLeaderKilled(t *testing.T) {
	srv := redistest.Start(t)
	tg := faketelegram.New("4343:FAILOVER-test", "talkbot_failover")
	t.Cleanup(tg.Close)
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Putin and Biden last met in Geneva [1]." })
	ai.Latency = 300 * time.Millisecond
	t.Cleanup(ai.Close)
	ps := replicas(t, 3, srv, tg, ai, nil)
	leader, id := poller(t, srv, "4343", ps)

	var chats []int64
	ask := func(n int) {
		for range n {
			c := int64(7000 + len(chats))
			tg.PushText(c, "Where did Putin and Biden last meet in person?")
			chats = append(chats, c)
		}
	}
	ask(60)
	if !tg.WaitFor(30*time.Second, func() bool {
		n := 0
		for _, c := range finalReplies(tg, chats) {
			n += min(c, 1)
		}
		return n >= 10
	}) {
		t.Fatalf("nothing answered\n%s", leader.stderr.String())
	}
	// As in TestKillNineExactlyOnce: a reply Telegram takes at the
	// instant of the kill cannot be noted; hold replies around it.
	tg.Hold(true)
	time.Sleep(2 * time.Second)
	leader.kill9(t)
	killed := time.Now()
	calls := tg.Calls("getUpdates")
	tg.Hold(false)
	ask(30) // the burst goes on

	var survivors []*proc
	for _, p := range ps {
		if p != leader {
			survivors = append(survivors, p)
		}
	}
	next, nextID := poller(t, srv, "4343", survivors)
	if nextID == id {
		t.Fatal("the dead process still holds the lease")
	}
	if !tg.WaitFor(20*time.Second, func() bool { return tg.Calls("getUpdates") > calls }) {
		t.Fatalf("no process polled after the kill\n%s", next.stderr.String())
	}
	took := time.Since(killed)
	t.Logf("another process polled %s after the poller was killed", took.Round(10*time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("takeover took %s, want within 5 s", took.Round(10*time.Millisecond))
	}
	if !tg.WaitFor(60*time.Second, func() bool { return allAnswered(tg, chats) }) {
		t.Logf("survivor's log:\n%s", next.stderr.String())
	}
	time.Sleep(2 * time.Second) // anything answered twice would show by now
	missing, twice := answeredOnce(t, tg, chats)
	t.Logf("%d questions: %d unanswered, %d answered twice; %d getUpdates ended by a conflict", len(chats), missing, twice, tg.Conflicts())
	if n := tg.Conflicts(); n != 0 {
		t.Errorf("%d getUpdates calls ended with 409 by another: two processes polled at once", n)
	}
	if tg.Pending() != 0 {
		t.Errorf("%d updates left unacknowledged", tg.Pending())
	}
	for _, p := range survivors {
		p.stop(t, 40*time.Second)
	}
}

// TestLoadReplicas is the load test: three replicas on one
// token, in polling mode, against the enforcing Bot API double and one
// Redis; 300 chats ask at once, the model takes 1 s. Together they must
// keep within Telegram's limits (no 429), send at no more than 30 a
// second and at least 90% of that while answers wait, and answer every
// chat exactly once. Long: run with -run Load.
func TestLoadReplicas(t *testing.T) {
	if f := flag.Lookup("test.run"); f == nil || !strings.Contains(f.Value.String(), "Load") {
		t.Skip("long; run with -run Load")
	}
	srv := redistest.Start(t)
	tg := faketelegram.New("4444:LOAD-replicas", "talkbot_load")
	t.Cleanup(tg.Close)
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Putin and Biden last met in Geneva [1]." })
	ai.Latency = time.Second
	t.Cleanup(ai.Close)
	ps := replicas(t, 3, srv, tg, ai, nil)
	for _, p := range ps {
		if !tg.WaitFor(30*time.Second, func() bool { return strings.Contains(p.stderr.String(), `"instance"`) }) {
			t.Fatalf("a replica did not start\n%s", p.stderr.String())
		}
	}
	poller(t, srv, "4444", ps)
	time.Sleep(2 * time.Second) // every consumer reading

	const n = 300
	chats := make([]int64, n)
	began := time.Now()
	for i := range chats {
		chats[i] = int64(90_000 + i)
		tg.PushText(chats[i], fmt.Sprintf("Where did Putin and Biden last meet in person? (%d)", i))
	}
	if !tg.WaitFor(3*time.Minute, func() bool { return allAnswered(tg, chats) }) {
		for _, p := range ps {
			t.Logf("replica log:\n%s", p.stderr.String())
		}
	}
	done := time.Since(began)
	time.Sleep(2 * time.Second)
	missing, twice := answeredOnce(t, tg, chats)

	// The pace: messages and edits (both count against Telegram's limits).
	var at []time.Time
	var lastFinal time.Time
	for _, m := range tg.Sent() {
		at = append(at, m.At)
		if m.ParseMode == "HTML" && m.At.After(lastFinal) {
			lastFinal = m.At
		}
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	peak := 0
	for i := range at {
		j := sort.Search(len(at), func(j int) bool { return !at[j].Before(at[i].Add(time.Second)) })
		peak = max(peak, j-i)
	}
	var rate float64
	if len(at) > 1 && lastFinal.After(at[0]) {
		// From the first message to the last answer, answers are waiting.
		k := sort.Search(len(at), func(j int) bool { return at[j].After(lastFinal) })
		rate = float64(k-1) / lastFinal.Sub(at[0]).Seconds()
	}
	var share []int // questions each replica answered
	for _, p := range ps {
		share = append(share, strings.Count(p.stderr.String(), `"msg":"question"`))
	}
	t.Logf("3 replicas, %d chats, 1 s model: all answered in %s; %d messages and edits; rate %.1f/s while answers waited (first message to last answer), peak %d in any 1 s; %d refused with 429 %v; %d unanswered, %d answered twice; %d getUpdates ended by a conflict; answered by each replica %v",
		n, done.Round(100*time.Millisecond), len(at), rate, peak, tg.Throttled(), tg.ThrottledBy(), missing, twice, tg.Conflicts(), share)
	if tg.Throttled() != 0 {
		t.Errorf("%d messages refused with 429, want none", tg.Throttled())
	}
	if peak > 30 {
		t.Errorf("%d messages in one second, want at most 30", peak)
	}
	if rate < 27 {
		t.Errorf("%.1f messages a second while answers waited, want at least 27 (90%% of 30)", rate)
	}
	for _, p := range ps {
		p.stop(t, 40*time.Second)
	}
}
