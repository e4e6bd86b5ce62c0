//go:build linux

package redisstore_test

import (
	"context"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9/logging"

	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/redisstore"
)

// TestQuietDriverLogs: with QuietDriverLogs, a failing dial puts no
// plain-text line on stderr (file descriptor 2, captured), but a debug
// record in the bot's log. Without it, go-redis prints one: that shows
// the capture works.
func TestQuietDriverLogs(t *testing.T) {
	t.Cleanup(logging.Enable) // go-redis's own logger, for the other tests
	tests := []struct {
		name  string
		quiet bool
	}{
		{"go-redis's own logger", false},
		{"quiet", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := closedPort(t)
			logs := &logbuf.Buffer{}
			logging.Enable()
			if tt.quiet {
				redisstore.QuietDriverLogs(newLogger(logs))
			}
			s, err := redisstore.Open("redis://"+addr+"/0", redisstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			stderr, stop := captureStderr(t)
			defer stop()
			if err := s.Ping(context.Background()); err == nil {
				t.Error("Ping of a closed port worked")
			}
			line := "failed to dial after"
			logged := func() bool { return strings.Contains(logs.String(), line) && strings.Contains(logs.String(), addr) }
			printed := func() bool { return strings.Contains(stderr(), line) && strings.Contains(stderr(), addr) }
			if !tt.quiet {
				if !waitFor(5*time.Second, printed) {
					t.Fatalf("no %q line on stderr without QuietDriverLogs: the capture does not work; stderr:\n%s", line, stderr())
				}
				return
			}
			if !waitFor(5*time.Second, logged) {
				t.Fatalf("the failed dial is not in the log:\n%s", logs)
			}
			if !strings.Contains(logs.String(), "level=DEBUG msg=go-redis") {
				t.Errorf("the failed dial is not a debug record:\n%s", logs)
			}
			if out := stderr(); out != "" {
				t.Errorf("plain text on stderr with QuietDriverLogs:\n%s", out)
			}
		})
	}
}

// closedPort returns an address where nothing listens: dials are refused.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// captureStderr sends what is written to file descriptor 2 to a file
// until stop, and returns a function reading it so far.
func captureStderr(t *testing.T) (read func() string, stop func()) {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(tmp.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	read = func() string {
		data, _ := os.ReadFile(tmp.Name())
		return string(data)
	}
	stop = func() {
		syscall.Dup3(saved, 2, 0)
		syscall.Close(saved)
		tmp.Close()
	}
	return read, stop
}
