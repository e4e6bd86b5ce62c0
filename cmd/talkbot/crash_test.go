package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/internal/redistest"
)

// These tests run the real binary, as a process that can be killed,
// against the Bot API and OpenAI test doubles (and a real redis-server).

var built struct {
	once sync.Once
	path string
	err  error
}

// binary builds talkbot once for the test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building the binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "talkbot-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "talkbot")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// proc is one talkbot process.
type proc struct {
	cmd    *exec.Cmd
	stderr *logbuf.Buffer
	done   chan error
}

// startServe starts `talkbot serve` with vars as its whole environment.
func startServe(t *testing.T, vars map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = []string{"METRICS_ADDR=off", "LOG_LEVEL=info"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, stderr: &logbuf.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// kill9 kills the process as the kernel's OOM killer or a crash would.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for the process to end.
func (p *proc) stop(t *testing.T, within time.Duration) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("talkbot serve after SIGTERM: %v\n%s", err, p.stderr.String())
		}
	case <-time.After(within):
		t.Fatalf("talkbot serve still running %s after SIGTERM", within)
	}
}

func (p *proc) alive() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return false
	default:
		return true
	}
}

// finalReplies counts, for each chat, the replies it reads that are
// final answers (HTML, as partial answers are plain text).
func finalReplies(tg *faketelegram.Server, chats []int64) map[int64]int {
	out := map[int64]int{}
	for _, c := range chats {
		for _, m := range tg.Shown(c) {
			if m.ParseMode == "HTML" {
				out[c]++
			}
		}
	}
	return out
}

// TestKillNineExactlyOnce kills `talkbot serve` with SIGKILL in the
// middle of bursts of questions, several times, and restarts it each
// time on the same STATE_DIR: every question must be answered exactly
// once — none lost, none answered twice — with and without Redis. (A
// reply Telegram takes at the very instant of the kill, before the bot
// notes it, is sent again: no Bot API call can be made idempotent. The
// test holds replies back around the kill to leave that instant out.)
func TestKillNineExactlyOnce(t *testing.T) {
	for _, withRedis := range []bool{false, true} {
		t.Run(map[bool]string{false: "inbox only", true: "inbox and redis"}[withRedis], func(t *testing.T) {
			const token = "4242:KILL-test"
			tg := faketelegram.New(token, "talkbot_kill")
			t.Cleanup(tg.Close)
			ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Putin and Biden last met in Geneva [1]." })
			ai.Latency = 300 * time.Millisecond
			t.Cleanup(ai.Close)
			vars := map[string]string{
				"TELEGRAM_BOT_TOKEN":    token,
				"TELEGRAM_API_ENDPOINT": tg.URL,
				"OPENAI_BASE_URL":       ai.BaseURL(),
				"LLM_TIMEOUT":           "10s",
				"STATE_DIR":             t.TempDir(),
				"RATE_LIMIT":            "1000",
			}
			if withRedis {
				srv := redistest.Start(t)
				vars["REDIS_URL"] = srv.URL
				vars["REDIS_PREFIX"] = srv.Prefix
			}
			var chats []int64
			next := int64(1000)
			for burst := range 3 {
				p := startServe(t, vars)
				for range 40 {
					tg.PushText(next, "Where did Putin and Biden last meet in person?")
					chats = append(chats, next)
					next++
				}
				// Kill it once some of this burst, but not all, is answered.
				answered := func() int {
					n := 0
					for _, c := range finalReplies(tg, chats[len(chats)-40:]) {
						n += min(c, 1)
					}
					return n
				}
				if !tg.WaitFor(30*time.Second, func() bool { return answered() >= 5 }) {
					t.Fatalf("burst %d: nothing answered:\n%s", burst, p.stderr.String())
				}
				// The one reply that cannot be answered exactly once is one
				// Telegram took at the instant of the kill, before the bot
				// could note it: hold replies back, let those already taken
				// be noted, then kill.
				tg.Hold(true)
				time.Sleep(2 * time.Second) // ample, even for a process starved of CPU
				p.kill9(t)
				tg.Hold(false)
				t.Logf("burst %d: killed with %d of 40 answered", burst, answered())
			}
			// A last start answers what the kills left.
			p := startServe(t, vars)
			all := func() bool {
				for _, n := range finalReplies(tg, chats) {
					if n == 0 {
						return false
					}
				}
				return len(finalReplies(tg, chats)) == len(chats)
			}
			if !tg.WaitFor(60*time.Second, all) {
				missing := 0
				for _, c := range chats {
					if finalReplies(tg, []int64{c})[c] == 0 {
						missing++
					}
				}
				t.Fatalf("%d of %d questions never answered across the kills\n%s", missing, len(chats), p.stderr.String())
			}
			time.Sleep(2 * time.Second) // anything answered twice would show by now
			for c, n := range finalReplies(tg, chats) {
				if n != 1 {
					t.Errorf("chat %d got %d answers, want exactly one", c, n)
				}
			}
			if tg.Pending() != 0 {
				t.Errorf("%d updates left unacknowledged", tg.Pending())
			}
			p.stop(t, 40*time.Second)
		})
	}
}

