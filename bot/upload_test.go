package bot

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/retrieval"
)

const uploadToken = "123456:SECRET-upload-test-token"

// seedID is a seed article's id, and seedTitle the start of its title.
const (
	seedID    = "001_27a9120208961b58"
	seedTitle = "Peskov said that Putin"
)

// uploadBot is a bot on a copy of the seeds, long-polling a fake Telegram,
// for the upload tests. Admins are 42 and 43.
type uploadBot struct {
	b    *Bot
	tg   *faketelegram.Server
	dir  string
	logs *logbuf.Buffer
	lib  *library.Library
}

func startUploadBot(t *testing.T, configure ...func(*Config)) *uploadBot {
	t.Helper()
	h := &uploadBot{tg: faketelegram.New(uploadToken, "talkbot_test"), dir: t.TempDir(), logs: &logbuf.Buffer{}}
	t.Cleanup(h.tg.Close)
	fs.WalkDir(corpus.Seeds(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := fs.ReadFile(corpus.Seeds(), p)
			os.WriteFile(filepath.Join(h.dir, p), data, 0o640)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	lib, _, err := library.Open(ctx, h.dir, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api, err := tgbotapi.NewBotAPIWithClient(uploadToken, h.tg.Endpoint(), NewClient(uploadToken, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Admins:       map[int64]bool{42: true, 43: true},
		PollTimeout:  time.Second,
		ShutdownWait: 5 * time.Second,
		FileEndpoint: h.tg.URL + "/file/bot%s/%s",
		MaxUpload:    64 << 10,
	}
	for _, c := range configure {
		c(&cfg)
	}
	h.lib = lib
	h.b = New(api, answer.NewService(lib.Live(), nil, log, answer.Options{FallbackOffline: true}), lib, NewLocalMemory(6, time.Hour), cfg, log)
	done := make(chan error, 1)
	go func() { done <- h.b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
		if strings.Contains(h.logs.String(), "SECRET") {
			t.Error("the bot token appears in the logs")
		}
	})
	return h
}

// upload sends a document from user in their private chat.
func (h *uploadBot) upload(user int64, name, data string) {
	m := h.tg.Message(user, user, "private", "")
	delete(m, "text")
	m["document"] = h.tg.AddFile(name, []byte(data))
	h.tg.Push(map[string]any{"message": m})
}

// shown waits until chat's n-th message (from 1) reads as want says, and
// returns it.
func (h *uploadBot) shown(t *testing.T, chat int64, n int, want func(faketelegram.Sent) bool) faketelegram.Sent {
	t.Helper()
	var got []faketelegram.Sent
	if !h.tg.WaitFor(20*time.Second, func() bool {
		got = h.tg.Shown(chat)
		return len(got) >= n && want(got[n-1])
	}) {
		t.Fatalf("chat %d: message %d never read as wanted; messages: %+v", chat, n, got)
	}
	return got[n-1]
}

// press is a tap on a button: user taps action on the question, in chat.
type press struct {
	user, chat int64
	action     string // "replace", "cancel", or a whole callback data
}

var tokenRe = regexp.MustCompile(`upload:replace:([A-Z2-7]+)`)

func TestUploadReplaceAsks(t *testing.T) {
	const fresh = "# Moon base opens\n\nThe lunar base opened on Monday with twelve residents.\n"
	tests := []struct {
		name     string
		first    string // a file added before, as a new article
		file     string
		ask      []string // in the question
		presses  []press
		outcome  string // the question reads so at the end; "" for unchanged
		saved    string // file holding fresh at the end, if any
		intact   string // file left as it was
		notSaved string // file that must not exist at the end
	}{
		{name: "Replace confirms and reports", file: seedID + ".txt",
			ask:     []string{"An article <code>" + seedID + "</code> (<i>" + seedTitle, "already exists. Replace it?", "The new one: <code>" + seedID + "</code> (<i>Moon base opens</i>, 1 passage"},
			presses: []press{{42, 42, "replace"}}, outcome: "Replaced <code>" + seedID + "</code> (<i>" + seedTitle, saved: seedID + ".txt"},
		{name: "Cancel leaves the file untouched", file: seedID + ".txt", ask: []string{"Replace it?"},
			presses: []press{{42, 42, "cancel"}}, outcome: "Cancelled: I did not save", intact: seedID + ".txt"},
		{name: "another user's press is refused", file: seedID + ".txt", ask: []string{"Replace it?"},
			presses: []press{{43, 43, "replace"}, {43, 42, "replace"}, {7, 42, "replace"}, {7, 42, "cancel"}}, intact: seedID + ".txt"},
		{name: "the owner answers after a refused press", file: seedID + ".txt", ask: []string{"Replace it?"},
			presses: []press{{7, 42, "replace"}, {42, 42, "replace"}}, outcome: "Replaced", saved: seedID + ".txt"},
		{name: "same id, other extension", file: seedID + ".md", ask: []string{"in <code>" + seedID + ".txt</code>", "Replace it?"},
			presses: []press{{42, 42, "replace"}}, outcome: "→ <code>" + seedID + "</code> (<i>Moon base opens</i>, 1 passage, in <code>" + seedID + ".md</code>)",
			saved: seedID + ".md", notSaved: seedID + ".txt"},
		{name: "names that SafeName maps to one collide", first: "a_b.md", file: "a b.md",
			ask:     []string{"Your file <code>a b.md</code> is saved as <code>a_b.md</code>", "Replace it?"},
			presses: []press{{42, 42, "cancel"}}, outcome: "Cancelled", intact: "a_b.md"},
		{name: "unknown or expired question", file: seedID + ".txt", ask: []string{"Replace it?"},
			presses: []press{{42, 42, "upload:replace:NOSUCHTOKEN"}}, outcome: "expired unanswered; nothing was changed", intact: seedID + ".txt"},
		{name: "answered once", file: seedID + ".txt", ask: []string{"Replace it?"},
			presses: []press{{42, 42, "cancel"}, {42, 42, "replace"}}, outcome: "expired unanswered", intact: seedID + ".txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startUploadBot(t)
			n := 0
			if tt.first != "" {
				h.upload(42, tt.first, "# Alpha beta\n\nAlpha met beta on Tuesday.\n")
				n++
				h.shown(t, 42, n, func(m faketelegram.Sent) bool { return strings.Contains(m.Text, "Added") })
			}
			before := map[string][]byte{}
			modes := map[string]os.FileMode{}
			entries, _ := os.ReadDir(h.dir)
			for _, e := range entries {
				before[e.Name()], _ = os.ReadFile(filepath.Join(h.dir, e.Name()))
				if info, err := e.Info(); err == nil {
					modes[e.Name()] = info.Mode()
				}
			}
			h.upload(42, tt.file, fresh)
			n++
			q := h.shown(t, 42, n, func(faketelegram.Sent) bool { return true })
			for _, want := range tt.ask {
				if !strings.Contains(q.Text, want) {
					t.Errorf("question %q lacks %q", q.Text, want)
				}
			}
			m := tokenRe.FindStringSubmatch(q.Markup)
			if m == nil || !strings.Contains(q.Markup, "upload:cancel:"+m[1]) || !strings.Contains(q.Markup, `"text":"Replace"`) {
				t.Fatalf("question without Replace and Cancel buttons: %q", q.Markup)
			}
			for name, data := range before {
				if now, _ := os.ReadFile(filepath.Join(h.dir, name)); string(now) != string(data) {
					t.Fatalf("%s changed before anyone pressed Replace", name)
				}
			}
			for _, p := range tt.presses {
				data := "upload:" + p.action + ":" + m[1]
				if strings.HasPrefix(p.action, uploadPrefix) {
					data = p.action
				}
				h.b.uploadCallback(context.Background(), &tgbotapi.CallbackQuery{
					ID: "cb", From: &tgbotapi.User{ID: p.user}, Data: data,
					Message: &tgbotapi.Message{MessageID: q.MessageID, Chat: &tgbotapi.Chat{ID: p.chat, Type: "private"}},
				})
			}
			if tt.outcome != "" {
				got := h.shown(t, 42, n, func(m faketelegram.Sent) bool { return m.Method == "editMessageText" })
				if !strings.Contains(got.Text, tt.outcome) || got.Markup != "" {
					t.Errorf("question now reads %q (buttons %q), want %q and no buttons", got.Text, got.Markup, tt.outcome)
				}
			} else if got := h.tg.Shown(42)[n-1]; got.Text != q.Text {
				t.Errorf("the question changed to %q", got.Text)
			}
			if len(h.tg.SentTo(42)) != n || len(h.tg.Shown(43)) != 0 || len(h.tg.Shown(7)) != 0 {
				t.Errorf("unexpected messages: %+v", h.tg.Sent())
			}
			if tt.saved != "" {
				if data, _ := os.ReadFile(filepath.Join(h.dir, tt.saved)); string(data) != fresh {
					t.Errorf("%s holds %q, want the upload", tt.saved, data)
				}
			}
			if tt.intact != "" {
				info, err := os.Stat(filepath.Join(h.dir, tt.intact))
				if data, _ := os.ReadFile(filepath.Join(h.dir, tt.intact)); err != nil || string(data) != string(before[tt.intact]) || info.Mode() != modes[tt.intact] {
					t.Errorf("%s was changed: %v", tt.intact, err)
				}
			}
			if tt.notSaved != "" {
				if _, err := os.Stat(filepath.Join(h.dir, tt.notSaved)); err == nil {
					t.Errorf("%s still exists", tt.notSaved)
				}
			}
			if len(tt.presses) > 0 && tt.presses[0].user == 7 && !strings.Contains(h.logs.String(), `"user":7`) {
				t.Error("the refused press is not logged with the user id")
			}
		})
	}
}

// TestUploadButtonsRouted presses Replace through Telegram, as a user
// does. It needs the bot's callback handler to pass "upload:" presses to
// uploadCallback, and is skipped until it does.
func TestUploadButtonsRouted(t *testing.T) {
	h := startUploadBot(t)
	h.upload(42, seedID+".txt", "# Moon base opens\n\nThe lunar base opened on Monday with twelve residents.\n")
	q := h.shown(t, 42, 1, func(faketelegram.Sent) bool { return true })
	m := tokenRe.FindStringSubmatch(q.Markup)
	if m == nil {
		t.Fatalf("no Replace button: %+v", q)
	}
	h.tg.Push(map[string]any{"callback_query": map[string]any{
		"id": "cb1", "from": map[string]any{"id": 42, "is_bot": false, "first_name": "Admin"},
		"message": map[string]any{"message_id": q.MessageID, "date": 0, "chat": map[string]any{"id": 42, "type": "private"}},
		"data":    m[0],
	}})
	if !h.tg.WaitFor(5*time.Second, func() bool { return h.tg.Calls("answerCallbackQuery") > 0 }) {
		t.Fatal("the press was not answered")
	}
	if !h.tg.WaitFor(5*time.Second, func() bool { return strings.Contains(h.tg.Shown(42)[0].Text, "Replaced") }) {
		t.Fatalf("the Replace press did not replace the article: %+v", h.tg.Shown(42))
	}
}
