package answer

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/talkbot/talkbot/lexicon"
	"github.com/talkbot/talkbot/retrieval"
)

// questionInfo is what the offline answerer reads from a question.
type questionInfo struct {
	kind    answerKind
	yesNo   bool
	options [][]string      // either-or: the terms of each option
	words   map[string]bool // the question's lower-cased words
	names   map[string]bool // terms of the capitalised names it holds
	units   []unit          // what an answer should match, own terms first
	own     float64         // total weight of the question's own units
	counted string          // what a "how many" question counts
	askName bool            // "what is the name of X": X's own name
	// asksSpeaker is set for a question about what someone said: the
	// speaker of a sentence can then be the answer.
	asksSpeaker bool
	lex         *lexicon.Lexicon // WordNet, to tell a person's name from a country's
	// category holds, for a question asking which newspaper, hotel or
	// agency, the terms of that noun and of WordNet's words for it: the
	// answer's passage must say what kind of thing its name is.
	category []string
	// roles are the question's words with the thing they are of ("head
	// the Russian team", "ambassador to Russia", "represent NATO"), for a
	// who-question: an answer naming the head of something else is not
	// the one asked for.
	roles []role
}

// role is a word of a question and the terms of the thing it governs.
type role struct {
	forms  []string
	object []string
}

// unit is one term of the question, with the forms that count as it
// (a number and its word, "G20" and "20") and how much it counts.
type unit struct {
	forms   []string
	related []relatedTerm // WordNet's synonyms of the word, as terms
	weight  float64
	own     bool // from the question itself, not its history
	known   bool // the articles use the word
}

// relatedTerm is a term of a word related to a question's word, and the
// share of the word's weight that matching it earns.
type relatedTerm struct {
	term  string
	share float64
}

// relatedShare is how much a synonym counts for the word it stands for,
// at most: a paraphrase is weaker evidence than the word itself.
const relatedShare = 0.6

// numberForms pairs number words with digits, both ways.
var numberForms = map[string]string{
	"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
	"seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11",
	"twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
	"sixteen": "16", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
	"hundred": "100",
}

// forms returns the index terms that count as word: its own, and its
// number in the other spelling; a word mixing letters and digits ("G20")
// also counts as its number.
func forms(word string) []string {
	t := retrieval.Term(word)
	if t == "" {
		return nil
	}
	out := []string{t}
	lw := strings.ToLower(word)
	for w, d := range numberForms {
		if lw == w {
			out = append(out, d)
		} else if lw == d {
			out = append(out, retrieval.Term(w))
		}
	}
	if digits := strings.TrimLeftFunc(lw, func(r rune) bool { return r >= 'a' && r <= 'z' }); digits != lw && digits != "" && strings.Trim(digits, "0123456789") == "" {
		out = append(out, digits)
	}
	return out
}

// readQuestion analyses a question and its history for the offline
// answerer. Terms get their IDF as weight (unseen ones the highest), the
// history's terms less and less the older they are; words that only frame
// the question or say the kind of answer wanted are left out.
func readQuestion(ix *retrieval.Index, lex *lexicon.Lexicon, question string, history []Turn) *questionInfo {
	kind, kindFrame := questionKind(question)
	qs := &questionInfo{
		kind:        kind,
		yesNo:       yesNoStart.MatchString(question),
		options:     eitherOr(question),
		words:       wordSet(question),
		names:       nameTerms(question),
		counted:     countedNoun(question),
		askName:     kind == nameKind && kindFrame[retrieval.Term("name")],
		asksSpeaker: asksSpeech.MatchString(question),
		lex:         lex,
	}
	if kind == nameKind || kind == anyKind {
		qs.category = categoryTerms(ix, lex, question)
	}
	if kind == personKind || kind == roleKind {
		qs.roles = roles(question)
	}
	seen := map[string]bool{}
	add := func(text string, weight float64, own bool, skip map[string]bool) {
		for _, w := range retrieval.Words(text) {
			fs := forms(w)
			if len(fs) == 0 || seen[fs[0]] || frameWords[fs[0]] || skip[fs[0]] {
				continue
			}
			if lex != nil {
				for _, inf := range lex.Inflections(w) {
					if t := retrieval.Term(inf); t != "" && !slices.Contains(fs, t) {
						fs = append(fs, t) // "sent" for "send": the same word
					}
				}
			}
			seen[fs[0]] = true
			u := unit{forms: fs, related: relatedTerms(ix, lex, w, fs), weight: weight * ix.IDF(fs[0]), own: own, known: ix.Contains(fs[0])}
			qs.units = append(qs.units, u)
			if own {
				qs.own += u.weight
			}
		}
	}
	add(question, 1, true, kindFrame)
	w := historyWeight
	for i := len(history) - 1; i >= 0; i-- {
		_, frame := questionKind(history[i].Question)
		add(history[i].Question, w, false, frame)
		w *= 0.6
	}
	return qs
}

