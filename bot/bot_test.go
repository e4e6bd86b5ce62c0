package bot_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/logbuf"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/retrieval"
)

const token = "123456:SECRET-test-token-never-log"

type harness struct {
	hook string // the webhook's local URL, in webhook mode
	tg   *faketelegram.Server
	logs *logbuf.Buffer
	dir  string
	stop func() // stops the bot and waits for Run to return
}

type slowAnswerer struct {
	next  bot.Answerer
	delay time.Duration
}

func (s slowAnswerer) Answer(ctx context.Context, req answer.Request) (answer.Answer, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return answer.Answer{}, ctx.Err()
	}
	return s.next.Answer(ctx, req)
}

// setup varies the bot a test runs.
type setup struct {
	delay         time.Duration        // added to every answer
	clientTimeout time.Duration        // of the Telegram HTTP client; default 10 s
	llm           *fakeopenai.Server   // answer in LLM mode with this server
	embedded      bool                 // serve the embedded seeds, with no corpus directory
	webhook       bool                 // take updates by webhook, at harness.hook
	tg            *faketelegram.Server // share a fake Telegram with another bot process
	memory        bot.Memory
	limiter       bot.RateLimiter
	updates       bot.UpdateLog
	observer      bot.Observer
	peers         bot.Peers
	pacer         bot.Pacer
	chatQueue     int
	chatOrder     bot.ChatOrder
	relay         bot.Relay
	answerer      func(bot.Answerer) bot.Answerer // wraps the answerer, if set
}

const hookSecret = "hook_SECRET-value"

// start runs a bot on a copy of the seed corpus against a fake Telegram.
func start(t *testing.T, delay time.Duration, clientTimeout time.Duration) *harness {
	t.Helper()
	return startWith(t, setup{delay: delay, clientTimeout: clientTimeout})
}

