// Package bot is the Telegram front end: it turns messages into questions
// for the answer service and answers into well-formed Telegram replies,
// within Telegram's limits, and gives admins /reload and /stats.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/lang"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/webfetch"
)

// Answerer answers questions.
type Answerer interface {
	Answer(ctx context.Context, req answer.Request) (answer.Answer, error)
}

// Library is the corpus the bot serves and can reload.
type Library interface {
	Live() *retrieval.Live
	Reload(ctx context.Context) (library.Report, error)
	// Add saves an article file into the corpus and reloads.
	Add(ctx context.Context, name string, data []byte) (library.Report, error)
}

// Config tunes the bot. Zero fields take the defaults.
type Config struct {
	Admins        map[int64]bool // Telegram user ids allowed /reload and /stats
	Workers       int            // updates handled at once; default 128
	MaxQuestion   int            // longest question, in characters; default 1000
	AnswerTimeout time.Duration  // limit of one answer; default 2 minutes
	ShutdownWait  time.Duration  // how long answers in flight may finish; default 20 s
	PollTimeout   time.Duration  // long-poll wait; default 30 s, below the HTTP client's timeout
	// Stats reports the answer service's counters for /stats.
	Stats func() answer.Stats
	// FileEndpoint is where files are downloaded from, with %s for the
	// token and the file path; default Telegram's. A bot pointed at another
	// Bot API server must download from that server too.
	FileEndpoint string
	// MaxUpload is the largest article file an admin may send, in bytes;
	// default corpus.DefaultMaxFileSize.
	MaxUpload int
	// Limiter limits each user's questions; default a LocalLimiter of
	// DefaultQuestionsPerMinute.
	Limiter RateLimiter
	// Updates, when set, records handled updates across processes.
	Updates UpdateLog
	// Inbox, when set, keeps taken updates on disk until answered, so
	// they are acknowledged to Telegram at once and none is lost or
	// answered twice across a crash. Without it, polling holds back the
	// acknowledgement of unanswered updates, within limits.
	Inbox Inbox
	// ChatQueue is how many messages of one chat may wait to be
	// answered; more are dropped with one notice. Default DefaultChatQueue.
	ChatQueue int
	// Peers, when set, are told of reloads and list the versions served.
	Peers Peers
	// Relay, when set, lets several processes poll one token: one polls
	// and hands the updates out through it; the others stand by to take
	// over. Polling mode only.
	Relay Relay
	// ChatOrder, when set, keeps each chat's updates in order across
	// processes: one process at a time answers a chat, oldest first.
	ChatOrder ChatOrder
	// Pacer, when set, paces messages together with the other processes
	// on the bot token, so that together they keep within Telegram's
	// limits. Without it this process paces as if alone.
	Pacer Pacer
	// Observer, if set, is told each question's outcome and each failed
	// Telegram call, for metrics.
	Observer Observer
	// LogQuestions puts the text of questions in the log. Off by
	// default: what people ask is theirs.
	LogQuestions bool
	// Fetch limits what /add fetches: time, redirects, size, and which
	// addresses are reachable (none inside the network unless Allow
	// says so; tests allow their local server).
	Fetch webfetch.Options
}

// Observer is told what the bot does, for metrics.
type Observer interface {
	// Question counts a question by outcome: answered, refused (not in
	// the articles), empty (no words to ask about: not a failure), error
	// (the answer failed) or undelivered (the reply could not be sent).
	Question(outcome string)
	// TelegramError counts a failed Telegram call by error code, 0 for
	// a network failure.
	TelegramError(code int)
}

// nopObserver is the Observer of a bot configured without one.
type nopObserver struct{}

func (nopObserver) Question(string)   {}
func (nopObserver) TelegramError(int) {}

// UpdateLog records the updates handled by every process serving the
// bot, so none is answered twice.
type UpdateLog interface {
	// Claim marks update id taken and reports whether it was new.
	Claim(ctx context.Context, id int) bool
	// Claimed reports whether update id was taken already.
	Claimed(ctx context.Context, id int) bool
}

// Peers are the processes serving the same bot.
type Peers interface {
	// Announce says this process now serves version; the others reload.
	Announce(ctx context.Context, version string)
	// Versions returns the corpus version each process serves.
	Versions(ctx context.Context) map[string]string
}

