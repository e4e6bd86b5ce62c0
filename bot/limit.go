package bot

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter limits how often one user may ask.
type RateLimiter interface {
	// Allow reports whether user may ask now, and if not, how long to wait.
	Allow(ctx context.Context, user int64) (bool, time.Duration)
}

// DefaultQuestionsPerMinute is each user's default limit.
const DefaultQuestionsPerMinute = 20

// LocalLimiter is a RateLimiter in this process: perMinute questions a
// minute per user, in a bucket that refills evenly.
type LocalLimiter struct {
	every time.Duration
	burst int

	mu    sync.Mutex
	users map[int64]*userLimit
}

type userLimit struct {
	lim  *rate.Limiter
	used time.Time
}

// NewLocalLimiter returns a limiter of perMinute questions a minute per user.
func NewLocalLimiter(perMinute int) *LocalLimiter {
	return &LocalLimiter{every: time.Minute / time.Duration(perMinute), burst: perMinute, users: map[int64]*userLimit{}}
}

// Allow reports whether user may ask now, and if not, how long to wait.
func (l *LocalLimiter) Allow(_ context.Context, user int64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	u := l.users[user]
	if u == nil {
		if len(l.users) > 10000 {
			for id, v := range l.users {
				if now.Sub(v.used) > time.Minute {
					delete(l.users, id)
				}
			}
		}
		u = &userLimit{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.users[user] = u
	}
	u.used = now
	r := u.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
