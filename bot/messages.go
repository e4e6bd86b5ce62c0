package bot

import (
	"fmt"
	"sort"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/lang"
)

// msg names one of the fixed texts the bot sends: replies to commands,
// notices, button labels and callback answers. Its text in each language
// is in catalog; answers themselves come from package answer.
type msg int

const (
	msgCmdStart msg = iota // command menu descriptions
	msgCmdHelp
	msgCmdSources
	msgCmdReset
	msgCmdAdd // admin commands, in the menu of admins' private chats
	msgCmdArticles
	msgCmdRemove
	msgCmdReload
	msgCmdStats

	msgGreeting // /start: %d articles, %s an example title; followed by msgHelp
	msgHelp
	msgHelpAdmin      // follows msgHelp for admins in private chats
	msgUnknownCommand // followed by msgHelp
	msgArticleCount   // /sources heading: %d %s (msgArticles)
	msgArticles       // plural forms
	msgReset
	msgNotText
	msgNoQuestion
	msgTooLong    // %d %s (msgCharacters)
	msgCharacters // plural forms, as msgTooLong needs them
	msgNoWords
	msgFailed
	msgSlowDown // %d seconds
	msgQueueFull
	msgSourcesButton
	msgSourcesHeading
	msgSourcesGone

	msgAdminOnly
	msgReloadFailedGroup
	msgReloadFailed // %s the error
	msgReloaded     // %d documents, %d passages, %s version, %s time taken
	msgWarnings
	msgStats // %s uptime, %d answered, %d refused, %d failed, %s cache, %d LLM calls, %d errors, %s version, %d documents, %d passages
	msgStatsNoQuestions
	msgStatsCache     // %d hits, %d questions, %.0f percent
	msgStatsProcesses // %d processes

	msgBadFile        // %s the error
	msgFileTooLarge   // %d KB
	msgDownloadFailed // %s the error
	msgNotAdded       // %s the error
	msgEmbedded
	msgAdded     // %s file; followed by msgReloaded
	msgExistsOne // %s the article
	msgExistsMany
	msgReplaceThem
	msgSavedAs    // %s file sent, %s name saved as
	msgNewArticle // %s the article
	msgCannotReplace
	msgReplaceWithin // %d %s (msgMinutes)
	msgMinutes       // plural forms, as msgReplaceWithin needs them
	msgReplaceButton
	msgCancelButton
	msgArticle  // %s id, %s title, %d %s (msgPassages), %s file
	msgPassages // plural forms
	msgUntitled
	msgCannotAnswer
	msgNotYourFile
	msgExpiredToast
	msgExpired
	msgCancelledToast
	msgCancelled // %s file
	msgReplacingToast
	msgNotReplaced // %s the error
	msgReplaced    // %s old articles, %s new one; followed by msgReloaded
	msgAnd
	msgAddUsage
	msgLinkFailed   // %s the reason
	msgAddedLink    // %s the article line, %d %s (msgPassages), %s id, %s version
	msgArticlesHead // %d first, %d last, %d total
	msgArticlesFoot
	msgPrevPage
	msgNextPage
	msgRemoveUsage
	msgNoSuchArticle // %s id
	msgRemoveAsk     // %s the articles, %d %s (msgMinutes)
	msgRemoveButton
	msgRemoveCancelled // %s id
	msgRemoved         // %s the articles; followed by msgReloaded
	msgNotRemoved      // %s the error

	numMsgs // not a message: how many there are
)

// pluralMsgs are the messages that are plural forms of a word, separated
// by "|", in the order pluralForm picks them.
var pluralMsgs = map[msg]bool{msgArticles: true, msgCharacters: true, msgMinutes: true, msgPassages: true}