// TestCallbackWithoutMessageKeepsIntake sends the update that crashed
// the bot in a loop: a button press on an inline-mode message, which
// carries no message. The process must stay up, acknowledge it, and
// answer the question behind it; a restart must not meet it again.
func TestCallbackWithoutMessageKeepsIntake(t *testing.T) {
	const token = "4343:CALLBACK-test"
	tg := faketelegram.New(token, "talkbot_cb")
	t.Cleanup(tg.Close)
	vars := map[string]string{"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_ENDPOINT": tg.URL, "STATE_DIR": t.TempDir()}
	p := startServe(t, vars)
	tg.Push(map[string]any{"callback_query": map[string]any{
		"id": "cb1", "from": map[string]any{"id": 77, "is_bot": false, "first_name": "A"},
		"inline_message_id": "AAAA", "chat_instance": "1", "data": "src:1",
	}})
	tg.Push(map[string]any{"callback_query": map[string]any{"id": "cb2", "data": "src:1"}}) // no sender either
	tg.Push(map[string]any{"message": "not an object"})                                     // malformed
	tg.PushText(78, "Where did Putin and Biden last meet in person?")
	if !tg.WaitFor(20*time.Second, func() bool { return finalReplies(tg, []int64{78})[78] == 1 }) {
		t.Fatalf("the question after the callback was not answered (alive %v)\n%s", p.alive(), p.stderr.String())
	}
	if !p.alive() {
		t.Fatalf("the process died:\n%s", p.stderr.String())
	}
	if !tg.WaitFor(10*time.Second, func() bool { return tg.Pending() == 0 }) {
		t.Errorf("%d updates left unacknowledged: a restart would meet them again", tg.Pending())
	}
	p.stop(t, 40*time.Second)
}

// TestSigtermLeavesUnfinishedAnswersForTheNextStart stops the bot while
// an answer is still being written (the model takes longer than the
// drain): the question must be answered by the next start, not
// acknowledged and dropped.
func TestSigtermLeavesUnfinishedAnswersForTheNextStart(t *testing.T) {
	const token = "4444:SIGTERM-test"
	tg := faketelegram.New(token, "talkbot_term")
	t.Cleanup(tg.Close)
	slow := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Geneva [1]." })
	slow.Latency = time.Minute
	t.Cleanup(slow.Close)
	fast := fakeopenai.New(func(openai.ChatCompletionRequest) string { return "Geneva [1]." })
	t.Cleanup(fast.Close)
	for _, stateDir := range []string{t.TempDir(), "off"} {
		t.Run("STATE_DIR="+filepath.Base(stateDir), func(t *testing.T) {
			vars := map[string]string{
				"TELEGRAM_BOT_TOKEN":    token,
				"TELEGRAM_API_ENDPOINT": tg.URL,
				"OPENAI_BASE_URL":       slow.BaseURL(),
				"LLM_TIMEOUT":           "2m",
				"STATE_DIR":             stateDir,
			}
			chat := int64(900)
			if stateDir == "off" {
				chat = 901
			}
			asked := slow.Requests()
			p := startServe(t, vars)
			tg.PushText(chat, "Where did Putin and Biden last meet in person?")
			if !tg.WaitFor(10*time.Second, func() bool { return slow.Requests() > asked }) {
				t.Fatalf("the question never reached the model\n%s", p.stderr.String())
			}
			p.stop(t, 40*time.Second)
			if n := finalReplies(tg, []int64{chat})[chat]; n != 0 {
				t.Fatalf("%d answers before the restart; the model never answered", n)
			}
			vars["OPENAI_BASE_URL"] = fast.BaseURL()
			p = startServe(t, vars)
			if !tg.WaitFor(20*time.Second, func() bool { return finalReplies(tg, []int64{chat})[chat] == 1 }) {
				t.Fatalf("the question cut off by SIGTERM was never answered\n%s", p.stderr.String())
			}
			if strings.Contains(p.stderr.String(), `"level":"ERROR"`) {
				t.Errorf("errors logged:\n%s", p.stderr.String())
			}
			p.stop(t, 40*time.Second)
		})
	}
}
