package answer

import "github.com/talkbot/talkbot/lang"

// corpusLang is the language of the articles: the index reads it, and a
// question in another language is searched for in it.
const corpusLang = "en"

// NeedsEnglish is the offline reply to a question in another language
// than the articles': offline answers pick sentences by the question's
// words, which only match in the articles' own language.
const NeedsEnglish = "Without a language model I can only answer questions asked in English. Please ask in English."

// translations holds the fixed sentences of answers in the languages the
// bot speaks besides English.
var translations = map[string]map[string]string{
	NotCovered: {
		"ru": "В статьях об этом ничего нет.",
		"uk": "У статтях про це нічого немає.",
		"de": "Die Artikel behandeln das nicht.",
	},
	NotGrounded: {
		"ru": "Я не нашёл в статьях ответа, подтверждённого источником.",
		"uk": "Я не знайшов у статтях відповіді, підтвердженої джерелом.",
		"de": "Ich habe in den Artikeln keine belegte Antwort darauf gefunden.",
	},
	NeedsEnglish: {
		"ru": "Без языковой модели я отвечаю только на вопросы на английском. Пожалуйста, задайте вопрос по-английски.",
		"uk": "Без мовної моделі я відповідаю лише на запитання англійською. Будь ласка, поставте запитання англійською.",
		"de": "Ohne Sprachmodell beantworte ich nur Fragen auf Englisch. Bitte fragen Sie auf Englisch.",
	},
}

// askerLang is the language to answer req in: the one its sender set,
// else the one its question is written in.
func askerLang(req Request) string {
	if req.Lang != "" {
		return lang.Base(req.Lang)
	}
	return lang.Detect("", req.Question)
}

// localize puts the fixed sentence of a refusal into the asker's
// language, where the bot has it; answers are written in it already.
func localize(a Answer, tag string) Answer {
	if a.Answered {
		return a
	}
	if t, ok := translations[a.Text][tag]; ok {
		a.Text = t
	}
	return a
}
