package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"
)

// API is the part of the Bot API client the bot uses. Messages go
// through MakeRequest because the library's configs lack newer fields
// such as message_thread_id.
type API interface {
	MakeRequest(endpoint string, params tgbotapi.Params) (*tgbotapi.APIResponse, error)
	Request(c tgbotapi.Chattable) (*tgbotapi.APIResponse, error)
}

// Telegram's published sending limits, paced with a margin: Telegram
// counts when a message arrives, and two requests can take different
// times on the way.
const (
	perBot   = 28                      // messages a second, all chats (Telegram: 30)
	perChat  = 1050 * time.Millisecond // between messages in a chat (Telegram: one a second)
	perGroup = 3100 * time.Millisecond // between messages in a group (Telegram: 20 a minute)
	maxTries = 5                       // attempts of one send
	maxWait  = 60 * time.Second        // longest retry_after we accept
	idleChat = 10 * time.Minute        // when a chat's pacing state is dropped
	baseWait = 500 * time.Millisecond  // first backoff after a 5xx or network error
	capWait  = 8 * time.Second         // longest backoff
	typingIn = 4500 * time.Millisecond // "typing…" lasts 5 s on clients

	// Beyond the even pace, no more than windowMax messages start in
	// any window: a goroutine woken late must not bunch up with the next.
	windowMax = perBot
	window    = time.Second
)

// errBusy means a send that may be skipped was skipped, because sending
// it now would delay messages that may not.
var errBusy = errors.New("telegram sends are backed up")

// Pacer shares Telegram's sending limits with the other processes
// sending on the same bot token, which Telegram counts together
// (redisstore.Pacer does, through Redis). The sender still spaces each
// chat's messages in this process, from when the last one went out; the
// pacer adds the bot's overall pace and the chats' spacing across
// processes.
type Pacer interface {
	// Reserve asks for a place for one message to chatID. With taken,
	// the place is the caller's and it sends after wait. Without, no
	// message may go yet (the chat's spacing, or with optional the bot's
	// budget): the caller asks again after wait, or with optional skips
	// the message. An error means the shared pace cannot be reached: the
	// sender then paces in this process on 1/Processes of the budget.
	Reserve(ctx context.Context, chatID int64, optional bool) (wait time.Duration, taken bool, err error)
	// Sent says a message to chatID, sent on a place Reserve gave, has
	// just returned: the chat's next message is spaced from now, as
	// Telegram counts arrivals, which come before the response.
	Sent(ctx context.Context, chatID int64)
	// Processes returns how many processes share the token, as last
	// known (at least 1), without I/O.
	Processes() int
}

// sender sends to Telegram at a pace within its limits, and retries what
// Telegram or the network failed transiently. Messages are spaced evenly
// (no bursts), each chat's measured from when its last message actually
// went out, so that pacing never finds the limits by failure. With a
// shared Pacer, the bot's pace is the pacer's, across processes, and
// while it is unreachable this process takes its share of the budget.
type sender struct {
	api    API
	log    *slog.Logger
	obs    Observer
	pacer  Pacer         // nil: this process is alone on the token
	global *rate.Limiter // messages and edits, when paced in process
	other  *rate.Limiter // chat actions and callback answers, which are not messages

	mu     sync.Mutex
	chats  map[int64]*chatPace
	starts []time.Time // when the last windowMax messages went out
	alone  bool        // the shared pacer failed its last call: pacing in process
}

// chatPace is one chat's pacing state. turn admits one sender at a time,
// and next, owned by the holder of turn, is when the chat may get its
// next message.
type chatPace struct {
	turn chan struct{}
	next time.Time
	used time.Time // guarded by sender.mu
}

func newSender(api API, log *slog.Logger, obs Observer, pacer Pacer) *sender {
	return &sender{
		api:    api,
		log:    log,
		obs:    obs,
		pacer:  pacer,
		global: rate.NewLimiter(perBot, 1),
		other:  rate.NewLimiter(perBot, perBot),
		chats:  map[int64]*chatPace{},
	}
}

func (s *sender) chat(chatID int64) *chatPace {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	cp := s.chats[chatID]
	if cp == nil {
		cp = &chatPace{turn: make(chan struct{}, 1)}
		s.chats[chatID] = cp
		if len(s.chats) > 1000 {
			for id, c := range s.chats {
				if now.Sub(c.used) > idleChat {
					delete(s.chats, id)
				}
			}
		}
	}
	cp.used = now
	return cp
}

