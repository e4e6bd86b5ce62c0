package redisstore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The schemes of REDIS_URL, beside go-redis's own redis://, rediss:// and
// unix:// for one node. Their rediss+sentinel:// and rediss+cluster://
// forms use TLS.
const (
	// SchemeSentinel names a primary by its Sentinels:
	// redis+sentinel://[[user]:password@]host:port[,host:port…]/mastername[/db].
	// The password is the primary's (and its replicas'); a Sentinel that
	// wants one of its own takes ?sentinel_password=… (and
	// ?sentinel_username=…).
	SchemeSentinel = "redis+sentinel"
	// SchemeCluster names a Redis Cluster by one or more of its nodes:
	// redis+cluster://[[user]:password@]host:port[,host:port…]. A cluster
	// has no databases, so there is no /db.
	SchemeCluster = "redis+cluster"
)

// Mode is the kind of deployment a REDIS_URL names.
type Mode string

// The modes of Mode.
const (
	ModeSingle   Mode = "single"   // one server (redis://, rediss://, unix://)
	ModeSentinel Mode = "sentinel" // a primary and replicas watched by Sentinels
	ModeCluster  Mode = "cluster"  // a Redis Cluster
)

// CheckURL reports what is wrong with url as a REDIS_URL, if anything,
// and which kind of deployment it names. Its errors never quote url,
// which may hold a password.
func CheckURL(url string) (Mode, error) {
	_, mode, err := parseURL(url)
	return mode, err
}

// parseURL turns a Sentinel or Cluster REDIS_URL into the options of a
// universal client, and says which kind of deployment a REDIS_URL names
// (for ModeSingle, whose URL go-redis reads, with no options). Errors
// leave the URL out.
func parseURL(raw string) (*redis.UniversalOptions, Mode, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, "", errors.New("want a URL such as redis://host:6379/0, " + SchemeSentinel + "://host:26379/mymaster or " + SchemeCluster + "://host:7000,host:7001")
	}
	var mode Mode
	tlsOn := false
	switch strings.ToLower(scheme) {
	case "redis", "rediss", "unix":
		// go-redis reads a one-node URL itself (socket paths, query
		// options): newClient takes its options, not these.
		if _, err := redis.ParseURL(raw); err != nil {
			return nil, "", redacted(err)
		}
		return nil, ModeSingle, nil
	case SchemeSentinel:
		mode = ModeSentinel
	case "rediss+sentinel":
		mode, tlsOn = ModeSentinel, true
	case SchemeCluster:
		mode = ModeCluster
	case "rediss+cluster":
		mode, tlsOn = ModeCluster, true
	default:
		return nil, "", fmt.Errorf("unknown scheme %q: want redis, rediss, unix, %s or %s", scheme, SchemeSentinel, SchemeCluster)
	}

	// The host list has commas, which net/url refuses: take it out, and
	// let net/url read the rest (user, password, path, query).
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	u, err := url.Parse("redis://" + userinfo + "placeholder" + tail)
	if err != nil {
		return nil, "", redacted(err)
	}
	opts := &redis.UniversalOptions{}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	for _, h := range strings.Split(hosts, ",") {
		host, port, err := net.SplitHostPort(h)
		if err != nil || host == "" {
			return nil, "", fmt.Errorf("address %q: want host:port", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, "", fmt.Errorf("address %q: bad port", h)
		}
		opts.Addrs = append(opts.Addrs, net.JoinHostPort(host, port))
	}
	if tlsOn {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12} // the server name comes from each address
	}
	q := u.Query()
	path := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch mode {
	case ModeSentinel:
		if path[0] == "" || len(path) > 2 {
			return nil, "", errors.New("want /mastername or /mastername/db after the sentinels' addresses")
		}
		opts.MasterName = path[0]
		if len(path) == 2 {
			if opts.DB, err = strconv.Atoi(path[1]); err != nil || opts.DB < 0 {
				return nil, "", fmt.Errorf("database %q: want a number", path[1])
			}
		}
		opts.SentinelUsername = q.Get("sentinel_username")
		opts.SentinelPassword = q.Get("sentinel_password")
		q.Del("sentinel_username")
		q.Del("sentinel_password")
	case ModeCluster:
		if u.Path != "" && u.Path != "/" {
			return nil, "", errors.New("a cluster has no databases: nothing may follow the nodes' addresses")
		}
		opts.IsClusterMode = true
	}
	for k := range q {
		return nil, "", fmt.Errorf("unknown parameter %q", k)
	}
	return opts, mode, nil
}

// newClient returns a client for the deployment url names, with every
// call bounded by timeout and retried once: a breaker, not retries,
// handles a Redis that is away.
func newClient(url string, timeout time.Duration) (redis.UniversalClient, Mode, error) {
	opts, mode, err := parseURL(url)
	if err != nil {
		return nil, "", fmt.Errorf("REDIS_URL: %w", err)
	}
	dial := max(timeout, 500*time.Millisecond)
	if mode == ModeSingle {
		o, err := redis.ParseURL(url)
		if err != nil {
			return nil, "", fmt.Errorf("REDIS_URL: %w", redacted(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = dial, timeout, timeout
		o.MaxRetries, o.ContextTimeoutEnabled = 1, true
		return redis.NewClient(o), mode, nil
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = dial, timeout, timeout
	opts.MaxRetries, opts.ContextTimeoutEnabled = 1, true
	return redis.NewUniversalClient(opts), mode, nil
}

// redacted drops the URL net/url quotes in its errors, which may hold a
// password.
func redacted(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
