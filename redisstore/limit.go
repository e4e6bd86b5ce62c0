package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// LocalLimiter is the in-process limiter a Limiter falls back on.
type LocalLimiter interface {
	Allow(ctx context.Context, user int64) (bool, time.Duration)
}

// Limiter limits each user to a number of questions a minute across
// every process, as a generic cell rate (a bucket of that many questions
// that refills evenly over the minute).
type Limiter struct {
	s        *Store
	interval time.Duration // one question's share of the minute
	burst    int
	local    LocalLimiter
}

// Limiter returns a limiter of perMinute questions a minute per user,
// falling back on local while Redis is unavailable.
func (s *Store) Limiter(perMinute int, local LocalLimiter) *Limiter {
	return &Limiter{s: s, interval: time.Minute / time.Duration(perMinute), burst: perMinute, local: local}
}

// gcra keeps the theoretical arrival time of the user's next question.
// KEYS[1] the user's key; ARGV: now, interval, burst tolerance (ms).
// Returns 0 when allowed, else the milliseconds to wait.
var gcra = redis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
local next = tat + interval
redis.call("SET", KEYS[1], next, "PX", next - now)
return 0`)

// Allow reports whether user may ask now, and if not, how long to wait.
func (l *Limiter) Allow(ctx context.Context, user int64) (bool, time.Duration) {
	now := time.Now().UnixMilli()
	tolerance := l.interval.Milliseconds() * int64(l.burst-1)
	var wait int64
	err := l.s.do(ctx, "rate limit", func(ctx context.Context) (err error) {
		wait, err = gcra.Run(ctx, l.s.rdb, []string{l.s.key("rate", strconv.FormatInt(user, 10))}, now, l.interval.Milliseconds(), tolerance).Int64()
		return err
	})
	if err != nil {
		return l.local.Allow(ctx, user)
	}
	if wait > 0 {
		return false, time.Duration(wait) * time.Millisecond
	}
	return true, 0
}