func (c *Config) defaults() {
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Workers <= 0 {
		c.Workers = 128
	}
	if c.MaxQuestion <= 0 {
		c.MaxQuestion = 1000
	}
	if c.AnswerTimeout <= 0 {
		c.AnswerTimeout = 2 * time.Minute
	}
	if c.ShutdownWait <= 0 {
		c.ShutdownWait = DefaultShutdownWait
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 30 * time.Second
	}
	if c.FileEndpoint == "" {
		c.FileEndpoint = tgbotapi.FileEndpoint
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = corpus.DefaultMaxFileSize
	}
	if c.Limiter == nil {
		c.Limiter = NewLocalLimiter(DefaultQuestionsPerMinute)
	}
	if c.ChatQueue <= 0 {
		c.ChatQueue = DefaultChatQueue
	}
}

// Bot is a running Telegram bot.
type Bot struct {
	api     *tgbotapi.BotAPI
	self    tgbotapi.User
	answers Answerer
	lib     Library
	mem     Memory
	cfg     Config
	log     *slog.Logger
	send    *sender
	fetch   *webfetch.Fetcher
	started time.Time

	mention *regexp.Regexp // "@botname", to strip from group questions

	answered, refused, failed atomic.Int64

	mu      sync.Mutex
	sources map[string]sourced  // answers by random id, for the Sources button
	srcIDs  []string            // the ids in sources, oldest first
	warned  map[int64]time.Time // users told to slow down, until when
}

// New returns a bot. api must have been made with tgbotapi.NewBotAPIWithClient.
func New(api *tgbotapi.BotAPI, answers Answerer, lib Library, mem Memory, cfg Config, log *slog.Logger) *Bot {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bot{
		api: api, self: api.Self, answers: answers, lib: lib, mem: mem, cfg: cfg, log: log,
		send: newSender(api, log, cfg.Observer, cfg.Pacer), fetch: webfetch.New(cfg.Fetch), started: time.Now(), sources: map[string]sourced{}, warned: map[int64]time.Time{},
		mention: regexp.MustCompile(`(?i)@` + regexp.QuoteMeta(api.Self.UserName) + `\b[,:]?`),
	}
}

// ErrTokenRejected means Telegram refused the bot token (401 or 404): it
// was revoked or is wrong, and retrying cannot help.
var ErrTokenRejected = errors.New("Telegram rejected the bot token")

