package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// step is one call to the breaker (or the end of a call under way),
// after the clock moves on by wait.
type step struct {
	wait    time.Duration
	force   bool    // a readiness probe
	o       outcome // how the call ends, when allowed
	hold    bool    // leave the call under way; a later step with finish ends it
	finish  bool    // end the held call with o instead of making a new one
	allowed bool    // want: the call went through
	state   State   // want: the state after the step
	cool    time.Duration
}

func TestBreakerStateMachine(t *testing.T) {
	fail := step{o: failed, allowed: true}
	three := []step{fail, fail, {o: failed, allowed: true, state: StateOpen, cool: time.Second}}
	tests := []struct {
		name  string
		steps []step
	}{
		{"opens after 3 failures in a row", three},
		{"a success starts the count again", []step{fail, fail, {o: succeeded, allowed: true}, fail, fail}},
		{"a call whose caller gave up neither counts nor resets", []step{fail, fail, {o: excluded, allowed: true}, {o: failed, allowed: true, state: StateOpen}}},
		{"fails fast while open", append(three,
			step{wait: 999 * time.Millisecond, o: succeeded, allowed: false, state: StateOpen})},
		{"a probe after the cool-down closes it", append(three,
			step{wait: time.Second, o: succeeded, allowed: true, state: StateClosed},
			step{o: succeeded, allowed: true, state: StateClosed})},
		{"one probe at a time", append(three,
			step{wait: time.Second, hold: true, allowed: true, state: StateHalfOpen},
			step{o: succeeded, allowed: false, state: StateHalfOpen},
			step{force: true, o: succeeded, allowed: false, state: StateHalfOpen},
			step{finish: true, o: succeeded, state: StateClosed})},
		{"a failed probe re-opens it for twice as long, up to the cap", append(three,
			step{wait: time.Second, o: failed, allowed: true, state: StateOpen, cool: 2 * time.Second},
			step{wait: time.Second, o: succeeded, allowed: false, state: StateOpen},
			step{wait: time.Second, o: failed, allowed: true, state: StateOpen, cool: 4 * time.Second},
			step{wait: 4 * time.Second, o: failed, allowed: true, state: StateOpen, cool: 8 * time.Second},
			step{wait: 8 * time.Second, o: failed, allowed: true, state: StateOpen, cool: 10 * time.Second},
			step{wait: 10 * time.Second, o: failed, allowed: true, state: StateOpen, cool: 10 * time.Second},
			step{wait: 10 * time.Second, o: succeeded, allowed: true, state: StateClosed},
			fail, fail, step{o: failed, allowed: true, state: StateOpen, cool: time.Second})},
		{"a readiness check probes before the cool-down ends", append(three,
			step{force: true, o: succeeded, allowed: true, state: StateClosed})},
		{"a probe whose caller gave up frees the slot", append(three,
			step{wait: time.Second, o: excluded, allowed: true, state: StateHalfOpen},
			step{o: succeeded, allowed: true, state: StateClosed})},
		{"late results of calls made before it opened are ignored", []step{
			{hold: true, allowed: true},
			fail, fail, {o: failed, allowed: true, state: StateOpen},
			{finish: true, o: succeeded, state: StateOpen}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1_700_000_000, 0)
			b := newBreaker(3, time.Second, 10*time.Second, func() time.Time { return now })
			var held ticket
			for i, st := range tt.steps {
				now = now.Add(st.wait)
				if st.finish {
					b.done(held, st.o)
				} else {
					tk, ok := b.allow(st.force)
					if ok != st.allowed {
						t.Fatalf("step %d: allowed %v, want %v", i, ok, st.allowed)
					}
					if ok && st.hold {
						held = tk
					} else if ok {
						b.done(tk, st.o)
					}
				}
				if got := b.State(); got != st.state {
					t.Fatalf("step %d: state %v, want %v", i, got, st.state)
				}
				if st.cool != 0 && b.CoolDown() != st.cool {
					t.Fatalf("step %d: cool-down %v, want %v", i, b.CoolDown(), st.cool)
				}
			}
		})
	}
}

// replyError is an error reply of the server, as go-redis returns one.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

func TestJudge(t *testing.T) {
	live := context.Background()
	gone, cancel := context.WithCancel(live)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want outcome
	}{
		{"success", live, nil, succeeded},
		{"no such key", live, redis.Nil, succeeded},
		{"no such key, wrapped", live, fmt.Errorf("get: %w", redis.Nil), succeeded},
		{"error reply", live, replyError("WRONGTYPE Operation against a key holding the wrong kind of value"), succeeded},
		{"timeout", live, context.DeadlineExceeded, failed},
		{"connection refused", live, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, failed},
		{"caller gave up", gone, context.Canceled, excluded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := judge(tt.ctx, tt.err); got != tt.want {
				t.Errorf("judge(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
