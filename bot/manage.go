package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/library"
)

// articlesPerPage is how many articles one /articles page lists.
const articlesPerPage = 15

// articlesPrefix starts the callback data of the /articles page buttons:
// "articles:<page>", pages counted from 1.
const articlesPrefix = "articles:"

// manager lists and removes articles; *library.Library is one.
type manager interface {
	Articles() []library.Article
	StageRemove(ctx context.Context, id, owner string) (library.Staged, []library.Article, error)
}

// articlesPage is page n (from 1) of the /articles list, in language l,
// with the buttons to the pages beside it.
func (b *Bot) articlesPage(l string, n int) (string, *tgbotapi.InlineKeyboardMarkup) {
	m, ok := b.lib.(manager)
	if !ok {
		return b.sourceList(l), nil
	}
	all := m.Articles()
	pages := max(1, (len(all)+articlesPerPage-1)/articlesPerPage)
	n = min(max(n, 1), pages)
	from, to := (n-1)*articlesPerPage, min(n*articlesPerPage, len(all))
	var s strings.Builder
	s.WriteString(tr(l, msgArticlesHead, from+1, to, len(all)))
	for _, a := range all[from:to] {
		fmt.Fprintf(&s, "\n<code>%s</code> %s · %d %s", html.EscapeString(a.ID), articleLine(l, a), a.Passages, plural(l, a.Passages, msgPassages))
	}
	s.WriteString(tr(l, msgArticlesFoot))
	var row []tgbotapi.InlineKeyboardButton
	if n > 1 {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(tr(l, msgPrevPage), articlesPrefix+strconv.Itoa(n-1)))
	}
	if n < pages {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(tr(l, msgNextPage), articlesPrefix+strconv.Itoa(n+1)))
	}
	if len(row) == 0 {
		return s.String(), nil
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(row)
	return s.String(), &kb
}

// listArticles answers /articles [page].
func (b *Bot) listArticles(ctx context.Context, r reply, arg string) {
	n, _ := strconv.Atoi(strings.TrimSpace(arg))
	text, kb := b.articlesPage(r.lang, n)
	b.sendHTML(ctx, r, []string{text}, kb, 0)
}

// articlesCallback turns an /articles message to another page.
func (b *Bot) articlesCallback(ctx context.Context, q *tgbotapi.CallbackQuery) {
	if q.From == nil || q.Message == nil || q.Message.Chat == nil || !b.cfg.Admins[q.From.ID] {
		b.answerCallback(ctx, q, tr(userLang(q.From), msgAdminOnly))
		return
	}
	b.answerCallback(ctx, q, "")
	n, _ := strconv.Atoi(strings.TrimPrefix(q.Data, articlesPrefix))
	l := userLang(q.From)
	text, kb := b.articlesPage(l, n)
	r := reply{user: q.From.ID, chat: q.Message.Chat.ID, private: q.Message.Chat.IsPrivate(), lang: l}
	b.sendHTML(ctx, r, []string{text}, kb, q.Message.MessageID)
}

// askRemove answers /remove <id>: nothing changes until the admin who
// asked presses Remove (within library.StageTTL).
func (b *Bot) askRemove(ctx context.Context, r reply, id string) {
	id = strings.TrimSpace(id)
	m, ok := b.lib.(manager)
	if id == "" || !ok {
		b.say(ctx, r, r.t(msgRemoveUsage))
		return
	}
	staged, found, err := m.StageRemove(ctx, id, uploadOwner(r.user, r.chat))
	switch {
	case errors.Is(err, library.ErrNoArticle):
		b.say(ctx, r, r.t(msgNoSuchArticle, html.EscapeString(id)))
		return
	case errors.Is(err, library.ErrEmbedded):
		b.say(ctx, r, r.t(msgEmbedded))
		return
	case err != nil:
		b.log.Error("stage removal", "article", id, "user", r.user, "err", err)
		b.say(ctx, r, r.t(msgNotRemoved, html.EscapeString(err.Error())))
		return
	}
	b.log.Info("asking before removing an article", "article", id, "user", r.user)
	old := make([]string, len(found))
	for i, a := range found {
		old[i] = articleHTML(r.lang, a)
	}
	mins := int(time.Until(staged.Expires).Round(time.Minute) / time.Minute)
	text := r.t(msgRemoveAsk, strings.Join(old, r.t(msgAnd)), mins, plural(r.lang, mins, msgMinutes))
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(r.t(msgRemoveButton), uploadPrefix+"replace:"+staged.Token),
		tgbotapi.NewInlineKeyboardButtonData(r.t(msgCancelButton), uploadPrefix+"cancel:"+staged.Token),
	))
	b.sendHTML(ctx, r, []string{text}, &kb, 0)
}
