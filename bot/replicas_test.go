package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

// sharedSetup is a bot process's setup with every Redis part of one
// store: memory, limits, handled updates, peers and the shared pacer.
func sharedSetup(t *testing.T, url, prefix string, tg *faketelegram.Server, logs *logbuf.Buffer) (setup, *redisstore.Store) {
	t.Helper()
	s, err := redisstore.Open(url, redisstore.Options{
		Prefix: prefix, Log: slog.New(slog.NewTextHandler(logs, nil)),
		CoolDown: 200 * time.Millisecond, MaxCoolDown: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	peers := s.Peers(redisstore.NewInstance())
	peers.Announce(context.Background(), "v1")
	return setup{
		tg:      tg,
		memory:  s.Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour)),
		limiter: s.Limiter(60, bot.NewLocalLimiter(60)),
		updates: s.Updates(123456),
		peers:   peers,
		// 25 a second, not the default 28: under -race, with the other
		// packages' tests beside these on two cores, a process stalled
		// between taking its place and sending can bunch a few sends
		// into one second of the double's strict window (see
		// docs/BENCHMARKS.md); the processes still share one budget.
		pacer: s.Pacer(123456, peers, redisstore.PacerOptions{Limits: testPace()}),
	}, s
}

// TestSentinelPrimaryKilled runs a bot on a Sentinel-watched primary and
// kills the primary mid-run: the questions asked meanwhile are all
// answered (the bot runs on its in-process fallbacks while the Sentinel
// promotes the replica), and after the failover the state is there: a
// new process follows up a conversation begun before the kill.
func TestSentinelPrimaryKilled(t *testing.T) {
	sen := redistest.StartSentinel(t)
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	storeLogs := &logbuf.Buffer{}
	su, st := sharedSetup(t, sen.URL, sen.Prefix, tg, storeLogs)
	first := startWith(t, su)
	tg.PushText(41, "Who will lead the Russian delegation in Geneva?")
	first.await(t, 41, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sen.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}

	sen.KillPrimary()
	killed := time.Now()
	for chat := int64(300); chat < 320; chat++ {
		tg.PushText(chat, "Where did Putin and Biden last meet?")
	}
	for chat := int64(300); chat < 320; chat++ {
		if got := first.await(t, chat, 1)[0].Text; !strings.Contains(got, "Geneva") {
			t.Errorf("chat %d: %q", chat, got)
		}
	}
	t.Logf("20 chats answered %v after the kill", time.Since(killed).Round(10*time.Millisecond))
	if !strings.Contains(storeLogs.String(), "redis unavailable") {
		t.Log("no Redis call failed: the questions were answered after the failover")
	}

	if err := sen.WaitFailover(ctx); err != nil {
		t.Fatal(err)
	}
	for st.Ping(ctx) != nil {
		if ctx.Err() != nil {
			t.Fatalf("store not back after the failover:\n%s", storeLogs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	first.stop()
	su2, _ := sharedSetup(t, sen.URL, sen.Prefix, tg, storeLogs)
	second := startWith(t, su2)
	tg.PushText(41, "And who leads the American side?")
	if got := second.await(t, 41, 2)[1].Text; !strings.Contains(got, "Sherman") {
		t.Errorf("follow-up after the failover %q: the conversation was lost", got)
	}
	if n := len(tg.SentTo(300)); n != 1 {
		t.Errorf("chat 300 got %d messages, want 1", n)
	}
	if tg.Throttled() != 0 {
		t.Errorf("%d messages throttled by Telegram", tg.Throttled())
	}
}

// TestBotOnRedisCluster runs two bot processes on a three-node Redis
// Cluster with every Redis part: handled updates (one update given to
// both is answered once), memory (a follow-up answered by the other
// process), limits, peers and the shared pacer, and no Redis call
// fails.
func TestBotOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	storeLogs := &logbuf.Buffer{}
	sa, _ := sharedSetup(t, cl.URL, cl.Prefix, tg, storeLogs)
	sb, _ := sharedSetup(t, cl.URL, cl.Prefix, tg, storeLogs)
	sa.webhook, sb.webhook = true, true
	a, b := startWith(t, sa), startWith(t, sb)

	question := func(id int, chat int64, text string) string {
		return fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "date": %d, "chat": {"id": %d, "type": "private"}, "from": {"id": %d, "first_name": "U"}, "text": %q}}`,
			id, id, time.Now().Unix(), chat, chat, text)
	}
	postUpdate(t, a.hook, question(1, 41, "Who will lead the Russian delegation in Geneva?"))
	postUpdate(t, b.hook, question(1, 41, "Who will lead the Russian delegation in Geneva?")) // the same update at the other process
	a.await(t, 41, 1)
	postUpdate(t, b.hook, question(2, 41, "And who leads the American side?"))
	if got := b.await(t, 41, 2)[1].Text; !strings.Contains(got, "Sherman") {
		t.Errorf("follow-up at the other process %q: the conversation was not shared", got)
	}
	for i := range 10 {
		h := a
		if i%2 == 1 {
			h = b
		}
		postUpdate(t, h.hook, question(10+i, int64(500+i), "Where did Putin and Biden last meet?"))
	}
	for i := range 10 {
		a.await(t, int64(500+i), 1)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(tg.SentTo(41)); n != 2 {
		t.Errorf("chat 41 got %d messages for two updates, one delivered twice", n)
	}
	if strings.Contains(storeLogs.String(), "redis unavailable") {
		t.Errorf("Redis calls failed on the cluster:\n%s", storeLogs)
	}
	ctx := context.Background()
	if n, err := cl.Client().Exists(ctx, cl.Prefix+"{pace:123456}:bot").Result(); err != nil || n != 1 {
		t.Errorf("the messages were not paced through the cluster: %d, %v", n, err)
	}
}

// TestThreeProcessesPacedTogether has three bot processes on one token
// (webhooks behind a balancer) answer 120 chats at once against the fake
// Telegram, which enforces the published limits. With the shared pacer
// no message is refused and no second holds more than 30. With Redis
// gone (stopped after the processes counted each other through their
// heartbeats) each paces itself on a third of the budget: none refused
// either. As a control, the same three processes pacing alone are
// refused (each keeps 28 a second, together 84).
func TestThreeProcessesPacedTogether(t *testing.T) {
	for _, mode := range []string{"shared", "redis down", "alone"} {
		t.Run(mode, func(t *testing.T) {
			srv := redistest.Start(t)
			tg := faketelegram.New(token, "talkbot_test")
			t.Cleanup(tg.Close)
			storeLogs := &logbuf.Buffer{}
			var setups []setup
			for range 3 {
				su, _ := sharedSetup(t, srv.URL, srv.Prefix, tg, storeLogs)
				su.webhook = true
				if mode == "alone" {
					su.pacer = nil
				}
				setups = append(setups, su)
			}
			if mode == "redis down" {
				for _, su := range setups {
					if n := su.peers.(*redisstore.Peers).Count(context.Background()); n != 3 {
						t.Fatalf("%d processes counted, want 3", n)
					}
				}
				srv.Stop()
			}
			var hs []*harness
			for _, su := range setups {
				hs = append(hs, startWith(t, su))
			}
			const chats = 120
			for i := range chats {
				body := fmt.Sprintf(`{"update_id": %d, "message": {"message_id": %d, "date": %d, "chat": {"id": %d, "type": "private"}, "from": {"id": %d, "first_name": "U"}, "text": "Where did Putin and Biden last meet?"}}`,
					100+i, 100+i, time.Now().Unix(), 1000+i, 1000+i)
				postUpdate(t, hs[i%3].hook, body)
			}
			for i := range chats {
				hs[0].await(t, int64(1000+i), 1)
			}
			var times []time.Time
			for _, m := range tg.Sent() {
				times = append(times, m.At)
			}
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			busiest := 0
			for i, j := 0, 0; i < len(times); i++ {
				for times[i].Sub(times[j]) >= time.Second {
					j++
				}
				busiest = max(busiest, i-j+1)
			}
			took := times[len(times)-1].Sub(times[0])
			t.Logf("%d messages in %v (%.1f/s), busiest second %d, %d refused with 429",
				len(times), took.Round(10*time.Millisecond), float64(len(times)-1)/took.Seconds(), busiest, tg.Throttled())
			switch mode {
			case "alone":
				if tg.Throttled() == 0 {
					t.Error("control: three processes pacing alone were never refused; the test cannot tell")
				}
			default:
				if tg.Throttled() != 0 || busiest > 30 {
					t.Errorf("%d messages refused, busiest second %d", tg.Throttled(), busiest)
				}
			}
			if mode == "redis down" {
				for _, h := range hs {
					if !strings.Contains(h.logs.String(), "shared telegram pacer unreachable") {
						t.Error("a process did not log that it paces alone")
					}
				}
			}
		})
	}
}

// testPace is the shared pace of the tests' processes: Telegram's
// limits with a wider margin than production's.
func testPace() redisstore.PaceLimits {
	l := redisstore.DefaultPaceLimits()
	l.Interval = time.Second / 25
	return l
}
