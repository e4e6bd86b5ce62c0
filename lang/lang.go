// Package lang tells which language a person writes in: from the script
// and the common words of what they wrote, when that is enough to tell,
// else from the language their Telegram app is set to, else English. It
// is small and deterministic on purpose: a reply's fixed texts and the
// language an answer is asked for depend on it, and the same message must
// always get the same language.
package lang

import "strings"

// Default is the language of a person nothing tells about.
const Default = "en"

// Detect returns the BCP-47 base tag ("en", "ru", "de", "uk", …) of the
// language text is written in. The text decides when it can: its script
// (Cyrillic, Greek, Arabic, CJK, …) and, for Latin and Cyrillic, the
// letters and common words of one language. Otherwise languageCode
// decides: Telegram's User.LanguageCode, the language of the user's app
// ("ru", "en-US", "pt-br"), of which only the base is kept. Otherwise
// Default. Commands (/start), mentions (@bot) and links are left out of
// the text, since they are the same in every language.
func Detect(languageCode, text string) string {
	fallback := Base(languageCode)
	if fallback == "" {
		fallback = Default
	}
	s := scan(text)
	switch script := s.script(); script {
	case "":
		return fallback
	case latin:
		return s.latinLanguage(fallback)
	case cyrillic:
		return s.cyrillicLanguage(fallback)
	case han:
		if fallback == "ja" {
			return "ja" // kanji alone: Japanese written without kana
		}
		return "zh"
	default:
		return otherScript(script, fallback)
	}
}

// Base returns the base language of a language code, lower case: "en"
// for "en-US", "pt" for "pt_BR". It returns "" for a code that is not
// one (empty, or not two or three letters before any region).
func Base(code string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(code)), "-")
	base, _, _ = strings.Cut(base, "_")
	if len(base) < 2 || len(base) > 3 {
		return ""
	}
	for _, r := range base {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return base
}

// Name returns the English name of a language, by tag or language code
// ("Russian" for "ru" or "ru-RU"), for prompts that ask for an answer in
// it. An unknown language is named by its base tag; no language at all
// is English.
func Name(tag string) string {
	base := Base(tag)
	if base == "" {
		return names[Default]
	}
	if n, ok := names[base]; ok {
		return n
	}
	return base
}

// names are the English names of the languages people commonly set
// their Telegram apps to.
var names = map[string]string{
	"af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
	"bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech",
	"da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
	"es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
	"fr": "French", "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "he": "Hebrew",
	"hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
	"is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
	"km": "Khmer", "kn": "Kannada", "ko": "Korean", "ky": "Kyrgyz", "lt": "Lithuanian",
	"lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi",
	"ms": "Malay", "my": "Burmese", "nb": "Norwegian", "ne": "Nepali", "nl": "Dutch",
	"no": "Norwegian", "pa": "Punjabi", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
	"ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian",
	"sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik",
	"th": "Thai", "tk": "Turkmen", "tl": "Filipino", "tr": "Turkish", "uk": "Ukrainian",
	"ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "zh": "Chinese", "tt": "Tatar",
	"ba": "Bashkir", "ps": "Pashto", "yi": "Yiddish",
}
