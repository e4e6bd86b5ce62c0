package webfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// local lets the fetcher reach the httptest server on 127.0.0.1, as the
// documented Allow setting is meant for, and nothing else private.
var local = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<html><body><h1>Title</h1><p>Text.</p></body></html>"))
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("A headline\n\nSome text."))
	})
	mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(strings.Repeat("<p>words words words</p>\n", 100_000))) // 2.5 MB, chunked
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop2", http.StatusFound)
	})
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/article", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.1.2.3/admin", http.StatusFound)
	})
	mux.HandleFunc("/to-ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/file", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestFetch(t *testing.T) {
	s := server(t)
	f := New(Options{Allow: local, MaxBytes: 1 << 20, Timeout: 700 * time.Millisecond, MaxRedirects: 3})
	ctx := context.Background()

	p, err := f.Fetch(ctx, s.URL+"/article")
	if err != nil || !p.HTML || !strings.Contains(string(p.Body), "<h1>Title</h1>") {
		t.Errorf("article: %+v, %v", p, err)
	}
	p, err = f.Fetch(ctx, s.URL+"/plain")
	if err != nil || p.HTML || string(p.Body) != "A headline\n\nSome text." {
		t.Errorf("plain: %+v, %v", p, err)
	}
	p, err = f.Fetch(ctx, s.URL+"/moved#frag")
	if err != nil || p.URL != s.URL+"/article" {
		t.Errorf("moved: %+v, %v", p, err)
	}

	for path, want := range map[string]error{
		"/pdf":         ErrNotArticle,
		"/big":         ErrTooLarge,
		"/loop":        ErrTooManyHops,
		"/slow":        ErrTimeout,
		"/gone":        ErrHTTPStatus,
		"/to-metadata": ErrForbidden,
		"/to-private":  ErrForbidden,
		"/to-ftp":      ErrScheme,
	} {
		start := time.Now()
		_, err := f.Fetch(ctx, s.URL+path)
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", path, err, want)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("%s took %v", path, time.Since(start))
		}
	}
}

// Without Allow, the same server is out of reach, however it is named:
// the guard looks at the address connected to, not at the URL.
func TestGuard(t *testing.T) {
	s := server(t)
	f := New(Options{Timeout: 2 * time.Second})
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for _, u := range []string{
		s.URL + "/article",                      // 127.0.0.1
		"http://localhost:" + port + "/article", // a name resolving to 127.0.0.1
		"http://[::1]:" + port + "/article",
		"http://10.0.0.7/",
		"http://172.20.1.1/",
		"http://192.168.1.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/", // IPv4 dressed as IPv6
		"http://0.0.0.0:" + port + "/",
		"http://100.100.100.200/", // Alibaba Cloud's metadata
	} {
		start := time.Now()
		_, err := f.Fetch(context.Background(), u)
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: err = %v, want it refused", u, err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("%s: refusing took %v", u, time.Since(start))
		}
	}
	for _, u := range []string{"ftp://example.com/a", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)"} {
		if _, err := f.Fetch(context.Background(), u); err == nil {
			t.Errorf("%s fetched", u)
		}
	}
}

func TestForbidden(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "172.31.255.255": true,
		"192.168.0.1": true, "169.254.169.254": true, "fe80::1": true, "fc00::1": true, "fd00:ec2::254": true,
		"0.0.0.0": true, "::": true, "224.0.0.1": true, "100.64.0.1": true, "::ffff:10.0.0.1": true,
		"8.8.8.8": false, "93.184.216.34": false, "172.32.0.1": false, "2606:4700::1111": false,
	} {
		if got := Forbidden(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Forbidden(%s) = %v, want %v", addr, got, want)
		}
	}
}
