package bot_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/faketelegram"
)

// outcomes is an Observer that counts question outcomes.
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) Question(outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[outcome]++
}

func (o *outcomes) TelegramError(int) {}

func (o *outcomes) count(outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[outcome]
}

// peers is a Peers of fixed versions.
type peers map[string]string

func (peers) Announce(context.Context, string)             {}
func (p peers) Versions(context.Context) map[string]string { return p }

// logLines returns the JSON log lines with message msg.
func (h *harness) logLines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(h.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["msg"] == msg {
			lines = append(lines, m)
		}
	}
	return lines
}

// awaitLog waits for a log line with message msg and returns the first.
func (h *harness) awaitLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	if !h.tg.WaitFor(20*time.Second, func() bool { return strings.Contains(h.logs.String(), `"msg":"`+msg+`"`) }) {
		t.Fatalf("no %q log line in:\n%s", msg, h.logs.String())
	}
	return h.logLines(t, msg)[0]
}

// callbackData returns the callback data of the first button in markup.
func callbackData(markup string) string {
	var kb struct {
		Rows [][]struct {
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	json.Unmarshal([]byte(markup), &kb)
	if len(kb.Rows) == 0 || len(kb.Rows[0]) == 0 {
		return ""
	}
	return kb.Rows[0][0].Data
}

func TestQuestionOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		fault   *faketelegram.Fault
		reply   string // in the reply, "" for none
		outcome string
		level   string
	}{
		{"emoji only", "😀👍", nil, "Please type a question about the articles.", "empty", "INFO"},
		{"answered", "Where did Putin and Biden last meet?", nil, "Geneva", "answered", "INFO"},
		{"reply held back too long", "Where did Putin and Biden last meet?", &faketelegram.Fault{Code: 429, RetryAfter: 120}, "", "undelivered", "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &outcomes{}
			h := startWith(t, setup{observer: obs})
			if tt.fault != nil {
				h.tg.Fail("sendMessage", *tt.fault)
			}
			h.tg.PushText(60, tt.text)
			line := h.awaitLog(t, "question")
			if line["outcome"] != tt.outcome || line["level"] != tt.level {
				t.Errorf("question logged with outcome %v at %v, want %s at %s", line["outcome"], line["level"], tt.outcome, tt.level)
			}
			if tt.reply != "" {
				if got := h.await(t, 60, 1)[0].Text; !strings.Contains(got, tt.reply) {
					t.Errorf("reply %q, want %q", got, tt.reply)
				}
			} else if n := len(h.tg.SentTo(60)); n != 0 {
				t.Errorf("%d replies sent, want none", n)
			}
			for _, o := range []string{"answered", "refused", "empty", "error", "undelivered"} {
				want := 0
				if o == tt.outcome {
					want = 1
				}
				if got := obs.count(o); got != want {
					t.Errorf("Observer.Question(%q) %d times, want %d", o, got, want)
				}
			}
		})
	}
}

func TestDurationsLoggedInMilliseconds(t *testing.T) {
	h := start(t, 0, 0)
	h.tg.Fail("sendMessage", faketelegram.Fault{Code: 429, RetryAfter: 1})
	h.tg.PushText(62, "Where did Putin and Biden last meet?")
	h.await(t, 62, 1)
	h.tg.PushText(42, "/reload")
	h.await(t, 42, 1)
	h.stop()
	tests := []struct {
		msg, key string
		want     float64 // -1: any count of milliseconds
	}{
		{"telegram rate limit", "retry_after_ms", 1000},
		{"corpus reloaded", "took_ms", -1},
		{"stopping: finishing answers in flight", "wait_ms", 5000},
	}
	for _, tt := range tests {
		lines := h.logLines(t, tt.msg)
		if len(lines) == 0 {
			t.Errorf("no %q log line", tt.msg)
			continue
		}
		got, ok := lines[0][tt.key].(float64)
		if !ok || (tt.want >= 0 && got != tt.want) || got >= float64(time.Minute/time.Millisecond) {
			t.Errorf("%q: %s = %v, want %v ms", tt.msg, tt.key, lines[0][tt.key], tt.want)
		}
		for _, raw := range []string{"retry_after", "took", "wait", "retry_in"} {
			if v, ok := lines[0][raw]; ok {
				t.Errorf("%q: %s logged as %v (nanoseconds)", tt.msg, raw, v)
			}
		}
	}
}

