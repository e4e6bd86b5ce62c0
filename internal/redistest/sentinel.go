package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the Sentinel of StartSentinel watches the
// primary under.
const MasterName = "talkbot-test"

// Sentinel is a primary, one replica and one Sentinel watching them,
// each a throw-away process, for one test. The Sentinel declares the
// primary down after half a second without an answer and, being the only
// one, promotes the replica alone.
type Sentinel struct {
	URL     string // redis+sentinel://…/MasterName/0
	Prefix  string // unique to the test
	Primary *Server
	Replica *Server

	t    testing.TB
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartSentinel starts a primary, its replica and a Sentinel, and waits
// until the replica is in sync and the Sentinel knows both. It skips the
// test when redis-server or redis-sentinel is not installed (.ci/run
// installs both).
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install redis-server redis-sentinel): no Sentinel to test on", bin)
		}
	}
	s := &Sentinel{t: t, Prefix: "talkbot-test:" + randomID() + ":"}
	fast := []string{"--repl-diskless-sync-delay", "0"} // the first sync at once, not after 5 s
	s.Primary = startOwn(t, s.Prefix, fast)
	s.Replica = startOwn(t, s.Prefix, append(fast, "--replicaof", "127.0.0.1", strconv.Itoa(s.Primary.port)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	var err error
	if s.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "sentinel.conf")
	data := fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
dir %s
sentinel monitor %s 127.0.0.1 %d 1
sentinel down-after-milliseconds %[3]s 500
sentinel failover-timeout %[3]s 5000
sentinel parallel-syncs %[3]s 1
`, s.port, dir, MasterName, s.Primary.port)
	if err := os.WriteFile(conf, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-sentinel", conf)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-sentinel: %v", err)
	}
	s.cmd = cmd
	t.Cleanup(s.stop)
	sc := s.client()
	defer sc.Close()
	for {
		replicas, err := sc.Replicas(ctx, MasterName).Result()
		if err == nil && len(replicas) == 1 && !strings.Contains(replicas[0]["flags"], "down") && replicas[0]["master-link-status"] == "ok" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("sentinel does not see the replica in sync: %v %v", replicas, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.URL = fmt.Sprintf("redis+sentinel://127.0.0.1:%d/%s/0", s.port, MasterName)
	return s
}

// WaitReplicated waits until the replica has every write the primary
// took so far, so that a failover after it loses none.
func (s *Sentinel) WaitReplicated(ctx context.Context) error {
	p := redis.NewClient(&redis.Options{Addr: s.Primary.Addr()})
	defer p.Close()
	r := redis.NewClient(&redis.Options{Addr: s.Replica.Addr()})
	defer r.Close()
	for {
		want, err1 := replInfo(ctx, p, "master_repl_offset")
		got, err2 := replInfo(ctx, r, "slave_repl_offset")
		link, err3 := replInfo(ctx, r, "master_link_status")
		if err1 == nil && err2 == nil && err3 == nil && link == "up" && atoi(got) >= atoi(want) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("replica not in sync (link %s, offset %s of %s): %v %v %v", link, got, want, err1, err2, err3)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// replInfo returns a field of INFO replication; offsets are compared as
// numbers by the caller.
func replInfo(ctx context.Context, c *redis.Client, field string) (string, error) {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %s in INFO replication", field)
}

// KillPrimary kills the primary, as a crash would; the Sentinel then
// promotes the replica.
func (s *Sentinel) KillPrimary() { s.Primary.Stop() }

// WaitFailover waits until the Sentinel names the replica as primary.
func (s *Sentinel) WaitFailover(ctx context.Context) error {
	sc := s.client()
	defer sc.Close()
	for {
		addr, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		if err == nil && len(addr) == 2 && addr[0]+":"+addr[1] == s.Replica.Addr() {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("no failover to %s: the sentinel names %v (%v)", s.Replica.Addr(), addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Sentinel) client() *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port)})
}

func (s *Sentinel) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}