func startWith(t *testing.T, s setup) *harness {
	t.Helper()
	delay, clientTimeout := s.delay, s.clientTimeout
	h := &harness{tg: s.tg, logs: &logbuf.Buffer{}, dir: t.TempDir()}
	if h.tg == nil {
		h.tg = faketelegram.New(token, "talkbot_test")
		t.Cleanup(h.tg.Close)
	}
	fs.WalkDir(corpus.Seeds(), ".", func(p string, d fs.DirEntry, err error) error {
		if !d.IsDir() {
			data, _ := fs.ReadFile(corpus.Seeds(), p)
			os.WriteFile(filepath.Join(h.dir, p), data, 0o644)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	dir := h.dir
	if s.embedded {
		dir = ""
	}
	lib, _, err := library.Open(ctx, dir, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var chat answer.Chat
	if s.llm != nil {
		chat = llm.New(llm.Config{BaseURL: s.llm.BaseURL(), Model: "test-model", Timeout: 5 * time.Second, MaxTries: 2})
	}
	var ans bot.Answerer = answer.NewService(lib.Live(), chat, log, answer.Options{FallbackOffline: true, SkipSupportCheck: true}) // scripted replies cite at random
	if delay > 0 {
		ans = slowAnswerer{ans, delay}
	}
	if s.answerer != nil {
		ans = s.answerer(ans)
	}
	if clientTimeout == 0 {
		clientTimeout = 10 * time.Second
	}
	api, err := tgbotapi.NewBotAPIWithClient(token, h.tg.Endpoint(), bot.NewClient(token, clientTimeout))
	if err != nil {
		t.Fatal(err)
	}
	mem := s.memory
	if mem == nil {
		mem = bot.NewLocalMemory(6, time.Hour)
	}
	b := bot.New(api, ans, lib, mem, bot.Config{
		Limiter:      s.limiter,
		ChatQueue:    s.chatQueue,
		Updates:      s.updates,
		Observer:     s.observer,
		Peers:        s.peers,
		ChatOrder:    s.chatOrder,
		Relay:        s.relay,
		Pacer:        s.pacer,
		Admins:       map[int64]bool{42: true},
		PollTimeout:  time.Second,
		ShutdownWait: 5 * time.Second,
		FileEndpoint: h.tg.URL + "/file/bot%s/%s",
		MaxUpload:    64 << 10,
	}, log)
	done := make(chan error, 1)
	if s.webhook {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h.hook = "http://" + ln.Addr().String() + "/tg/hook"
		go func() {
			done <- b.ServeWebhook(ctx, bot.Webhook{URL: "https://bot.example.test/tg/hook", Secret: hookSecret}, ln)
		}()
	} else {
		go func() { done <- b.Run(ctx) }()
	}
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(func() {
		h.stop()
		if strings.Contains(h.logs.String(), token) || strings.Contains(h.logs.String(), "SECRET") {
			t.Error("the bot token appears in the logs")
		}
	})
	return h
}

// await waits until chat has n sent messages and returns them.
func (h *harness) await(t *testing.T, chat int64, n int) []faketelegram.Sent {
	t.Helper()
	if !h.tg.WaitFor(20*time.Second, func() bool { return len(h.tg.SentTo(chat)) >= n }) {
		t.Fatalf("chat %d: %d messages, want %d: %+v", chat, len(h.tg.SentTo(chat)), n, h.tg.SentTo(chat))
	}
	return h.tg.SentTo(chat)
}

func TestQuestionAndSourcesButton(t *testing.T) {
	h := start(t, 0, 0)
	h.tg.PushText(1, "How long did the Putin-Biden video conversation last?")
	got := h.await(t, 1, 1)[0]
	if got.ParseMode != "HTML" || !strings.Contains(got.Text, "two hours") || !strings.Contains(got.Text, "<b>Sources</b>\n[1] <i>") {
		t.Errorf("reply %+v", got)
	}
	data := callbackData(got.Markup)
	if got.ReplyTo == 0 || !strings.HasPrefix(data, "src:") {
		t.Errorf("reply is not threaded to the question or lacks the Sources button: %+v", got)
	}
	if h.tg.Commands() == "" || !strings.Contains(h.tg.Commands(), `"reset"`) {
		t.Errorf("commands not registered: %q", h.tg.Commands())
	}
	h.tg.Push(map[string]any{"callback_query": map[string]any{
		"id": "cb1", "from": map[string]any{"id": 1, "is_bot": false, "first_name": "U"},
		"message": map[string]any{"message_id": got.MessageID, "date": 0, "chat": map[string]any{"id": 1, "type": "private"}},
		"data":    data,
	}})
	quote := h.await(t, 1, 2)[1]
	if !strings.Contains(quote.Text, "<blockquote>") || !strings.Contains(quote.Text, "two hours") {
		t.Errorf("sources reply %q", quote.Text)
	}
	if h.tg.Calls("answerCallbackQuery") != 1 || h.tg.Calls("sendChatAction") == 0 {
		t.Errorf("callback answered %d times, chat actions %d", h.tg.Calls("answerCallbackQuery"), h.tg.Calls("sendChatAction"))
	}
}

func TestFollowUpAndReset(t *testing.T) {
	h := start(t, 0, 0)
	h.tg.PushText(2, "Who will lead the Russian delegation in Geneva?")
	h.tg.PushText(2, "And who leads the American side?")
	msgs := h.await(t, 2, 2)
	if !strings.Contains(msgs[0].Text, "Ryabkov") || !strings.Contains(msgs[1].Text, "Sherman") {
		t.Errorf("answers %q / %q", msgs[0].Text, msgs[1].Text)
	}
	h.tg.PushText(2, "/reset")
	if got := h.await(t, 2, 3)[2].Text; !strings.Contains(got, "forgotten our conversation") {
		t.Errorf("reset reply %q", got)
	}
}

func TestAdminReload(t *testing.T) {
	h := start(t, 0, 0)
	h.tg.PushText(7, "/reload") // not an admin
	if got := h.await(t, 7, 1)[0].Text; !strings.Contains(got, "only the bot's admins") {
		t.Errorf("non-admin reload reply %q", got)
	}
	if !strings.Contains(h.logs.String(), `"user":7`) {
		t.Error("the refused attempt is not logged with the user id")
	}

	os.WriteFile(filepath.Join(h.dir, "extra.md"), []byte("# Lunar base opens\n\nThe lunar base opened on Monday with twelve residents.\n"), 0o644)
	h.tg.PushText(42, "/reload")
	if got := h.await(t, 42, 1)[0].Text; !strings.Contains(got, "Reloaded: 6 documents") {
		t.Fatalf("reload reply %q", got)
	}
	h.tg.PushText(8, "How many residents does the lunar base have?")
	if got := h.await(t, 8, 1)[0].Text; !strings.Contains(got, "twelve residents") {
		t.Errorf("answer after reload %q", got)
	}

	os.WriteFile(filepath.Join(h.dir, "broken.txt"), []byte("bad \xff bytes"), 0o644)
	h.tg.PushText(42, "/reload")
	if got := h.await(t, 42, 2)[1].Text; !strings.Contains(got, "Reload failed") || !strings.Contains(got, "broken.txt: not valid UTF-8") {
		t.Errorf("broken reload reply %q", got)
	}
	h.tg.PushText(8, "How many residents does the lunar base have?")
	if got := h.await(t, 8, 2)[1].Text; !strings.Contains(got, "twelve residents") {
		t.Errorf("the old corpus stopped serving after a failed reload: %q", got)
	}
	h.tg.PushText(42, "/stats")
	if got := h.await(t, 42, 3)[2].Text; !strings.Contains(got, "Questions: 2 answered") || !strings.Contains(got, "6 documents") {
		t.Errorf("stats %q", got)
	}
}

func TestReloadWhileAnswering(t *testing.T) {
	h := start(t, 200*time.Millisecond, 0)
	const chats = 10
	for i := range chats {
		h.tg.PushText(int64(100+i), "Where did Putin and Biden last meet?")
		if i == chats/2 {
			h.tg.PushText(42, "/reload")
		}
	}
	for i := range chats {
		msgs := h.await(t, int64(100+i), 1)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Geneva") {
			t.Errorf("chat %d got %+v", 100+i, msgs)
		}
	}
	if got := h.await(t, 42, 1)[0].Text; !strings.Contains(got, "Reloaded") {
		t.Errorf("reload reply %q", got)
	}
}

func TestGroups(t *testing.T) {
	h := start(t, 0, 0)
	group := int64(-1001)
	push := func(text string, replyTo map[string]any) {
		m := h.tg.Message(group, 5, "supergroup", text)
		if replyTo != nil {
			m["reply_to_message"] = replyTo
		}
		h.tg.Push(map[string]any{"message": m})
	}
	push("Where did Putin and Biden last meet?", nil) // not addressed: silence
	push("/help@otherbot", nil)                       // another bot's command: silence
	push("@talkbot_test where did Putin and Biden last meet?", nil)
	got := h.await(t, group, 1)
	if !strings.Contains(got[0].Text, "Geneva") {
		t.Errorf("mention answer %q", got[0].Text)
	}
	botMsg := map[string]any{"message_id": got[0].MessageID, "date": 0, "chat": map[string]any{"id": group, "type": "supergroup"},
		"from": h.tg.Bot, "text": "…"}
	push("How long did the video talks last?", botMsg)
	push("/help@talkbot_test", nil)
	got = h.await(t, group, 3)
	if !strings.Contains(got[1].Text, "two hours") || !strings.Contains(got[2].Text, "Just type a question") {
		t.Errorf("replies %q / %q", got[1].Text, got[2].Text)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(h.tg.SentTo(group)); n != 3 {
		t.Errorf("%d replies in the group, want 3 (two messages were not addressed to the bot)", n)
	}
}

func TestNonTextAndLongMessages(t *testing.T) {
	h := start(t, 0, 0)
	sticker := h.tg.Message(3, 3, "private", "")
	delete(sticker, "text")
	sticker["sticker"] = map[string]any{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1, "is_animated": false}
	h.tg.Push(map[string]any{"message": sticker})
	h.tg.Push(map[string]any{"edited_message": h.tg.Message(3, 3, "private", "edited")})
	h.tg.Push(map[string]any{"channel_post": h.tg.Message(-200, 3, "channel", "a post")})
	h.tg.PushText(3, strings.Repeat("a", 1001))
	msgs := h.await(t, 3, 2)
	if !strings.Contains(msgs[0].Text, "only read text") || !strings.Contains(msgs[1].Text, "at most 1000 characters") {
		t.Errorf("replies %q / %q", msgs[0].Text, msgs[1].Text)
	}
}

func TestTelegramFaults(t *testing.T) {
	h := start(t, 0, 0)
	h.tg.Fail("sendMessage",
		faketelegram.Fault{Code: 429, RetryAfter: 1},
		faketelegram.Fault{Code: 400, Description: "Bad Request: can't parse entities: unsupported start tag"},
		faketelegram.Fault{Code: 502},
	)
	h.tg.Fail("getUpdates", faketelegram.Fault{Code: 500})
	h.tg.PushText(4, "Where did Putin and Biden last meet?")
	msgs := h.await(t, 4, 1)
	if msgs[0].ParseMode != "" || !strings.Contains(msgs[0].Text, "Geneva") || strings.Contains(msgs[0].Text, "<b>") {
		t.Errorf("after a parse error the reply should go as plain text: %+v", msgs[0])
	}
	h.tg.PushText(4, "How long did the video talks last?")
	if got := h.await(t, 4, 2); len(got) != 2 || !strings.Contains(got[1].Text, "two hours") {
		t.Errorf("second answer %+v", got)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(h.tg.SentTo(4)); n != 2 {
		t.Errorf("%d replies for 2 questions", n)
	}
}

func TestStalledPollAndRedaction(t *testing.T) {
	h := start(t, 0, 1500*time.Millisecond)
	h.tg.Fail("getUpdates", faketelegram.Fault{Delay: 3 * time.Second}) // past the client timeout
	h.tg.PushText(5, "Where did Putin and Biden last meet?")
	if got := h.await(t, 5, 1)[0].Text; !strings.Contains(got, "Geneva") {
		t.Errorf("answer after a stalled poll %q", got)
	}
	if !strings.Contains(h.logs.String(), "<token>") {
		t.Errorf("expected a redacted network error in the logs:\n%s", h.logs.String())
	}
}

func TestManyChatsAtOnce(t *testing.T) {
	const delay = time.Second
	h := start(t, delay, 0)
	const chats = 50
	begin := time.Now()
	for i := range chats {
		h.tg.PushText(int64(1000+i), "Where did Putin and Biden last meet?")
	}
	for i := range chats {
		h.await(t, int64(1000+i), 1)
	}
	took := time.Since(begin)
	t.Logf("%d chats with a %v answerer: %v", chats, delay, took)
	if took > 10*delay {
		t.Errorf("%d chats took %v: answers are not concurrent", chats, took)
	}
}

func TestShutdownAcknowledges(t *testing.T) {
	h := start(t, 300*time.Millisecond, 0)
	h.tg.PushText(6, "Where did Putin and Biden last meet?")
	h.tg.WaitFor(5*time.Second, func() bool { return h.tg.Calls("sendChatAction") > 0 })
	h.stop() // while the answer is in flight
	if n := len(h.tg.SentTo(6)); n != 1 {
		t.Errorf("%d replies after shutdown, want the in-flight answer finished", n)
	}
	if p := h.tg.Pending(); p != 0 {
		t.Errorf("%d updates left unacknowledged", p)
	}
}

func TestStreamingEdits(t *testing.T) {
	const reply = "The two presidents spoke by secure video link for about two hours [2], " +
		"discussing Ukraine, sanctions and strategic stability [1], and they agreed that their " +
		"teams would keep talking in the weeks that followed the call [2]."
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return reply })
	t.Cleanup(ai.Close)
	ai.ChunkDelay = 150 * time.Millisecond // about 3 s in all
	h := startWith(t, setup{llm: ai})
	h.tg.PushText(11, "How long did the video talks last?")
	if !h.tg.WaitFor(20*time.Second, func() bool {
		shown := h.tg.Shown(11)
		return len(shown) == 1 && strings.Contains(shown[0].Markup, "src:")
	}) {
		t.Fatalf("no final answer: %+v", h.tg.Sent())
	}
	var edits []faketelegram.Sent
	for _, m := range h.tg.Sent() {
		if m.ChatID == 11 && m.Method == "editMessageText" {
			edits = append(edits, m)
		}
	}
	sent := h.tg.SentTo(11)
	if len(sent) != 1 || sent[0].ParseMode != "" || !strings.HasSuffix(sent[0].Text, " …") || sent[0].ReplyTo == 0 {
		t.Fatalf("first message %+v, want one plain partial answer replying to the question", sent)
	}
	if len(edits) < 2 {
		t.Fatalf("%d edits, want the answer to grow in several", len(edits))
	}
	for i := 1; i < len(edits); i++ {
		if gap := edits[i].At.Sub(edits[i-1].At); gap < 900*time.Millisecond {
			t.Errorf("edits %d and %d only %v apart: more than one a second", i-1, i, gap)
		}
	}
	final := h.tg.Shown(11)[0]
	want := "The two presidents spoke by secure video link for about two hours [1]"
	if final.ParseMode != "HTML" || !strings.HasPrefix(final.Text, want) || !strings.Contains(final.Text, "<b>Sources</b>\n[1] <i>") {
		t.Errorf("final edit %+v", final)
	}
	for _, e := range edits[:len(edits)-1] {
		if strings.Contains(e.Text, "[3]") || strings.Contains(e.Text, "Sources") {
			t.Errorf("partial %q numbers citations unlike the final answer or lists sources", e.Text)
		}
	}
}

func TestStreamFailureEditsIntoFallback(t *testing.T) {
	ai := fakeopenai.New(func(openai.ChatCompletionRequest) string {
		return "The presidents talked for two hours [1] and then " + strings.Repeat("kept talking ", 30) + "[1]."
	})
	t.Cleanup(ai.Close)
	ai.ChunkDelay = 50 * time.Millisecond
	ai.Fail(fakeopenai.Fault{Cut: true}, fakeopenai.Fault{Cut: true})
	h := startWith(t, setup{llm: ai})
	h.tg.PushText(12, "How long did the video talks last?")
	if !h.tg.WaitFor(20*time.Second, func() bool {
		shown := h.tg.Shown(12)
		return len(shown) > 0 && shown[0].ParseMode == "HTML"
	}) {
		t.Fatalf("no final answer: %+v", h.tg.Sent())
	}
	shown := h.tg.Shown(12)
	if len(shown) != 1 || strings.Contains(shown[0].Text, "kept talking") || !strings.Contains(shown[0].Text, "two hours") {
		t.Errorf("after a broken stream the partial should become the offline answer: %+v", shown)
	}
}

func TestAdminUpload(t *testing.T) {
	h := start(t, 0, 0)
	embedded := startWith(t, setup{embedded: true})
	upload := func(h *harness, user int64, name, data string) {
		m := h.tg.Message(user, user, "private", "")
		delete(m, "text")
		m["document"] = h.tg.AddFile(name, []byte(data))
		h.tg.Push(map[string]any{"message": m})
	}
	tests := []struct {
		name      string
		h         *harness
		user      int64
		file      string
		data      string
		want      string
		saved     string // file expected in the corpus directory
		ask, gets string // a question the new corpus answers
	}{
		{name: "admin adds an article", h: h, user: 42, file: "lunar base.md", data: "# Lunar base opens\n\nThe lunar base opened on Monday with twelve residents.\n",
			want: "Added <code>lunar_base.md</code>. Reloaded: 6 documents", saved: "lunar_base.md", ask: "How many residents does the lunar base have?", gets: "twelve residents"},
		{name: "non-admin", h: h, user: 7, file: "x.md", data: "# T\n\nSome text here.\n", want: "only the bot's admins"},
		{name: "binary", h: h, user: 42, file: "bin.txt", data: "\x00\x01\x02\x03 not text", want: "I did not add that file"},
		{name: "path-like name", h: h, user: 42, file: "../../etc/passwd.txt", data: "root:x:0:0\n", want: "want a plain file name"},
		{name: "too large", h: h, user: 42, file: "big.txt", data: strings.Repeat("Long text. ", 7000), want: "too large"},
		{name: "embedded corpus", h: embedded, user: 42, file: "a.md", data: "# T\n\nSome text here.\n", want: "serving my built-in articles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.h.tg.SentTo(tt.user))
			upload(tt.h, tt.user, tt.file, tt.data)
			got := tt.h.await(t, tt.user, before+1)[before].Text
			if !strings.Contains(got, tt.want) {
				t.Fatalf("reply %q, want %q", got, tt.want)
			}
			if tt.saved != "" {
				if data, err := os.ReadFile(filepath.Join(h.dir, tt.saved)); err != nil || string(data) != tt.data {
					t.Errorf("saved file: %q, %v", data, err)
				}
			}
			if tt.ask != "" {
				tt.h.tg.PushText(tt.user+1000, tt.ask)
				if got := tt.h.await(t, tt.user+1000, 1)[0].Text; !strings.Contains(got, tt.gets) {
					t.Errorf("answer after upload %q", got)
				}
			}
		})
	}
	entries, _ := os.ReadDir(h.dir)
	if len(entries) != 6 {
		t.Errorf("corpus directory holds %d files, want the 5 seeds and the one good upload", len(entries))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(h.dir), "etc")); err == nil {
		t.Error("a path-like name wrote outside the corpus directory")
	}
}

func TestUnfinishedUpdatesStayUnacknowledged(t *testing.T) {
	h := start(t, 1500*time.Millisecond, 0)
	h.tg.PushText(13, "Where did Putin and Biden last meet?")
	h.tg.WaitFor(5*time.Second, func() bool { return h.tg.Calls("sendChatAction") > 0 })
	h.tg.PushText(14, "/help") // answered at once, while 13's answer runs
	h.await(t, 14, 1)
	time.Sleep(300 * time.Millisecond)
	if p := h.tg.Pending(); p != 2 {
		t.Errorf("%d updates pending while one is being answered, want 2: a crash now must not lose it", p)
	}
	h.await(t, 13, 1)
	if !h.tg.WaitFor(5*time.Second, func() bool { return h.tg.Pending() == 0 }) {
		t.Errorf("%d updates still pending after every answer went out", h.tg.Pending())
	}
	if n, m := len(h.tg.SentTo(13)), len(h.tg.SentTo(14)); n != 1 || m != 1 {
		t.Errorf("redelivered updates answered again: %d and %d replies", n, m)
	}
	if polls := h.tg.Calls("getUpdates"); polls > 20 {
		t.Errorf("%d polls in about 2 s: the poller spins on redelivered updates", polls)
	}
}

func TestWebhook(t *testing.T) {
	h := startWith(t, setup{webhook: true})
	if !h.tg.WaitFor(5*time.Second, func() bool { return h.tg.Webhook() != nil }) {
		t.Fatal("setWebhook was not called")
	}
	if wh := h.tg.Webhook(); wh.Get("url") != "https://bot.example.test/tg/hook" || wh.Get("secret_token") != hookSecret {
		t.Errorf("setWebhook with %v", wh)
	}
	post := func(body, secret string) int {
		var resp *http.Response
		var err error
		for range 50 { // the server may still be starting
			req, _ := http.NewRequest(http.MethodPost, h.hook, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			}
			if resp, err = http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal(err)
		return 0
	}
	update := func(id int, chat int64, text string) string {
		b, _ := json.Marshal(map[string]any{"update_id": id, "message": h.tg.Message(chat, chat, "private", text)})
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		secret string
		status int
	}{
		{"no secret", update(1, 21, "Where did Putin and Biden last meet?"), "", 401},
		{"wrong secret", update(2, 21, "Where did Putin and Biden last meet?"), "guess", 401},
		{"not JSON", "{not json", hookSecret, 400},
		{"good", update(3, 22, "Where did Putin and Biden last meet?"), hookSecret, 200},
		{"retried delivery", update(3, 22, "Where did Putin and Biden last meet?"), hookSecret, 200},
	}
	for _, tt := range tests {
		if got := post(tt.body, tt.secret); got != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.status)
		}
	}
	if got := h.await(t, 22, 1)[0].Text; !strings.Contains(got, "Geneva") {
		t.Errorf("answer %q", got)
	}
	time.Sleep(300 * time.Millisecond)
	if n, m := len(h.tg.SentTo(21)), len(h.tg.SentTo(22)); n != 0 || m != 1 {
		t.Errorf("%d replies to forged updates, %d to one update delivered twice; want 0 and 1", n, m)
	}
	if strings.Contains(h.logs.String(), hookSecret) {
		t.Error("the webhook secret appears in the logs")
	}
}
