package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/library"
)

// isArticleFile reports whether a sent file looks like an article the
// corpus can load.
func isArticleFile(name string) bool {
	return corpus.IsArticleName(name)
}

// upload adds an admin's article file to the corpus and reloads it.
func (b *Bot) upload(ctx context.Context, r reply, doc *tgbotapi.Document) {
	name, err := library.SafeName(doc.FileName)
	switch {
	case err != nil:
		b.say(ctx, r, r.t(msgBadFile, html.EscapeString(err.Error())))
		return
	case doc.FileSize > b.cfg.MaxUpload:
		b.say(ctx, r, r.t(msgFileTooLarge, b.cfg.MaxUpload>>10))
		return
	}
	data, err := b.download(ctx, doc.FileID)
	if err != nil {
		b.log.Error("download article file", "file", name, "err", err)
		b.say(ctx, r, r.t(msgDownloadFailed, html.EscapeString(err.Error())))
		return
	}
	rep, err := b.lib.Add(ctx, name, data)
	var exists *library.ExistsError
	if errors.As(err, &exists) {
		b.askReplace(ctx, r, doc.FileName, data, exists)
		return
	}
	if err != nil {
		b.log.Error("add article file; the old corpus keeps serving", "file", name, "user", r.user, "err", err)
		msg := r.t(msgNotAdded, html.EscapeString(err.Error()))
		if errors.Is(err, library.ErrEmbedded) {
			msg = r.t(msgEmbedded)
		}
		b.say(ctx, r, msg)
		return
	}
	b.log.Info("article added", "file", name, "user", r.user, "version", rep.Version, "docs", rep.Docs)
	if b.cfg.Peers != nil {
		b.cfg.Peers.Announce(ctx, rep.Version)
	}
	b.say(ctx, r, r.t(msgAdded, html.EscapeString(name))+reloaded(r.lang, rep))
}

// uploadPrefix starts the callback data of the Replace and Cancel
// buttons under the question an upload in the way of an article asks:
// "upload:replace:<token>" and "upload:cancel:<token>". The callback
// handler passes such presses to uploadCallback.
const uploadPrefix = "upload:"

// stager holds an upload until an admin confirms it replaces articles;
// *library.Library is one. It is apart from Library, so that the bot works
// with a library that cannot replace (it then only says what is in the way).
type stager interface {
	Stage(name string, data []byte, owner string) (library.Staged, error)
	Check(token, owner string) error
	Confirm(ctx context.Context, token, owner string) (library.Staged, library.Report, error)
	Discard(token, owner string) (library.Staged, error)
}

// uploadOwner names who may answer a staged upload: the admin who sent
// it, in the chat it was sent to.
func uploadOwner(user, chat int64) string { return fmt.Sprintf("%d@%d", user, chat) }

// askReplace answers an upload that would replace articles: nothing is
// written; the file is staged and the admin asked, with Replace and
// Cancel buttons, whether to replace them.
func (b *Bot) askReplace(ctx context.Context, r reply, sent string, data []byte, ex *library.ExistsError) {
	b.log.Info("uploaded article is in the way of others; asking before replacing", "file", ex.Name, "article", ex.New.ID, "user", r.user)
	var s strings.Builder
	if len(ex.Existing) == 1 {
		s.WriteString(r.t(msgExistsOne, articleHTML(r.lang, ex.Existing[0])))
	} else {
		s.WriteString(r.t(msgExistsMany))
		for _, a := range ex.Existing {
			s.WriteString("\n• " + articleHTML(r.lang, a))
		}
		s.WriteString(r.t(msgReplaceThem))
	}
	if strings.TrimSpace(sent) != ex.Name {
		s.WriteString(r.t(msgSavedAs, html.EscapeString(sent), html.EscapeString(ex.Name)))
	}
	s.WriteString(r.t(msgNewArticle, articleHTML(r.lang, ex.New)))
	st, ok := b.lib.(stager)
	if !ok {
		s.WriteString(r.t(msgCannotReplace))
		b.say(ctx, r, s.String())
		return
	}
	staged, err := st.Stage(ex.Name, data, uploadOwner(r.user, r.chat))
	if err != nil {
		b.log.Error("stage upload", "file", ex.Name, "err", err)
		b.say(ctx, r, r.t(msgNotAdded, html.EscapeString(err.Error())))
		return
	}
	mins := int(time.Until(staged.Expires).Round(time.Minute) / time.Minute)
	s.WriteString(r.t(msgReplaceWithin, mins, plural(r.lang, mins, msgMinutes)))
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(r.t(msgReplaceButton), uploadPrefix+"replace:"+staged.Token),
		tgbotapi.NewInlineKeyboardButtonData(r.t(msgCancelButton), uploadPrefix+"cancel:"+staged.Token),
	))
	b.sendHTML(ctx, r, []string{s.String()}, &kb, 0)
}

