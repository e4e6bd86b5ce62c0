package bot

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/webfetch"
)

// newsServer serves the article pages of corpus/testdata/web (a news site
// with menus, share bars, related links and comments; pages whose date is
// only in JSON-LD or a meta tag) and the pages a link must not be added
// from.
func newsServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, name := range []string{"news_site", "jsonld_date", "meta_date"} {
		page, err := os.ReadFile(filepath.Join("..", "corpus", "testdata", "web", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc("/world/2021/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		})
	}
	mux.HandleFunc("/plain/briefing.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Zakharova briefs on Geneva talks\n\nPublished: 22 July 2021\n\nMaria Zakharova said the talks would open in Geneva on July 28. She named Sergei Ryabkov as head of the delegation.\n"))
	})
	mux.HandleFunc("/photo.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write([]byte("\xff\xd8\xff\xe0 not really a jpeg"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(strings.Repeat("<p>Officials met again on Wednesday in Geneva.</p>\n", 20_000)))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// allowTestServer is the documented setting that lets /add reach the
// test's own server on 127.0.0.1; the limits are small to keep the tests
// quick.
func allowTestServer(c *Config) {
	c.Fetch = webfetch.Options{
		Allow:    []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		MaxBytes: 256 << 10,
		Timeout:  time.Second,
	}
}

func TestAddLink(t *testing.T) {
	s := newsServer(t)
	h := startUploadBot(t, allowTestServer)
	n := map[int64]int{}
	send := func(user int64, text string) faketelegram.Sent {
		t.Helper()
		h.tg.PushText(user, text)
		n[user]++
		return h.shown(t, user, n[user], func(faketelegram.Sent) bool { return true })
	}

	got := send(42, "/add "+s.URL+"/world/2021/news_site")
	for _, want := range []string{
		`<a href="https://www.lakesidecourier.example/world/2021/06/16/biden-putin-arms-talks"><b>Biden and Putin agree to resume arms talks in Geneva</b></a>`,
		"The Lakeside Courier, 16 June 2021", "passages", "<code>lakesidecourier-biden-putin-arms-talks</code>", "Corpus version <code>",
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("reply %q lacks %q", got.Text, want)
		}
	}
	saved, err := os.ReadFile(filepath.Join(h.dir, "lakesidecourier-biden-putin-arms-talks.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"---\ntitle: \"Biden and Putin agree to resume arms talks in Geneva\"\nsource: \"The Lakeside Courier\"\nurl: \"https://www.lakesidecourier.example/world/2021/06/16/biden-putin-arms-talks\"\ndate: \"2021-06-16\"\n", "GENEVA — US President Joe Biden"} {
		if !strings.Contains(string(saved), want) {
			t.Errorf("saved file lacks %q:\n%s", want, saved)
		}
	}
	for _, junk := range []string{"Share on", "Related articles", "geneva_local", "cookies", "Log in", "Advertisement"} {
		if strings.Contains(string(saved), junk) {
			t.Errorf("saved file kept %q", junk)
		}
	}
	c := h.lib.Live().Index().Corpus()
	var found bool
	for _, d := range c.Docs {
		if d.ID == "lakesidecourier-biden-putin-arms-talks" {
			found = d.Title == "Biden and Putin agree to resume arms talks in Geneva" && d.Date == "2021-06-16" && d.Source == "The Lakeside Courier"
		}
	}
	if !found || !strings.Contains(got.Text, c.Version) {
		t.Errorf("the corpus in use does not hold the article as added (version %s)", c.Version)
	}

	// A bare link in a private chat; the date only in JSON-LD.
	got = send(42, s.URL+"/world/2021/jsonld_date")
	if !strings.Contains(got.Text, "Ryabkov and Sherman open strategic stability dialogue") || !strings.Contains(got.Text, "Arms Control Wire, 28 July 2021") {
		t.Errorf("JSON-LD page: %q", got.Text)
	}
	// The date only in a meta tag.
	got = send(43, "/add "+s.URL+"/world/2021/meta_date")
	if !strings.Contains(got.Text, "EastWest Monitor, 22 July 2021") {
		t.Errorf("meta tag page: %q", got.Text)
	}
	// Plain text.
	got = send(42, "/add "+s.URL+"/plain/briefing.txt")
	if !strings.Contains(got.Text, "Zakharova briefs on Geneva talks") || !strings.Contains(got.Text, "22 July 2021") {
		t.Errorf("plain text: %q", got.Text)
	}

	// The same link again asks before replacing.
	got = send(42, "/add "+s.URL+"/world/2021/news_site")
	if !strings.Contains(got.Text, "already exists. Replace it?") || !strings.Contains(got.Markup, "upload:replace:") {
		t.Errorf("adding an article again: %q %q", got.Text, got.Markup)
	}
	if strings.Contains(h.logs.String(), `"user":42`) == false || !strings.Contains(h.logs.String(), "article added from a link") {
		t.Error("additions are not logged with the admin's id")
	}
}

func TestAddLinkRefused(t *testing.T) {
	s := newsServer(t)
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for _, setup := range []struct {
		name  string
		allow bool
		cases []struct {
			user       int64
			text, want string
		}
	}{
		{name: "test server allowed", allow: true, cases: []struct {
			user       int64
			text, want string
		}{
			{7, "/add " + s.URL + "/world/2021/news_site", "only the bot's admins"},
			{42, "/add", "<code>/add</code> and a link"},
			{42, "/add not a link", "<code>/add</code> and a link"},
			{42, "/add ftp://example.com/story.txt", "<code>/add</code> and a link"},
			{42, "/add " + s.URL + "/photo.jpg", "not a web page or plain text"},
			{42, "/add " + s.URL + "/huge", "too large"},
			{42, "/add " + s.URL + "/loop", "too many redirects"},
			{42, "/add " + s.URL + "/slow", "took too long"},
			{42, "/add " + s.URL + "/metadata", "private network"}, // a redirect to 169.254.169.254
			{42, "/add http://10.0.0.8/news", "private network"},
			{42, "/add http://169.254.169.254/latest/meta-data/", "private network"},
		}},
		{name: "production guard", cases: []struct {
			user       int64
			text, want string
		}{
			{42, "/add " + s.URL + "/world/2021/news_site", "private network"},                 // 127.0.0.1
			{42, "/add http://localhost:" + port + "/world/2021/news_site", "private network"}, // a name resolving to it
			{42, s.URL + "/world/2021/news_site", "private network"},                           // a bare link
		}},
	} {
		t.Run(setup.name, func(t *testing.T) {
			var h *uploadBot
			if setup.allow {
				h = startUploadBot(t, allowTestServer)
			} else {
				h = startUploadBot(t)
			}
			before := h.lib.Live().Index().Corpus().Version
			n := map[int64]int{}
			for _, tt := range setup.cases {
				h.tg.PushText(tt.user, tt.text)
				n[tt.user]++
				got := h.shown(t, tt.user, n[tt.user], func(faketelegram.Sent) bool { return true })
				if !strings.Contains(got.Text, tt.want) {
					t.Errorf("%d %q: reply %q, want %q", tt.user, tt.text, got.Text, tt.want)
				}
			}
			if v := h.lib.Live().Index().Corpus().Version; v != before {
				t.Errorf("the corpus changed: %s → %s", before, v)
			}
			entries, _ := os.ReadDir(h.dir)
			if len(entries) != len(mustSeeds(t)) {
				t.Errorf("files were written: %d in the directory", len(entries))
			}
			if !setup.allow {
				return
			}
			// A non-admin's bare link is a question, not an addition.
			h.tg.PushText(8, s.URL+"/world/2021/news_site")
			got := h.shown(t, 8, 1, func(faketelegram.Sent) bool { return true })
			if strings.Contains(got.Text, "Added") {
				t.Errorf("a non-admin's link was added: %q", got.Text)
			}
		})
	}
}

func mustSeeds(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(corpus.Seeds(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