// Run long-polls for updates until ctx is done, then stops taking
// updates and lets answers in flight finish (up to ShutdownWait). An
// update is acknowledged only once answered or kept in the inbox (or,
// with a Relay, in Redis), so a restart, even after a crash, neither
// loses nor repeats it. Run returns an error wrapping ErrTokenRejected
// if Telegram stops accepting the token.
//
// With a Relay, only the process holding the relay's lease polls; every
// process answers what it hands out. A 409 Conflict (another consumer
// polls the token) is logged once and backed off from, doubling up to
// 30 s; if Redis cannot confirm the lease at the time, this process
// stands by instead.
func (b *Bot) Run(ctx context.Context) error {
	b.register()
	if _, err := b.api.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		b.log.Warn("delete webhook before polling", "err", err)
	}
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	in := newIntake()
	p := &pipeline{b: b, ctx: work, d: newDispatcher(b.cfg.Workers, b.cfg.ChatQueue), in: in, stop: ctx.Done()}
	p.replay()
	relay := b.cfg.Relay
	var lead *leadership
	if relay != nil {
		lead = newLeadership(relay, b.log)
		lead.try(ctx)
		go lead.run(ctx)
		go p.consume(ctx, relay)
	}
	if b.cfg.ChatOrder != nil {
		go p.adopt(ctx)
	}

	// The poller's requests end with ctx (or the term as poller), so
	// shutdown does not wait out a long poll.
	poller := *b.api
	backoff := baseWait
	var (
		fatal     error
		conflict  conflicts
		published int // highest update id handed out through the relay, acknowledged from there
		term      = -1
	)
	for ctx.Err() == nil {
		pollCtx, confirmed := ctx, true
		if lead != nil {
			var (
				gen     int
				leading bool
			)
			pollCtx, gen, leading, confirmed = lead.current()
			if !leading {
				select {
				case <-lead.changed:
				case <-ctx.Done():
				}
				continue
			}
			if gen != term && confirmed {
				// A new term: acknowledge what earlier pollers handed out.
				if high, err := relay.Published(ctx); err == nil {
					published, term = high, gen
				}
			}
		}
		poller.Client = contextClient{client: b.api.Client, ctx: pollCtx}
		off := in.offset(time.Now())
		if published >= off {
			off = published + 1
		}
		updates, err := getUpdates(&poller, off, b.cfg.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if pollCtx.Err() != nil {
				continue // no longer the poller
			}
			code := errorCode(err)
			b.cfg.Observer.TelegramError(code)
			if code == http.StatusUnauthorized || code == http.StatusNotFound {
				fatal = fmt.Errorf("%w (%d): it was revoked or is wrong; stopping", ErrTokenRejected, code)
				b.log.Error("telegram rejected the bot token; stopping", "code", code)
				break
			}
			if code == http.StatusConflict {
				if lead != nil && !confirmed {
					lead.stepDown()
					continue
				}
				sleep(ctx, conflict.conflict(b.log))
				continue
			}
			b.log.Warn("get updates", "err", err, "retry_in_ms", backoff.Milliseconds())
			sleep(ctx, backoff)
			backoff = min(2*backoff, capWait)
			continue
		}
		backoff = baseWait
		conflict.ok(b.log)
		if fresh := in.unseen(updates); relay != nil && len(fresh) > 0 {
			// Tried even when Redis did not confirm the lease: if it is
			// back, the published mark keeps another poller from handing
			// the same updates out again. Updates this process already
			// answers itself (fetched again while Redis was down) are
			// never handed out as well.
			ids, raws := make([]int, len(fresh)), make([][]byte, len(fresh))
			for i, x := range fresh {
				ids[i], raws[i] = x.u.UpdateID, x.raw
			}
			high, err := relay.Publish(ctx, ids, raws)
			if err == nil {
				published = max(published, high)
				if len(fresh) == len(updates) {
					continue
				}
				rest := make([]incoming, 0, len(updates)-len(fresh)) // repeats of those answered here
				for _, x := range updates {
					if !slices.Contains(ids, x.u.UpdateID) {
						rest = append(rest, x)
					}
				}
				updates = rest
			} else {
				b.log.Warn("hand updates out through redis; answering them here", "updates", len(fresh), "err", err)
			}
		}
		if p.take(updates, false) == 0 && len(updates) > 0 {
			// Only updates still being answered came back: wait for one
			// to finish (or a moment) rather than ask again at once.
			select {
			case <-in.changed:
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}

	if lead == nil {
		b.drain(p.d, stopWork)
		if off := in.final(); off > 0 && fatal == nil {
			// Acknowledge everything answered or kept; newer updates, and
			// those cut off unanswered and kept nowhere, stay for the next start.
			if _, err := getUpdates(b.api, off, 0); err != nil {
				b.log.Warn("acknowledge updates", "offset", off, "err", err)
			}
		}
		return fatal
	}
	// With a relay the poller acknowledges what it handed out (Redis
	// keeps it) and resigns at once, so that another process polls while
	// this one finishes its answers: a poll after that would cut the new
	// poller's off (409).
	if _, _, leading, _ := lead.current(); leading && fatal == nil {
		if off := max(in.final(), published+1); off > 1 {
			if _, err := getUpdates(b.api, off, 0); err != nil {
				b.log.Warn("acknowledge updates", "offset", off, "err", err)
			}
		}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	relay.Resign(rctx)
	cancel()
	b.drain(p.d, stopWork)
	return fatal
}

// DefaultShutdownWait is how long answers in flight may finish when the
// bot is told to stop; CancelWait how long the rest then take to end.
// An orchestrator must allow their sum before killing the process.
const (
	DefaultShutdownWait = 20 * time.Second
	CancelWait          = 5 * time.Second
)

// register lists the bot's commands in Telegram's menu, described in
// each language the bot speaks (Telegram shows users the list of their
// app's language), the English list last as the default for the rest.
// Each admin's private chat (a chat scope: its id is the admin's) lists
// the admin commands too; Telegram prefers a chat's list to the default
// one. An admin who never opened a chat with the bot cannot be given one
// (Telegram answers "chat not found"): that is logged and skipped.
func (b *Bot) register() {
	set := func(cfg tgbotapi.SetMyCommandsConfig, attrs ...any) {
		if _, err := b.api.Request(cfg); err != nil {
			b.log.Warn("register commands", append(attrs, "err", err)...)
		}
	}
	for _, l := range spoken() {
		set(tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), l, commandsIn(l, false)...), "language", l)
	}
	set(tgbotapi.NewSetMyCommands(commandsIn(lang.Default, false)...))
	admins := make([]int64, 0, len(b.cfg.Admins))
	for id, ok := range b.cfg.Admins {
		if ok {
			admins = append(admins, id)
		}
	}
	slices.Sort(admins)
	for _, id := range admins {
		scope := tgbotapi.NewBotCommandScopeChat(id)
		for _, l := range spoken() {
			set(tgbotapi.NewSetMyCommandsWithScopeAndLanguage(scope, l, commandsIn(l, true)...), "admin", id, "language", l)
		}
		set(tgbotapi.NewSetMyCommandsWithScope(scope, commandsIn(lang.Default, true)...), "admin", id)
	}
}

