package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/redistest"
)

// admin is the admin's user id in the fan-out test; their private chat
// with each bot has the same id.
const fanoutAdmin = 42

// versionRe finds the corpus version in the bot's reply to a change.
var versionRe = regexp.MustCompile(`[Vv]ersion <code>([0-9a-f]+)</code>`)

// confirmRe finds the Replace or Remove button's callback data.
var confirmRe = regexp.MustCompile(`"callback_data":"(upload:replace:[A-Z2-7]+)"`)

// TestCorpusChangesFanOut runs two `talkbot serve` processes on one
// CORPUS_DIR and one real Redis, each with its own Bot API double (two
// bots, as neighbouring processes in production are). An admin changes
// the corpus through the first only: adds an article by link, replaces
// it by adding the link again once the page has changed, replaces an
// article by uploading a file of its name, and removes one, each after
// pressing the confirm button. After each change the second process must
// reload to the version the first announced (every process's version, as
// listed in Redis, becomes it; its own /stats shows it as the corpus it
// serves) and answer from the new corpus.
func TestCorpusChangesFanOut(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"lunar.md": "# Lunar base opens\n\nThe lunar base opened on Monday with twelve residents from four countries.\n",
		"ferry.md": "# Ferry line reopens\n\nThe ferry line between the two islands reopened on Tuesday after the storm damaged its pier.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "corpus", "testdata", "web", "news_site.html"))
	if err != nil {
		t.Fatal(err)
	}
	var edited atomic.Bool // the site has since renamed the villa
	news := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/world/2021/biden-putin-arms-talks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if edited.Load() {
			w.Write([]byte(strings.ReplaceAll(string(page), "La Grange", "Bellerive")))
			return
		}
		w.Write(page)
	}))
	t.Cleanup(news.Close)
	link := news.URL + "/world/2021/biden-putin-arms-talks"

	serve := func(token string, extra map[string]string) (*faketelegram.Server, *proc) {
		tg := faketelegram.New(token, "talkbot_fanout")
		t.Cleanup(tg.Close)
		vars := map[string]string{
			"TELEGRAM_BOT_TOKEN":    token,
			"TELEGRAM_API_ENDPOINT": tg.URL,
			"CORPUS_DIR":            dir,
			"REDIS_URL":             srv.URL,
			"REDIS_PREFIX":          srv.Prefix,
			"STATE_DIR":             "off",
			"ADMIN_IDS":             strconv.Itoa(fanoutAdmin),
			"RATE_LIMIT":            "500", // the limit is shared through Redis: not what is tested here
		}
		for k, v := range extra {
			vars[k] = v
		}
		return tg, startServe(t, vars)
	}
	// Only the first fetches links: FETCH_ALLOW lets it reach the test's
	// own server on 127.0.0.1, as the setting is documented for.
	tgA, a := serve("6161:FANOUT-a", map[string]string{"FETCH_ALLOW": "127.0.0.1/32", "FETCH_TIMEOUT": "5s"})
	tgB, b := serve("6262:FANOUT-b", nil)

	// Both answer from the starting corpus, and both listen for reloads.
	if got := askAndWait(t, tgB, b, 9, "How many residents does the lunar base have?"); !strings.Contains(got, "twelve") {
		t.Fatalf("the second process before any change: %q", got)
	}
	askAndWait(t, tgA, a, 9, "When did the ferry line reopen?")
	ctx := context.Background()
	if !waitUntil(20*time.Second, func() bool {
		n, err := srv.Client().PubSubNumSub(ctx, srv.Prefix+"reload").Result()
		return err == nil && n[srv.Prefix+"reload"] == 2
	}) {
		t.Fatalf("the two processes are not both subscribed to reloads\nA:\n%s\nB:\n%s", a.stderr.String(), b.stderr.String())
	}

	// say sends text from the admin to the first bot and returns its reply.
	say := func(text string) faketelegram.Sent {
		t.Helper()
		n := len(tgA.Shown(fanoutAdmin))
		tgA.PushText(fanoutAdmin, text)
		if !tgA.WaitFor(30*time.Second, func() bool { return len(tgA.Shown(fanoutAdmin)) > n }) {
			t.Fatalf("no reply to %q\n%s", text, a.stderr.String())
		}
		return tgA.Shown(fanoutAdmin)[n]
	}
	// upload sends a file from the admin to the first bot and returns its reply.
	upload := func(name, data string) faketelegram.Sent {
		t.Helper()
		n := len(tgA.Shown(fanoutAdmin))
		m := tgA.Message(fanoutAdmin, fanoutAdmin, "private", "")
		delete(m, "text")
		m["document"] = tgA.AddFile(name, []byte(data))
		tgA.Push(map[string]any{"message": m})
		if !tgA.WaitFor(30*time.Second, func() bool { return len(tgA.Shown(fanoutAdmin)) > n }) {
			t.Fatalf("no reply to the upload of %s\n%s", name, a.stderr.String())
		}
		return tgA.Shown(fanoutAdmin)[n]
	}
	// confirm presses Replace (or Remove) under a question and returns
	// the question as it reads once edited into its outcome.
	confirm := func(q faketelegram.Sent, outcome string) faketelegram.Sent {
		t.Helper()
		m := confirmRe.FindStringSubmatch(q.Markup)
		if m == nil {
			t.Fatalf("no confirm button under %q: %q", q.Text, q.Markup)
		}
		idx := len(tgA.Shown(fanoutAdmin)) - 1
		tgA.Push(map[string]any{"callback_query": map[string]any{
			"id":      "press-" + strconv.Itoa(q.MessageID),
			"from":    map[string]any{"id": fanoutAdmin, "is_bot": false, "first_name": "Admin"},
			"message": map[string]any{"message_id": q.MessageID, "date": 0, "chat": map[string]any{"id": fanoutAdmin, "type": "private"}},
			"data":    m[1],
		}})
		var got faketelegram.Sent
		if !tgA.WaitFor(30*time.Second, func() bool {
			got = tgA.Shown(fanoutAdmin)[idx]
			return strings.Contains(got.Text, outcome)
		}) {
			t.Fatalf("the question never read %q: %q\n%s", outcome, got.Text, a.stderr.String())
		}
		return got
	}
	// fannedOut checks that the change the first bot reported, in reply,
	// reached the second process: every process lists its version in
	// Redis, and the second's /stats shows it serving docs articles of it.
	fannedOut := func(what string, reply faketelegram.Sent, docs int) string {
		t.Helper()
		m := versionRe.FindStringSubmatch(reply.Text)
		if m == nil {
			t.Fatalf("%s: no corpus version in the reply %q", what, reply.Text)
		}
		v := m[1]
		var vs []string
		if !waitUntil(20*time.Second, func() bool {
			vs = instanceVersions(t, srv)
			return len(vs) == 2 && vs[0] == v && vs[1] == v
		}) {
			t.Fatalf("%s: the processes serve %v, want both %s\nB:\n%s", what, vs, v, b.stderr.String())
		}
		stats := askAndWait(t, tgB, b, fanoutAdmin, "/stats")
		if want := "Corpus <code>" + v + "</code>: " + strconv.Itoa(docs) + " documents"; !strings.Contains(stats, want) {
			t.Fatalf("%s: the second process's /stats lacks %q:\n%s", what, want, stats)
		}
		return v
	}

	// 1. /add <link>.
	added := say("/add " + link)
	if !strings.Contains(added.Text, "Added <a href=") || !strings.Contains(added.Text, "lakesidecourier-biden-putin-arms-talks") {
		t.Fatalf("/add: %q", added.Text)
	}
	v1 := fannedOut("/add", added, 3)
	if got := askAndWait(t, tgB, b, 9, "At which villa did Biden and Putin meet?"); !strings.Contains(got, "La Grange") {
		t.Errorf("the second process after /add: %q", got)
	}

	// 2. The page changed: adding the link again asks, then replaces.
	edited.Store(true)
	q := say("/add " + link)
	if !strings.Contains(q.Text, "already exists. Replace it?") {
		t.Fatalf("/add of a link added before: %q", q.Text)
	}
	v2 := fannedOut("/add replacing an article", confirm(q, "Replaced"), 3)
	if v2 == v1 {
		t.Fatal("replacing the article left the corpus version as it was")
	}
	if got := askAndWait(t, tgB, b, 9, "At which villa did Biden and Putin meet?"); !strings.Contains(got, "Bellerive") || strings.Contains(got, "La Grange") {
		t.Errorf("the second process after the replace: %q", got)
	}

	// 3. An uploaded file of an article's name asks, then replaces it.
	q = upload("lunar.md", "# Lunar base grows\n\nThe lunar base now has forty residents from nine countries.\n")
	if !strings.Contains(q.Text, "already exists. Replace it?") {
		t.Fatalf("upload of lunar.md: %q", q.Text)
	}
	fannedOut("upload replacing an article", confirm(q, "Replaced"), 3)
	if got := askAndWait(t, tgB, b, 9, "How many residents does the lunar base have?"); !strings.Contains(got, "forty") || strings.Contains(got, "twelve") {
		t.Errorf("the second process after the upload: %q", got)
	}

	// 4. /remove, confirmed.
	q = say("/remove lunar")
	if !strings.Contains(q.Text, "Remove <code>lunar</code>") {
		t.Fatalf("/remove: %q", q.Text)
	}
	fannedOut("/remove", confirm(q, "Removed"), 2)
	if got := askAndWait(t, tgB, b, 9, "How many residents does the lunar base have?"); strings.Contains(got, "forty") || strings.Contains(got, "twelve") {
		t.Errorf("the second process answers from a removed article: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "lunar.md")); !os.IsNotExist(err) {
		t.Errorf("lunar.md after its removal: %v", err)
	}

	// The second process did reload each time, as its log says.
	if n := strings.Count(b.stderr.String(), "corpus reloaded, as another process did"); n != 4 {
		t.Errorf("the second process logged %d reloads announced by the first, want 4", n)
	}
	a.stop(t, 40*time.Second)
	b.stop(t, 40*time.Second)
}

// waitUntil polls cond until it holds or timeout passes, and reports which.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// instanceVersions returns the corpus version of every process listed
// in srv (the instances the processes keep there for /stats, under
// the {peers} hash tag), sorted.
func instanceVersions(t *testing.T, srv *redistest.Server) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := srv.Client().Keys(ctx, srv.Prefix+"{peers}:instance:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		data, err := srv.Client().Get(ctx, k).Result()
		if err != nil {
			continue // expired between the two calls
		}
		var in struct{ Version string }
		if json.Unmarshal([]byte(data), &in) == nil {
			out = append(out, in.Version)
		}
	}
	sort.Strings(out)
	return out
}
