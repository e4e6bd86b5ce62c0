package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/library"
)

// isArticleFile reports whether a sent file looks like an article the
// corpus can load.
func isArticleFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".txt" || ext == ".md"
}

// upload adds an admin's article file to the corpus and reloads it.
func (b *Bot) upload(ctx context.Context, r reply, doc *tgbotapi.Document) {
	name, err := library.SafeName(doc.FileName)
	switch {
	case err != nil:
		b.say(ctx, r, "I can't add that file: "+html.EscapeString(err.Error()))
		return
	case doc.FileSize > b.cfg.MaxUpload:
		b.say(ctx, r, fmt.Sprintf("That file is too large: articles can be at most %d KB.", b.cfg.MaxUpload>>10))
		return
	}
	data, err := b.download(ctx, doc.FileID)
	if err != nil {
		b.log.Error("download article file", "file", name, "err", err)
		b.say(ctx, r, "I could not download that file from Telegram. Please try again; "+html.EscapeString(err.Error()))
		return
	}
	rep, err := b.lib.Add(ctx, name, data)
	if err != nil {
		b.log.Error("add article file; the old corpus keeps serving", "file", name, "user", r.user, "err", err)
		msg := "I did not add that file; the articles stay as they were.\n<pre>" + html.EscapeString(err.Error()) + "</pre>"
		if errors.Is(err, library.ErrEmbedded) {
			msg = "I can't add articles: I am serving my built-in articles. Set CORPUS_DIR to a directory of articles and restart me to add your own."
		}
		b.say(ctx, r, msg)
		return
	}
	b.log.Info("article added", "file", name, "user", r.user, "version", rep.Version, "docs", rep.Docs)
	if b.cfg.Peers != nil {
		b.cfg.Peers.Announce(ctx, rep.Version)
	}
	msg := fmt.Sprintf("Added <code>%s</code>. Reloaded: %d documents, %d passages, version <code>%s</code>, in %s.",
		html.EscapeString(name), rep.Docs, rep.Passages, rep.Version, rep.Took.Round(time.Millisecond))
	if len(rep.Warnings) > 0 {
		msg += "\nWarnings:\n" + html.EscapeString("• "+strings.Join(rep.Warnings, "\n• "))
	}
	b.say(ctx, r, msg)
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