// drain lets the answers in flight finish, up to ShutdownWait, then
// cancels the rest.
func (b *Bot) drain(d *dispatcher, stopWork context.CancelFunc) {
	b.log.Info("stopping: finishing answers in flight", "wait_ms", b.cfg.ShutdownWait.Milliseconds())
	if !d.wait(b.cfg.ShutdownWait) {
		b.log.Warn("answers still running at shutdown; cancelling them")
		stopWork()
		d.wait(CancelWait)
	}
}

// getUpdates fetches updates.
func getUpdates(api *tgbotapi.BotAPI, offset int, wait time.Duration) ([]incoming, error) {
	params := tgbotapi.Params{}
	params.AddNonZero("offset", offset)
	params.AddNonZero("timeout", int(wait/time.Second))
	params.AddNonZero("limit", 100)
	resp, err := api.MakeRequest("getUpdates", params)
	if err != nil {
		return nil, err
	}
	return decodeUpdates(resp.Result)
}

// chatOf returns the chat an update belongs to, for ordering. It reads
// only what the update holds: tgbotapi's Update.FromChat dereferences a
// callback query's message, which inline-mode callbacks lack.
func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil:
		return u.EditedMessage.Chat.ID
	case u.ChannelPost != nil && u.ChannelPost.Chat != nil:
		return u.ChannelPost.Chat.ID
	}
	return 0
}

// handle deals with one update; it never panics the process. It
// reports false if ctx ended before the update was dealt with (the bot
// is stopping), so that the update is answered after the restart.
func (b *Bot) handle(ctx context.Context, u tgbotapi.Update, thread int, adm admission) (finished bool) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic handling update", "update", u.UpdateID, "panic", fmt.Sprint(r))
			finished = true // the same update would panic again
		}
	}()
	switch {
	case adm.checked && !adm.ok:
		b.slowDown(ctx, u, thread, adm.wait)
	case u.CallbackQuery != nil:
		b.callback(ctx, u.CallbackQuery)
	case u.Message != nil:
		b.message(ctx, u.Message, thread)
	default:
		b.log.Debug("ignored update", "update", u.UpdateID) // edits, channel posts, …
	}
	return ctx.Err() == nil
}

// reply is where an answer to a message goes.
type reply struct {
	user    int64 // who asked
	chat    int64
	to      int // message replied to
	thread  int // forum topic
	private bool
	lang    string // the language to reply in: a tag of package lang
}

