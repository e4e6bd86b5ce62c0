package lang

import (
	"strings"
	"unicode"
)

// Scripts a text is told apart by.
const (
	latin      = "latin"
	cyrillic   = "cyrillic"
	greek      = "greek"
	arabic     = "arabic"
	hebrew     = "hebrew"
	han        = "han"
	kana       = "kana"
	hangul     = "hangul"
	thai       = "thai"
	devanagari = "devanagari"
	georgian   = "georgian"
	armenian   = "armenian"
)

// scripts are the Unicode tables of the scripts, in the order they are
// tried for each letter.
var scripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{latin, unicode.Latin}, {cyrillic, unicode.Cyrillic}, {greek, unicode.Greek},
	{arabic, unicode.Arabic}, {hebrew, unicode.Hebrew}, {han, unicode.Han},
	{kana, unicode.Hiragana}, {kana, unicode.Katakana}, {hangul, unicode.Hangul},
	{thai, unicode.Thai}, {devanagari, unicode.Devanagari}, {georgian, unicode.Georgian},
	{armenian, unicode.Armenian},
}

// scriptLanguage is the language a script other than Latin and Cyrillic
// stands for, unless the language code names another written in it.
var scriptLanguage = map[string]string{
	greek: "el", arabic: "ar", hebrew: "he", kana: "ja", hangul: "ko",
	thai: "th", devanagari: "hi", georgian: "ka", armenian: "hy",
}

// writtenIn is the script of languages not written in Latin letters.
var writtenIn = map[string]string{
	"ru": cyrillic, "uk": cyrillic, "be": cyrillic, "bg": cyrillic, "sr": cyrillic,
	"mk": cyrillic, "kk": cyrillic, "ky": cyrillic, "mn": cyrillic, "tg": cyrillic,
	"tt": cyrillic, "ba": cyrillic, "ps": arabic, "yi": hebrew,
	"el": greek, "ar": arabic, "fa": arabic, "ur": arabic,
	"he": hebrew, "zh": han, "ja": kana, "ko": hangul, "th": thai,
	"hi": devanagari, "mr": devanagari, "ne": devanagari, "ka": georgian, "hy": armenian,
}

// scanned is what Detect reads of a text: its letters by script, its
// words in lower case, and its runes, for the letters only one
// language uses.
type scanned struct {
	letters map[string]int
	words   []string
	runes   map[rune]int
}

// scan reads text, leaving out commands, mentions, hashtags and links.
func scan(text string) scanned {
	s := scanned{letters: map[string]int{}, runes: map[rune]int{}}
	for _, tok := range strings.Fields(text) {
		if strings.ContainsAny(tok[:1], "/@#") || strings.Contains(tok, "://") {
			continue
		}
		tok = strings.ToLower(tok)
		for _, r := range tok {
			s.runes[r]++
			if !unicode.IsLetter(r) {
				continue
			}
			for _, sc := range scripts {
				if unicode.Is(sc.table, r) {
					s.letters[sc.name]++
					break
				}
			}
		}
		s.words = append(s.words, strings.FieldsFunc(tok, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r)
		})...)
	}
	return s
}

// script returns the script the text is written in, or "" when it has
// too few letters to tell. A script other than Latin wins with at least
// two letters and half as many as the Latin ones: names and terms are
// often left in Latin letters inside a text in another script.
func (s scanned) script() string {
	other, n := "", 0
	for _, sc := range scripts { // in order, so that a tie is decided the same way every time
		if sc.name != latin && s.letters[sc.name] > n {
			other, n = sc.name, s.letters[sc.name]
		}
	}
	if n >= 2 && 2*n >= s.letters[latin] {
		if other == han && s.letters[kana] > 0 {
			return kana // Japanese mixes kanji and kana
		}
		return other
	}
	if s.letters[latin] > 0 {
		return latin
	}
	return ""
}

// count returns how many of the runes of letters the text has.
func (s scanned) count(letters string) int {
	n := 0
	for _, r := range letters {
		n += s.runes[r]
	}
	return n
}

// cyrillicMarks are letters of one Cyrillic language and not Russian,
// tried in order; also are languages sharing them, which the language
// code then picks.
var cyrillicMarks = []struct {
	letters, lang string
	also          []string
}{
	{"ў", "be", nil},
	{"әғқңөұүһ", "kk", []string{"ky", "mn", "tt", "ba", "tg"}},
	{"ђћџ", "sr", nil},
	{"ѓќѕ", "mk", nil},
	{"јљњ", "sr", []string{"mk"}},
}

// cyrillicWords are common words of Russian and of Ukrainian spelt
// without the letters that tell the two apart.
var cyrillicWords = map[string][]string{
	"ru": {"и", "что", "как", "где", "кто", "когда", "это", "или", "сколько", "почему", "о",
		"об", "был", "была", "было", "были", "его", "она", "они", "он", "меня", "мне", "ли"},
	"uk": {"що", "як", "де", "хто", "коли", "це", "або", "скільки", "чому", "й", "про",
		"його", "вона", "вони", "мене", "мені", "чи", "та"},
}

// cyrillicLanguage tells the language of a Cyrillic text: one with
// letters only another language has is in that language; else Ukrainian
// or Russian, whichever has more of its letters (і ї є ґ, or ы э ё) and
// common words; else the language code's if it names another Cyrillic
// language (Bulgarian has no letters of its own, and shares words with
// Russian, which are then not counted); else Russian.
func (s scanned) cyrillicLanguage(fallback string) string {
	for _, m := range cyrillicMarks {
		if s.count(m.letters) == 0 {
			continue
		}
		for _, a := range m.also {
			if a == fallback {
				return fallback
			}
		}
		return m.lang
	}
	uk, ru := s.count("іїєґ"), s.count("ыэё")
	if other := writtenIn[fallback] == cyrillic && fallback != "ru" && fallback != "uk"; !other {
		uk += s.countWords(cyrillicWords["uk"])
		ru += s.countWords(cyrillicWords["ru"])
	}
	switch {
	case uk > ru:
		return "uk"
	case ru > uk:
		return "ru"
	case writtenIn[fallback] == cyrillic:
		return fallback
	}
	return "ru"
}

// countWords returns how many of the text's words are among words.
func (s scanned) countWords(words []string) int {
	n := 0
	for _, w := range s.words {
		for _, c := range words {
			if w == c {
				n++
				break
			}
		}
	}
	return n
}

// otherScript returns the language of a text in a script other than
// Latin and Cyrillic: the language code's if it is written in that
// script (Persian and Urdu in Arabic letters), else the script's own.
func otherScript(script, fallback string) string {
	if writtenIn[fallback] == script {
		return fallback
	}
	return scriptLanguage[script]
}
