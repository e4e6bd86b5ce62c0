package webfetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS is a tiny DNS server on UDP 127.0.0.1: it answers A and AAAA
// questions with what answer returns for the name and for how many times
// that name has been asked (counting A questions from 1), so a name can
// resolve to one address first and another after (DNS rebinding).
type fakeDNS struct {
	conn   net.PacketConn
	answer func(name string, qtype dnsmessage.Type, n int) []netip.Addr

	mu    sync.Mutex
	asked map[string]int // A questions by name
}

func startDNS(t *testing.T, answer func(name string, qtype dnsmessage.Type, n int) []netip.Addr) *fakeDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: conn, answer: answer, asked: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			if out, ok := d.reply(buf[:n]); ok {
				conn.WriteTo(out, from)
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return d
}

// reply answers one query; it reports false for a packet it cannot read.
func (d *fakeDNS) reply(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := strings.ToLower(q.Name.String())
	var addrs []netip.Addr
	rcode := dnsmessage.RCodeNameError
	if strings.HasSuffix(name, ".test.") {
		rcode = dnsmessage.RCodeSuccess
		d.mu.Lock()
		if q.Type == dnsmessage.TypeA {
			d.asked[name]++
		}
		n := max(d.asked[name], 1)
		d.mu.Unlock()
		addrs = d.answer(name, q.Type, n)
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionAvailable: true, RCode: rcode})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}
	for _, a := range addrs {
		switch {
		case q.Type == dnsmessage.TypeA && a.Is4():
			b.AResource(rh, dnsmessage.AResource{A: a.As4()})
		case q.Type == dnsmessage.TypeAAAA && !a.Is4():
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

// timesAsked returns how many A questions name (with its final dot) got.
func (d *fakeDNS) timesAsked(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked[name]
}

// resolver asks only d, never the system's DNS servers.
func (d *fakeDNS) resolver() *net.Resolver {
	addr := d.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "udp", addr)
	}}
}

// countingServer is an httptest server on addr ("127.0.0.1:0" or a fixed
// address) that counts the connections it accepts.
type countingServer struct {
	*httptest.Server
	conns atomic.Int64
}

func serveOn(t *testing.T, addr string, h http.Handler) (*countingServer, error) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &countingServer{Server: httptest.NewUnstartedServer(h)}
	s.Listener.Close()
	s.Listener = ln
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, nil
}