// messageLang is the language of whoever sent m, from what they wrote and
// their app's language.
func messageLang(m *tgbotapi.Message) string {
	var code string
	if m.From != nil {
		code = m.From.LanguageCode
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	return lang.Detect(code, text)
}

// userLang is the language of a user from their app's language alone,
// for button presses, which have no text.
func userLang(u *tgbotapi.User) string {
	if u == nil {
		return lang.Default
	}
	return lang.Detect(u.LanguageCode, "")
}

func (b *Bot) message(ctx context.Context, m *tgbotapi.Message, thread int) {
	if m.Chat == nil || m.From == nil || m.From.IsBot {
		return
	}
	r := reply{user: m.From.ID, chat: m.Chat.ID, to: m.MessageID, thread: thread, private: m.Chat.IsPrivate(), lang: messageLang(m)}
	text := strings.TrimSpace(m.Text)
	if !r.private {
		var ok bool
		if text, ok = b.addressed(m); !ok {
			return
		}
	}
	if m.IsCommand() {
		b.command(ctx, m, r)
		return
	}
	switch {
	case r.private && b.cfg.Admins[m.From.ID] && isLink(text):
		b.addLink(ctx, r, text)
	case m.Document != nil && r.private && isArticleFile(m.Document.FileName):
		if b.admin(ctx, r, m.From.ID, "upload") {
			b.upload(ctx, r, m.Document)
		}
	case m.Text == "" && (m.Sticker != nil || m.Photo != nil || m.Voice != nil || m.Video != nil || m.Audio != nil || m.Document != nil || m.VideoNote != nil || m.Animation != nil || m.Location != nil || m.Contact != nil || m.Poll != nil):
		b.say(ctx, r, r.t(msgNotText))
	case text == "":
		b.say(ctx, r, r.t(msgNoQuestion))
	case utf8.RuneCountInString(text) > b.cfg.MaxQuestion:
		b.say(ctx, r, r.t(msgTooLong, b.cfg.MaxQuestion, plural(r.lang, b.cfg.MaxQuestion, msgCharacters)))
	default:
		b.question(ctx, r, text)
	}
}

// addressed reports whether a group message is meant for the bot, and
// returns its text without the mention.
func (b *Bot) addressed(m *tgbotapi.Message) (string, bool) {
	text := strings.TrimSpace(m.Text)
	if m.IsCommand() {
		at := m.CommandWithAt()
		_, name, hasAt := strings.Cut(at, "@")
		return text, !hasAt || strings.EqualFold(name, b.self.UserName)
	}
	if m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == b.self.ID {
		return text, true
	}
	if b.self.UserName != "" && b.mention.MatchString(text) {
		return strings.TrimSpace(b.mention.ReplaceAllString(text, "")), true
	}
	return "", false
}

func (b *Bot) command(ctx context.Context, m *tgbotapi.Message, r reply) {
	user := m.From.ID
	switch m.Command() {
	case "start":
		b.say(ctx, r, b.greeting(r.lang)+b.adminHelp(r))
	case "help":
		b.say(ctx, r, b.help(r))
	case "sources":
		b.say(ctx, r, b.sourceList(r.lang))
	case "reset", "new":
		b.mem.Reset(ctx, r.chat)
		b.say(ctx, r, r.t(msgReset))
	case "reload":
		if b.admin(ctx, r, user, "reload") {
			b.reload(ctx, r)
		}
	case "add":
		if b.admin(ctx, r, user, "add") {
			if link, ok := bareLink(m.CommandArguments()); ok {
				b.addLink(ctx, r, link)
			} else {
				b.say(ctx, r, r.t(msgAddUsage))
			}
		}
	case "articles":
		if b.admin(ctx, r, user, "articles") {
			b.listArticles(ctx, r, m.CommandArguments())
		}
	case "remove":
		if b.admin(ctx, r, user, "remove") {
			b.askRemove(ctx, r, m.CommandArguments())
		}
	case "stats":
		if b.admin(ctx, r, user, "stats") {
			b.say(ctx, r, b.stats(r.private, r.lang))
		}
	default:
		b.say(ctx, r, r.t(msgUnknownCommand)+b.help(r))
	}
}

// help is the /help text for whoever r replies to.
func (b *Bot) help(r reply) string { return r.t(msgHelp) + b.adminHelp(r) }

// adminHelp lists the admin commands for an admin in a private chat, to
// follow the help; it is "" for everyone else, and in groups.
func (b *Bot) adminHelp(r reply) string {
	if r.private && b.cfg.Admins[r.user] {
		return r.t(msgHelpAdmin)
	}
	return ""
}

// greeting is the /start reply, in language l.
func (b *Bot) greeting(l string) string {
	c := b.lib.Live().Index().Corpus()
	return tr(l, msgGreeting, len(c.Docs), html.EscapeString(c.Docs[0].Title)) + tr(l, msgHelp)
}

// sourceList is the /sources reply, headed in language l.
func (b *Bot) sourceList(l string) string {
	c := b.lib.Live().Index().Corpus()
	var s strings.Builder
	s.WriteString(tr(l, msgArticleCount, len(c.Docs), plural(l, len(c.Docs), msgArticles)))
	for i, d := range c.Docs {
		fmt.Fprintf(&s, "%d. <i>%s</i>", i+1, html.EscapeString(d.Title))
		if meta := joinNonEmpty(", ", d.Source, d.Date); meta != "" {
			s.WriteString(" — " + html.EscapeString(meta))
		}
		s.WriteByte('\n')
	}
	return s.String()
}

// admin checks that user may run an admin command, and refuses politely.
func (b *Bot) admin(ctx context.Context, r reply, user int64, cmd string) bool {
	if b.cfg.Admins[user] {
		return true
	}
	b.log.Warn("admin command refused", "command", cmd, "user", user, "chat", r.chat)
	b.say(ctx, r, r.t(msgAdminOnly))
	return false
}

func (b *Bot) reload(ctx context.Context, r reply) {
	rep, err := b.lib.Reload(ctx)
	if err != nil {
		b.log.Error("reload failed; the old corpus keeps serving", "chat", r.chat, "err", err)
		if !r.private {
			// The error names files and paths on the server: not for a group.
			b.say(ctx, r, r.t(msgReloadFailedGroup))
			return
		}
		b.say(ctx, r, r.t(msgReloadFailed, html.EscapeString(err.Error())))
		return
	}
	b.log.Info("corpus reloaded", "version", rep.Version, "docs", rep.Docs, "passages", rep.Passages, "took_ms", rep.Took.Milliseconds())
	if b.cfg.Peers != nil {
		b.cfg.Peers.Announce(ctx, rep.Version)
	}
	b.say(ctx, r, reloaded(r.lang, rep))
}

// reloaded reports a reload in language l: what is served now, and the
// library's warnings (which are in English).
func reloaded(l string, rep library.Report) string {
	msg := tr(l, msgReloaded, rep.Docs, rep.Passages, rep.Version, rep.Took.Round(time.Millisecond))
	if len(rep.Warnings) > 0 {
		msg += tr(l, msgWarnings) + html.EscapeString("• "+strings.Join(rep.Warnings, "\n• "))
	}
	return msg
}

// stats is the /stats reply, in language l. The processes serving the
// bot, listed by host name, are shown only in a private chat.
func (b *Bot) stats(private bool, l string) string {
	c := b.lib.Live().Index().Corpus()
	var st answer.Stats
	if b.cfg.Stats != nil {
		st = b.cfg.Stats()
	}
	cache := tr(l, msgStatsNoQuestions)
	if st.Questions > 0 {
		cache = tr(l, msgStatsCache, st.CacheHits, st.Questions, 100*float64(st.CacheHits)/float64(st.Questions))
	}
	msg := tr(l, msgStats,
		time.Since(b.started).Round(time.Second), b.answered.Load(), b.refused.Load(), b.failed.Load(),
		cache, st.LLMCalls, st.LLMErrors, c.Version, len(c.Docs), len(c.Passages))
	if private {
		msg += b.peerVersions(l)
	}
	return msg
}

// peerVersions lists the corpus version every process serves, headed in
// language l.
func (b *Bot) peerVersions(l string) string {
	if b.cfg.Peers == nil {
		return ""
	}
	vs := b.cfg.Peers.Versions(context.Background())
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	var s strings.Builder
	s.WriteString(tr(l, msgStatsProcesses, len(names)))
	for _, n := range names {
		fmt.Fprintf(&s, "\n• %s: <code>%s</code>", html.EscapeString(n), html.EscapeString(vs[n]))
	}
	return s.String()
}

// admission is the rate-limit decision on an update, taken when it
// arrives: a flood is turned away at once, instead of queueing behind the
// chat's earlier messages and spending the limit as it trickles through.
type admission struct {
	checked, ok bool
	wait        time.Duration
}

// admit counts an update a user sent the bot against the user's limit:
// every kind counts (questions, commands, stickers, files, button
// presses), since each would get a reply. Group messages not addressed to
// the bot are not counted: they get none.
func (b *Bot) admit(ctx context.Context, u tgbotapi.Update) admission {
	var user int64
	switch {
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		user = u.CallbackQuery.From.ID
	case u.Message != nil && u.Message.From != nil && u.Message.Chat != nil && !u.Message.From.IsBot:
		if !u.Message.Chat.IsPrivate() {
			if _, ok := b.addressed(u.Message); !ok {
				return admission{}
			}
		}
		user = u.Message.From.ID
	default:
		return admission{}
	}
	ok, wait := b.cfg.Limiter.Allow(ctx, user)
	return admission{checked: true, ok: ok, wait: wait}
}

// slowDown answers an update over its user's limit. The user is told
// once when to try again; further updates until then get no reply, so a
// flood of messages does not become a flood of replies.
func (b *Bot) slowDown(ctx context.Context, u tgbotapi.Update, thread int, wait time.Duration) {
	var r reply
	switch {
	case u.CallbackQuery != nil:
		r = reply{user: u.CallbackQuery.From.ID, lang: userLang(u.CallbackQuery.From)}
	case u.Message != nil:
		m := u.Message
		r = reply{user: m.From.ID, chat: m.Chat.ID, to: m.MessageID, thread: thread, lang: messageLang(m)}
	}
	now := time.Now()
	b.mu.Lock()
	quiet := now.Before(b.warned[r.user])
	if !quiet {
		b.warned[r.user] = now.Add(wait)
		for u, until := range b.warned {
			if now.After(until) {
				delete(b.warned, u)
			}
		}
	}
	b.mu.Unlock()
	b.log.Info("rate limited", "user", r.user, "retry_after_ms", wait.Milliseconds())
	secs := max(int(wait.Round(time.Second)/time.Second), 1)
	msg := r.t(msgSlowDown, secs)
	if q := u.CallbackQuery; q != nil {
		// A button press must be answered, or its spinner turns for a minute.
		if err := b.send.request(ctx, tgbotapi.NewCallback(q.ID, msg)); err != nil {
			b.log.Debug("answer callback", "err", err)
		}
		return
	}
	if !quiet {
		b.say(ctx, r, msg)
	}
}

// question answers a question, showing "typing…" until the reply is out.
func (b *Bot) question(ctx context.Context, r reply, text string) {
	// "typing…" at once, before the answer starts, then every few seconds.
	b.typing(ctx, r.chat)
	typingCtx, stopTyping := context.WithCancel(ctx)
	defer stopTyping()
	go func() {
		for sleep(typingCtx, typingIn) {
			b.typing(typingCtx, r.chat)
		}
	}()

	actx, cancel := context.WithTimeout(ctx, b.cfg.AnswerTimeout)
	defer cancel()
	history := b.mem.History(actx, r.chat)
	start := time.Now()
	live := b.startLive(ctx, r)
	a, err := b.answers.Answer(actx, answer.Request{Question: text, History: history, Progress: live.update, Lang: r.lang})
	stopTyping()
	shown := live.finish() // the message showing the answer so far, to edit into the final one
	var outcome string
	switch {
	case errors.Is(err, answer.ErrEmptyQuestion):
		// No words to search for (emoji, punctuation): the user's input,
		// not a failure of the bot.
		outcome = outcomeEmpty
		err = b.sendHTML(ctx, r, []string{r.t(msgNoWords)}, nil, shown)
	case err != nil:
		outcome = outcomeError
		b.sendHTML(ctx, r, []string{r.t(msgFailed)}, nil, shown)
	default:
		outcome = outcomeRefused
		if a.Answered {
			outcome = outcomeAnswered
		}
		var markup *tgbotapi.InlineKeyboardMarkup
		if len(a.Citations) > 0 {
			kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData(r.t(msgSourcesButton), srcPrefix+b.remember(r.chat, a))))
			markup = &kb
		}
		if err = b.sendHTML(ctx, r, Split(answerBlocks(a, r.lang, b.docURL), MaxMessage), markup, shown); err == nil {
			b.mem.Append(ctx, r.chat, answer.Turn{Question: text, Answer: a.Text})
		}
	}
	if outcome != outcomeError && err != nil {
		outcome = outcomeUndelivered
	}
	switch outcome {
	case outcomeAnswered:
		b.answered.Add(1)
	case outcomeRefused:
		b.refused.Add(1)
	case outcomeError, outcomeUndelivered:
		b.failed.Add(1)
	}
	b.cfg.Observer.Question(outcome)
	b.logQuestion(ctx, r, text, start, a, outcome, err)
}