func TestAdminRepliesInGroupsHideHostsAndPaths(t *testing.T) {
	h := startWith(t, setup{peers: peers{"host-a.internal": "v1"}})
	os.WriteFile(filepath.Join(h.dir, "broken.txt"), []byte("bad \xff bytes"), 0o644)
	group := int64(-3001)
	h.tg.Push(map[string]any{"message": h.tg.Message(group, 42, "supergroup", "/reload@talkbot_test")})
	h.tg.Push(map[string]any{"message": h.tg.Message(group, 42, "supergroup", "/stats@talkbot_test")})
	h.tg.PushText(42, "/reload")
	h.tg.PushText(42, "/stats")
	inGroup, private := h.await(t, group, 2), h.await(t, 42, 2)
	tests := []struct {
		name      string
		got       string
		want, not []string
	}{
		{"group reload", inGroup[0].Text, []string{"Reload failed", "Details are in the log"}, []string{"broken.txt", h.dir}},
		{"group stats", inGroup[1].Text, []string{"Uptime"}, []string{"host-a", "Processes"}},
		{"private reload", private[0].Text, []string{"Reload failed", "broken.txt"}, nil},
		{"private stats", private[1].Text, []string{"Uptime", "host-a.internal"}, nil},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(tt.got, w) {
				t.Errorf("%s: %q lacks %q", tt.name, tt.got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(tt.got, n) {
				t.Errorf("%s: %q shows %q", tt.name, tt.got, n)
			}
		}
	}
}

func TestRefusedWebhookRequestsLoggedOnce(t *testing.T) {
	h := startWith(t, setup{webhook: true})
	for i := range 20 {
		body, _ := json.Marshal(map[string]any{"update_id": i, "message": h.tg.Message(63, 63, "private", "hi")})
		var resp *http.Response
		var err error
		for range 100 { // the server may still be starting
			req, _ := http.NewRequest(http.MethodPost, h.hook, strings.NewReader(string(body)))
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "guess")
			if resp, err = http.DefaultClient.Do(req); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged request answered %d", resp.StatusCode)
		}
	}
	if n := strings.Count(h.logs.String(), "without the secret token refused"); n != 1 {
		t.Errorf("%d log lines for 20 refused requests within a minute, want 1", n)
	}
}

func TestSourcesButtonBoundToChat(t *testing.T) {
	h := start(t, 0, 0)
	h.tg.PushText(64, "How long did the Putin-Biden video conversation last?")
	got := h.await(t, 64, 1)[0]
	data := callbackData(got.Markup)
	if !regexp.MustCompile(`^src:[0-9a-f]{12}$`).MatchString(data) {
		t.Fatalf("Sources button data %q, want src: and 12 random hex digits", data)
	}
	press := func(chat int64, data string) {
		h.tg.Push(map[string]any{"callback_query": map[string]any{
			"id": "cb" + data, "from": map[string]any{"id": chat, "is_bot": false, "first_name": "U"},
			"message": map[string]any{"message_id": got.MessageID, "date": 0, "chat": map[string]any{"id": chat, "type": "private"}},
			"data":    data,
		}})
	}
	press(65, data)    // the right id, from another chat
	press(64, "src:1") // a guessed id
	press(64, "src:"+strings.Repeat("0", 12))
	press(64, data) // the real press
	quote := h.await(t, 64, 2)[1]
	if !strings.Contains(quote.Text, "<blockquote>") {
		t.Errorf("sources reply %q", quote.Text)
	}
	if !h.tg.WaitFor(5*time.Second, func() bool { return h.tg.Calls("answerCallbackQuery") == 4 }) {
		t.Errorf("%d callbacks answered, want 4", h.tg.Calls("answerCallbackQuery"))
	}
	time.Sleep(200 * time.Millisecond)
	if n, m := len(h.tg.SentTo(65)), len(h.tg.SentTo(64)); n != 0 || m != 2 {
		t.Errorf("%d messages to the other chat, %d to the asker; want 0 and 2", n, m)
	}
}
