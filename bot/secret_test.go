package bot

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/retrieval"
)

func TestRedactURLHidesSecrets(t *testing.T) {
	const tok = "123456:AAH-secretPART_of-the-token"
	tests := []struct {
		name, in, want string
	}{
		{"token in the path", "https://bot.example.com/bot" + tok + "/hook", "https://bot.example.com/bot<token>/hook"},
		{"token as the path", "https://bot.example.com/" + tok, "https://bot.example.com/<token>"},
		{"token percent-encoded", "https://bot.example.com/bot123456%3AAAH-secretPART_of-the-token/hook", "https://bot.example.com/bot<token>/hook"},
		{"secret part alone", "https://bot.example.com/hook/AAH-secretPART_of-the-token", "https://bot.example.com/hook/<token>"},
		{"token in the query", "https://bot.example.com/hook?t=" + tok, "https://bot.example.com/hook?t=xxxxx"},
		{"Azure key in the query", "https://x.openai.azure.com/openai/deployments/d?api-version=2024-02-01&api-key=AZ-KEY-1", "https://x.openai.azure.com/openai/deployments/d?api-version=xxxxx&api-key=xxxxx"},
		{"bare query", "https://host/v1?SECRETKEY", "https://host/v1?xxxxx"},
		{"password", "redis://user:PASS-1@localhost:6379/0", "redis://user:xxxxx@localhost:6379/0"},
		{"user name alone", "https://sk-KEY-1@api.example.com/v1", "https://xxxxx@api.example.com/v1"},
		{"fragment", "https://host/cb#access_token=SECRET-1", "https://host/cb#xxxxx"},
		{"nothing secret", "https://api.telegram.org", "https://api.telegram.org"},
		{"not a URL", "https://host/%zz" + tok, "(set, but not a valid URL)"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactURL(tt.in, tok)
			if got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, secret := range []string{"secretPART", "KEY-1", "PASS-1", "SECRET"} {
				if strings.Contains(got, secret) {
					t.Errorf("RedactURL(%q) = %q shows %s", tt.in, got, secret)
				}
			}
		})
	}
}

// TestSecretTokenInWebhookURL registers a webhook whose URL carries the
// token, as people write them, and checks the log line says where without
// the token.
func TestSecretTokenInWebhookURL(t *testing.T) {
	tests := []struct{ name, url string }{
		{"bot<TOKEN> path", "https://bot.example.test/bot" + uploadToken + "/hook"},
		{"token path", "https://bot.example.test/" + uploadToken},
		{"token in the query", "https://bot.example.test/hook?token=" + uploadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := faketelegram.New(uploadToken, "talkbot_test")
			t.Cleanup(tg.Close)
			lib, _, err := library.Open(context.Background(), "", retrieval.Options{})
			if err != nil {
				t.Fatal(err)
			}
			logs := &logbuf.Buffer{}
			log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			api, err := tgbotapi.NewBotAPIWithClient(uploadToken, tg.Endpoint(), NewClient(uploadToken, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			b := New(api, answer.NewService(lib.Live(), nil, log, answer.Options{FallbackOffline: true}), lib, NewLocalMemory(6, time.Hour), Config{ShutdownWait: time.Second}, log)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.ServeWebhook(ctx, Webhook{URL: tt.url, Secret: "hook_secret"}, ln) }()
			ok := tg.WaitFor(5*time.Second, func() bool { return strings.Contains(logs.String(), "webhook registered") })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Fatalf("no webhook registered line:\n%s", logs.String())
			}
			if got := tg.Webhook().Get("url"); got != tt.url {
				t.Errorf("Telegram was given %q, want the URL as configured", got)
			}
			if l := logs.String(); strings.Contains(l, "SECRET") || !strings.Contains(l, "bot.example.test") {
				t.Errorf("the token appears in the logs, or the URL is missing:\n%s", l)
			}
		})
	}
}
