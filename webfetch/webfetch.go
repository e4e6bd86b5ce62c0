// Package webfetch fetches a web article for an admin who sends a link:
// over HTTP(S) only, within time, redirect and size limits, HTML or plain
// text only, and never from an address inside the network the bot runs
// in (SSRF).
//
// The address guard checks the IP address each connection is actually
// made to, after DNS resolution (net.Dialer.Control), not the host name
// in the URL: a name that resolves, or is made to resolve later (DNS
// rebinding), to 127.0.0.1, 10.x, 169.254.169.254 and the like is
// refused at connect time, for the first request and every redirect.
package webfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout      = 20 * time.Second
	DefaultMaxBytes     = 5 << 20
	DefaultMaxRedirects = 5
)

// Errors a fetch can end with, for callers to tell apart (errors.Is).
var (
	ErrScheme      = errors.New("only http and https links can be added")
	ErrForbidden   = errors.New("the address is inside a private network, loopback, link-local or a cloud metadata service")
	ErrNotArticle  = errors.New("the link is not a web page or plain text")
	ErrTooLarge    = errors.New("the page is too large")
	ErrTooManyHops = errors.New("too many redirects")
	ErrHTTPStatus  = errors.New("the server did not return the page")
	ErrTimeout     = errors.New("the server took too long")
)

// Options limit a fetch. The zero value is ready to use.
type Options struct {
	Timeout      time.Duration // the whole fetch, body included; default DefaultTimeout
	MaxBytes     int64         // largest body; default DefaultMaxBytes
	MaxRedirects int           // default DefaultMaxRedirects
	// Allow lets connections to these address ranges through the guard.
	// It exists for tests, which serve pages from an httptest server on
	// 127.0.0.1 (Allow: 127.0.0.1/32); in production leave it empty.
	Allow []netip.Prefix
	// UserAgent sent with requests; default "talkbot (+article fetcher)".
	UserAgent string
	// Resolver looks up host names; nil means net.DefaultResolver. It
	// exists for tests, which point it at their own DNS server to make a
	// name resolve, or rebind, to the addresses they choose. Whatever it
	// answers, the guard checks each address when it is connected to.
	Resolver *net.Resolver
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o Options) maxRedirects() int {
	if o.MaxRedirects <= 0 {
		return DefaultMaxRedirects
	}
	return o.MaxRedirects
}

// Page is what a fetch returned.
type Page struct {
	URL  string // after redirects
	HTML bool   // HTML (else plain text)
	Body []byte
}

// Fetcher fetches pages; it is safe for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client
}

// New returns a Fetcher with the given limits.
func New(opts Options) *Fetcher {
	f := &Fetcher{opts: opts}
	dialer := &net.Dialer{
		Timeout:  10 * time.Second,
		Resolver: opts.Resolver,
		Control: func(network, address string, _ syscall.RawConn) error {
			return f.check(address)
		},
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect for us, past the guard
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   opts.timeout(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > opts.maxRedirects() {
				return ErrTooManyHops
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return ErrScheme
			}
			return nil
		},
	}
	return f
}

// check refuses a connection to an address the guard does not allow.
func (f *Fetcher) check(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbidden, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbidden, address)
	}
	ip = ip.Unmap()
	for _, p := range f.opts.Allow {
		if p.Contains(ip) {
			return nil
		}
	}
	if Forbidden(ip) {
		return fmt.Errorf("%w (%s)", ErrForbidden, ip)
	}
	return nil
}

// forbiddenRanges are the address ranges besides loopback, private,
// link-local, multicast and unspecified ones (which netip tells) that a
// fetch must not reach.
var forbiddenRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT; Alibaba's metadata 100.100.100.200
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: may reach IPv4 inside
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local: cloud metadata 169.254.169.254
	netip.MustParsePrefix("fd00:ec2::/32"),   // AWS metadata over IPv6 (also private)
	netip.MustParsePrefix("::ffff:0:0/96"),   // IPv4-mapped, after Unmap never met
	netip.MustParsePrefix("2002::/16"),       // 6to4: may embed a private IPv4
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo: may embed any IPv4
	netip.MustParsePrefix("2001:10::/28"),    // ORCHID
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
}

// Forbidden reports whether a fetch may not connect to ip: loopback,
// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (cloud
// metadata services live at 169.254.169.254), multicast, unspecified and
// the other special-purpose ranges.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range forbiddenRanges {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Fetch gets the page at rawURL.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Page, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" {
		return Page{}, fmt.Errorf("not a link: %q", rawURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Page{}, ErrScheme
	}
	if u.User != nil {
		return Page{}, errors.New("links with a user name or password are not fetched")
	}
	u.Fragment, u.RawFragment = "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, fmt.Errorf("not a link: %w", err)
	}
	ua := f.opts.UserAgent
	if ua == "" {
		ua = "talkbot (+article fetcher)"
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9")
	res, err := f.client.Do(req)
	if err != nil {
		return Page{}, classify(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return Page{}, fmt.Errorf("%w: %s", ErrHTTPStatus, res.Status)
	}
	max := f.opts.maxBytes()
	if res.ContentLength > max {
		return Page{}, fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, res.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, max+1))
	if err != nil {
		return Page{}, classify(err)
	}
	if int64(len(body)) > max {
		return Page{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	ct := res.Header.Get("Content-Type")
	if ct == "" {
		ct = http.DetectContentType(body)
	}
	mt, _, _ := mime.ParseMediaType(ct)
	page := Page{URL: res.Request.URL.String(), Body: body}
	switch mt {
	case "text/html", "application/xhtml+xml":
		page.HTML = true
	case "text/plain", "text/markdown":
	default:
		return Page{}, fmt.Errorf("%w: %s", ErrNotArticle, mt)
	}
	return page, nil
}

// classify words a transport error by its cause.
func classify(err error) error {
	switch {
	case errors.Is(err, ErrForbidden):
		return ErrForbidden
	case errors.Is(err, ErrTooManyHops):
		return ErrTooManyHops
	case errors.Is(err, ErrScheme):
		return ErrScheme
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return ErrTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("fetch: %w", ue.Err)
	}
	return fmt.Errorf("fetch: %w", err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
