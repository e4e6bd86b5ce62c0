package bot_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestAbuse floods the bot and sends it malformed text: the flooder is
// limited, everyone else is served, and every odd message gets a clear
// reply rather than a crash or silence.
func TestAbuse(t *testing.T) {
	h := startWith(t, setup{}) // the default limit: 20 questions a minute
	const flooder = 66
	for range 100 {
		h.tg.PushText(flooder, "Where did Putin and Biden last meet in person?")
	}
	tests := []struct {
		name, text, want string
	}{
		{"a 1 MB message", strings.Repeat("why ", 256<<10), "at most 1000 characters"},
		{"invalid UTF-8", "Where did Putin and Biden \xff\xfe last meet in person?", "Geneva"},
		{"control characters", "Where\x00 did\x07 Putin\x1b[31m and Biden\u202e last meet\r in person?", "Geneva"},
		{"only control characters", "\x00\x01\x02\u200b", "type a question"},
	}
	for i, tt := range tests {
		h.tg.PushText(int64(700+i), tt.text)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.await(t, int64(700+i), 1)
			if len(got) != 1 || !strings.Contains(got[0].Text, tt.want) || !utf8.ValidString(got[0].Text) {
				t.Errorf("replies %+v, want one containing %q", got, tt.want)
			}
		})
	}
	// The flooder: 20 answers within the limit, one warning, then silence.
	h.tg.WaitFor(30*time.Second, func() bool { return len(h.tg.SentTo(flooder)) >= 21 })
	time.Sleep(time.Second)
	answers, warnings := 0, 0
	for _, m := range h.tg.SentTo(flooder) {
		switch {
		case strings.Contains(m.Text, "Geneva"):
			answers++
		case strings.Contains(m.Text, "slow down"):
			warnings++
		}
	}
	if answers != 20 || warnings != 1 {
		t.Errorf("flooder got %d answers and %d warnings for 100 messages; want 20 and 1", answers, warnings)
	}
	if h.tg.Throttled() != 0 {
		t.Errorf("%d sends met Telegram's limits", h.tg.Throttled())
	}
}
