// Package redistest gives tests a real, throw-away Redis: a redis-server
// started on a free port with a temporary directory, or the server named
// by TALKBOT_TEST_REDIS_URL. Each test gets its own key prefix, so tests
// never touch other data, even on a shared server. StartCluster and
// StartSentinel start the deployments beyond one node (always their own
// servers).
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvURL names a Redis the tests may use instead of starting their own.
const EnvURL = "TALKBOT_TEST_REDIS_URL"

// Server is a Redis for one test.
type Server struct {
	URL    string
	Prefix string // unique to the test; every key the test writes starts with it

	t    testing.TB
	port int
	dir  string
	args []string // beside port, bind, dir and persistence

	mu  sync.Mutex
	cmd *exec.Cmd // nil when using EnvURL
}

// Start returns a Redis for t, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, Prefix: "talkbot-test:" + randomID() + ":"}
	if url := os.Getenv(EnvURL); url != "" {
		s.URL = url
		t.Cleanup(s.cleanKeys)
		return s
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (apt-get install redis-server), and %s is not set", EnvURL)
	}
	return startOwn(t, s.Prefix, nil)
}

// startOwn starts a redis-server of the test's own, with args added to
// its command line, on a free port with a temporary directory.
func startOwn(t testing.TB, prefix string, args []string) *Server {
	t.Helper()
	s := &Server{t: t, Prefix: prefix, dir: t.TempDir(), args: args}
	var err error
	for range 5 { // another process may take the free port first
		if s.port, err = freePort(); err != nil {
			continue
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	s.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", s.port)
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	c := redis.NewClient(opts)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop kills the server, as a crash would. It is a no-op on a shared server.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Restart starts a stopped server again on the same port, empty.
func (s *Server) Restart() {
	s.t.Helper()
	if s.port == 0 {
		s.t.Skip("cannot restart a shared Redis")
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

// Shared reports whether the server is an outside one from EnvURL.
func (s *Server) Shared() bool { return s.port == 0 }

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--save", "", "--appendonly", "no", "--protected-mode", "yes"}, s.args...)
	cmd := exec.Command("redis-server", args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	opts := &redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port), DialTimeout: 100 * time.Millisecond, MaxRetries: -1}
	c := redis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.cmd = cmd
			return nil
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return fmt.Errorf("redis-server on port %d did not answer", s.port)
}

// cleanKeys deletes the test's keys from a shared server.
func (s *Server) cleanKeys() {
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		return
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, s.Prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
