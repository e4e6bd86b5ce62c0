package bot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/internal/faketelegram"
)

// announced records the versions a bot announces to the other processes.
type announced struct {
	mu       sync.Mutex
	versions []string
}

func (a *announced) Announce(_ context.Context, v string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.versions = append(a.versions, v)
}

func (a *announced) Versions(context.Context) map[string]string { return nil }

func (a *announced) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.versions) == 0 {
		return ""
	}
	return a.versions[len(a.versions)-1]
}

func TestArticlesPaginated(t *testing.T) {
	h := startUploadBot(t)
	for i := range 20 {
		os.WriteFile(filepath.Join(h.dir, fmt.Sprintf("extra_%02d.md", i)), fmt.Appendf(nil, "# Extra story number %d\n\nOfficials met on day %d.\n", i, i), 0o644)
	}
	if _, err := h.lib.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.tg.PushText(7, "/articles")
	if got := h.shown(t, 7, 1, func(faketelegram.Sent) bool { return true }); !strings.Contains(got.Text, "only the bot's admins") {
		t.Errorf("non-admin: %q", got.Text)
	}
	h.tg.PushText(42, "/articles")
	first := h.shown(t, 42, 1, func(faketelegram.Sent) bool { return true })
	if !strings.Contains(first.Text, "Articles 1–15 of 25") || !strings.Contains(first.Text, "<code>"+seedID+"</code>") ||
		!strings.Contains(first.Text, "November 9") || !strings.Contains(first.Text, "8 December 2021") ||
		!strings.Contains(first.Text, `"callback_data":"articles:2"`) && !strings.Contains(first.Markup, `articles:2`) {
		t.Errorf("first page: %q %q", first.Text, first.Markup)
	}
	h.tg.Push(map[string]any{"callback_query": map[string]any{
		"id": "cb1", "from": map[string]any{"id": 42, "is_bot": false, "first_name": "Admin"},
		"message": map[string]any{"message_id": first.MessageID, "date": 0, "chat": map[string]any{"id": 42, "type": "private"}},
		"data":    "articles:2",
	}})
	second := h.shown(t, 42, 1, func(m faketelegram.Sent) bool { return m.Method == "editMessageText" })
	if !strings.Contains(second.Text, "Articles 16–25 of 25") || !strings.Contains(second.Text, "extra_19") || !strings.Contains(second.Markup, "articles:1") {
		t.Errorf("second page: %q %q", second.Text, second.Markup)
	}
}

func TestRemove(t *testing.T) {
	peers := &announced{}
	h := startUploadBot(t, func(c *Config) { c.Peers = peers })
	before := h.lib.Live().Index().Corpus()
	seedFile := filepath.Join(h.dir, seedID+".txt")
	original, _ := os.ReadFile(seedFile)
	n := 0
	ask := func(text string) faketelegram.Sent {
		t.Helper()
		h.tg.PushText(42, text)
		n++
		return h.shown(t, 42, n, func(faketelegram.Sent) bool { return true })
	}
	pressOn := func(q faketelegram.Sent, user int64, action string) faketelegram.Sent {
		t.Helper()
		m := tokenRe.FindStringSubmatch(q.Markup)
		if m == nil {
			t.Fatalf("no buttons: %q", q.Markup)
		}
		h.b.uploadCallback(context.Background(), &tgbotapi.CallbackQuery{
			ID: "cb", From: &tgbotapi.User{ID: user}, Data: "upload:" + action + ":" + m[1],
			Message: &tgbotapi.Message{MessageID: q.MessageID, Chat: &tgbotapi.Chat{ID: 42, Type: "private"}},
		})
		return h.tg.Shown(42)[n-1]
	}

	if got := ask("/remove nosuch"); !strings.Contains(got.Text, "There is no article <code>nosuch</code>") {
		t.Errorf("unknown id: %q", got.Text)
	}
	if got := ask("/remove ../" + seedID); !strings.Contains(got.Text, "There is no article") {
		t.Errorf("a path: %q", got.Text)
	}

	// Cancel, and another admin's press: nothing changes.
	q := ask("/remove " + seedID)
	if !strings.Contains(q.Text, "Remove <code>"+seedID+"</code>") || !strings.Contains(q.Markup, `"text":"Remove"`) {
		t.Fatalf("question: %q %q", q.Text, q.Markup)
	}
	pressOn(q, 43, "replace")
	if got := pressOn(q, 42, "cancel"); !strings.Contains(got.Text, "Cancelled: <code>"+seedID+"</code> stays") {
		t.Errorf("after cancel: %q", got.Text)
	}
	if data, err := os.ReadFile(seedFile); err != nil || string(data) != string(original) {
		t.Fatal("cancelled removal changed the file")
	}

	// A corpus that fails to load without the article is rolled back.
	os.WriteFile(filepath.Join(h.dir, "broken.txt"), []byte("bad\x00\x00\x00binary"), 0o644)
	q = ask("/remove " + seedID)
	if got := pressOn(q, 42, "replace"); !strings.Contains(got.Text, "I did not remove it") || !strings.Contains(got.Text, "broken.txt") {
		t.Errorf("failed removal: %q", got.Text)
	}
	if data, err := os.ReadFile(seedFile); err != nil || string(data) != string(original) {
		t.Fatal("the failed removal did not put the file back")
	}
	if v := h.lib.Live().Index().Corpus().Version; v != before.Version || peers.last() != "" {
		t.Errorf("the failed removal changed the corpus (%s) or was announced (%q)", v, peers.last())
	}
	os.Remove(filepath.Join(h.dir, "broken.txt"))

	// Confirmed: gone, reloaded, announced to the other processes, logged.
	q = ask("/remove " + seedID)
	got := pressOn(q, 42, "replace")
	if !strings.Contains(got.Text, "Removed <code>"+seedID+"</code>") || !strings.Contains(got.Text, "Reloaded: 4 documents") {
		t.Errorf("after remove: %q", got.Text)
	}
	if _, err := os.Stat(seedFile); err == nil {
		t.Error("the file is still there")
	}
	after := h.lib.Live().Index().Corpus()
	if len(after.Docs) != len(before.Docs)-1 || peers.last() != after.Version {
		t.Errorf("corpus %d docs, announced %q, serving %s", len(after.Docs), peers.last(), after.Version)
	}
	if !strings.Contains(h.logs.String(), `"msg":"article removed","article":"`+seedID+`"`) || !strings.Contains(h.logs.String(), `"user":42`) {
		t.Error("the removal is not logged with the admin's id")
	}
	entries, _ := os.ReadDir(h.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