// Outcomes of a question, for the Observer and the question log line.
const (
	outcomeAnswered    = "answered"    // answered from the articles
	outcomeRefused     = "refused"     // not in the articles
	outcomeEmpty       = "empty"       // no words to ask about: the user's input, not a failure
	outcomeError       = "error"       // the answer failed
	outcomeUndelivered = "undelivered" // answered, but the reply could not be sent
)

// logQuestion writes the one log line of a question, once its reply is
// out. The question's text is left out unless the operator asked for it.
func (b *Bot) logQuestion(ctx context.Context, r reply, text string, start time.Time, a answer.Answer, outcome string, err error) {
	attrs := []slog.Attr{
		slog.Int64("chat", r.chat),
		slog.Int64("user", r.user),
		slog.Int64("latency_ms", time.Since(start).Milliseconds()),
		slog.Bool("cache_hit", a.Cached),
		slog.Int("citations", len(a.Citations)),
		slog.String("mode", a.Mode),
	}
	if b.cfg.LogQuestions {
		attrs = append(attrs, slog.String("question", text))
	}
	attrs = append(attrs, slog.String("outcome", outcome))
	level := slog.LevelInfo
	switch outcome {
	case outcomeError, outcomeUndelivered:
		level = slog.LevelError
		if err != nil {
			attrs = append(attrs, slog.String("err", err.Error()))
		}
	}
	b.log.LogAttrs(ctx, level, "question", attrs...)
}