// TestDNSRebinding: the guard holds on the address each connection is
// made to, whatever a name resolved to before. The "inside" service
// listens on 127.0.0.1; a stand-in for a public web server listens on
// 127.0.0.2 on the same port, and only 127.0.0.2/32 is let through
// (Allow), as a public address would be. Names under .test resolve
// through a fake DNS server that can change its answer between lookups.
// Every refused fetch must end with ErrForbidden and no connection may
// reach the inside service.
func TestDNSRebinding(t *testing.T) {
	inside, err := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "inside secret")
	}))
	if err != nil {
		t.Fatal(err)
	}
	port := inside.Listener.Addr().(*net.TCPAddr).Port
	// The attacker's public page sends the fetcher back to its own name
	// (which by then resolves inside), closing the connection so that
	// following the redirect needs a new one, and a new lookup.
	public, err := serveOn(t, "127.0.0.2:"+strconv.Itoa(port), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		if r.URL.Path == "/bounce" {
			http.Redirect(w, r, "/secret", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "public page")
	}))
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2:%d beside 127.0.0.1 (not Linux?): %v", port, err)
	}

	var (
		outside  = netip.MustParseAddr("127.0.0.2") // the stand-in for a public address
		loopback = netip.MustParseAddr("127.0.0.1")
	)
	dns := startDNS(t, func(name string, qtype dnsmessage.Type, n int) []netip.Addr {
		addrs := func(v4 []netip.Addr, v6 ...netip.Addr) []netip.Addr {
			if qtype == dnsmessage.TypeA {
				return v4
			}
			return v6
		}
		switch strings.TrimSuffix(name, ".test.") {
		case "rebind": // public at the first lookup, loopback after
			if n == 1 {
				return addrs([]netip.Addr{outside})
			}
			return addrs([]netip.Addr{loopback})
		case "loopback":
			return addrs([]netip.Addr{loopback})
		case "private":
			return addrs([]netip.Addr{netip.MustParseAddr("10.0.0.1")})
		case "metadata":
			return addrs([]netip.Addr{netip.MustParseAddr("169.254.169.254")})
		case "v6-loopback":
			return addrs(nil, netip.MustParseAddr("::1"))
		case "v4-mapped":
			return addrs(nil, netip.MustParseAddr("::ffff:127.0.0.1"))
		case "v4-mapped-metadata":
			return addrs(nil, netip.MustParseAddr("::ffff:169.254.169.254"))
		case "all-inside":
			return addrs([]netip.Addr{loopback, netip.MustParseAddr("10.1.2.3")}, netip.MustParseAddr("::1"))
		case "mixed":
			return addrs([]netip.Addr{loopback, outside})
		}
		return nil
	})
	f := New(Options{
		Allow:    []netip.Prefix{netip.PrefixFrom(outside, 32)},
		Resolver: dns.resolver(),
		Timeout:  5 * time.Second,
	})
	link := func(host, path string) string { return "http://" + host + ".test:" + strconv.Itoa(port) + path }

	t.Run("the stand-in for a public address is reachable", func(t *testing.T) {
		// Without this the refusals below could be the fake DNS failing.
		p, err := f.Fetch(context.Background(), "http://"+outside.String()+":"+strconv.Itoa(port)+"/")
		if err != nil || string(p.Body) != "public page" {
			t.Fatalf("got %q, %v", p.Body, err)
		}
	})

	refused := []struct {
		name, host string
	}{
		{"resolves to 127.0.0.1", "loopback"},
		{"resolves to 10.0.0.1", "private"},
		{"resolves to 169.254.169.254", "metadata"},
		{"resolves to ::1 only", "v6-loopback"},
		{"resolves to ::ffff:127.0.0.1", "v4-mapped"},
		{"resolves to ::ffff:169.254.169.254", "v4-mapped-metadata"},
		{"resolves to several inside addresses", "all-inside"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := inside.conns.Load()
			_, err := f.Fetch(context.Background(), link(tt.host, "/"))
			if !errors.Is(err, ErrForbidden) {
				t.Errorf("err = %v, want ErrForbidden", err)
			}
			if n := inside.conns.Load() - before; n != 0 {
				t.Errorf("%d connection(s) reached the inside service", n)
			}
		})
	}

	t.Run("rebinds between the first request and the redirect", func(t *testing.T) {
		before, publicBefore := inside.conns.Load(), public.conns.Load()
		_, err := f.Fetch(context.Background(), link("rebind", "/bounce"))
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("err = %v, want ErrForbidden", err)
		}
		if n := inside.conns.Load() - before; n != 0 {
			t.Errorf("%d connection(s) reached the inside service", n)
		}
		// The test proves something only if the name was public when
		// first connected to, and was looked up again for the redirect.
		if public.conns.Load() == publicBefore || dns.timesAsked("rebind.test.") < 2 {
			t.Errorf("public server saw %d connections, name looked up %d times: the rebinding did not happen",
				public.conns.Load()-publicBefore, dns.timesAsked("rebind.test."))
		}
	})

	t.Run("resolves to loopback and a public address", func(t *testing.T) {
		// The loopback address is refused and the public one used: the
		// page comes from outside, and nothing reaches inside.
		before := inside.conns.Load()
		p, err := f.Fetch(context.Background(), link("mixed", "/"))
		if err != nil || string(p.Body) != "public page" {
			t.Errorf("got %q, %v; want the public page", p.Body, err)
		}
		if n := inside.conns.Load() - before; n != 0 {
			t.Errorf("%d connection(s) reached the inside service", n)
		}
	})
}
