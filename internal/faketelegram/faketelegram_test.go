package faketelegram

import (
	"testing"
	"time"
)

func TestSendingLimits(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type msg struct {
		chat int64
		at   time.Duration // after t0
		wait bool          // want a 429
	}
	tests := []struct {
		name string
		msgs []msg
	}{
		{"one a second in a chat", []msg{{1, 0, false}, {1, 999 * time.Millisecond, true}, {1, time.Second, false}}},
		{"one a second in a group too", []msg{{-7, 0, false}, {-7, 500 * time.Millisecond, true}}},
		{"other chats are not held up", []msg{{1, 0, false}, {2, 0, false}, {3, time.Millisecond, false}}},
		{"20 a minute in a group", func() []msg {
			var m []msg
			for i := range 20 {
				m = append(m, msg{-5, time.Duration(i) * time.Second, false})
			}
			return append(m, msg{-5, 20500 * time.Millisecond, true}, msg{-5, 59 * time.Second, true}, msg{-5, 60 * time.Second, false})
		}()},
		{"30 a second over all chats", func() []msg {
			var m []msg
			for i := range 30 {
				m = append(m, msg{int64(100 + i), time.Duration(i) * time.Millisecond, false})
			}
			return append(m, msg{500, 999 * time.Millisecond, true}, msg{500, time.Second, false}, msg{501, time.Second, true})
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{perChat: map[int64][]time.Time{}}
			refused := 0
			for i, m := range tt.msgs {
				wait := s.admit(m.chat, t0.Add(m.at))
				if (wait > 0) != m.wait {
					t.Errorf("message %d to chat %d at %v: wait %v, want a 429: %v", i, m.chat, m.at, wait, m.wait)
				}
				if wait > 0 {
					refused++
				}
			}
			if s.throttled != refused {
				t.Errorf("throttled %d, want %d", s.throttled, refused)
			}
		})
	}
}

func TestUnlimited(t *testing.T) {
	s := &Server{perChat: map[int64][]time.Time{}, Unlimited: true}
	now := time.Now()
	for range 100 {
		if s.admit(1, now) > 0 {
			t.Fatal("Unlimited refused a message")
		}
	}
}
