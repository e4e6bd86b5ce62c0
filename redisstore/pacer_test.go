package redisstore_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestPacerSharedLimits has three processes (three stores on one Redis)
// pace messages to 40 private chats and 10 groups through the shared
// pacer for 60 s of a clock the test moves, each with up to 20 messages
// waiting for their place at a time, as a busy bot's answers would. The
// places the script hands out must keep Telegram's limits together: at
// most 28 in any second (Telegram: 30), a private chat's messages 1.05 s
// apart and a group's 3.1 s (Telegram: 20 a minute), and they must use
// the budget: at least 95% of 28 a second.
func TestPacerSharedLimits(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	start := clock.Now()
	type process struct {
		pacer   *redisstore.Pacer
		waiting []time.Time // places taken, not yet reached
	}
	var procs []*process
	for range 3 {
		procs = append(procs, &process{pacer: open(t, srv, nil).Pacer(7, nil, redisstore.PacerOptions{Now: clock.Now})})
	}
	chats := make([]int64, 0, 50)
	for i := range 40 {
		chats = append(chats, int64(1000+i))
	}
	for i := range 10 {
		chats = append(chats, int64(-2000-i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sent := map[int64][]time.Time{}
	var all []time.Time
	const step = 5 * time.Millisecond
	for clock.Now().Sub(start) < time.Minute {
		now := clock.Now()
		for _, p := range procs {
			p.waiting = slices.DeleteFunc(p.waiting, func(at time.Time) bool { return !at.After(now) })
			for len(p.waiting) < 20 {
				chat := chats[rng.IntN(len(chats))]
				wait, taken, err := p.pacer.Reserve(ctx, chat, false)
				if err != nil {
					t.Fatal(err)
				}
				if !taken {
					break // this chat is spaced: try again at the next step
				}
				at := now.Add(wait)
				p.waiting = append(p.waiting, at)
				sent[chat] = append(sent[chat], at)
				all = append(all, at)
			}
		}
		clock.Add(step)
	}

	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	var inMinute []time.Time
	for _, at := range all {
		if at.Sub(start) < time.Minute {
			inMinute = append(inMinute, at)
		}
	}
	if most := mostIn(inMinute, time.Second); most > 28 {
		t.Errorf("%d messages in one second, over 28", most)
	}
	if n := len(inMinute); n < 28*60*95/100 {
		t.Errorf("%d messages in a minute: under 95%% of 28 a second", n)
	}
	for chat, times := range sent {
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		every, perMinute := 1050*time.Millisecond, 60
		if chat < 0 {
			every, perMinute = 3100*time.Millisecond, 20
		}
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d < every {
				t.Errorf("chat %d: messages %v apart, under %v", chat, d, every)
				break
			}
		}
		if most := mostIn(times, time.Minute); most > perMinute {
			t.Errorf("chat %d: %d messages in a minute", chat, most)
		}
	}
	t.Logf("%d messages in 60 s from 3 processes (%.1f/s); busiest second %d", len(inMinute), float64(len(inMinute))/60, mostIn(inMinute, time.Second))
}

// mostIn is the largest number of times, sorted, within any window of d.
func mostIn(times []time.Time, d time.Duration) int {
	most, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// TestPacerOptional checks that an optional message (a partial answer)
// takes no place behind others: it is refused while the bot's budget is
// taken ahead, and its refusal leaves the schedule alone.
func TestPacerOptional(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p := open(t, srv, nil).Pacer(7, nil, redisstore.PacerOptions{Now: clock.Now})
	if _, taken, _ := p.Reserve(ctx, 1, true); !taken {
		t.Fatal("an optional message refused on an idle bot")
	}
	for chat := int64(2); chat < 5; chat++ {
		p.Reserve(ctx, chat, false) // places at +1, +2, +3 intervals
	}
	wait, taken, err := p.Reserve(ctx, 9, true)
	if err != nil || taken || wait != 4*35715*time.Microsecond {
		t.Errorf("optional behind three: %v %v %v; want refused, 4 intervals to wait", wait, taken, err)
	}
	if wait, taken, _ := p.Reserve(ctx, 9, false); !taken || wait != 4*35715*time.Microsecond {
		t.Errorf("the refusal moved the schedule: next place after %v (%v)", wait, taken)
	}
	clock.Add(2 * time.Second)
	if wait, taken, _ := p.Reserve(ctx, 1, true); !taken || wait != 0 {
		t.Errorf("optional on an idle bot again: %v %v", wait, taken)
	}
}

// TestPacerRedisClock runs three processes' pacers on Redis's own clock,
// as in production, from 24 goroutines for 1.5 s, each sleeping until
// its place. The places are reckoned from the time each call started,
// so a slow call can only move a place later than it is: the count in
// the run's first second is bounded loosely, by Telegram's 30, not 28.
func TestPacerRedisClock(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	var pacers []*redisstore.Pacer
	for range 3 {
		pacers = append(pacers, open(t, srv, nil).Pacer(8, nil, redisstore.PacerOptions{}))
	}
	var mu sync.Mutex
	var places []time.Time
	begin := time.Now()
	var wg sync.WaitGroup
	for g := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pacers[g%3]
			for i := 0; time.Since(begin) < 1500*time.Millisecond; i++ {
				before := time.Now()
				wait, taken, err := p.Reserve(ctx, int64(g*1000+i), false) // a new chat each time
				if err != nil || !taken {
					t.Errorf("reserve: %v %v", taken, err)
					return
				}
				mu.Lock()
				places = append(places, before.Add(wait))
				mu.Unlock()
				time.Sleep(wait)
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(places, func(a, b time.Time) int { return a.Compare(b) })
	first := places[0]
	n := 0
	for _, at := range places {
		if at.Sub(first) < time.Second {
			n++
		}
	}
	if n > 30 || n < 20 {
		t.Errorf("%d places in the first second, want 20 to 30 (28 paced)", n)
	}
	t.Logf("%d places in the first second, %d in all", n, len(places))
}

// TestPacerFallbackShare counts three processes through their
// heartbeats; when Redis goes, Reserve fails (for the sender to pace in
// process) and the pacer still knows the count, for each to take a third
// of the budget.
func TestPacerFallbackShare(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	var pacers []*redisstore.Pacer
	for _, id := range []string{"a", "b", "c"} {
		s := open(t, srv, nil)
		peers := s.Peers(redisstore.Instance{ID: id, Host: "h"})
		peers.Announce(ctx, "v1") // a heartbeat
		pacers = append(pacers, s.Pacer(7, peers, redisstore.PacerOptions{}))
	}
	for i, p := range pacers {
		if _, _, err := p.Reserve(ctx, int64(i), false); err != nil { // counts the processes: the first call is due
			t.Fatal(err)
		}
		if n := p.Processes(); n != 3 {
			t.Fatalf("process %d counts %d, want 3", i, n)
		}
	}
	srv.Stop()
	for i, p := range pacers {
		if _, _, err := p.Reserve(ctx, 9, false); err == nil {
			t.Error("Reserve succeeded with Redis down")
		}
		if n := p.Processes(); n != 3 {
			t.Errorf("with Redis down process %d counts %d, want 3 as last seen", i, n)
		}
	}
	var none *redisstore.Pacer = open(t, srv, nil).Pacer(7, nil, redisstore.PacerOptions{})
	if none.Processes() != 1 {
		t.Error("a pacer without peers counts other than 1")
	}
}

// TestPacerSpacesChatFromSent checks that a chat's next message is
// spaced from when the last one's request returned (Sent), not only from
// its place, so a slow request then a fast one from another process
// cannot arrive too close; and that Sent never brings a chat's next
// place nearer.
func TestPacerSpacesChatFromSent(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	a := open(t, srv, nil).Pacer(7, nil, redisstore.PacerOptions{Now: clock.Now})
	b := open(t, srv, nil).Pacer(7, nil, redisstore.PacerOptions{Now: clock.Now})
	if _, taken, _ := a.Reserve(ctx, 1, false); !taken {
		t.Fatal("first message refused")
	}
	clock.Add(500 * time.Millisecond) // the request took half a second
	a.Sent(ctx, 1)
	clock.Add(600 * time.Millisecond) // 1.1 s after the place, 0.6 s after the return
	if wait, taken, err := b.Reserve(ctx, 1, false); err != nil || taken || wait != 450*time.Millisecond {
		t.Errorf("the other process's message: %v %v %v; want refused for 450ms", wait, taken, err)
	}
	clock.Add(450 * time.Millisecond)
	if _, taken, _ := b.Reserve(ctx, 1, false); !taken {
		t.Error("refused 1.05 s after the return")
	}
	b.Sent(ctx, -5) // a group never reserved: spaced from now
	if wait, taken, _ := a.Reserve(ctx, -5, false); taken || wait != 3100*time.Millisecond {
		t.Errorf("group after Sent: %v %v; want refused for 3.1 s", wait, taken)
	}
	clock.Add(4 * time.Second)
	if _, taken, _ := a.Reserve(ctx, -5, false); !taken {
		t.Fatal("group refused after its spacing")
	}
	// Sent never brings a chat's next place nearer: chat 3's place comes
	// after ten others', and a Sent before it leaves the chat spaced
	// from that place.
	clock.Add(time.Minute)
	for chat := int64(100); chat < 110; chat++ {
		a.Reserve(ctx, chat, false)
	}
	wait, taken, _ := a.Reserve(ctx, 3, false)
	if !taken || wait != 10*35715*time.Microsecond {
		t.Fatalf("chat 3's place after ten: %v %v", wait, taken)
	}
	a.Sent(ctx, 3)
	if again, taken, _ := a.Reserve(ctx, 3, false); taken || again != wait+1050*time.Millisecond {
		t.Errorf("after an early Sent chat 3 waits %v (%v), want %v", again, taken, wait+1050*time.Millisecond)
	}
}

// BenchmarkPacerReserveAndSent is the cost of the shared pace for one
// message: a Reserve and a Sent, two script calls, on a local Redis.
func BenchmarkPacerReserveAndSent(b *testing.B) {
	srv := redistest.Start(b)
	s, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p := s.Pacer(7, nil, redisstore.PacerOptions{Now: clock.Now})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		clock.Add(2 * time.Second) // every place free: the calls, not the waits, are measured
		if _, taken, err := p.Reserve(ctx, int64(i%100), false); err != nil || !taken {
			b.Fatal(taken, err)
		}
		p.Sent(ctx, int64(i%100))
	}
}
