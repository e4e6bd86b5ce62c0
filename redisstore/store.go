// Package redisstore keeps what the bot shares between processes and
// restarts in Redis: the answer cache, conversation memory, per-user rate
// limits, handled updates, and corpus reloads.
//
// Redis is a helper, never a dependency of answering: every call has a
// short timeout, and when Redis is down, slow or returns nonsense, each
// part falls back (no cache, memory and limits in this process) and the
// store logs the trouble once per interval, picking Redis up again by
// itself when it returns.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
}

// Store is a connection to Redis shared by the parts built on it.
type Store struct {
	rdb     *redis.Client
	prefix  string
	timeout time.Duration
	every   time.Duration
	log     *slog.Logger

	mu       sync.Mutex
	down     bool
	reported time.Time
	failures int
}

// Open returns a store for the Redis at url (redis://…, rediss://…). It
// does not connect: Redis may come up later.
func Open(url string, opts Options) (*Store, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	ro.DialTimeout = max(opts.Timeout, 500*time.Millisecond)
	ro.ReadTimeout = opts.Timeout
	ro.WriteTimeout = opts.Timeout
	ro.MaxRetries = 1
	ro.ContextTimeoutEnabled = true
	return New(redis.NewClient(ro), opts), nil
}

// New returns a store using rdb.
func New(rdb *redis.Client, opts Options) *Store {
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
	return &Store{rdb: rdb, prefix: opts.Prefix, timeout: opts.Timeout, every: opts.ReportEvery, log: opts.Log}
}

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	err := s.rdb.Ping(ctx).Err()
	s.result("ping", err)
	return err
}

// Up reports whether the last call to Redis worked.
func (s *Store) Up() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.down
}

func (s *Store) key(parts ...string) string {
	k := s.prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

// call bounds one Redis call in time.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
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
			s.log.Info("redis is back", "failed_calls", s.failures)
			s.down, s.failures = false, 0
		}
		return
	}
	s.failures++
	if !s.down || now.Sub(s.reported) >= s.every {
		s.log.Warn("redis unavailable; carrying on without it", "op", op, "err", err, "failed_calls", s.failures)
		s.reported = now
	}
	s.down = true
}
