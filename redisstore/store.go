// Package redisstore keeps what the bot shares between processes and
// restarts in Redis: the answer cache, conversation memory, per-user rate
// limits, handled updates, and corpus reloads.
//
// Redis is a helper, never a dependency of answering: every call has a
// short timeout, and when Redis is down, slow or returns nonsense, each
// part falls back (no cache, memory and limits in this process) and the
// store logs the trouble once per interval, picking Redis up again by
// itself when it returns. A circuit breaker keeps a hung Redis from
// costing every call its full timeout: after a few failed calls in a row
// the calls fail fast, and one probe at a time tries Redis again.
//
// Redis may be one server, a primary with replicas watched by Sentinels,
// or a Cluster (see CheckURL). On a Cluster a script or transaction may
// only touch keys of one hash slot: every one that touches several keys
// names them with tagged, so that they share a hash tag, and each kind of
// single-key state keeps its own keys spread over the slots.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults used when Options leaves a field zero.
const (
	DefaultPrefix  = "talkbot:"
	DefaultTimeout = 200 * time.Millisecond
	DefaultReport  = time.Minute
)

// Options tunes a Store.
type Options struct {
	Prefix      string        // starts every key; DefaultPrefix when empty
	Timeout     time.Duration // of each call; DefaultTimeout when zero
	ReportEvery time.Duration // how often a failing Redis is logged; DefaultReport when zero
	Log         *slog.Logger

	// The circuit breaker: FailAfter consecutive failed calls (timeouts,
	// connection errors) open it for CoolDown, doubled after each failed
	// probe up to MaxCoolDown. DefaultFailAfter, DefaultCoolDown and
	// DefaultMaxCoolDown when zero.
	FailAfter   int
	CoolDown    time.Duration
	MaxCoolDown time.Duration

	now func() time.Time // the breaker's clock; time.Now when nil (tests set it)
}

// Store is a connection to Redis shared by the parts built on it.
type Store struct {
	rdb     redis.UniversalClient
	mode    Mode
	prefix  string
	timeout time.Duration
	every   time.Duration
	log     *slog.Logger

	brk *breaker

	mu       sync.Mutex
	down     bool
	reported time.Time
	failures int // failed calls since Redis last worked
	skipped  int // calls failed fast by the breaker since then
}

// Open returns a store for the Redis at url: one server (redis://…,
// rediss://…, unix://…), a primary found through its Sentinels
// (redis+sentinel://…) or a Cluster (redis+cluster://…); see CheckURL.
// It does not connect: Redis may come up later. Its errors never quote
// url, which may hold a password.
func Open(url string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	rdb, mode, err := newClient(url, opts.Timeout)
	if err != nil {
		return nil, err
	}
	s := New(rdb, opts)
	s.mode = mode
	return s, nil
}

// New returns a store using rdb, which may be a *redis.Client, a
// failover client or a *redis.ClusterClient.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ReportEvery <= 0 {
		opts.ReportEvery = DefaultReport
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.FailAfter <= 0 {
		opts.FailAfter = DefaultFailAfter
	}
	if opts.CoolDown <= 0 {
		opts.CoolDown = DefaultCoolDown
	}
	if opts.MaxCoolDown <= 0 {
		opts.MaxCoolDown = DefaultMaxCoolDown
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	return &Store{
		rdb: rdb, prefix: opts.Prefix, timeout: opts.Timeout, every: opts.ReportEvery, log: opts.Log,
		brk: newBreaker(opts.FailAfter, opts.CoolDown, opts.MaxCoolDown, opts.now),
	}
}

// Mode returns the kind of deployment the store was opened on
// (ModeSingle for a store made by New), for logs.
func (s *Store) Mode() Mode {
	if s.mode == "" {
		return ModeSingle
	}
	return s.mode
}

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers, for readiness checks. While the
// breaker is open it does not wait for the cool-down: it is the probe
// (unless another probe is under way, when it fails fast), so a polled
// readiness check also brings the store back soon after Redis returns.
func (s *Store) Ping(ctx context.Context) error {
	return s.run(ctx, "ping", true, func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() })
}

// Up reports whether Redis is usable now: the breaker is closed and the
// last call worked.
func (s *Store) Up() bool {
	if s.brk.State() != StateClosed {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.down
}

// State returns the state of the circuit breaker: anything but
// StateClosed means calls fail fast and the parts run on their
// in-process fallbacks, which a readiness report may call degraded.
func (s *Store) State() State { return s.brk.State() }

// key is the key named by parts, after the prefix: prefix + parts joined
// by ":". A Cluster places it by its whole name (unless the prefix holds
// a hash tag), so keys made by key spread over the slots: it is for
// state touched one key per call.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// tagged is key for state a script or transaction touches several keys
// of at once: the first part is a hash tag ("{tag}"), which a Cluster
// places by, so that every key with the same first part lives in one
// slot. A prefix holding a "{" of its own does not break this: the hash
// tag then starts in the prefix and still takes in the same text for
// each key of a group.
func (s *Store) tagged(tag string, parts ...string) string {
	return s.prefix + "{" + tag + "}:" + strings.Join(parts, ":")
}

// do makes one Redis call, f, through the circuit breaker, bounded in
// time. It returns ErrUnavailable without calling f while the breaker is
// open, and f's error, redis.Nil included, wrapped with op otherwise.
func (s *Store) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	return s.run(ctx, op, false, f)
}

// run is do; probe lets the call through an open breaker as its probe.
func (s *Store) run(ctx context.Context, op string, probe bool, f func(ctx context.Context) error) error {
	t, ok := s.brk.allow(probe)
	if !ok {
		s.mu.Lock()
		s.skipped++
		s.mu.Unlock()
		return fmt.Errorf("redis %s: %w", op, ErrUnavailable)
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	err := f(cctx)
	cancel()
	o := judge(ctx, err)
	if from, to := s.brk.done(t, o); from != to {
		s.log.Debug("redis circuit breaker", "op", op, "from", from.String(), "to", to.String(), "cool_down", s.brk.CoolDown(), "err", err)
	}
	if o != excluded {
		s.result(op, err)
	}
	if err != nil {
		return fmt.Errorf("redis %s: %w", op, err)
	}
	return nil
}

// judge tells what err, returned by a call made within ctx, says about
// Redis. An error reply (redis.Nil, WRONGTYPE, …) is an answer: only
// timeouts and connection errors count against the breaker, and a call
// whose caller gave up first counts for nothing.
func judge(ctx context.Context, err error) outcome {
	var reply redis.Error
	switch {
	case err == nil || errors.As(err, &reply):
		return succeeded
	case ctx.Err() != nil:
		return excluded
	}
	return failed
}

// result notes how a call went: failures are logged at most once per
// interval, and the first success after them once.
func (s *Store) result(op string, err error) {
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if err == nil {
		if s.down {
			s.log.Info("redis is back", "failed_calls", s.failures, "failed_fast", s.skipped)
			s.down, s.failures, s.skipped = false, 0, 0
		}
		return
	}
	s.failures++
	if !s.down || now.Sub(s.reported) >= s.every {
		s.log.Warn("redis unavailable; carrying on without it", "op", op, "err", err, "failed_calls", s.failures, "failed_fast", s.skipped)
		s.reported = now
	}
	s.down = true
}