// catalog holds every message in every language the bot speaks, by
// base language tag. English is complete and the default; a language
// lacking a message (which TestCatalog forbids) gets the English one.
var catalog = map[string]map[msg]string{
	"en": {
		msgCmdStart:    "What this bot knows and how to ask",
		msgCmdHelp:     "How to ask questions",
		msgCmdSources:  "The articles I answer from",
		msgCmdReset:    "Forget our conversation",
		msgCmdAdd:      "Add an article by its link",
		msgCmdArticles: "List the articles, with their ids",
		msgCmdRemove:   "Remove an article by its id",
		msgCmdReload:   "Re-read the articles on the server",
		msgCmdStats:    "Counters and the corpus version",

		msgGreeting: "Hello! I answer questions about %d news articles, such as <i>%s</i>, citing the articles for every claim. ",
		msgHelp: "Just type a question about the articles, for example <i>Where did Putin and Biden last meet?</i> " +
			"I answer only from the articles, with numbered sources; tap <b>Sources</b> to read the passages. " +
			"Follow-up questions work too. /sources lists the articles, /reset starts a new conversation.",
		msgHelpAdmin: "\n\n<b>Admin commands</b>\n/add <code>link</code> adds an article from the web (or just send me the link, or a .txt, .md or .html file)\n" +
			"/articles lists the articles with their ids\n/remove <code>id</code> removes one, after you confirm\n" +
			"/reload re-reads the articles on the server\n/stats shows counters and the corpus version",
		msgUnknownCommand: "I don't know that command. ",
		msgArticleCount:   "<b>%d %s</b>\n",
		msgArticles:       "article|articles",
		msgReset:          "Done: I have forgotten our conversation. Ask me anything about the articles.",
		msgNotText:        "I can only read text. Please type your question about the articles.",
		msgNoQuestion:     "Please type a question about the articles, for example: <i>How long did the video call last?</i>",
		msgTooLong:        "That message is too long for me: please ask in at most %d %s.",
		msgCharacters:     "character|characters",
		msgNoWords:        "Please type a question about the articles.",
		msgFailed:         "Sorry, I could not answer that just now. Please try again in a moment.",
		msgSlowDown:       "You're sending messages faster than I can keep up with. Please slow down and try again in %d s.",
		msgQueueFull:      "I'm still working through your earlier messages, so I skipped the ones you just sent. Please send them again once I've replied.",
		msgSourcesButton:  "Sources",
		msgSourcesHeading: "Sources",
		msgSourcesGone:    "These sources are no longer available; please ask again.",

		msgAdminOnly:         "Sorry, only the bot's admins can do that.",
		msgReloadFailedGroup: "Reload failed; the previous corpus keeps serving. Details are in the log, or run /reload in a private chat with me.",
		msgReloadFailed:      "Reload failed; the previous corpus keeps serving.\n<pre>%s</pre>",
		msgReloaded:          "Reloaded: %d documents, %d passages, version <code>%s</code>, in %s.",
		msgWarnings:          "\nWarnings:\n",
		msgStats:             "Uptime %s\nQuestions: %d answered, %d not in the articles, %d failed\nCache: %s\nLLM calls: %d, errors: %d\nCorpus <code>%s</code>: %d documents, %d passages",
		msgStatsNoQuestions:  "no questions yet",
		msgStatsCache:        "%d hits of %d questions (%.0f%%)",
		msgStatsProcesses:    "\nProcesses (%d):",

		msgBadFile:         "I can't add that file: %s",
		msgFileTooLarge:    "That file is too large: articles can be at most %d KB.",
		msgDownloadFailed:  "I could not download that file from Telegram. Please try again; %s",
		msgNotAdded:        "I did not add that file; the articles stay as they were.\n<pre>%s</pre>",
		msgEmbedded:        "I can't add articles: I am serving my built-in articles. Set CORPUS_DIR to a directory of articles and restart me to add your own.",
		msgAdded:           "Added <code>%s</code>. ",
		msgExistsOne:       "An article %s already exists. Replace it?",
		msgExistsMany:      "These articles are in the way, with the same name or id:",
		msgReplaceThem:     "\nReplace them?",
		msgSavedAs:         "\nYour file <code>%s</code> is saved as <code>%s</code>.",
		msgNewArticle:      "\nThe new one: %s.",
		msgCannotReplace:   "\nI can't replace articles here, so I did not add it.",
		msgReplaceWithin:   "\nNothing changes unless you press Replace within %d %s.",
		msgMinutes:         "minute|minutes",
		msgReplaceButton:   "Replace",
		msgCancelButton:    "Cancel",
		msgArticle:         "<code>%s</code> (<i>%s</i>, %d %s, in <code>%s</code>)",
		msgPassages:        "passage|passages",
		msgUntitled:        "untitled",
		msgCannotAnswer:    "This question can no longer be answered.",
		msgNotYourFile:     "Only the admin who sent this file can answer this.",
		msgExpiredToast:    "This question has expired; nothing was changed.",
		msgExpired:         "This question expired unanswered; nothing was changed. Send the file again to replace the article.",
		msgCancelledToast:  "Cancelled.",
		msgCancelled:       "Cancelled: I did not save <code>%s</code>; the articles stay as they were.",
		msgReplacingToast:  "Replacing…",
		msgNotReplaced:     "I did not replace it; the articles stay as they were.\n<pre>%s</pre>",
		msgReplaced:        "Replaced %s\n→ %s.\n",
		msgAnd:             " and ",
		msgAddUsage:        "Send <code>/add</code> and a link to an article, e.g. <code>/add https://example.com/news/story</code>, or just send me the link.",
		msgLinkFailed:      "I could not add that link; the articles stay as they were: %s",
		msgAddedLink:       "Added %s: %d %s, as <code>%s</code>. Corpus version <code>%s</code>.",
		msgArticlesHead:    "<b>Articles %d–%d of %d</b>",
		msgArticlesFoot:    "\n\n/remove <code>id</code> removes one; /add <code>link</code> adds one.",
		msgPrevPage:        "‹ Back",
		msgNextPage:        "More ›",
		msgRemoveUsage:     "Send <code>/remove</code> and an article's id, as /articles lists them.",
		msgNoSuchArticle:   "There is no article <code>%s</code>; /articles lists them.",
		msgRemoveAsk:       "Remove %s? Nothing changes unless you press Remove within %d %s.",
		msgRemoveButton:    "Remove",
		msgRemoveCancelled: "Cancelled: <code>%s</code> stays.",
		msgRemoved:         "Removed %s. ",
		msgNotRemoved:      "I did not remove it; the articles stay as they were.\n<pre>%s</pre>",
	},
	"ru": {
		msgCmdStart:    "Что знает бот и как его спрашивать",
		msgCmdHelp:     "Как задавать вопросы",
		msgCmdSources:  "Статьи, по которым я отвечаю",
		msgCmdReset:    "Забыть наш разговор",
		msgCmdAdd:      "Добавить статью по ссылке",
		msgCmdArticles: "Список статей с их id",
		msgCmdRemove:   "Удалить статью по id",
		msgCmdReload:   "Перечитать статьи на сервере",
		msgCmdStats:    "Счётчики и версия корпуса",

		msgGreeting: "Здравствуйте! Я отвечаю на вопросы по новостным статьям (их у меня %d), например <i>%s</i>, и подкрепляю каждое утверждение ссылкой на статью. ",
		msgHelp: "Просто напишите вопрос по статьям, например: <i>Где в последний раз встречались Путин и Байден?</i> " +
			"Я отвечаю только по статьям и нумерую источники; нажмите <b>Источники</b>, чтобы прочитать сами фрагменты. " +
			"Можно задавать и уточняющие вопросы. /sources — список статей, /reset — начать разговор заново.",
		msgHelpAdmin: "\n\n<b>Команды администратора</b>\n/add <code>ссылка</code> — добавить статью из интернета (или просто пришлите ссылку либо файл .txt, .md или .html)\n" +
			"/articles — список статей с их id\n/remove <code>id</code> — удалить статью (после подтверждения)\n" +
			"/reload — перечитать статьи на сервере\n/stats — счётчики и версия корпуса",
		msgUnknownCommand: "Такой команды я не знаю. ",
		msgArticleCount:   "<b>%d %s</b>\n",
		msgArticles:       "статья|статьи|статей",
		msgReset:          "Готово: наш разговор забыт. Спрашивайте о статьях что угодно.",
		msgNotText:        "Я понимаю только текст. Пожалуйста, напишите свой вопрос по статьям.",
		msgNoQuestion:     "Напишите, пожалуйста, вопрос по статьям, например: <i>Сколько длился видеозвонок?</i>",
		msgTooLong:        "Это сообщение для меня слишком длинное: пожалуйста, уложите вопрос в %d %s.",
		msgCharacters:     "символ|символа|символов",
		msgNoWords:        "Напишите, пожалуйста, вопрос по статьям.",
		msgFailed:         "Извините, сейчас не получилось ответить. Попробуйте, пожалуйста, ещё раз чуть позже.",
		msgSlowDown:       "Вы пишете быстрее, чем я успеваю отвечать. Пожалуйста, не торопитесь и попробуйте снова через %d с.",
		msgQueueFull:      "Я ещё разбираюсь с вашими предыдущими сообщениями, поэтому только что присланные пропущены. Отправьте их, пожалуйста, ещё раз, когда я отвечу.",
		msgSourcesButton:  "Источники",
		msgSourcesHeading: "Источники",
		msgSourcesGone:    "Эти источники больше недоступны; задайте вопрос ещё раз.",

		msgAdminOnly:         "Извините, это могут делать только администраторы бота.",
		msgReloadFailedGroup: "Перезагрузить статьи не удалось; работает прежний набор. Подробности — в логе, или выполните /reload в личном чате со мной.",
		msgReloadFailed:      "Перезагрузить статьи не удалось; работает прежний набор.\n<pre>%s</pre>",
		msgReloaded:          "Статьи перезагружены: документов — %d, фрагментов — %d, версия <code>%s</code>, за %s.",
		msgWarnings:          "\nПредупреждения:\n",
		msgStats:             "Работаю уже %s\nВопросы: с ответом — %d, нет в статьях — %d, с ошибкой — %d\nКэш: %s\nВызовы LLM: %d, ошибок: %d\nКорпус <code>%s</code>: документов — %d, фрагментов — %d",
		msgStatsNoQuestions:  "вопросов ещё не было",
		msgStatsCache:        "попаданий — %d, вопросов — %d (%.0f%%)",
		msgStatsProcesses:    "\nПроцессы (%d):",

		msgBadFile:         "Не могу добавить этот файл: %s",
		msgFileTooLarge:    "Файл слишком большой: статья может занимать не больше %d КБ.",
		msgDownloadFailed:  "Не удалось скачать файл из Telegram. Попробуйте ещё раз; %s",
		msgNotAdded:        "Файл не добавлен; статьи остались прежними.\n<pre>%s</pre>",
		msgEmbedded:        "Не могу добавлять статьи: я работаю со встроенным набором. Чтобы добавлять свои, укажите в CORPUS_DIR папку со статьями и перезапустите меня.",
		msgAdded:           "Добавлен файл <code>%s</code>. ",
		msgExistsOne:       "Статья %s уже есть. Заменить её?",
		msgExistsMany:      "Мешают эти статьи — у них то же имя или id:",
		msgReplaceThem:     "\nЗаменить их?",
		msgSavedAs:         "\nВаш файл <code>%s</code> сохраняется как <code>%s</code>.",
		msgNewArticle:      "\nНовая статья: %s.",
		msgCannotReplace:   "\nЗдесь я не могу заменять статьи, поэтому файл не добавлен.",
		msgReplaceWithin:   "\nНичего не изменится, если в течение %d %s не нажать «Заменить».",
		msgMinutes:         "минуты|минут|минут",
		msgReplaceButton:   "Заменить",
		msgCancelButton:    "Отмена",
		msgArticle:         "<code>%s</code> (<i>%s</i>, %d %s, в <code>%s</code>)",
		msgPassages:        "фрагмент|фрагмента|фрагментов",
		msgUntitled:        "без названия",
		msgCannotAnswer:    "На этот вопрос уже нельзя ответить.",
		msgNotYourFile:     "Ответить может только администратор, приславший этот файл.",
		msgExpiredToast:    "Время на ответ вышло; ничего не изменилось.",
		msgExpired:         "Время на ответ вышло; ничего не изменилось. Чтобы заменить статью, пришлите файл ещё раз.",
		msgCancelledToast:  "Отменено.",
		msgCancelled:       "Отменено: <code>%s</code> не сохранён; статьи остались прежними.",
		msgReplacingToast:  "Заменяю…",
		msgNotReplaced:     "Статья не заменена; статьи остались прежними.\n<pre>%s</pre>",
		msgReplaced:        "Заменено: %s\n→ %s.\n",
		msgAnd:             " и ",
		msgAddUsage:        "Отправьте <code>/add</code> и ссылку на статью, например <code>/add https://example.com/news/story</code>, или просто пришлите ссылку.",
		msgLinkFailed:      "Не удалось добавить статью по ссылке; статьи остались прежними: %s",
		msgAddedLink:       "Добавлена статья %s: %d %s, id <code>%s</code>. Версия корпуса <code>%s</code>.",
		msgArticlesHead:    "<b>Статьи %d–%d из %d</b>",
		msgArticlesFoot:    "\n\n/remove <code>id</code> удаляет статью; /add <code>ссылка</code> добавляет.",
		msgPrevPage:        "‹ Назад",
		msgNextPage:        "Дальше ›",
		msgRemoveUsage:     "Отправьте <code>/remove</code> и id статьи из списка /articles.",
		msgNoSuchArticle:   "Статьи <code>%s</code> нет; список — /articles.",
		msgRemoveAsk:       "Удалить %s? Ничего не изменится, если в течение %d %s не нажать «Удалить».",
		msgRemoveButton:    "Удалить",
		msgRemoveCancelled: "Отменено: <code>%s</code> остаётся.",
		msgRemoved:         "Удалено: %s. ",
		msgNotRemoved:      "Статья не удалена; статьи остались прежними.\n<pre>%s</pre>",
	},
}

