package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/webfetch"
)

// AddTimeout bounds fetching, extracting and loading one linked article;
// a fetch's own limit (Config.Fetch.Timeout) must be within it.
const AddTimeout = 2 * time.Minute

// bareLink returns the link a message is made of alone, if it is one.
func bareLink(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if strings.ContainsFunc(text, unicode.IsSpace) {
		return "", false
	}
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return text, true
}

// isLink reports whether a message is a link alone.
func isLink(text string) bool {
	_, ok := bareLink(text)
	return ok
}

// addLink fetches the article at a link an admin sent, saves it into the
// corpus as Markdown with front matter, and reloads. An article of the
// same id is not replaced unasked: the admin gets Replace and Cancel, as
// for an uploaded file.
func (b *Bot) addLink(ctx context.Context, r reply, link string) {
	ctx, cancel := context.WithTimeout(ctx, AddTimeout)
	defer cancel()
	go b.typing(ctx, r.chat)
	page, err := b.fetch.Fetch(ctx, link)
	if err != nil {
		b.log.Warn("article link not fetched", "user", r.user, "url", link, "err", err)
		b.say(ctx, r, r.t(msgLinkFailed, html.EscapeString(err.Error())))
		return
	}
	a, err := webArticle(page)
	if err != nil {
		b.log.Warn("no article in the linked page", "user", r.user, "url", page.URL, "err", err)
		b.say(ctx, r, r.t(msgLinkFailed, html.EscapeString(err.Error())))
		return
	}
	name := articleName(a) + ".md"
	data := a.Markdown()
	rep, err := b.lib.Add(ctx, name, data)
	var exists *library.ExistsError
	if errors.As(err, &exists) {
		b.askReplace(ctx, r, name, data, exists)
		return
	}
	if err != nil {
		b.log.Error("add linked article; the old corpus keeps serving", "file", name, "url", page.URL, "user", r.user, "err", err)
		msg := r.t(msgNotAdded, html.EscapeString(err.Error()))
		if errors.Is(err, library.ErrEmbedded) {
			msg = r.t(msgEmbedded)
		}
		b.say(ctx, r, msg)
		return
	}
	b.log.Info("article added from a link", "file", name, "url", page.URL, "user", r.user, "version", rep.Version, "docs", rep.Docs)
	if b.cfg.Peers != nil {
		b.cfg.Peers.Announce(ctx, rep.Version)
	}
	b.say(ctx, r, r.t(msgAddedLink, articleLine(r.lang, rep.Article), rep.Article.Passages,
		plural(r.lang, rep.Article.Passages, msgPassages), html.EscapeString(rep.Article.ID), html.EscapeString(rep.Version)))
}

// webArticle makes the article of a fetched page: HTML through the
// extractor, plain text read as a text file of the corpus is.
func webArticle(page webfetch.Page) (corpus.WebArticle, error) {
	if page.HTML {
		a, err := corpus.ExtractHTML(page.Body, page.URL)
		if err == nil && a.URL == "" {
			a.URL = page.URL
		}
		return a, err
	}
	doc, _, err := corpus.Parse("page", page.Body)
	if err != nil {
		return corpus.WebArticle{}, err
	}
	a := corpus.WebArticle{Title: doc.Title, Source: doc.Source, URL: page.URL, Date: doc.Date, Text: doc.Text}
	if a.Source == "" {
		if u, err := url.Parse(page.URL); err == nil {
			a.Source = strings.TrimPrefix(u.Hostname(), "www.")
		}
	}
	return a, nil
}

// articleName makes a file name (without extension) for an article from
// the web: its site and the last part of its URL's path
// ("lakesidecourier-biden-putin-arms-talks"), else its title, so the same
// link added again is the same article.
func articleName(a corpus.WebArticle) string {
	var parts []string
	if u, err := url.Parse(a.URL); err == nil && u.Host != "" {
		host := strings.TrimPrefix(u.Hostname(), "www.")
		if i := strings.LastIndex(host, "."); i > 0 {
			host = host[:i]
		}
		parts = append(parts, host)
		last := strings.TrimSuffix(path.Base(strings.TrimRight(u.Path, "/")), path.Ext(u.Path))
		if last == "." || last == "/" || last == "" {
			last = a.Title
		}
		parts = append(parts, last)
	} else {
		parts = append(parts, a.Title)
	}
	slug := slugify(strings.Join(parts, "-"))
	if slug == "" {
		slug = fmt.Sprintf("article-%d", time.Now().Unix())
	}
	return slug
}

// slugify keeps letters and digits, lower-cased, joined by single dashes,
// within 80 bytes.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	for len(out) > 80 {
		i := strings.LastIndexByte(out[:80], '-')
		if i <= 0 {
			out = strings.ToValidUTF8(out[:80], "")
			break
		}
		out = out[:i]
	}
	return out
}

// articleLine describes an article in a message: its title, linked to
// its URL when it has one, then source and date.
func articleLine(l string, a library.Article) string {
	title := a.Title
	if title == "" {
		title = tr(l, msgUntitled)
	}
	s := "<b>" + html.EscapeString(title) + "</b>"
	if u := safeLink(a.URL); u != "" {
		s = `<a href="` + html.EscapeString(u) + `">` + s + "</a>"
	}
	if meta := joinNonEmpty(", ", a.Source, displayDate(l, a.Date)); meta != "" {
		s += " — " + html.EscapeString(meta)
	}
	return s
}

// safeLink returns u if it is an http(s) link fit for an href, else "".
func safeLink(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// displayDate shows an ISO date as a date ("16 June 2021"; in Russian
// "16.06.2021"); a date without its year, or anything else, as written.
func displayDate(l, d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	if l == "ru" {
		return t.Format("02.01.2006")
	}
	return t.Format("2 January 2006")
}