// askWhichNoun finds "which X" and "which Y X" ("Which shipyard built
// the…", "Which military exercises did…") with the word that follows.
var askWhichNoun = regexp.MustCompile(`(?i)\bwhich\s+([\p{L}-]+)(?:\s+([\p{L}-]+))?(?:\s+([\p{L}\d-]+))?`)

// categoryTerms returns the terms of the noun that says what kind of
// thing a question asks for ("Which hotel…", "which media outlet…",
// "Which shipyard…") and of the words WordNet relates to it; "name"
// itself says nothing, and nouns of other kinds ("which city") have
// their own matchers.
func categoryTerms(ix *retrieval.Index, lex *lexicon.Lexicon, question string) []string {
	var out []string
	for _, m := range askWhichNoun.FindAllStringSubmatch(question, -1) {
		noun := m[1]
		// "Which military exercises did…" asks for exercises; "Which
		// shipyard built the ferry?" for a shipyard: a second word
		// followed by an article, a function word or a name is a verb.
		if next := m[3]; m[2] != "" && !auxiliaries[strings.ToLower(m[2])] && retrieval.Term(m[2]) != "" &&
			(next == "" || auxiliaries[strings.ToLower(next)] || retrieval.Term(next) != "" && !isCapitalized(next)) {
			noun = m[2]
		}
		lw := strings.ToLower(noun)
		t := retrieval.Term(lw)
		if t == "" || noun != lw || lw == "name" {
			continue // "which Lavrov and Biden…": no noun asked for
		}
		if k, ok := kindWords[lw]; ok && k != nameKind {
			continue
		}
		out = append(out, t)
		for _, r := range relatedTerms(ix, lex, lw, []string{t}) {
			out = append(out, r.term)
		}
	}
	return out
}

// phraseToken splits text into words and the punctuation that ends a
// phrase.
var phraseToken = regexp.MustCompile(`[\p{L}\p{N}'’-]+|[,.;:!?()"“”]`)

// ofWords link a role word to what it is of ("head of", "ambassador to",
// "spokesman for"); determiners are skipped before the thing itself.
var (
	ofWords     = wordSet("of to for")
	determiners = wordSet("the a an its their his her")
)

// objectAfter returns the terms of the noun phrase that tokens[i] governs
// ("represent NATO", "head of state", "ambassador to the United States"):
// after an optional "of"/"to"/"for" (required when linked is set) and
// determiners, up to three words, ending at punctuation or a short
// function word.
func objectAfter(tokens []string, i int, linked bool) []string {
	j := i + 1
	if j < len(tokens) && ofWords[strings.ToLower(tokens[j])] {
		j++
		// "ambassador to Russia", "to the United States"; but
		// "initiative to talk" is a verb's infinitive.
		if strings.EqualFold(tokens[j-1], "to") && j < len(tokens) && !determiners[strings.ToLower(tokens[j])] && !isCapitalized(tokens[j]) {
			return nil
		}
	} else if linked {
		return nil
	}
	for j < len(tokens) && determiners[strings.ToLower(tokens[j])] {
		j++
	}
	var out []string
	for ; j < len(tokens) && len(out) < 3; j++ {
		t := retrieval.Term(tokens[j])
		if t == "" || !unicode.IsLetter([]rune(tokens[j])[0]) && !unicode.IsDigit([]rune(tokens[j])[0]) {
			break // "at", "who", "in", a comma: the phrase ends
		}
		out = append(out, t)
	}
	return out
}

