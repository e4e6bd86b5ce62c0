package answer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
)

// verdicts records what the support check told the Observer.
type verdicts struct {
	mu                     sync.Mutex
	kept, dropped, uncited int
}

func (v *verdicts) Retrieval(time.Duration) {}
func (v *verdicts) CacheLookup(bool)        {}
func (v *verdicts) SupportCheck(kept, dropped, uncited int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.kept += kept
	v.dropped += dropped
	v.uncited += uncited
}

// TestUnsupportedClaimsAreNotPresentedAsSourced: a model citing the
// passage that says "two hours" while claiming three, or adding a claim
// its citation does not make, is caught by the support check: the
// unsupported sentence is dropped, and an answer with nothing supported
// left is not an answer (and not cached).
func TestUnsupportedClaimsAreNotPresentedAsSourced(t *testing.T) {
	tests := []struct {
		name, reply string
		want        string // "" for a refusal
		dropped     int
	}{
		{"supported", "The video call lasted two hours [%[1]s].", "The video call lasted two hours [1].", 0},
		{"a wrong number", "The video call lasted three hours [%[1]s].", "", 1},
		{"a claim beside a supported one", "The video call lasted two hours [%[1]s]. Afterwards Biden flew to Paris to meet Macron [%[1]s].", "The video call lasted two hours [1].", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := fakeopenai.New(translator(nil, "lasted two hours", tt.reply))
			t.Cleanup(ai.Close)
			client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
			v := &verdicts{}
			svc := answer.NewService(seedIndex(t), client, nil, answer.Options{Observer: v, Cache: answer.NewLocalCache(10, time.Hour)})
			for range 2 {
				a, err := svc.Answer(context.Background(), answer.Request{Question: "How long did the Putin-Biden video call last?"})
				if err != nil {
					t.Fatal(err)
				}
				if tt.want == "" {
					if a.Answered || a.Text != answer.NotGrounded || a.Cached {
						t.Errorf("%q: answered %v, cached %v, want NotGrounded and not cached", a.Text, a.Answered, a.Cached)
					}
				} else if !a.Answered || a.Text != tt.want || len(a.Citations) != 1 {
					t.Errorf("%q (answered %v, %d citations), want %q", a.Text, a.Answered, len(a.Citations), tt.want)
				}
			}
			if v.dropped < tt.dropped || tt.dropped == 0 && v.dropped != 0 {
				t.Errorf("observer told of %d dropped sentences, want %d a time", v.dropped, tt.dropped)
			}
		})
	}
}
