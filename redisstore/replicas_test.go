package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

func openURL(t *testing.T, url, prefix string, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	opts.Prefix = prefix
	s, err := redisstore.Open(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		url  string
		mode redisstore.Mode
		bad  bool
	}{
		{url: "redis://localhost:6379/0", mode: redisstore.ModeSingle},
		{url: "rediss://u:p@localhost:6380/1", mode: redisstore.ModeSingle},
		{url: "unix:///run/redis.sock", mode: redisstore.ModeSingle},
		{url: "redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster/2?sentinel_password=x", mode: redisstore.ModeSentinel},
		{url: "redis+sentinel://s1:26379/mymaster", mode: redisstore.ModeSentinel},
		{url: "rediss+sentinel://s1:26379/mymaster", mode: redisstore.ModeSentinel},
		{url: "redis+cluster://u:pw@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002", mode: redisstore.ModeCluster},
		{url: "redis+cluster://n1:7000", mode: redisstore.ModeCluster},
		{url: "redis+sentinel://s1:26379", bad: true},              // no master name
		{url: "redis+sentinel://s1:26379/m/x", bad: true},          // db not a number
		{url: "redis+sentinel://s1:26379/m/0/extra", bad: true},    // too long a path
		{url: "redis+cluster://n1:7000/0", bad: true},              // a cluster has no db
		{url: "redis+cluster://n1,n2:7001", bad: true},             // no port
		{url: "redis+cluster://n1:99999", bad: true},               // bad port
		{url: "redis+cluster://n1:7000?pool=3", bad: true},         // unknown parameter
		{url: "http://:SECRET-pw@localhost:6379", bad: true},       // another scheme
		{url: "redis://:SECRET-pw@local host:6379/0", bad: true},   // net/url quotes the URL in its error
		{url: "redis+sentinel://:SECRET-pw@s1:x/m", bad: true},     // port
		{url: "localhost:6379", bad: true},                         // no scheme
		{url: "redis+cluster://:SECRET-pw@n1:7000/%zz", bad: true}, // escape
	} {
		mode, err := redisstore.CheckURL(tt.url)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: accepted as %s", tt.url, mode)
			} else if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("%s: the error quotes the password: %v", tt.url, err)
			}
			continue
		}
		if err != nil || mode != tt.mode {
			t.Errorf("%s: %s, %v; want %s", tt.url, mode, err, tt.mode)
		}
	}
}

