package lang

// commonWords are frequent words of the Latin-script languages told apart
// by their words: function words and question words, each of one
// language only (words two of them share, such as "de", "la", "in", "es"
// or "que", tell nothing and are left out).
var commonWords = map[string][]string{
	"en": {"the", "and", "of", "is", "are", "were", "what", "who", "whom", "whose", "where",
		"when", "why", "how", "did", "does", "which", "with", "that", "this", "these", "those",
		"have", "has", "had", "about", "from", "for", "you", "your", "they", "their", "there",
		"been", "would", "could", "should", "it", "by", "or", "be", "after", "before", "many"},
	"de": {"der", "die", "das", "und", "ist", "sind", "nicht", "ein", "eine", "einen", "einem",
		"dem", "mit", "von", "zu", "auf", "für", "wie", "wer", "wo", "wann", "warum", "wieso",
		"hat", "haben", "ich", "sie", "auch", "noch", "oder", "aber", "im", "vom", "zum", "zur",
		"über", "nach", "bei", "wurde", "wurden", "welche", "welcher", "dass", "wieviel", "viele"},
	"fr": {"les", "une", "est", "et", "qui", "quoi", "où", "quand", "comment", "pourquoi",
		"dans", "pour", "avec", "sur", "pas", "cette", "elle", "ils", "elles", "sont", "ont",
		"au", "aux", "vous", "nous", "quel", "quelle", "quels", "quelles", "combien", "été",
		"leur", "ces", "était"},
	"es": {"el", "los", "las", "y", "qué", "quién", "quiénes", "dónde", "donde", "cuándo",
		"cuando", "cómo", "cuál", "cuáles", "cuánto", "cuántos", "fue",
		"fueron", "pero", "muy", "también", "hay", "sus", "quien", "ellos", "usted"},
	"it": {"gli", "della", "delle", "dei", "degli", "dello", "che", "è", "sono", "chi", "dove",
		"perché", "quale", "quali", "nel", "nella", "nelle", "alla", "alle", "anche", "non",
		"per", "di", "questo", "questa", "cosa", "stato", "hanno", "ci"},
	"pt": {"não", "é", "são", "em", "uma", "quem", "onde", "qual", "foi", "você",
		"ao", "aos", "pelo", "pela", "os", "ele", "ela", "eles", "muito", "também", "seu",
		"sua", "isso", "estão"},
}

// latinMarks are letters and marks of one language among those of
// commonWords, counted once per word they appear in (Spanish's opening
// ¿ and ¡, once per text), with their weight.
var latinMarks = []struct {
	letters, lang string
	weight        int
}{
	{"ß", "de", 2}, {"äöü", "de", 1}, {"ñ", "es", 2}, {"ãõ", "pt", 2}, {"œ", "fr", 2},
}

// latinLanguage tells the language of a Latin-script text by its common
// words and letters: the language with the most, if one has more than
// any other. Otherwise the text cannot tell and the language code
// decides. When the language code names a Latin-script language whose
// words are not counted (Polish, Turkish, Swedish…), its speakers'
// text could share a word or an umlaut with a counted one: then two
// common words, and no mere letters, are needed to tell it is not.
func (s scanned) latinLanguage(fallback string) string {
	_, counted := commonWords[fallback]
	uncounted := !counted && writtenIn[fallback] == ""
	scores := map[string]int{}
	for _, w := range s.words {
		if l := wordLanguage[w]; l != "" {
			scores[l]++
		}
		if uncounted {
			continue
		}
		for _, m := range latinMarks {
			if containsAny(w, m.letters) {
				scores[m.lang] += m.weight
			}
		}
	}
	if !uncounted && s.count("¿¡") > 0 {
		scores["es"] += 2
	}
	best, top, second := "", 0, 0
	for _, l := range latinOrder {
		switch n := scores[l]; {
		case n > top:
			best, top, second = l, n, top
		case n > second:
			second = n
		}
	}
	need := 1
	if uncounted {
		need = 2
	}
	if top >= need && top > second {
		return best
	}
	return fallback
}

// latinOrder is the order the scores are read in, for determinism.
var latinOrder = []string{"en", "de", "fr", "es", "it", "pt"}

// wordLanguage maps each of commonWords to its language.
var wordLanguage = func() map[string]string {
	m := map[string]string{}
	for l, words := range commonWords {
		for _, w := range words {
			m[w] = l
		}
	}
	return m
}()

func containsAny(s, chars string) bool {
	for _, r := range s {
		for _, c := range chars {
			if r == c {
				return true
			}
		}
	}
	return false
}
