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

// Telegram's published sending limits.
const (
	perBot   = 30                      // messages a second, all chats
	perChat  = time.Second             // one message a second in a chat
	perGroup = 3 * time.Second         // 20 messages a minute in a group
	maxTries = 5                       // attempts of one send
	maxWait  = 60 * time.Second        // longest retry_after we accept
	idleChat = 10 * time.Minute        // when a chat's limiter is dropped
	baseWait = 500 * time.Millisecond  // first backoff after a 5xx or network error
	capWait  = 8 * time.Second         // longest backoff
	typingIn = 4500 * time.Millisecond // "typing…" lasts 5 s on clients
)

// sender sends to Telegram at a pace within its limits, and retries what
// Telegram or the network failed transiently.
type sender struct {
	api    API
	log    *slog.Logger
	global *rate.Limiter

	mu    sync.Mutex
	chats map[int64]*chatLimiter
}

type chatLimiter struct {
	lim  *rate.Limiter
	used time.Time
}

func newSender(api API, log *slog.Logger) *sender {
	return &sender{api: api, log: log, global: rate.NewLimiter(perBot, perBot), chats: map[int64]*chatLimiter{}}
}

// wait blocks until a message to chatID is within the limits.
func (s *sender) wait(ctx context.Context, chatID int64) error {
	s.mu.Lock()
	now := time.Now()
	cl := s.chats[chatID]
	if cl == nil {
		every := perChat
		if chatID < 0 { // groups and channels have negative ids
			every = perGroup
		}
		cl = &chatLimiter{lim: rate.NewLimiter(rate.Every(every), 1)}
		s.chats[chatID] = cl
		if len(s.chats) > 1000 {
			for id, c := range s.chats {
				if now.Sub(c.used) > idleChat {
					delete(s.chats, id)
				}
			}
		}
	}
	cl.used = now
	s.mu.Unlock()
	if err := cl.lim.Wait(ctx); err != nil {
		return err
	}
	return s.global.Wait(ctx)
}

// send calls a sending method (sendMessage, editMessageText) for chatID,
// paced and retried. When Telegram cannot parse the HTML, plain (if not
// nil) is sent instead.
func (s *sender) send(ctx context.Context, method string, chatID int64, params, plain tgbotapi.Params) (tgbotapi.Message, error) {
	var last error
	backoff := baseWait
	for try := 0; try < maxTries; try++ {
		if err := s.wait(ctx, chatID); err != nil {
			return tgbotapi.Message{}, err
		}
		resp, err := s.api.MakeRequest(method, params)
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
		var tgErr *tgbotapi.Error
		switch {
		case errors.As(err, &tgErr) && tgErr.Code == http.StatusTooManyRequests:
			wait := time.Duration(tgErr.RetryAfter) * time.Second
			if wait <= 0 {
				wait = time.Second
			}
			if wait > maxWait {
				return tgbotapi.Message{}, err
			}
			s.log.WarnContext(ctx, "telegram rate limit", "method", method, "chat", chatID, "retry_after", wait)
			if !sleep(ctx, wait) {
				return tgbotapi.Message{}, ctx.Err()
			}
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

// request sends a call that is not a message (chat action, callback
// answer), once, within the global limit.
func (s *sender) request(ctx context.Context, c tgbotapi.Chattable) error {
	if err := s.global.Wait(ctx); err != nil {
		return err
	}
	_, err := s.api.Request(c)
	return err
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
