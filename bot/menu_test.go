package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/faketelegram"
)

// adminCommands are the commands only admins see.
var adminCommands = []string{"add", "articles", "remove", "reload", "stats"}

// TestAdminCommandsInHelpAndMenu: the admin commands are in Telegram's
// command menu of each admin's private chat (a chat scope), in every
// language the bot speaks, and in /help and /start for an admin in a
// private chat; everyone else's menu and help, and an admin's help in a
// group, leave them out.
func TestAdminCommandsInHelpAndMenu(t *testing.T) {
	h := startUploadBot(t) // admins 42 and 43
	if !h.tg.WaitFor(10*time.Second, func() bool { return h.tg.Calls("getUpdates") > 0 }) {
		t.Fatal("the bot did not start polling")
	}
	menu := func(scope, language string) map[string]string {
		t.Helper()
		raw := h.tg.CommandsFor(scope, language)
		if raw == "" {
			return nil
		}
		var cmds []struct{ Command, Description string }
		if err := json.Unmarshal([]byte(raw), &cmds); err != nil {
			t.Fatalf("commands of %s/%q: %v: %s", scope, language, err, raw)
		}
		out := map[string]string{}
		for _, c := range cmds {
			out[c.Command] = c.Description
		}
		return out
	}
	menus := []struct {
		scope, language string
		admin           bool
		addText         string // the description of /add, for admins
	}{
		{"default", "", false, ""},
		{"default", "ru", false, ""},
		{"chat:42", "", true, "Add an article by its link"},
		{"chat:42", "ru", true, "Добавить статью по ссылке"},
		{"chat:43", "", true, "Add an article by its link"},
		{"chat:43", "ru", true, "Добавить статью по ссылке"},
	}
	for _, m := range menus {
		got := menu(m.scope, m.language)
		for _, c := range []string{"start", "help", "sources", "reset"} {
			if got[c] == "" {
				t.Errorf("%s/%q menu lacks /%s: %v", m.scope, m.language, c, got)
			}
		}
		for _, c := range adminCommands {
			if has := got[c] != ""; has != m.admin {
				t.Errorf("%s/%q menu: /%s listed %v, want %v", m.scope, m.language, c, has, m.admin)
			}
		}
		if m.admin && got["add"] != m.addText {
			t.Errorf("%s/%q: /add described as %q, want %q", m.scope, m.language, got["add"], m.addText)
		}
	}
	if got := menu("chat:7", ""); got != nil {
		t.Errorf("a user who is not an admin has a menu of their own: %v", got)
	}

	// /help and /start.
	send := func(chat, user int64, chatType, language, text string) {
		m := h.tg.Message(chat, user, chatType, text)
		m["from"].(map[string]any)["language_code"] = language
		h.tg.Push(map[string]any{"message": m})
	}
	tests := []struct {
		name        string
		chat, user  int64
		chatType    string
		language    string
		text        string
		adminHelp   bool
		wantPhrases []string
	}{
		{"admin's /help", 42, 42, "private", "en", "/help", true, []string{"Just type a question", "<b>Admin commands</b>", "/add <code>link</code>", "/articles", "/remove <code>id</code>"}},
		{"admin's /start", 43, 43, "private", "en", "/start", true, []string{"Hello!", "Just type a question", "/remove <code>id</code>"}},
		{"admin's /help in Russian", 42, 42, "private", "ru", "/help", true, []string{"Просто напишите", "<b>Команды администратора</b>", "/remove <code>id</code>"}},
		{"user's /help", 7, 7, "private", "en", "/help", false, []string{"Just type a question"}},
		{"user's /start", 8, 8, "private", "en", "/start", false, []string{"Hello!"}},
		{"admin's /help in a group", -100, 42, "group", "en", "/help", false, []string{"Just type a question"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(h.tg.Shown(tt.chat)) + 1
			send(tt.chat, tt.user, tt.chatType, tt.language, tt.text)
			got := h.shown(t, tt.chat, n, func(faketelegram.Sent) bool { return true }).Text
			for _, p := range tt.wantPhrases {
				if !strings.Contains(got, p) {
					t.Errorf("reply lacks %q:\n%s", p, got)
				}
			}
			for _, c := range adminCommands {
				if has := strings.Contains(got, "/"+c); has != tt.adminHelp {
					t.Errorf("/%s in the reply: %v, want %v:\n%s", c, has, tt.adminHelp, got)
				}
			}
		})
	}
}
