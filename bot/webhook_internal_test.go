package bot

import (
	"testing"
	"time"
)

func TestRefusalsSummedUpOnceAMinute(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var f refusals
	tests := []struct {
		at        time.Duration
		n         int
		wantFirst bool
	}{
		{0, 0, true},            // the first is logged alone
		{time.Second, 0, false}, // then quiet…
		{30 * time.Second, 0, false},
		{time.Minute, 3, false}, // …until a minute has passed: 3 since
		{time.Minute + time.Second, 0, false},
		{3 * time.Minute, 2, false},
	}
	for _, tt := range tests {
		n, first := f.add(t0.Add(tt.at))
		if n != tt.n || first != tt.wantFirst {
			t.Errorf("at %v: add = %d, %v; want %d, %v", tt.at, n, first, tt.n, tt.wantFirst)
		}
	}
}
