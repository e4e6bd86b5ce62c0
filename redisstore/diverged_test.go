package redisstore

import (
	"slices"
	"testing"
	"time"
)

func TestDiverged(t *testing.T) {
	type want struct {
		chat  int64
		ok    bool
		reset bool
		turns []string
	}
	tests := []struct {
		name      string
		run       func(d *diverged, clock *time.Time)
		want      []want
		evictions int
	}{
		{"appended turns, the last few kept", func(d *diverged, _ *time.Time) {
			for _, s := range []string{"t1", "t2", "t3", "t4"} {
				d.appendTurn(1, []byte(s))
			}
		}, []want{{chat: 1, ok: true, turns: []string{"t2", "t3", "t4"}}}, 0},
		{"a reset drops the turns before it", func(d *diverged, _ *time.Time) {
			d.appendTurn(1, []byte("t1"))
			d.reset(1)
			d.appendTurn(1, []byte("t2"))
		}, []want{{chat: 1, ok: true, reset: true, turns: []string{"t2"}}}, 0},
		{"written clears the chat", func(d *diverged, _ *time.Time) {
			d.written(1, d.appendTurn(1, []byte("t1")))
		}, []want{{chat: 1}}, 0},
		{"a change made while writing is kept", func(d *diverged, _ *time.Time) {
			p := d.appendTurn(1, []byte("t1"))
			d.appendTurn(1, []byte("t2"))
			d.written(1, p)
		}, []want{{chat: 1, ok: true, turns: []string{"t1", "t2"}}}, 0},
		{"changes older than idle are dropped", func(d *diverged, clock *time.Time) {
			d.reset(1)
			*clock = clock.Add(time.Hour + time.Second)
			d.appendTurn(2, []byte("t1"))
		}, []want{{chat: 1}, {chat: 2, ok: true, turns: []string{"t1"}}}, 0},
		{"bounded: the oldest change is forgotten", func(d *diverged, _ *time.Time) {
			d.reset(1)
			d.reset(2)
			d.reset(1) // 1 is now newer than 2
			d.reset(3)
			d.reset(4)
		}, []want{{chat: 1, ok: true, reset: true}, {chat: 2}, {chat: 3, ok: true, reset: true}, {chat: 4, ok: true, reset: true}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := time.Unix(1_700_000_000, 0)
			d := newDiverged(3, 3, time.Hour, func() time.Time { return clock })
			tt.run(d, &clock)
			for _, w := range tt.want {
				p, ok := d.get(w.chat)
				var turns []string
				for _, b := range p.turns {
					turns = append(turns, string(b))
				}
				if ok != w.ok || p.reset != w.reset || !slices.Equal(turns, w.turns) {
					t.Errorf("chat %d: recorded %v, reset %v, turns %q; want %v, %v, %q", w.chat, ok, p.reset, turns, w.ok, w.reset, w.turns)
				}
			}
			if n := d.evictions(time.Minute); n != tt.evictions {
				t.Errorf("%d chats forgotten, want %d", n, tt.evictions)
			}
			if d.len() > 3 {
				t.Errorf("%d chats recorded, over the bound of 3", d.len())
			}
		})
	}
}