// articleHTML describes an article for a message in language l: id,
// title, passages and file.
func articleHTML(l string, a library.Article) string {
	title := a.Title
	if title == "" {
		title = tr(l, msgUntitled)
	}
	return tr(l, msgArticle, html.EscapeString(a.ID), html.EscapeString(title), a.Passages,
		plural(l, a.Passages, msgPassages), html.EscapeString(a.File))
}

// uploadCallback handles a press of Replace or Cancel under the question
// askReplace asked. Only the admin who sent the file, in the chat it was
// sent to, may answer; anyone else is told so and the question stays.
// The question is then edited into its outcome, which drops the buttons.
func (b *Bot) uploadCallback(ctx context.Context, q *tgbotapi.CallbackQuery) {
	action, token, _ := strings.Cut(strings.TrimPrefix(q.Data, uploadPrefix), ":")
	st, ok := b.lib.(stager)
	if q.From == nil || q.Message == nil || q.Message.Chat == nil || !ok {
		b.answerCallback(ctx, q, tr(userLang(q.From), msgCannotAnswer))
		return
	}
	user, chat := q.From.ID, q.Message.Chat.ID
	owner := uploadOwner(user, chat)
	r := reply{user: user, chat: chat, private: q.Message.Chat.IsPrivate(), lang: userLang(q.From)}
	edit := q.Message.MessageID
	err := st.Check(token, owner)
	if !b.cfg.Admins[user] {
		err = library.ErrNotOwner
	}
	switch {
	case errors.Is(err, library.ErrNotOwner):
		b.log.Warn("upload answer refused: not the admin who sent the file", "user", user, "chat", chat, "action", action)
		b.answerCallback(ctx, q, r.t(msgNotYourFile))
		return
	case err != nil || action != "replace" && action != "cancel":
		b.answerCallback(ctx, q, r.t(msgExpiredToast))
		b.sendHTML(ctx, r, []string{r.t(msgExpired)}, nil, edit)
		return
	case action == "cancel":
		staged, err := st.Discard(token, owner)
		if err != nil {
			b.answerCallback(ctx, q, r.t(msgExpiredToast))
			return
		}
		b.answerCallback(ctx, q, r.t(msgCancelledToast))
		if staged.Remove {
			b.log.Info("removal cancelled", "article", staged.ID, "user", user)
			b.sendHTML(ctx, r, []string{r.t(msgRemoveCancelled, html.EscapeString(staged.ID))}, nil, edit)
			return
		}
		b.log.Info("upload cancelled", "file", staged.Name, "user", user)
		b.sendHTML(ctx, r, []string{r.t(msgCancelled, html.EscapeString(staged.Name))}, nil, edit)
		return
	}
	b.answerCallback(ctx, q, r.t(msgReplacingToast)) // now: the reload may take a while
	staged, rep, err := st.Confirm(ctx, token, owner)
	switch {
	case errors.Is(err, library.ErrNotStaged) || errors.Is(err, library.ErrNotOwner):
		b.sendHTML(ctx, r, []string{r.t(msgExpired)}, nil, edit)
		return
	case staged.Remove && err != nil:
		b.log.Error("remove article; the old corpus keeps serving", "article", staged.ID, "user", user, "err", err)
		b.sendHTML(ctx, r, []string{r.t(msgNotRemoved, html.EscapeString(err.Error()))}, nil, edit)
		return
	case staged.Remove:
		b.log.Info("article removed", "article", staged.ID, "file", staged.Name, "user", user, "version", rep.Version, "docs", rep.Docs)
		if b.cfg.Peers != nil {
			b.cfg.Peers.Announce(ctx, rep.Version)
		}
		old := make([]string, len(rep.Replaced))
		for i, a := range rep.Replaced {
			old[i] = articleHTML(r.lang, a)
		}
		b.sendHTML(ctx, r, []string{r.t(msgRemoved, strings.Join(old, r.t(msgAnd))) + reloaded(r.lang, rep)}, nil, edit)
		return
	case err != nil:
		b.log.Error("replace article; the old corpus keeps serving", "file", staged.Name, "user", user, "err", err)
		b.sendHTML(ctx, r, []string{r.t(msgNotReplaced, html.EscapeString(err.Error()))}, nil, edit)
		return
	}
	var replaced []string
	for _, a := range rep.Replaced {
		replaced = append(replaced, a.File)
	}
	b.log.Info("article replaced", "file", staged.Name, "replaced", replaced, "user", user, "version", rep.Version, "docs", rep.Docs)
	if b.cfg.Peers != nil {
		b.cfg.Peers.Announce(ctx, rep.Version)
	}
	old := make([]string, len(rep.Replaced))
	for i, a := range rep.Replaced {
		old[i] = articleHTML(r.lang, a)
	}
	msg := r.t(msgReplaced, strings.Join(old, r.t(msgAnd)), articleHTML(r.lang, rep.Article)) + reloaded(r.lang, rep)
	b.sendHTML(ctx, r, []string{msg}, nil, edit)
}