// wait blocks until a message to chatID is within the limits, and takes
// its place: the chat's turn, which the caller gives back with release
// once the request has returned. The chat's next message is spaced from
// then, not from when this one started, since Telegram counts arrivals
// and a request's arrival comes before its response: so a slow request
// followed by a fast one can never arrive too close. With optional set
// it does not wait for the bot's overall limit: it returns errBusy if
// other messages are waiting for it.
func (s *sender) wait(ctx context.Context, chatID int64, optional bool) (release func(), err error) {
	cp := s.chat(chatID)
	select {
	case cp.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() {
		if err != nil {
			<-cp.turn
		}
	}()
	if d := time.Until(cp.next); d > 0 && !sleep(ctx, d) {
		return nil, ctx.Err()
	}
	shared, err := s.paceShared(ctx, chatID, optional)
	if err != nil {
		return nil, err
	}
	most := windowMax
	if !shared {
		// Alone, one of n: its share of the window, less one message,
		// since n processes' windows are not Telegram's and each one's
		// requests may arrive late and bunch with the others'.
		n := s.share()
		most = windowMax
		if n > 1 {
			most = max(1, windowMax/n-1)
		}
		if optional {
			if !s.global.Allow() {
				return nil, errBusy
			}
		} else if err := s.global.Wait(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.inWindow(ctx, most); err != nil {
		return nil, err
	}
	every := perChat
	if chatID < 0 { // groups and channels have negative ids
		every = perGroup
	}
	return func() {
		cp.next = time.Now().Add(every)
		if shared {
			s.pacer.Sent(context.WithoutCancel(ctx), chatID)
		}
		<-cp.turn
	}, nil
}

// paceShared takes the message's place with the shared pacer and waits
// for it. It reports false when there is no shared pacer or it cannot be
// reached, for the caller to pace in process; errBusy when an optional
// message would have to wait for the bot's budget.
func (s *sender) paceShared(ctx context.Context, chatID int64, optional bool) (bool, error) {
	if s.pacer == nil {
		return false, nil
	}
	for {
		wait, taken, err := s.pacer.Reserve(ctx, chatID, optional)
		if err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			s.setAlone(ctx, true, err)
			return false, nil
		}
		s.setAlone(ctx, false, nil)
		if !taken && optional {
			return true, errBusy
		}
		if wait > 0 && !sleep(ctx, wait) {
			return true, ctx.Err()
		}
		if taken {
			return true, nil
		}
	}
}

// setAlone records whether the shared pacer is failing, and logs each
// change.
func (s *sender) setAlone(ctx context.Context, alone bool, err error) {
	s.mu.Lock()
	changed := s.alone != alone
	s.alone = alone
	s.mu.Unlock()
	switch {
	case changed && alone:
		s.log.WarnContext(ctx, "shared telegram pacer unreachable; pacing in this process on its share of the limits",
			"processes", s.pacer.Processes(), "err", err)
	case changed:
		s.log.InfoContext(ctx, "shared telegram pacer is back")
	}
}

// share returns how many processes the in-process pace divides
// Telegram's budget by (1 without a shared pacer), and sets the
// in-process limiter to that share.
func (s *sender) share() int {
	n := 1
	if s.pacer != nil {
		n = max(1, s.pacer.Processes())
	}
	if want := rate.Limit(float64(perBot) / float64(n)); s.global.Limit() != want {
		s.global.SetLimit(want)
	}
	return n
}

// inWindow waits until fewer than most messages went out in the last
// window, and records one going out now.
func (s *sender) inWindow(ctx context.Context, most int) error {
	for {
		s.mu.Lock()
		now := time.Now()
		if len(s.starts) < most || now.Sub(s.starts[len(s.starts)-most]) >= window {
			s.starts = append(s.starts, now)
			if len(s.starts) > windowMax {
				s.starts = s.starts[1:]
			}
			s.mu.Unlock()
			return nil
		}
		d := s.starts[len(s.starts)-most].Add(window).Sub(now)
		s.mu.Unlock()
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// hold keeps chatID from getting messages for d, as Telegram asked.
func (s *sender) hold(chatID int64, d time.Duration) {
	cp := s.chat(chatID)
	cp.turn <- struct{}{}
	cp.next = time.Now().Add(d)
	<-cp.turn
}

// send calls a sending method (sendMessage, editMessageText) for chatID,
// paced and retried. When Telegram cannot parse the HTML, plain (if not
// nil) is sent instead.
func (s *sender) send(ctx context.Context, method string, chatID int64, params, plain tgbotapi.Params) (tgbotapi.Message, error) {
	return s.sendPaced(ctx, method, chatID, params, plain, false)
}

// sendOptional is send for a message that may be left out (a partial
// answer shown while the whole is written): it returns errBusy instead
// of waiting behind other chats' messages.
func (s *sender) sendOptional(ctx context.Context, method string, chatID int64, params tgbotapi.Params) (tgbotapi.Message, error) {
	return s.sendPaced(ctx, method, chatID, params, nil, true)
}

func (s *sender) sendPaced(ctx context.Context, method string, chatID int64, params, plain tgbotapi.Params, optional bool) (tgbotapi.Message, error) {
	var last error
	backoff := baseWait
	for try := 0; try < maxTries; try++ {
		release, err := s.wait(ctx, chatID, optional)
		if err != nil {
			return tgbotapi.Message{}, err
		}
		resp, err := s.api.MakeRequest(method, params)
		release()
		if err == nil {
			var m tgbotapi.Message
			if len(resp.Result) > 0 && resp.Result[0] == '{' {
				if err := json.Unmarshal(resp.Result, &m); err != nil {
					return m, fmt.Errorf("%s: decode result: %w", method, err)
				}
			}
			return m, nil
		}
		last = err
		s.obs.TelegramError(errorCode(err))
		var tgErr *tgbotapi.Error
		switch {
		case errors.As(err, &tgErr) && tgErr.Code == http.StatusTooManyRequests:
			wait := time.Duration(tgErr.RetryAfter) * time.Second
			if wait <= 0 {
				wait = time.Second
			}
			if wait > maxWait {
				// Holding the chat's queue longer would delay its other
				// replies (and shutdown) past use: give up on this one.
				return tgbotapi.Message{}, fmt.Errorf("%s: retry_after %d s is over the %d s a reply may wait: %w",
					method, tgErr.RetryAfter, int(maxWait/time.Second), err)
			}
			s.log.WarnContext(ctx, "telegram rate limit", "method", method, "chat", chatID, "retry_after_ms", wait.Milliseconds())
			s.hold(chatID, wait)
			continue
		case errors.As(err, &tgErr) && strings.Contains(tgErr.Message, "can't parse entities") && plain != nil:
			s.log.WarnContext(ctx, "telegram rejected HTML; sending plain text", "chat", chatID, "err", tgErr.Message)
			params, plain = plain, nil
			continue
		case errors.As(err, &tgErr) && strings.Contains(tgErr.Message, "message is not modified"):
			return tgbotapi.Message{}, nil
		case errors.As(err, &tgErr) && tgErr.Code < 500 && tgErr.Code != 0:
			return tgbotapi.Message{}, fmt.Errorf("%s: %w", method, err) // Telegram will never accept it
		}
		// 5xx, or the network: try again after a while.
		s.log.WarnContext(ctx, "telegram send failed; retrying", "method", method, "chat", chatID, "err", err)
		if !sleep(ctx, backoff) {
			return tgbotapi.Message{}, ctx.Err()
		}
		backoff = min(2*backoff, capWait)
	}
	return tgbotapi.Message{}, fmt.Errorf("%s: gave up after %d tries: %w", method, maxTries, last)
}

// request sends a call that is not a message (a callback answer), once.
// Such calls have a budget of their own, apart from messages.
func (s *sender) request(ctx context.Context, c tgbotapi.Chattable) error {
	if err := s.other.Wait(ctx); err != nil {
		return err
	}
	_, err := s.api.Request(c)
	return err
}

// tryRequest is request for a call that may be left out (a chat
// action): it returns errBusy rather than wait for the budget.
func (s *sender) tryRequest(c tgbotapi.Chattable) error {
	if !s.other.Allow() {
		return errBusy
	}
	_, err := s.api.Request(c)
	return err
}

// errorCode is the Bot API error code of err, or 0 for a network error.
func errorCode(err error) int {
	var tgErr *tgbotapi.Error
	if errors.As(err, &tgErr) {
		return tgErr.Code
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// NewClient returns an HTTP client for the Bot API: each request is
// limited to timeout, the token is kept out of errors, and enough
// connections stay open for the sending pace, so that messages do not
// wait on new connections and arrive unevenly.
func NewClient(token string, timeout time.Duration) RedactingClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2 * windowMax
	return RedactingClient{Client: &http.Client{Timeout: timeout, Transport: tr}, Token: token}
}

// RedactingClient is an HTTP client for tgbotapi that keeps the bot
// token out of errors: the library's errors quote the request URL, which
// holds the token.
type RedactingClient struct {
	Client *http.Client
	Token  string
}

// Do sends the request and redacts the token from any error.
func (c RedactingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.Client.Do(req)
	if err != nil && c.Token != "" {
		return nil, redactedError{msg: strings.ReplaceAll(err.Error(), c.Token, "<token>"), err: err}
	}
	return resp, err
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }

// Is lets errors.Is see context errors and timeouts through the redaction.
func (e redactedError) Is(target error) bool { return errors.Is(e.err, target) }