// auxiliaries stand between "who" and the words that say what the
// person asked about does or is ("Who will head…", "Who was the…").
var auxiliaries = wordSet("will would was were is are has have had did does do can could should shall may might must be been")

// roles returns the words that say what the person a who-question asks
// about does or is ("Who will head the Russian team…": head; "Who was
// the US ambassador to Russia": US, ambassador), each with the thing it
// governs, where it governs one.
func roles(question string) (out []role) {
	tokens := phraseToken.FindAllString(question, -1)
	for i, w := range tokens {
		if lw := strings.ToLower(w); lw != "who" && lw != "whom" {
			continue
		}
		j := i + 1
		for j < len(tokens) && (auxiliaries[strings.ToLower(tokens[j])] || determiners[strings.ToLower(tokens[j])]) {
			j++
		}
		for k := j; k < min(j+2, len(tokens)); k++ {
			fs := forms(tokens[k])
			if len(fs) == 0 || !unicode.IsLetter([]rune(tokens[k])[0]) {
				break
			}
			if obj := objectAfter(tokens, k, false); len(obj) > 0 {
				out = append(out, role{forms: fs, object: obj})
			}
		}
	}
	return out
}

// otherRole reports whether a sentence gives a role the question asks
// about as of something else: "the official representative of the
// Russian Foreign Ministry" for "Who will represent NATO?", "heads of
// state" for "Who will head the Russian team?".
func otherRole(sentence string, qs *questionInfo) bool {
	tokens := phraseToken.FindAllString(sentence, -1)
	for i, w := range tokens {
		t := retrieval.Term(w)
		if t == "" {
			continue
		}
		for _, r := range qs.roles {
			if !slices.Contains(r.forms, t) {
				continue
			}
			obj := objectAfter(tokens, i, true)
			if len(obj) > 0 && !sharesTerm(obj, r.object) {
				return true
			}
		}
	}
	return false
}

// sharesTerm reports whether two phrases share a term, counting a term
// and its derivative as one ("russia", "russian").
func sharesTerm(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y || len(x) >= 4 && len(y) >= 4 && (strings.HasPrefix(x, y) || strings.HasPrefix(y, x)) {
				return true
			}
		}
	}
	return false
}

// personalPronoun finds a follow-up that speaks of a person by pronoun
// ("How long has she held that post?"): the person is the one the
// previous answer named.
var personalPronoun = regexp.MustCompile(`(?i)\b(he|she|him|his|her|hers)\b`)

// asksForPerson reports whether a question asks who someone is without
// naming them ("Who will lead the American delegation?", not "Who is
// Yuri Ushakov?"): then a follow-up's "she" is the person of its answer.
func asksForPerson(question string) bool {
	if kind, _ := questionKind(question); kind != personKind {
		return false
	}
	for _, loc := range namedPhrase.FindAllStringIndex(question, -1) {
		if loc[0] > 0 && len(retrieval.Words(question[loc[0]:loc[1]])) >= 2 {
			return false
		}
	}
	return true
}

// addSubject adds to qs, as units of the history at full weight, the
// people the previous answer named and its question did not: the likely "he" or "she" of a
// follow-up. An answer about someone else then lacks them.
func (qs *questionInfo) addSubject(ix *retrieval.Index, prev Turn) {
	asked := wordSet(prev.Question)
	for _, run := range namedPhrase.FindAllString(markerGroup.ReplaceAllString(prev.Answer, ""), -1) {
		words := retrieval.Words(run)
		if len(words) < 2 {
			continue // a person is named by two words or more
		}
		for _, w := range words {
			t := retrieval.Term(w)
			if t == "" || asked[strings.ToLower(w)] || roleWords[t] || calendarWords[t] || slices.ContainsFunc(qs.units, func(u unit) bool { return u.forms[0] == t }) {
				continue
			}
			qs.units = append(qs.units, unit{forms: []string{t}, weight: ix.IDF(t)})
		}
	}
}

