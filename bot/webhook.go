package bot

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Webhook is where Telegram posts updates in webhook mode.
type Webhook struct {
	// URL is the public HTTPS address Telegram posts to; its path is the
	// one the bot serves.
	URL string
	// Secret is sent by Telegram with every update, in the
	// X-Telegram-Bot-Api-Secret-Token header; requests without it are
	// refused. 1-256 characters: letters, digits, '_' and '-'.
	Secret string
}

// maxUpdate bounds the body of one posted update.
const maxUpdate = 1 << 20

// ServeWebhook registers wh with Telegram and handles the updates posted
// to ln until ctx is done. Then it stops taking updates and lets answers
// in flight finish, as Run does.
func (b *Bot) ServeWebhook(ctx context.Context, wh Webhook, ln net.Listener) error {
	u, err := url.Parse(wh.URL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("webhook URL %q: not a URL", wh.URL)
	}
	if wh.Secret == "" {
		return errors.New("webhook: a secret token is required")
	}
	b.register()
	params := tgbotapi.Params{"url": wh.URL, "secret_token": wh.Secret, "max_connections": "40"}
	params.AddInterface("allowed_updates", []string{"message", "callback_query"})
	if _, err := b.api.MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("register webhook %s: %w", RedactURL(wh.URL, b.api.Token), err)
	}
	b.log.Info("webhook registered", "url", RedactURL(wh.URL, b.api.Token), "listen", ln.Addr().String())

	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	p := &pipeline{b: b, ctx: work, d: newDispatcher(b.cfg.Workers, b.cfg.ChatQueue), in: newIntake(), webhook: true, stop: ctx.Done()}
	p.replay()
	if b.cfg.ChatOrder != nil {
		go p.adopt(ctx)
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+path, b.webhookHandler(wh.Secret, func(x incoming) {
		if p.take([]incoming{x}, false) == 0 {
			b.log.Debug("update delivered again; ignored", "update", x.u.UpdateID)
		}
	}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shut) // no new updates: Telegram keeps them until the next start
	b.drain(p.d, stopWork)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve webhook on %s: %w", ln.Addr(), serveErr)
	}
	return nil
}

// webhookHandler takes the updates Telegram posts, refusing requests that
// lack the secret token. It answers at once; the update is handled after.
// Refusals are logged once, then in at most one summary a minute, so that
// a flood of forged requests does not flood the log.
func (b *Bot) webhookHandler(secret string, accept func(incoming)) http.Handler {
	var refused refusals
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			switch n, first := refused.add(time.Now()); {
			case first:
				b.log.Warn("webhook request without the secret token refused", "remote", r.RemoteAddr)
			case n > 0:
				b.log.Warn("webhook requests without the secret token refused", "count", n, "last_remote", r.RemoteAddr)
			}
			http.Error(w, "forbidden", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdate))
		if err != nil {
			http.Error(w, "update too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		updates, err := decodeUpdates(append(append([]byte{'['}, body...), ']'))
		if err != nil || len(updates) != 1 {
			b.log.Warn("webhook request is not an update", "remote", r.RemoteAddr, "err", err)
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		accept(updates[0])
		w.WriteHeader(http.StatusOK)
	})
}

// refusalReport is how often refused webhook requests are summed up in
// the log.
const refusalReport = time.Minute

// refusals counts refused webhook requests between log lines.
type refusals struct {
	mu     sync.Mutex
	last   time.Time // of the last log line; zero before the first
	unseen int       // refused since then, not yet logged
}

// add counts a refusal at now. It reports first for the very first
// refusal, which is logged alone; otherwise n, when not 0, is how many
// were refused since the last log line (this one included), to be logged
// now. At most one such summary is due per refusalReport.
func (f *refusals) add(now time.Time) (n int, first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last.IsZero() {
		f.last = now
		return 0, true
	}
	f.unseen++
	if now.Sub(f.last) < refusalReport {
		return 0, false
	}
	n, f.unseen, f.last = f.unseen, 0, now
	return n, false
}