// typing sends the "typing…" chat action; it is best effort, left out
// when the bot is busy sending.
func (b *Bot) typing(ctx context.Context, chat int64) {
	if err := b.send.tryRequest(tgbotapi.NewChatAction(chat, tgbotapi.ChatTyping)); err != nil && ctx.Err() == nil && !errors.Is(err, errBusy) {
		b.log.Debug("chat action", "err", err)
	}
}

// srcPrefix starts the callback data of a Sources button; maxSources
// answers are kept for them, the oldest dropped first.
const (
	srcPrefix  = "src:"
	maxSources = 5000
)

// sourced is an answer kept for its Sources button, with the chat it was
// sent to: only a press in that chat shows its passages.
type sourced struct {
	chat int64
	a    answer.Answer
}

// remember keeps an answer sent to chat for its Sources button, under a
// random id that cannot be guessed, and returns the id.
func (b *Bot) remember(chat int64, a answer.Answer) string {
	var raw [6]byte
	rand.Read(raw[:]) // never fails (crypto/rand)
	id := hex.EncodeToString(raw[:])
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sources[id] = sourced{chat: chat, a: a}
	b.srcIDs = append(b.srcIDs, id)
	if len(b.srcIDs) > maxSources {
		delete(b.sources, b.srcIDs[0])
		b.srcIDs = b.srcIDs[1:]
	}
	return id
}