// relatedTerms returns the terms of the words WordNet relates to word,
// other than its own forms and words that frame questions. A synonym the
// articles use more often than the word itself counts for less (by the
// ratio of their IDFs): "go" for "start" is weak evidence.
func relatedTerms(ix *retrieval.Index, lex *lexicon.Lexicon, word string, own []string) []relatedTerm {
	if lex == nil {
		return nil
	}
	idf := ix.IDF(own[0])
	var out []relatedTerm
	for _, r := range lex.Related(word) {
		t := retrieval.Term(r)
		if t == "" || frameWords[t] || slices.Contains(own, t) || !ix.Contains(t) || slices.ContainsFunc(out, func(x relatedTerm) bool { return x.term == t }) {
			continue
		}
		out = append(out, relatedTerm{term: t, share: relatedShare * min(1, ix.IDF(t)/idf)})
	}
	return out
}

// query is the retrieval query of the question: every form of every unit.
func (qs *questionInfo) query(text string) retrieval.Query {
	q := retrieval.Query{Text: text}
	for _, u := range qs.units {
		for _, f := range u.forms {
			q.Terms = append(q.Terms, retrieval.QueryTerm{Term: f, Weight: weightOf(u)})
		}
		if u.own && !u.known {
			// A word the articles never use is searched for by its
			// synonyms, at their share.
			for _, r := range u.related {
				q.Terms = append(q.Terms, retrieval.QueryTerm{Term: r.term, Weight: r.share})
			}
		}
	}
	return q
}

// weightOf is the retrieval weight of a unit: 1 for the question's own
// terms, less for its history's (the index applies IDF itself).
func weightOf(u unit) float64 {
	if u.own {
		return 1
	}
	return historyWeight
}

// nameTerms returns the terms of the capitalised words of question that
// are names: not its first word, not month or weekday names, not short
// abbreviations ("US", spelt "U.S." elsewhere).
func nameTerms(question string) map[string]bool {
	out := map[string]bool{}
	for i, w := range retrieval.Words(question) {
		t := retrieval.Term(w)
		if i == 0 || t == "" || !isCapitalized(w) || calendarWords[t] || w == strings.ToUpper(w) && len(w) <= 3 {
			continue
		}
		out[t] = true
	}
	return out
}

// eitherOr returns the terms of the two options of an either-or question
// ("by telephone or by video link", "on a Monday or a Tuesday"): the words
// after "or", and as many before it, less those both sides share.
func eitherOr(question string) [][]string {
	lower := strings.ToLower(question)
	i := strings.LastIndex(lower, " or ")
	if i < 0 || strings.Contains(lower, "whether or not") {
		return nil
	}
	after := retrieval.Words(question[i+4:])
	if j := strings.IndexAny(question[i+4:], "?,;"); j >= 0 {
		after = retrieval.Words(question[i+4 : i+4+j])
	}
	after = after[:min(len(after), 4)]
	before := retrieval.Words(question[:i])
	before = before[max(0, len(before)-len(after)):]
	a, b := termsOf(before), termsOf(after)
	var left, right []string
	for _, t := range a {
		if !slices.Contains(b, t) {
			left = append(left, t)
		}
	}
	for _, t := range b {
		if !slices.Contains(a, t) {
			right = append(right, t)
		}
	}
	if len(left) == 0 || len(right) == 0 {
		return nil
	}
	return [][]string{left, right}
}

func termsOf(words []string) []string {
	var out []string
	for _, w := range words {
		if t := retrieval.Term(w); t != "" && !frameWords[t] {
			out = append(out, t)
		}
	}
	return out
}