// pluralRules pick which of a plural message's forms goes with n, by
// language (CLDR's cardinal rules, for whole numbers).
var pluralRules = map[string]func(n int) int{
	"en": func(n int) int {
		if n == 1 {
			return 0
		}
		return 1
	},
	"ru": func(n int) int {
		n10, n100 := n%10, n%100
		switch {
		case n10 == 1 && n100 != 11:
			return 0
		case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
			return 1
		}
		return 2
	},
}

// speaks returns the catalog language to talk to someone in language
// tag: its base if the bot has its messages, else English.
func speaks(tag string) string {
	if _, ok := catalog[lang.Base(tag)]; ok {
		return lang.Base(tag)
	}
	return lang.Default
}

// tr returns message m in language tag (English if the bot does not
// speak it), formatted with args if any.
func tr(tag string, m msg, args ...any) string {
	l := speaks(tag)
	s, ok := catalog[l][m]
	if !ok {
		l, s = lang.Default, catalog[lang.Default][m]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// plural returns the form of plural message m that goes with n in
// language tag.
func plural(tag string, n int, m msg) string {
	l := speaks(tag)
	if _, ok := catalog[l][m]; !ok {
		l = lang.Default
	}
	forms := strings.Split(catalog[l][m], "|")
	return forms[min(pluralRules[l](n), len(forms)-1)]
}

// t returns message m in the language of the person replied to.
func (r reply) t(m msg, args ...any) string { return tr(r.lang, m, args...) }

// commandsIn lists the bot's commands for Telegram's menu, described in
// language tag; for an admin, the admin commands follow.
func commandsIn(tag string, admin bool) []tgbotapi.BotCommand {
	cmds := []tgbotapi.BotCommand{
		{Command: "start", Description: tr(tag, msgCmdStart)},
		{Command: "help", Description: tr(tag, msgCmdHelp)},
		{Command: "sources", Description: tr(tag, msgCmdSources)},
		{Command: "reset", Description: tr(tag, msgCmdReset)},
	}
	if admin {
		cmds = append(cmds,
			tgbotapi.BotCommand{Command: "add", Description: tr(tag, msgCmdAdd)},
			tgbotapi.BotCommand{Command: "articles", Description: tr(tag, msgCmdArticles)},
			tgbotapi.BotCommand{Command: "remove", Description: tr(tag, msgCmdRemove)},
			tgbotapi.BotCommand{Command: "reload", Description: tr(tag, msgCmdReload)},
			tgbotapi.BotCommand{Command: "stats", Description: tr(tag, msgCmdStats)},
		)
	}
	return cmds
}

// spoken returns the languages of the catalog other than the default,
// sorted.
func spoken() []string {
	var out []string
	for l := range catalog {
		if l != lang.Default {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}