// answerCallback answers a button press, with note shown as a toast when
// not empty.
func (b *Bot) answerCallback(ctx context.Context, q *tgbotapi.CallbackQuery, note string) {
	if err := b.send.request(ctx, tgbotapi.NewCallback(q.ID, note)); err != nil {
		b.log.Warn("answer callback", "err", err)
	}
}

// download fetches a file from the configured Bot API server: the
// library's File.Link always points at Telegram's public host.
func (b *Bot) download(ctx context.Context, fileID string) ([]byte, error) {
	resp, err := b.api.MakeRequest("getFile", tgbotapi.Params{"file_id": fileID})
	if err != nil {
		return nil, fmt.Errorf("get file: %w", err)
	}
	var f tgbotapi.File
	if err := json.Unmarshal(resp.Result, &f); err != nil || f.FilePath == "" {
		return nil, errors.New("get file: no file path in the reply")
	}
	if f.FileSize > b.cfg.MaxUpload {
		return nil, fmt.Errorf("the file is over %d KB", b.cfg.MaxUpload>>10)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf(b.cfg.FileEndpoint, b.api.Token, f.FilePath), nil)
	if err != nil {
		return nil, errors.New("download: bad file endpoint") // the URL holds the token: don't quote it
	}
	res, err := b.api.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %s", strings.ReplaceAll(err.Error(), b.api.Token, "<token>"))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download: server answered %s", res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, int64(b.cfg.MaxUpload)+1))
	if err != nil {
		return nil, fmt.Errorf("download: %s", strings.ReplaceAll(err.Error(), b.api.Token, "<token>"))
	}
	if len(data) > b.cfg.MaxUpload {
		return nil, fmt.Errorf("the file is over %d KB", b.cfg.MaxUpload>>10)
	}
	return data, nil
}

// RedactURL returns a URL fit for logs and printed configuration: a
// password masked (or a user name standing alone, which is then usually
// a key), every query value masked, the keys kept to show its shape
// (?api-key=xxxxx: Azure-style endpoints carry keys so), the fragment
// masked, and the bot token, whole or its secret part after the ':',
// replaced by <token> wherever it appears (people put it in webhook
// paths: https://host/bot<TOKEN>/hook); url.URL.Redacted hides only a
// password. A URL that does not parse is not shown at all, since a
// credential could then be anywhere in it.
//
// It lives here, not in webhook.go, only while that file is being edited
// by others.
func RedactURL(raw, token string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(set, but not a valid URL)"
	}
	const mask = "xxxxx"
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), mask)
		} else {
			u.User = url.User(mask)
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok {
				parts[i] = k + "=" + mask
			} else if p != "" {
				parts[i] = mask
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = mask, ""
	}
	secrets := tokenSecrets(token)
	// In the path, match the token decoded (":" may be written %3A), and
	// mark it with a string escaping leaves alone, to be replaced after.
	const marker = "REDACTEDBOTTOKEN"
	if pieces := cutSecrets(u.Path, secrets); len(pieces) > 1 {
		u.Path, u.RawPath = strings.Join(pieces, marker), ""
	}
	s := strings.ReplaceAll(u.String(), marker, "<token>")
	for _, t := range secrets { // anywhere else: host, opaque part
		for _, form := range []string{t, url.PathEscape(t), url.QueryEscape(t)} {
			s = strings.ReplaceAll(s, form, "<token>")
		}
	}
	return s
}

// tokenSecrets returns what of a bot token to hide: the whole token and,
// when long enough to be told apart, its secret part after the bot id.
func tokenSecrets(token string) []string {
	if token == "" {
		return nil
	}
	out := []string{token}
	if _, secret, ok := strings.Cut(token, ":"); ok && len(secret) >= 8 {
		out = append(out, secret)
	}
	return out
}

// cutSecrets splits s around every occurrence of any of secrets, the
// longest first where two start at one place.
func cutSecrets(s string, secrets []string) []string {
	var pieces []string
	for {
		at, n := -1, 0
		for _, t := range secrets {
			if i := strings.Index(s, t); i >= 0 && (at < 0 || i < at || i == at && len(t) > n) {
				at, n = i, len(t)
			}
		}
		if at < 0 {
			return append(pieces, s)
		}
		pieces = append(pieces, s[:at])
		s = s[at+n:]
	}
}