// TestClusterEveryFeature runs every part of the store on a three-node
// Redis Cluster: each must work (a script or transaction over keys of
// several slots fails there with CROSSSLOT), and the parts' keys must
// spread over the nodes.
func TestClusterEveryFeature(t *testing.T) {
	cl := redistest.StartCluster(t)
	logs := &logbuf.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := redisstore.Options{Log: newLogger(logs), Timeout: time.Second}
	a := openURL(t, cl.URL, cl.Prefix, opts)
	b := openURL(t, cl.URL, cl.Prefix, opts) // another process
	if a.Mode() != redisstore.ModeCluster {
		t.Fatalf("mode %s", a.Mode())
	}

	// Answer cache and its locks (scripts on one key).
	a.Cache().Set(ctx, "q1", sample, time.Hour)
	if got, ok := b.Cache().Get(ctx, "q1"); !ok || got.Text != sample.Text {
		t.Errorf("cache: %+v, %v", got, ok)
	}
	unlock, ok := a.Cache().Lock(ctx, "q1", 300*time.Millisecond)
	if !ok {
		t.Fatal("lock not granted")
	}
	if _, ok := b.Cache().Lock(ctx, "q1", time.Second); ok {
		t.Error("a held lock granted again")
	}
	time.Sleep(500 * time.Millisecond) // past the ttl: held by renewal only
	if _, ok := b.Cache().Lock(ctx, "q1", time.Second); ok {
		t.Error("a renewed lock lapsed")
	}
	unlock()
	if unlock2, ok := b.Cache().Lock(ctx, "q1", time.Second); !ok {
		t.Error("lock not granted after unlock")
	} else {
		unlock2()
	}

	// Semantic cache (a transaction on one key).
	a.Similar(time.Hour).Remember(ctx, "space", "How long?", "q1", []float32{1, 0})
	if q, key, _, ok := b.Similar(time.Hour).Nearest(ctx, "space", []float32{1, 0}); !ok || q != "How long?" || key != "q1" {
		t.Errorf("similar: %q %q %v", q, key, ok)
	}

	// Conversation memory (the write-back script).
	ma := a.Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour))
	mb := b.Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour))
	ma.Append(ctx, 7, answer.Turn{Question: "q1", Answer: "a1"})
	ma.Append(ctx, 7, answer.Turn{Question: "q2", Answer: "a2"})
	if h := mb.History(ctx, 7); len(h) != 2 || h[1].Question != "q2" {
		t.Errorf("memory: %+v", h)
	}
	mb.Reset(ctx, 7)
	if h := ma.History(ctx, 7); len(h) != 0 {
		t.Errorf("memory after reset: %+v", h)
	}

	// Per-user limits (GCRA script).
	la, lb := a.Limiter(2, bot.NewLocalLimiter(2)), b.Limiter(2, bot.NewLocalLimiter(2))
	for i, l := range []*redisstore.Limiter{la, lb} {
		if ok, _ := l.Allow(ctx, 9); !ok {
			t.Errorf("question %d refused within the burst", i+1)
		}
	}
	if ok, _ := la.Allow(ctx, 9); ok {
		t.Error("limit: a third question allowed")
	}

	// Handled updates.
	if !a.Updates(1).Claim(ctx, 5) || b.Updates(1).Claim(ctx, 5) || !b.Updates(1).Claimed(ctx, 5) {
		t.Error("updates: one update claimed twice, or not at all")
	}

	// Peers: heartbeat transaction, MGET of instances, count, reload fan-out.
	pa := a.Peers(redisstore.Instance{ID: "a", Host: "h1"})
	pb := b.Peers(redisstore.Instance{ID: "b", Host: "h2"})
	pa.Announce(ctx, "v1")
	pb.Announce(ctx, "v1")
	got := make(chan string, 4)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go pb.Watch(wctx, func(_ context.Context, v string) { got <- v })
	time.Sleep(300 * time.Millisecond) // let the subscription start
	pa.Announce(ctx, "v2")
	select {
	case v := <-got:
		if v != "v2" {
			t.Errorf("reload to %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Error("reload not fanned out on the cluster")
	}
	if vs := pb.Versions(ctx); vs["h1/a"] != "v2" || vs["h2/b"] != "v1" {
		t.Errorf("versions %v", vs)
	}
	if n := pa.Count(ctx); n != 2 {
		t.Errorf("count %d, want 2", n)
	}

	// The shared pacer (one script over the bot's and a chat's keys).
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	pacer := a.Pacer(1, pa, redisstore.PacerOptions{Now: clock.Now})
	pacerB := b.Pacer(1, pb, redisstore.PacerOptions{Now: clock.Now})
	if wait, taken, err := pacer.Reserve(ctx, 100, false); err != nil || !taken || wait != 0 {
		t.Errorf("pacer: first message %v %v %v", wait, taken, err)
	}
	if _, taken, err := pacerB.Reserve(ctx, 100, false); err != nil || taken {
		t.Errorf("pacer: a second message to the chat at once taken (%v)", err)
	}
	if wait, taken, err := pacerB.Reserve(ctx, 101, false); err != nil || !taken || wait != 35715*time.Microsecond {
		t.Errorf("pacer: another chat's message %v %v %v; want taken after one interval", wait, taken, err)
	}
	if pacer.Processes() != 2 {
		t.Errorf("pacer: %d processes, want 2", pacer.Processes())
	}

	if strings.Contains(logs.String(), "redis unavailable") || a.State() != redisstore.StateClosed {
		t.Errorf("calls failed on the cluster:\n%s", logs)
	}
	// The parts' keys spread over the nodes, each group of keys a script
	// or transaction touches on one.
	nodes := map[string]bool{}
	for _, c := range cl.Nodes {
		rdb := c.Client()
		keys, err := rdb.Keys(ctx, cl.Prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			nodes[c.Addr()] = true
		}
	}
	if len(nodes) < 2 {
		t.Errorf("every key on %d node(s): the parts do not spread", len(nodes))
	}
	for _, group := range [][]string{
		{cl.Prefix + "{peers}:instances", cl.Prefix + "{peers}:instance:a"},
		{cl.Prefix + "{pace:1}:bot", cl.Prefix + "{pace:1}:chat:100"},
	} {
		n0, err0 := cl.NodeOf(ctx, group[0])
		n1, err1 := cl.NodeOf(ctx, group[1])
		if err0 != nil || err1 != nil || n0 != n1 {
			t.Errorf("%q on %s, %q on %s (%v %v)", group[0], n0, group[1], n1, err0, err1)
		}
	}
}

// TestSentinelFailover writes through a Sentinel-watched primary, kills
// it, keeps using the store while the Sentinel promotes the replica, and
// finds the state again on the new primary: what was written before, and
// what was appended during the outage (written back).
func TestSentinelFailover(t *testing.T) {
	sen := redistest.StartSentinel(t)
	logs := &logbuf.Buffer{}
	ctx := context.Background()
	s := openURL(t, sen.URL, sen.Prefix, redisstore.Options{Log: newLogger(logs), CoolDown: 200 * time.Millisecond, MaxCoolDown: time.Second})
	if s.Mode() != redisstore.ModeSentinel {
		t.Fatalf("mode %s", s.Mode())
	}
	mem := s.Memory(6, time.Hour, bot.NewLocalMemory(6, time.Hour))
	pa := s.Peers(redisstore.Instance{ID: "a", Host: "h1"})
	pb := openURL(t, sen.URL, sen.Prefix, redisstore.Options{CoolDown: 200 * time.Millisecond, MaxCoolDown: time.Second}).Peers(redisstore.Instance{ID: "b", Host: "h2"})
	pa.Announce(ctx, "v1")
	reloads := make(chan string, 4)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go pb.Watch(wctx, func(_ context.Context, v string) { reloads <- v })
	s.Cache().Set(ctx, "q1", sample, time.Hour)
	mem.Append(ctx, 7, answer.Turn{Question: "before", Answer: "a"})
	if !s.Updates(1).Claim(ctx, 10) {
		t.Fatal("update not new")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sen.WaitReplicated(wctx); err != nil {
		t.Fatal(err)
	}

	sen.KillPrimary()
	killed := time.Now()
	// While the primary is away the store answers from this process.
	mem.Append(ctx, 7, answer.Turn{Question: "during", Answer: "b"})
	if h := mem.History(ctx, 7); len(h) == 0 || h[len(h)-1].Question != "during" {
		t.Errorf("history during the failover: %+v", h)
	}

	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sen.WaitFailover(fctx); err != nil {
		t.Fatal(err)
	}
	for s.Ping(ctx) != nil {
		if fctx.Err() != nil {
			t.Fatalf("store not back after the failover:\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("store back on the promoted replica %v after the kill", time.Since(killed).Round(100*time.Millisecond))
	if got, ok := s.Cache().Get(ctx, "q1"); !ok || got.Text != sample.Text {
		t.Errorf("cached answer lost in the failover: %v", ok)
	}
	if s.Updates(1).Claim(ctx, 10) {
		t.Error("a handled update counted as new after the failover")
	}
	if h := mem.History(ctx, 7); len(h) != 2 || h[0].Question != "before" || h[1].Question != "during" {
		t.Errorf("history after the failover: %+v", h)
	}
	s.Cache().Set(ctx, "q2", sample, time.Hour)
	if _, ok := s.Cache().Get(ctx, "q2"); !ok || !s.Up() {
		t.Error("the promoted replica does not take writes")
	}
	// The reload channel's subscription follows the failover too.
	deadline := time.After(10 * time.Second)
	for v := ""; v != "v2"; {
		pa.Announce(ctx, "v2")
		pa.Announce(ctx, "v1") // a change each time, so each is published
		select {
		case v = <-reloads:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no reload fanned out after the failover")
		}
	}
	if !strings.Contains(logs.String(), "redis is back") {
		t.Errorf("no recovery logged:\n%s", logs)
	}
}
