package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/internal/logbuf"
)

// recordingAPI answers every call at once, noting when each message
// was sent.
type recordingAPI struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *recordingAPI) MakeRequest(string, tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	a.mu.Lock()
	a.times = append(a.times, time.Now())
	a.mu.Unlock()
	return &tgbotapi.APIResponse{Ok: true, Result: json.RawMessage(`{"message_id":1}`)}, nil
}

func (a *recordingAPI) Request(tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	return &tgbotapi.APIResponse{Ok: true}, nil
}

func (a *recordingAPI) sent() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.times)
}

// scriptedPacer answers Reserve with reserve, counting the calls.
type scriptedPacer struct {
	processes int
	reserve   func(call int, chatID int64, optional bool) (time.Duration, bool, error)

	mu    sync.Mutex
	calls int
	sent  int // calls of Sent
}

func (p *scriptedPacer) Reserve(_ context.Context, chatID int64, optional bool) (time.Duration, bool, error) {
	p.mu.Lock()
	p.calls++
	n := p.calls
	p.mu.Unlock()
	return p.reserve(n, chatID, optional)
}

func (p *scriptedPacer) Processes() int { return p.processes }

func (p *scriptedPacer) Sent(context.Context, int64) {
	p.mu.Lock()
	p.sent++
	p.mu.Unlock()
}

// TestSenderFallbackTakesItsShare has the shared pacer fail, as when
// Redis is down, with three processes counted: the sender paces itself
// on a third of the budget, 28/3 a second, logging the change once, and
// says when the pacer is back.
func TestSenderFallbackTakesItsShare(t *testing.T) {
	api := &recordingAPI{}
	logs := &logbuf.Buffer{}
	down := true
	var mu sync.Mutex
	pacer := &scriptedPacer{processes: 3, reserve: func(int, int64, bool) (time.Duration, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 0, false, errors.New("redis pace: redis unavailable")
		}
		return 0, true, nil
	}}
	s := newSender(api, slog.New(slog.NewTextHandler(logs, nil)), nopObserver{}, pacer)
	ctx := context.Background()
	const n = 14
	var wg sync.WaitGroup
	for chat := range int64(n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.send(ctx, "sendMessage", chat+1, tgbotapi.Params{}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	times := api.sent()
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	// 14 messages at 28/3 a second, one at a time: 13 intervals of 107 ms.
	if took := times[n-1].Sub(times[0]); took < 13*time.Second*3/28*9/10 {
		t.Errorf("%d messages in %v: faster than a third of 28 a second", n, took)
	}
	// Starts are held to 9 in any second; the times recorded here come a
	// moment after each start, which may let one more into a window.
	if most := mostWithin(times, time.Second); most > 28/3+1 {
		t.Errorf("%d messages in one second, over a third of 28", most)
	}
	if c := strings.Count(logs.String(), "shared telegram pacer unreachable"); c != 1 {
		t.Errorf("the fallback logged %d times, want once:\n%s", c, logs)
	}
	if !strings.Contains(logs.String(), "processes=3") {
		t.Errorf("the fallback's log does not give the processes counted:\n%s", logs)
	}

	mu.Lock()
	down = false
	mu.Unlock()
	if _, err := s.send(ctx, "sendMessage", 99, tgbotapi.Params{}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "shared telegram pacer is back") {
		t.Errorf("the pacer's return is not logged:\n%s", logs)
	}
}

func mostWithin(times []time.Time, d time.Duration) int {
	most, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// TestSenderFollowsSharedPacer checks that the sender sends at the
// place the shared pacer gives, asks again when the chat is not yet
// free, and skips an optional message the pacer refuses without sending
// it.
func TestSenderFollowsSharedPacer(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		optional bool
		reserve  func(call int, chatID int64, optional bool) (time.Duration, bool, error)
		calls    int
		atLeast  time.Duration
		err      error
	}{
		{name: "place later", reserve: func(int, int64, bool) (time.Duration, bool, error) {
			return 200 * time.Millisecond, true, nil
		}, calls: 1, atLeast: 200 * time.Millisecond},
		{name: "chat spaced by another process", reserve: func(call int, _ int64, _ bool) (time.Duration, bool, error) {
			if call == 1 {
				return 150 * time.Millisecond, false, nil
			}
			return 0, true, nil
		}, calls: 2, atLeast: 150 * time.Millisecond},
		{name: "optional refused", optional: true, reserve: func(_ int, _ int64, optional bool) (time.Duration, bool, error) {
			if !optional {
				return 0, false, fmt.Errorf("optional not passed on")
			}
			return 50 * time.Millisecond, false, nil
		}, calls: 1, err: errBusy},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := &recordingAPI{}
			pacer := &scriptedPacer{processes: 2, reserve: tt.reserve}
			s := newSender(api, slog.New(slog.DiscardHandler), nopObserver{}, pacer)
			begin := time.Now()
			var err error
			if tt.optional {
				_, err = s.sendOptional(ctx, "editMessageText", 5, tgbotapi.Params{})
			} else {
				_, err = s.send(ctx, "sendMessage", 5, tgbotapi.Params{}, nil)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if pacer.calls != tt.calls {
				t.Errorf("%d calls to the pacer, want %d", pacer.calls, tt.calls)
			}
			sent := api.sent()
			if tt.err != nil {
				if len(sent) != 0 {
					t.Error("a refused optional message was sent")
				}
				return
			}
			if len(sent) != 1 || pacer.sent != 1 {
				t.Fatalf("%d messages sent, %d told to the pacer; want 1", len(sent), pacer.sent)
			}
			if d := sent[0].Sub(begin); d < tt.atLeast {
				t.Errorf("sent %v after the call, want at least %v", d, tt.atLeast)
			}
		})
	}
}
