package redisstore_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

func open(t *testing.T, srv *redistest.Server, logs *logbuf.Buffer) *redisstore.Store {
	t.Helper()
	opts := redisstore.Options{}
	if logs != nil {
		opts.Log = newLogger(logs)
	}
	return openWith(t, srv, opts)
}

func openWith(t *testing.T, srv *redistest.Server, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	opts.Prefix = srv.Prefix
	s, err := redisstore.Open(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var sample = answer.Answer{
	Question: "How long did the call last?", Text: "Two hours [1].", Answered: true, Mode: answer.ModeLLM, CorpusVersion: "v1",
	Citations:  []answer.Citation{{N: 1, Doc: "d", Title: "T", Passage: "d#1", Text: "They talked for two hours."}},
	Standalone: "How long did the call last?", Retrieved: []string{"d"},
}

func TestCache(t *testing.T) {
	srv := redistest.Start(t)
	c := open(t, srv, nil).Cache()
	rdb := srv.Client()
	ctx := context.Background()

	if _, ok := c.Get(ctx, "k1"); ok {
		t.Fatal("hit on an empty cache")
	}
	c.Set(ctx, "k1", sample, time.Hour)
	got, ok := c.Get(ctx, "k1")
	if !ok || got.Text != sample.Text || len(got.Citations) != 1 || got.Standalone != sample.Standalone || got.Retrieved[0] != "d" {
		t.Fatalf("Get = %+v, %v", got, ok)
	}
	if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 1 || !strings.HasPrefix(keys[0], srv.Prefix) {
		t.Errorf("keys %q: every key must start with the prefix %q", keys, srv.Prefix)
	}

	c.Set(ctx, "short", sample, 200*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	if _, ok := c.Get(ctx, "short"); ok {
		t.Error("an answer past its TTL was served")
	}

	for name, junk := range map[string]string{"not JSON": "\x00\xffgarbage", "foreign JSON": `{"hello":"world"}`, "other version": `{"v":99,"answer":{"answer":"x"}}`} {
		rdb.Set(ctx, srv.Prefix+"answer:junk", junk, time.Hour)
		if a, ok := c.Get(ctx, "junk"); ok {
			t.Errorf("%s under our key served as %+v", name, a)
		}
	}
}

func TestCacheLock(t *testing.T) {
	srv := redistest.Start(t)
	c := open(t, srv, nil).Cache()
	ctx := context.Background()
	unlock, ok := c.Lock(ctx, "q", time.Minute)
	if !ok {
		t.Fatal("first lock refused")
	}
	if _, ok := c.Lock(ctx, "q", time.Minute); ok {
		t.Fatal("second lock granted while the first is held")
	}
	unlock()
	unlock2, ok := c.Lock(ctx, "q", time.Minute)
	if !ok {
		t.Fatal("lock refused after unlock")
	}
	// The claim is lost (it expired while Redis could not renew it), and
	// someone else takes it.
	srv.Client().Del(ctx, srv.Prefix+"lock:q")
	if _, ok := c.Lock(ctx, "q", time.Minute); !ok {
		t.Fatal("a lost lock still held")
	}
	unlock2() // must not release the new holder's lock
	if _, ok := c.Lock(ctx, "q", time.Minute); ok {
		t.Fatal("a stale unlock released someone else's lock")
	}
}

// TestCacheLockOfADeadHolderExpires: a holder that died renews its claim
// no more, which then lapses after its short ttl.
func TestCacheLockOfADeadHolderExpires(t *testing.T) {
	srv := redistest.Start(t)
	c := open(t, srv, nil).Cache()
	ctx := context.Background()
	srv.Client().Set(ctx, srv.Prefix+"lock:q", "a dead process's token", 100*time.Millisecond)
	if _, ok := c.Lock(ctx, "q", time.Minute); ok {
		t.Fatal("lock granted while another holds it")
	}
	time.Sleep(200 * time.Millisecond)
	if _, ok := c.Lock(ctx, "q", time.Minute); !ok {
		t.Fatal("a dead holder's lapsed claim still held")
	}
}

func TestMemorySurvivesRestart(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	first := open(t, srv, nil).Memory(3, time.Hour, bot.NewLocalMemory(3, time.Hour))
	for _, q := range []string{"q1", "q2", "q3", "q4"} {
		first.Append(ctx, 7, answer.Turn{Question: q, Answer: "a-" + q})
	}
	// A new process: new store, new local memory.
	second := open(t, srv, nil).Memory(3, time.Hour, bot.NewLocalMemory(3, time.Hour))
	got := second.History(ctx, 7)
	if len(got) != 3 || got[0].Question != "q2" || got[2].Answer != "a-q4" {
		t.Fatalf("history after restart %+v, want the last 3 turns", got)
	}
	second.Reset(ctx, 7)
	if got := first.History(ctx, 7); len(got) != 0 {
		t.Errorf("history after reset %+v", got)
	}
	srv.Client().RPush(ctx, srv.Prefix+"chat:8", "not json", `{"question":"ok"}`)
	if got := first.History(ctx, 8); len(got) != 1 || got[0].Question != "ok" {
		t.Errorf("history with a foreign entry %+v", got)
	}

	idle := open(t, srv, nil).Memory(3, 200*time.Millisecond, bot.NewLocalMemory(3, 200*time.Millisecond))
	idle.Append(ctx, 9, answer.Turn{Question: "q"})
	time.Sleep(300 * time.Millisecond)
	if got := idle.History(ctx, 9); len(got) != 0 {
		t.Errorf("history after the idle time %+v", got)
	}
}

func TestRateLimit(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	a := open(t, srv, nil).Limiter(60, bot.NewLocalLimiter(60)) // a burst of 60, then one a second
	b := open(t, srv, nil).Limiter(60, bot.NewLocalLimiter(60)) // another process
	for i := range 60 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if ok, _ := l.Allow(ctx, 5); !ok {
			t.Fatalf("question %d refused within the burst", i+1)
		}
	}
	ok, wait := b.Allow(ctx, 5)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("61st question: allowed %v, wait %v; want refused with a wait up to 1 s", ok, wait)
	}
	if ok, _ := a.Allow(ctx, 6); !ok {
		t.Error("another user was limited")
	}
	time.Sleep(wait + 50*time.Millisecond)
	if ok, _ := a.Allow(ctx, 5); !ok {
		t.Error("still refused after the wait")
	}
}

func TestUpdatesClaimedOnce(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	a, b := open(t, srv, nil).Updates(99), open(t, srv, nil).Updates(99)
	if a.Claimed(ctx, 1) {
		t.Fatal("claimed before any claim")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := a
			if i%2 == 1 {
				u = b
			}
			if u.Claim(ctx, 1) {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 || !b.Claimed(ctx, 1) {
		t.Errorf("%d of 20 claims of one update won, want 1", wins)
	}
	if !open(t, srv, nil).Updates(100).Claim(ctx, 1) {
		t.Error("another bot's update 1 counted as taken")
	}
}

func TestPeersReload(t *testing.T) {
	srv := redistest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := open(t, srv, nil).Peers(redisstore.Instance{ID: "a", Host: "h1"})
	b := open(t, srv, nil).Peers(redisstore.Instance{ID: "b", Host: "h2"})
	a.Announce(ctx, "v1")
	b.Announce(ctx, "v1")
	got := make(chan string, 4)
	go b.Watch(ctx, func(_ context.Context, v string) { got <- v })
	go a.Watch(ctx, func(_ context.Context, v string) { t.Errorf("a reloaded on its own announcement %q", v) })
	time.Sleep(200 * time.Millisecond) // let the subscriptions start
	a.Announce(ctx, "v2")
	select {
	case v := <-got:
		if v != "v2" {
			t.Errorf("b told to reload to %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b was not told of a's reload")
	}
	vs := b.Versions(ctx)
	if vs["h1/a"] != "v2" || vs["h2/b"] != "v1" {
		t.Errorf("versions %v", vs)
	}
}

func TestRedisDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	if srv.Shared() {
		t.Skip("cannot stop a shared Redis")
	}
	logs := &logbuf.Buffer{}
	s := open(t, srv, logs)
	ctx := context.Background()
	cache := s.Cache()
	mem := s.Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour))
	lim := s.Limiter(2, bot.NewLocalLimiter(2))
	mem.Append(ctx, 1, answer.Turn{Question: "before"})

	srv.Stop()
	begin := time.Now()
	for range 20 {
		if _, ok := cache.Get(ctx, "k"); ok {
			t.Fatal("hit with Redis down")
		}
		cache.Set(ctx, "k", sample, time.Hour)
	}
	if _, ok := cache.Lock(ctx, "k", time.Minute); !ok {
		t.Error("lock refused with Redis down: nobody would answer")
	}
	mem.Append(ctx, 1, answer.Turn{Question: "during"})
	if h := mem.History(ctx, 1); len(h) != 2 || h[1].Question != "during" {
		t.Errorf("history with Redis down %+v, want the turns kept in process", h)
	}
	allowed := 0
	for range 5 {
		if ok, _ := lim.Allow(ctx, 3); ok {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("%d of 5 allowed with Redis down, want the local limit of 2", allowed)
	}
	if took := time.Since(begin); took > 30*time.Second {
		t.Errorf("calls with Redis down took %v", took)
	}
	if n := strings.Count(logs.String(), "redis unavailable"); n != 1 {
		t.Errorf("%d warnings for many failed calls, want 1 per interval:\n%s", n, logs)
	}

	srv.Restart()
	if !waitFor(10*time.Second, func() bool { cache.Set(ctx, "k", sample, time.Hour); _, ok := cache.Get(ctx, "k"); return ok }) {
		t.Fatal("the cache did not come back with Redis")
	}
	if !strings.Contains(logs.String(), "redis is back") {
		t.Error("recovery not logged")
	}
	// The restarted Redis is empty: the turn appended while it was down is
	// written back; the one from before died with it.
	if h := mem.History(ctx, 1); len(h) != 1 || h[0].Question != "during" {
		t.Errorf("history after Redis restarted %+v, want the turn appended while it was down", h)
	}
	if n := srv.Client().LLen(ctx, srv.Prefix+"chat:1").Val(); n != 1 {
		t.Errorf("%d turns in Redis after the write-back, want 1", n)
	}
}

func TestHungRedisFailsFast(t *testing.T) {
	srv := redistest.Start(t)
	if srv.Shared() {
		t.Skip("cannot pause a shared Redis")
	}
	logs := &logbuf.Buffer{}
	s := openWith(t, srv, redisstore.Options{Log: newLogger(logs), MaxCoolDown: 2 * time.Second})
	ctx := context.Background()
	lim := s.Limiter(1000, bot.NewLocalLimiter(1000))
	upd := s.Updates(1)
	if !upd.Claim(ctx, 1) || !upd.Claimed(ctx, 1) || !s.Up() || s.State() != redisstore.StateClosed {
		t.Fatalf("Redis not in use before the test: up %v, breaker %v", s.Up(), s.State())
	}

	srv.Pause() // accepts connections and commands, answers nothing
	begin := time.Now()
	for i := range 100 {
		if ok, _ := lim.Allow(ctx, 7); !ok {
			t.Fatalf("question %d refused: the local limiter should allow 1000 a minute", i+1)
		}
		if upd.Claimed(ctx, 1000+i) {
			t.Fatalf("update %d claimed with Redis hung", 1000+i)
		}
	}
	took := time.Since(begin)
	t.Logf("200 calls to a hung Redis took %v", took)
	if bound := 20 * redisstore.DefaultTimeout; took > bound {
		t.Errorf("200 calls to a hung Redis took %v, want under %v: the breaker did not open", took, bound)
	}
	if s.Up() || s.State() == redisstore.StateClosed {
		t.Errorf("up %v, breaker %v with Redis hung", s.Up(), s.State())
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeded with Redis hung")
	}

	srv.Resume()
	if !waitFor(10*time.Second, func() bool { return upd.Claimed(ctx, 1) }) {
		t.Fatalf("the store did not use Redis again after it resumed (breaker %v)", s.State())
	}
	if !s.Up() || s.State() != redisstore.StateClosed {
		t.Errorf("up %v, breaker %v after Redis resumed", s.Up(), s.State())
	}
	if !strings.Contains(logs.String(), "redis is back") {
		t.Error("recovery not logged")
	}
}

// TestMemoryOutage: a /reset and turns made while Redis does not answer
// reach Redis when it returns, instead of the old list coming back.
func TestMemoryOutage(t *testing.T) {
	srv := redistest.Start(t)
	if srv.Shared() {
		t.Skip("cannot pause a shared Redis")
	}
	s := openWith(t, srv, redisstore.Options{MaxCoolDown: 2 * time.Second})
	ctx := context.Background()
	mem := s.Memory(3, time.Hour, bot.NewLocalMemory(3, time.Hour))
	rdb := srv.Client()
	for _, q := range []string{"q1", "q2"} {
		mem.Append(ctx, 1, answer.Turn{Question: q, Answer: "a-" + q})
	}

	srv.Pause()
	// Sent, then timed out: Redis may still carry it out when it resumes.
	mem.Append(ctx, 2, answer.Turn{Question: "x"})
	for s.State() == redisstore.StateClosed {
		mem.History(ctx, 99)
	}
	// The breaker is open: these fail fast, never reaching Redis.
	mem.Reset(ctx, 1)
	mem.Append(ctx, 1, answer.Turn{Question: "after reset"})
	mem.Append(ctx, 2, answer.Turn{Question: "y"})
	if h := mem.History(ctx, 1); !questions(h, "after reset") {
		t.Errorf("history during the outage %+v, want the local one", h)
	}

	srv.Resume()
	if n := rdb.LLen(ctx, srv.Prefix+"chat:1").Val(); n != 2 {
		t.Fatalf("%d turns in Redis before the write-back, want the 2 old ones", n)
	}
	if !waitFor(10*time.Second, func() bool { h := mem.History(ctx, 1); return s.Up() && questions(h, "after reset") }) {
		t.Fatalf("history after Redis resumed %+v (breaker %v), want the reset and the turn after it", mem.History(ctx, 1), s.State())
	}
	// Another process, with nothing in its own memory, reads Redis.
	other := open(t, srv, nil).Memory(3, time.Hour, bot.NewLocalMemory(3, time.Hour))
	if h := other.History(ctx, 1); !questions(h, "after reset") {
		t.Errorf("Redis holds %+v for the reset chat, want only the turn after the reset", h)
	}
	mem.History(ctx, 2) // writes chat 2 back
	if h := other.History(ctx, 2); !questions(h, "x", "y") {
		t.Errorf("Redis holds %+v for chat 2, want both turns of the outage, once each", h)
	}
	mem.Append(ctx, 1, answer.Turn{Question: "later"})
	if h := other.History(ctx, 1); !questions(h, "after reset", "later") {
		t.Errorf("Redis holds %+v after a later turn", h)
	}
	if ttl := rdb.PTTL(ctx, srv.Prefix+"chat:1").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("chat list expires in %v, want within the idle hour", ttl)
	}
}

func questions(h []answer.Turn, want ...string) bool {
	if len(h) != len(want) {
		return false
	}
	for i, t := range h {
		if t.Question != want[i] {
			return false
		}
	}
	return true
}

func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