func (b *Bot) callback(ctx context.Context, q *tgbotapi.CallbackQuery) {
	if strings.HasPrefix(q.Data, uploadPrefix) {
		b.uploadCallback(ctx, q)
		return
	}
	if strings.HasPrefix(q.Data, articlesPrefix) {
		b.articlesCallback(ctx, q)
		return
	}
	id, ok := strings.CutPrefix(q.Data, srcPrefix)
	b.mu.Lock()
	src, found := b.sources[id]
	b.mu.Unlock()
	// Sources are shown only in the chat they were sent to: a press
	// elsewhere (forged, or inline) finds none.
	inChat := q.Message != nil && q.Message.Chat != nil && q.Message.Chat.ID == src.chat
	note := ""
	if !ok || !found || !inChat {
		note = tr(userLang(q.From), msgSourcesGone)
	}
	a := src.a
	if err := b.send.request(ctx, tgbotapi.NewCallback(q.ID, note)); err != nil {
		b.log.Warn("answer callback", "err", err)
	}
	if note != "" || q.Message == nil || q.Message.Chat == nil {
		return
	}
	r := reply{chat: q.Message.Chat.ID, to: q.Message.MessageID}
	b.sendHTML(ctx, r, Split(passageBlocks(a), MaxMessage), nil, 0)
}

// docURL returns the URL of a document of the corpus being served, or "".
func (b *Bot) docURL(id string) string {
	c := b.lib.Live().Index().Corpus()
	i := sort.Search(len(c.Docs), func(i int) bool { return c.Docs[i].ID >= id })
	if i < len(c.Docs) && c.Docs[i].ID == id {
		return c.Docs[i].URL
	}
	return ""
}

// say sends a short reply written as Telegram HTML.
func (b *Bot) say(ctx context.Context, r reply, htmlText string) {
	b.sendHTML(ctx, r, []string{htmlText}, nil, 0) // a failure is logged
}

var tags = regexp.MustCompile(`<[^<>]*>`)

// sendHTML sends messages in order, the first as a reply (or, when edit
// is not 0, as an edit of that message) and the last with the markup;
// each falls back to plain text if Telegram rejects its HTML. It returns
// an error, already logged, if a message could not be sent; the rest are
// then not sent.
func (b *Bot) sendHTML(ctx context.Context, r reply, msgs []string, markup *tgbotapi.InlineKeyboardMarkup, edit int) error {
	for i, text := range msgs {
		params := tgbotapi.Params{}
		params.AddNonZero64("chat_id", r.chat)
		if i == len(msgs)-1 && markup != nil {
			if err := params.AddInterface("reply_markup", markup); err != nil {
				b.log.Error("encode reply markup", "err", err)
			}
		}
		params["text"] = text
		params["parse_mode"] = tgbotapi.ModeHTML
		plain := tgbotapi.Params{}
		for k, v := range params {
			plain[k] = v
		}
		delete(plain, "parse_mode")
		plain["text"] = html.UnescapeString(tags.ReplaceAllString(text, ""))
		if i == 0 && edit != 0 {
			params.AddNonZero("message_id", edit)
			plain.AddNonZero("message_id", edit)
			if _, err := b.send.send(ctx, "editMessageText", r.chat, params, plain); err == nil {
				continue
			} else {
				b.log.Warn("edit answer into place; sending it anew", "chat", r.chat, "err", err)
			}
			delete(params, "message_id")
			delete(plain, "message_id")
		}
		for _, p := range []tgbotapi.Params{params, plain} {
			p.AddNonZero("message_thread_id", r.thread)
			if i == 0 && r.to != 0 {
				p.AddNonZero("reply_to_message_id", r.to)
				p.AddBool("allow_sending_without_reply", true)
			}
		}
		if _, err := b.send.send(ctx, "sendMessage", r.chat, params, plain); err != nil {
			b.log.Error("send reply", "chat", r.chat, "part", i+1, "parts", len(msgs), "err", err)
			return fmt.Errorf("send reply %d of %d to chat %d: %w", i+1, len(msgs), r.chat, err)
		}
	}
	return nil
}

// contextClient ties every request to ctx, which the library cannot do.
type contextClient struct {
	client tgbotapi.HTTPClient
	ctx    context.Context
}

func (c contextClient) Do(req *http.Request) (*http.Response, error) {
	return c.client.Do(req.WithContext(c.ctx))
}
