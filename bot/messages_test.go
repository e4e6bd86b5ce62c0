package bot

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
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

var (
	verbRe = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
	tagRe  = regexp.MustCompile(`</?[a-z]+>`)
)

// TestCatalog: every message is in every language the bot speaks, not
// empty, with the same format verbs in the same order and the same HTML
// tags as the English one; plural messages have as many forms as their
// language's rule picks from.
func TestCatalog(t *testing.T) {
	if len(catalog) < 2 || catalog["en"] == nil || catalog["ru"] == nil {
		t.Fatalf("catalog languages %v; want English and Russian at least", spoken())
	}
	for l, msgs := range catalog {
		rule := pluralRules[l]
		if rule == nil {
			t.Errorf("%s: no plural rule", l)
			continue
		}
		forms := 0
		for n := range 200 {
			forms = max(forms, rule(n)+1)
		}
		for m := range numMsgs {
			s, en := msgs[m], catalog["en"][m]
			switch {
			case strings.TrimSpace(s) == "":
				t.Errorf("%s: message %d is missing or empty", l, m)
			case pluralMsgs[m]:
				if n := len(strings.Split(s, "|")); n != forms {
					t.Errorf("%s: plural message %d %q has %d forms, want %d", l, m, s, n, forms)
				}
			default:
				if got, want := verbRe.FindAllString(s, -1), verbRe.FindAllString(en, -1); !slices.Equal(got, want) {
					t.Errorf("%s: message %d %q has verbs %q, English %q", l, m, s, got, want)
				}
				if got, want := tagRe.FindAllString(s, -1), tagRe.FindAllString(en, -1); !slices.Equal(got, want) {
					t.Errorf("%s: message %d %q has tags %q, English %q", l, m, s, got, want)
				}
			}
		}
		if len(msgs) != int(numMsgs) {
			t.Errorf("%s: %d messages, want %d", l, len(msgs), numMsgs)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "articles"}, {"en", 1, "article"}, {"en", 2, "articles"}, {"en", 21, "articles"},
		{"ru", 0, "статей"}, {"ru", 1, "статья"}, {"ru", 2, "статьи"}, {"ru", 4, "статьи"},
		{"ru", 5, "статей"}, {"ru", 11, "статей"}, {"ru", 12, "статей"}, {"ru", 21, "статья"},
		{"ru", 22, "статьи"}, {"ru", 111, "статей"}, {"ru", 1001, "статья"},
		{"ru-RU", 3, "статьи"}, {"fr", 1, "article"}, {"", 6, "articles"},
	}
	for _, tt := range tests {
		if got := plural(tt.lang, tt.n, msgArticles); got != tt.want {
			t.Errorf("plural(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestTr(t *testing.T) {
	tests := []struct {
		lang string
		m    msg
		args []any
		want string
	}{
		{"en", msgSourcesButton, nil, "Sources"},
		{"ru", msgSourcesButton, nil, "Источники"},
		{"ru-UA", msgSourcesButton, nil, "Источники"},
		{"de", msgSourcesButton, nil, "Sources"}, // not spoken: English
		{"", msgSourcesButton, nil, "Sources"},
		{"ru", msgSlowDown, []any{7}, "Вы пишете быстрее, чем я успеваю отвечать. Пожалуйста, не торопитесь и попробуйте снова через 7 с."},
		{"en", msgTooLong, []any{1000, "characters"}, "That message is too long for me: please ask in at most 1000 characters."},
	}
	for _, tt := range tests {
		if got := tr(tt.lang, tt.m, tt.args...); got != tt.want {
			t.Errorf("tr(%q, %d) = %q, want %q", tt.lang, tt.m, got, tt.want)
		}
	}
}

func TestAnswerSourcesHeading(t *testing.T) {
	a := answer.Answer{Text: "Они говорили два часа [1].", Citations: []answer.Citation{{N: 1, Title: "Talks", Source: "TASS"}}}
	for l, want := range map[string]string{"ru": "<b>Источники</b>\n[1] <i>Talks</i>", "en": "<b>Sources</b>\n[1] <i>Talks</i>"} {
		if got := strings.Join(Split(answerBlocks(a, l, nil), MaxMessage), ""); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", l, got, want)
		}
	}
}

// TestRepliesInAskersLanguage: through the fake Bot API, a user whose app
// is in Russian, or who writes in Cyrillic, gets the fixed replies
// (/start, /help, the rate-limit notice, the too-long notice) in
// Russian; a user whose app is in English, or in a language the bot does
// not speak, gets them in English.
func TestRepliesInAskersLanguage(t *testing.T) {
	tg := startLangBot(t)
	if n := tg.Calls("setMyCommands"); n != 1+len(spoken()) {
		t.Errorf("setMyCommands called %d times, want once per language", n)
	}
	type exchange struct{ send, want string }
	tests := []struct {
		name      string
		chat      int64
		code      string
		exchanges []exchange
	}{
		{"Russian app", 501, "ru", []exchange{
			{"/start", "Здравствуйте! Я отвечаю на вопросы по новостным статьям (их у меня "},
			{"/help", "Просто напишите вопрос по статьям"},
			{"/sources", "Вы пишете быстрее, чем я успеваю отвечать"},
		}},
		{"English app", 502, "en-GB", []exchange{
			{"/start", "Hello! I answer questions about "},
			{"/help", "Just type a question about the articles"},
			{"/sources", "You're sending messages faster than I can keep up with"},
		}},
		{"an app in a language the bot does not speak", 503, "fr", []exchange{
			{"/help", "Just type a question about the articles"},
		}},
		{"writes Cyrillic from an English app", 504, "en", []exchange{
			{strings.Repeat("Почему ", 200), "Это сообщение для меня слишком длинное: пожалуйста, уложите вопрос в 1000 символов."},
			{strings.Repeat("Зачем ", 200), "слишком длинное"},
			{"Почему так долго?", "Вы пишете быстрее"},
		}},
		{"writes English from a Russian app", 505, "ru", []exchange{
			{"Why " + strings.Repeat("did the talks last so long? ", 40), "That message is too long for me: please ask in at most 1000 characters."},
		}},
		{"Ukrainian app: not spoken, so English", 506, "uk", []exchange{
			{"/help", "Just type a question about the articles"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, x := range tt.exchanges {
				m := tg.Message(tt.chat, tt.chat, "private", x.send)
				m["from"].(map[string]any)["language_code"] = tt.code
				tg.Push(map[string]any{"message": m})
				var got []faketelegram.Sent
				if !tg.WaitFor(20*time.Second, func() bool { got = tg.SentTo(tt.chat); return len(got) > i }) {
					t.Fatalf("%q: no reply; replies %+v", x.send, got)
				}
				if !strings.Contains(got[i].Text, x.want) {
					t.Errorf("%q got %q, want it to contain %q", x.send, got[i].Text, x.want)
				}
			}
		})
	}
}

// startLangBot runs a bot on the embedded articles against a fake Bot
// API, allowing each user two messages before the rate-limit notice.
func startLangBot(t *testing.T) *faketelegram.Server {
	t.Helper()
	const token = "123457:SECRET-lang-test-token"
	tg := faketelegram.New(token, "talkbot_test")
	t.Cleanup(tg.Close)
	ctx, cancel := context.WithCancel(context.Background())
	lib, _, err := library.Open(ctx, "", retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(&logbuf.Buffer{}, nil))
	api, err := tgbotapi.NewBotAPIWithClient(token, tg.Endpoint(), NewClient(token, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b := New(api, answer.NewService(lib.Live(), nil, log, answer.Options{FallbackOffline: true}), lib, NewLocalMemory(6, time.Hour), Config{
		Limiter:      NewLocalLimiter(2),
		PollTimeout:  time.Second,
		ShutdownWait: 5 * time.Second,
	}, log)
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	if !tg.WaitFor(10*time.Second, func() bool { return tg.Calls("getUpdates") > 0 }) {
		t.Fatal("the bot never polled")
	}
	return tg
}
