package redisstore

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrUnavailable is returned, without touching the network, by calls made
// while the circuit breaker is open: Redis failed several calls in a row,
// so the store stops waiting on it for a while.
var ErrUnavailable = errors.New("redis unavailable: circuit breaker open, failing fast")

// Defaults of the circuit breaker, used when Options leaves a field zero.
const (
	DefaultFailAfter   = 3
	DefaultCoolDown    = time.Second
	DefaultMaxCoolDown = 30 * time.Second
)

// State is the state of the store's circuit breaker, for readiness
// reports: anything but StateClosed means the bot is running on its
// in-process fallbacks (degraded).
type State int

const (
	// StateClosed lets every call through to Redis.
	StateClosed State = iota
	// StateOpen fails every call fast until the cool-down ends.
	StateOpen
	// StateHalfOpen lets one probe call at a time through; the others
	// fail fast. The probe's success closes the breaker, its failure
	// opens it again for a longer cool-down.
	StateHalfOpen
)

// String names the state as logs and readiness reports show it.
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateOpen:
		return "open"
	case StateHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// outcome is what a call says about Redis.
type outcome int

const (
	succeeded outcome = iota // Redis answered (redis.Nil and error replies included)
	failed                   // timeout or connection error
	excluded                 // the caller gave up first: says nothing about Redis
)

// breaker is a circuit breaker: after threshold consecutive failed calls
// it opens, failing calls fast for a cool-down that doubles, up to a cap,
// each time the probe after it fails. Hand-written rather than
// sony/gobreaker because the store needs a cool-down that backs off, a
// probe on demand for readiness checks, and a clock tests can set.
type breaker struct {
	now       func() time.Time
	threshold int
	base, max time.Duration

	mu      sync.Mutex
	state   State
	gen     uint64        // bumped on every change of state, so late results of older calls are ignored
	fails   int           // consecutive failures while closed
	cool    time.Duration // the current cool-down
	until   time.Time     // end of the cool-down while open
	probing bool          // a half-open probe is under way
}

// ticket is the permission to make one call, handed back with its outcome.
type ticket struct {
	gen   uint64
	probe bool
}

func newBreaker(threshold int, coolDown, maxCoolDown time.Duration, now func() time.Time) *breaker {
	return &breaker{now: now, threshold: threshold, base: coolDown, max: max(coolDown, maxCoolDown)}
}

// allow reports whether a call may go to Redis now. An open breaker whose
// cool-down has ended turns half-open and lets the call through as its
// probe; force lets a readiness check probe before the cool-down ends. At
// most one probe is under way at a time.
func (b *breaker) allow(force bool) (ticket, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case StateClosed:
		return ticket{gen: b.gen}, true
	case StateOpen:
		if !force && b.now().Before(b.until) {
			return ticket{}, false
		}
		b.set(StateHalfOpen)
	}
	if b.probing {
		return ticket{}, false
	}
	b.probing = true
	return ticket{gen: b.gen, probe: true}, true
}

// done records the outcome of a call allowed by t, and returns the states
// before and after, for logging.
func (b *breaker) done(t ticket, o outcome) (from, to State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	from = b.state
	if t.gen != b.gen { // started before the last change of state
		return from, from
	}
	switch {
	case b.state == StateClosed && o == succeeded:
		b.fails = 0
	case b.state == StateClosed && o == failed:
		if b.fails++; b.fails >= b.threshold {
			b.open(b.base)
		}
	case b.state == StateHalfOpen && t.probe:
		b.probing = false
		switch o {
		case succeeded:
			b.fails = 0
			b.set(StateClosed)
		case failed:
			b.open(min(2*b.cool, b.max))
		}
	}
	return from, b.state
}

// State returns the breaker's state.
func (b *breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// CoolDown returns the current cool-down, for logs.
func (b *breaker) CoolDown() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cool
}

func (b *breaker) open(cool time.Duration) {
	b.cool = cool
	b.until = b.now().Add(cool)
	b.set(StateOpen)
}

func (b *breaker) set(s State) {
	b.state = s
	b.gen++
}
