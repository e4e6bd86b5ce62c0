package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/corpusgen"
	"github.com/talkbot/talkbot/internal/faketelegram"
)

// TestLoadMemory100k runs the real binary serving a 100k-passage corpus
// against the Telegram double, has 100 chats ask and an admin reload the
// corpus, and reads the process's resident memory: now and at its peak
// (the reload holds the old index and the new one at once).
func TestLoadMemory100k(t *testing.T) {
	if f := flag.Lookup("test.run"); f == nil || !strings.Contains(f.Value.String(), "Load") {
		t.Skip("long; run with -run Load")
	}
	const limitMB = 300
	// Unless told otherwise the bot runs under GOMEMLIMIT=200MiB, the
	// limit the container image used to ship: building an index, and a
	// reload, which briefly holds two corpora, take heap that without a
	// soft limit the garbage collector lets grow to twice the live heap
	// before it collects. So the peak is held to limitMB only under a
	// limit; with GOMEMLIMIT=off it is held to the container size
	// docs/BENCHMARKS.md ("Sizing") gives for no limit, 5 KB a passage.
	memLimit := cmp.Or(os.Getenv("GOMEMLIMIT"), "200MiB")
	dir := t.TempDir()
	bin := filepath.Join(dir, "talkbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	corpusDir := filepath.Join(dir, "corpus")
	os.Mkdir(corpusDir, 0o755)
	g, err := corpusgen.Generate(11, 100_000, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteDir(corpusDir); err != nil {
		t.Fatal(err)
	}
	passages := len(g.Corpus.Passages)
	peakMB := limitMB
	if memLimit == "off" {
		peakMB = passages * 5 / 1000
	}
	g = nil // the test's own copy is not the bot's memory

	// The bot's state (inbox) and snapshots go in the test's own
	// directory: the inbox remembers the update ids it took, and the
	// Telegram double numbers updates from 1 again in every run, so an
	// inbox left in the user's cache by an earlier run would drop this
	// run's questions as redeliveries.
	stateDir, indexDir := filepath.Join(dir, "state"), filepath.Join(dir, "index")
	tg := faketelegram.New("123:LOAD-token", "talkbot_load")
	defer tg.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"TELEGRAM_BOT_TOKEN=123:LOAD-token",
		"TELEGRAM_API_ENDPOINT="+tg.URL,
		"CORPUS_DIR="+corpusDir,
		"STATE_DIR="+stateDir,
		"INDEX_DIR="+indexDir,
		"METRICS_ADDR=127.0.0.1:0",
		"ADMIN_IDS=42",
		"REDIS_URL=",
		"OPENAI_API_KEY=",
		"LOG_LEVEL=warn",
		"GOMEMLIMIT="+memLimit,
	)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	if !tg.WaitFor(2*time.Minute, func() bool { return tg.Calls("getUpdates") > 0 }) {
		t.Fatal("the bot did not start polling")
	}
	ready := time.Since(start)
	const chats = 100
	ask := func(round int) {
		t.Helper()
		for i := range chats {
			tg.PushText(int64(30_000+i), fmt.Sprintf("%s (round %d)", "Where did Putin and Biden last meet in person?", round))
		}
		answered := func() int {
			n := 0
			for i := range chats {
				if len(tg.SentTo(int64(30_000+i))) >= round {
					n++
				}
			}
			return n
		}
		if !tg.WaitFor(2*time.Minute, func() bool { return answered() == chats }) {
			t.Fatalf("round %d: %d of %d chats answered", round, answered(), chats)
		}
	}
	ask(1)
	serving := memory(t, cmd.Process.Pid)
	tg.PushText(42, "/reload")
	if !tg.WaitFor(2*time.Minute, func() bool { return len(tg.SentTo(42)) > 0 }) {
		t.Fatal("no reply to /reload")
	}
	if got := tg.SentTo(42)[0].Text; !strings.Contains(got, "Reloaded") {
		t.Fatalf("reload reply %q", got)
	}
	ask(2)
	after := memory(t, cmd.Process.Pid)
	t.Logf("serving %d passages with GOMEMLIMIT=%s: ready in %v; resident %d MB after %d answers (peak %d MB), %d MB after a reload and %d more; peak %d MB (limits %d MB resident, %d MB peak)",
		passages, memLimit, ready.Round(time.Millisecond), serving.rss, chats, serving.peak, after.rss, chats, after.peak, limitMB, peakMB)
	if after.rss > limitMB {
		t.Errorf("resident memory %d MB serving %d passages, want under %d MB", after.rss, passages, limitMB)
	}
	if after.peak > peakMB {
		t.Errorf("peak resident memory %d MB with GOMEMLIMIT=%s, want under %d MB", after.peak, memLimit, peakMB)
	}
}

type rss struct{ rss, peak int } // MB

// memory reads a process's resident set size, now and at its peak.
func memory(t *testing.T, pid int) rss {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	defer f.Close()
	var m rss
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			m.rss = kb / 1024
		case "VmHWM":
			m.peak = kb / 1024
		}
	}
	return m
}
