package answer

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/talkbot/talkbot/retrieval"
)

// answerKind is what sort of phrase would answer a question.
type answerKind int

const (
	anyKind      answerKind = iota
	timeKind                // when: a date, weekday, month or year
	dateKind                // what date: a day of a month
	weekdayKind             // what day of the week
	clockKind               // what time: a time of day
	yearKind                // which year
	soonKind                // how soon: a promptness phrase or a date
	durationKind            // how long
	quantityKind            // how many, how much
	ageKind                 // how old
	personKind              // who, with whom: a name not in the question
	roleKind                // what post, position, title: an office
	placeKind               // where, which city: a place not in the question
	nameKind                // which newspaper, outlet, hotel: a proper name
)

// kindWords are the nouns of "which X" / "what X" that say what kind of
// answer is wanted rather than what the question is about.
var kindWords = map[string]answerKind{
	"city": placeKind, "town": placeKind, "country": placeKind, "place": placeKind,
	"venue": placeKind, "capital": placeKind, "location": placeKind,
	"date": dateKind, "month": timeKind, "day": timeKind,
	"year": yearKind, "time": clockKind,
	"post": roleKind, "position": roleKind, "title": roleKind, "job": roleKind,
	"role": roleKind, "office": roleKind, "rank": roleKind,
	"newspaper": nameKind, "outlet": nameKind, "agency": nameKind, "paper": nameKind,
	"hotel": nameKind, "organisation": nameKind, "organization": nameKind,
	"channel": nameKind, "magazine": nameKind, "company": nameKind, "name": nameKind,
	"person": personKind,
}

var (
	askWho      = regexp.MustCompile(`(?i)\b(who|whom|whose)\b`)
	askWhoIs    = regexp.MustCompile(`^\s*(?i:who)\s+(?i:is|was)\s+(?:\p{Lu}[\p{L}'’-]+\s*){1,3}\??\s*$`)
	askWhere    = regexp.MustCompile(`(?i)\bwhere\b`)
	askWhen     = regexp.MustCompile(`(?i)\b(when|since when|until when)\b`)
	askSoon     = regexp.MustCompile(`(?i)\bhow soon\b`)
	askHow      = regexp.MustCompile(`(?i)\bhow (long|many|much|often|old|far)\b`)
	askWeekday  = regexp.MustCompile(`(?i)\bday of the week\b`)
	askWhichX   = regexp.MustCompile(`(?i)\b(?:which|what)\s+(?:(?:is|was|are|were|does|did)\s+(?:the|his|her|its|their|\p{Lu}\p{L}+(?:\s+\p{Lu}\p{L}+)?'s)\s+)?(?:\p{L}+\s+)?\p{L}+`)
	yesNoStart  = regexp.MustCompile(`(?i)^\s*(and\s+|so\s+|but\s+)?(is|are|was|were|did|does|do|has|have|had|will|would|can|could|should|shall|may|might|must)\b`)
	eitherOrRun = regexp.MustCompile(`(?i)\b(\p{L}[\p{L}\d'-]*)\s+or\s+(?:by\s+|at\s+|on\s+|in\s+|the\s+|a\s+|an\s+)*(\p{L}[\p{L}\d'-]*)`)

	monthNames   = `january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec`
	weekdayNames = `monday|tuesday|wednesday|thursday|friday|saturday|sunday`
	datePhrase   = regexp.MustCompile(`(?i)\b(` + monthNames + `)\.?\s+\d{1,2}\b|\b\d{1,2}\s+(` + monthNames + `)\b|\b\d{1,2}\.\d{2}\.\d{4}\b|\b(19|20)\d{2}-\d{2}-\d{2}\b`)
	timePhrase   = regexp.MustCompile(`(?i)\b(january|february|march|april|june|july|august|september|october|november|december|` + weekdayNames + `|today|tomorrow|yesterday|tonight|spring|summer|autumn|winter|(19|20)\d{2})\b|\bmay\s+\d{1,2}\b`)
	weekdayWord  = regexp.MustCompile(`(?i)\b(` + weekdayNames + `)\b`)
	clockPhrase  = regexp.MustCompile(`(?i)\b\d{1,2}[.:]\d{2}\b|\b\d{1,2}\s*(a\.?m\.?|p\.?m\.?)|\bo'clock\b|\b(noon|midnight)\b`)
	monthMay     = regexp.MustCompile(`\S\s+May\b`) // the month: "may" is capitalised only at a sentence's start
	yearPhrase   = regexp.MustCompile(`\b(19|20)\d{2}\b`)
	soonPhrase   = regexp.MustCompile(`(?i)\b(soon|quickly|promptly|immediately|shortly|swiftly|rapidly|without delay|as soon as|within|next (week|month|year)|in the (near|coming) (future|days|weeks|months))\b`)
	durPhrase    = regexp.MustCompile(`(?i)\b(\d+(\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|several|few|half)([\s-]+(and|a|an|half))*[\s-]+(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b`)
	agePhrase    = regexp.MustCompile(`(?i)\b\d{1,3}[\s-]+years?[\s-]+old\b|\baged?\s+\d{1,3}\b|\p{Lu}\p{L}+,\s+\d{1,3},`)
	numberWord   = regexp.MustCompile(`(?i)\b(\d+([.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozens?|several)\b`)
	placePhrase  = regexp.MustCompile(`\b(in|at|from|to|near|of)\s+(the\s+)?(\p{Lu}[\p{L}'’-]+)`)
	namedPhrase  = regexp.MustCompile(`\p{Lu}[\p{L}'’-]+(\s+(of\s+|de\s+|von\s+)?\p{Lu}[\p{L}'’-]+)*`)
)

// roleWords name offices and jobs: a role question is answered by the
// sentence that puts one of them next to the person asked about.
var roleWords = termSet("minister secretary spokesman spokeswoman spokesperson aide assistant adviser advisor ambassador president premier chancellor representative head chief director envoy deputy correspondent analyst fellow chairman chair governor senator diplomat official commander editor reporter leader counterpart prosecutor mayor king queen")

// calendarWords are capitalised without being names.
var calendarWords = termSet("january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday")

// termSet is the set of the index terms of the words of s.
func termSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, t := range retrieval.Terms(s) {
		out[t] = true
	}
	return out
}

// questionKind reads the kind of answer a question asks for, and which of
// its words only say that kind (they need not occur in the answer).
func questionKind(question string) (answerKind, map[string]bool) {
	frame := map[string]bool{}
	kind := anyKind
	set := func(k answerKind) {
		if kind == anyKind {
			kind = k
		}
	}
	if m := askHow.FindStringSubmatch(question); m != nil {
		frame[retrieval.Term(m[1])] = true
		switch strings.ToLower(m[1]) {
		case "long":
			set(durationKind)
		case "old":
			set(ageKind)
		default: // many, much, often, old, far: a number
			set(quantityKind)
		}
	}
	if askSoon.MatchString(question) {
		frame[retrieval.Term("soon")] = true
		set(soonKind)
	}
	if askWeekday.MatchString(question) {
		frame[retrieval.Term("day")], frame[retrieval.Term("week")] = true, true
		set(weekdayKind)
	}
	for _, m := range askWhichX.FindAllStringSubmatch(question, -1) {
		for _, w := range retrieval.Words(m[0])[1:] {
			if k, ok := kindWords[w]; ok { // lower case: "New Year" is no year
				frame[retrieval.Term(w)] = true
				set(k)
			}
		}
	}
	if askWhoIs.MatchString(question) {
		set(roleKind) // "Who is Yuri Ushakov?": his office answers
	}
	switch {
	case askWhen.MatchString(question):
		set(timeKind)
	case askWho.MatchString(question):
		set(personKind)
	case askWhere.MatchString(question):
		set(placeKind)
	}
	return kind, frame
}

// typed reports whether a kind must be found in the answer for the
// question to count as answered.
func (k answerKind) typed() bool { return k != anyKind }

// matches reports whether a sentence holds the kind of phrase asked for.
// Names, places and numbers count only when the question does not already
// hold them; a role counts when it stands near one of the question's names
// (or anywhere, when the question names nobody).
func (k answerKind) matches(sentence string, qs *questionInfo) bool {
	switch k {
	case timeKind:
		return datePhrase.MatchString(sentence) || newPhrase(timePhrase, sentence, qs) || monthMay.MatchString(sentence) && !qs.words["may"]
	case dateKind:
		return datePhrase.MatchString(sentence)
	case weekdayKind:
		return newPhrase(weekdayWord, sentence, qs)
	case clockKind:
		return clockPhrase.MatchString(sentence)
	case yearKind:
		return newPhrase(yearPhrase, sentence, qs)
	case soonKind:
		return soonPhrase.MatchString(sentence) || datePhrase.MatchString(sentence)
	case durationKind:
		return durPhrase.MatchString(sentence)
	case quantityKind:
		return hasCount(sentence, qs)
	case ageKind:
		return agePhrase.MatchString(sentence)
	case personKind:
		return hasNewName(sentence, qs, true)
	case nameKind:
		if qs.askName {
			return givesName(sentence, qs)
		}
		return hasNewName(sentence, qs, false)
	case roleKind:
		return hasRole(sentence, qs)
	case placeKind:
		for _, m := range placePhrase.FindAllStringSubmatch(sentence, -1) {
			if !qs.words[strings.ToLower(m[3])] && !calendarWords[retrieval.Term(m[3])] {
				return true
			}
		}
	}
	return false
}

// dated reports whether a date answers the kind: when, what date.
func (k answerKind) dated() bool { return k == timeKind || k == dateKind }

// dayOf resolves the weekday a sentence gives ("met on Wednesday") to a
// date, from the date of its article: news tells of the days just past,
// so it is the latest such weekday on or before the article's date. It
// returns, e.g., "Wednesday: 16 June 2021, by the article's date".
func dayOf(sentence, articleDate string) (string, bool) {
	m := weekdayWord.FindString(sentence)
	if m == "" || datePhrase.MatchString(sentence) {
		return "", false
	}
	d, err := time.Parse(time.DateOnly, articleDate)
	if err != nil {
		return "", false
	}
	for range 7 {
		if strings.EqualFold(d.Weekday().String(), m) {
			return d.Weekday().String() + ": " + d.Format("2 January 2006") + ", by the article's date", true
		}
		d = d.AddDate(0, 0, -1)
	}
	return "", false
}

// newPhrase reports whether re matches a phrase of sentence that the
// question does not already hold.
func newPhrase(re *regexp.Regexp, sentence string, qs *questionInfo) bool {
	for _, m := range re.FindAllString(sentence, -1) {
		if !qs.words[strings.ToLower(m)] {
			return true
		}
	}
	return false
}

// hasCount reports whether sentence holds a number that is not part of a
// date, a year or the question itself.
func hasCount(sentence string, qs *questionInfo) bool {
	dates := datePhrase.FindAllStringIndex(sentence, -1)
	var spans [][]int // durations and clock times: "five hours", "23.30"
	if !timeUnit.MatchString(qs.counted) {
		spans = append(durPhrase.FindAllStringIndex(sentence, -1), clockPhrase.FindAllStringIndex(sentence, -1)...)
	}
	for _, loc := range numberWord.FindAllStringIndex(sentence, -1) {
		w := strings.ToLower(sentence[loc[0]:loc[1]])
		if qs.words[w] || yearPhrase.MatchString(w) || inside(loc, dates) || inside(loc, spans) || w == "one" && pronounOne(sentence, loc) {
			continue
		}
		return true
	}
	return false
}

// timeUnit matches the units of a duration.
var timeUnit = regexp.MustCompile(`(?i)^(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|times)$`)

// pronounOne reports whether the "one" at loc stands for a noun ("the
// American one", "one of them") rather than counting.
func pronounOne(sentence string, loc []int) bool {
	before := strings.Fields(strings.ToLower(sentence[:loc[0]]))
	if n := len(before); n > 0 && oneDeterminers[strings.Trim(before[n-1], `"“(`)] {
		return true
	}
	after := strings.TrimSpace(sentence[loc[1]:])
	for _, w := range []string{"of ", "by ", "who ", "that ", "which "} {
		if strings.HasPrefix(after, w) {
			return true
		}
	}
	return after == "" || strings.IndexAny(after[:1], ".,;:!?)”\"") == 0
}

// askCounted finds what a "how many" question counts: "how many people".
var askCounted = regexp.MustCompile(`(?i)\bhow\s+many\s+(\p{L}+)`)

// countedNoun returns the noun a "how many" question counts, or "".
func countedNoun(question string) string {
	if m := askCounted.FindStringSubmatch(question); m != nil {
		return m[1]
	}
	return ""
}

var oneDeterminers = map[string]bool{"the": true, "this": true, "that": true, "which": true, "each": true, "every": true, "any": true, "no": true, "another": true}

func inside(loc []int, spans [][]int) bool {
	for _, s := range spans {
		if loc[0] >= s[0] && loc[1] <= s[1] {
			return true
		}
	}
	return false
}

// hasNewName reports whether sentence holds a capitalised name, not its
// first word, that the question does not hold. A person (person set) is
// a run of two or more such words ("Guy Parmelin"), or one after an
// office ("Minister Lavrov"): a lone "Russia" or "US" names no one.
func hasNewName(sentence string, qs *questionInfo, person bool) bool {
	for _, loc := range namedPhrase.FindAllStringIndex(sentence, -1) {
		if qs.holdsName(sentence[loc[0]:loc[1]]) {
			continue // the name asked about, with its title
		}
		fresh, titled := 0, false
		for i, w := range retrieval.Words(sentence[loc[0]:loc[1]]) {
			if i == 0 && loc[0] == 0 {
				continue // a sentence's first word is capitalised anyway
			}
			t := retrieval.Term(w)
			switch {
			case roleWords[t]:
				titled = true
			case t != "" && !qs.words[strings.ToLower(w)] && !calendarWords[t]:
				fresh++
			}
		}
		if !person && (titled || roleBefore(sentence[:loc[0]])) {
			continue // a person, not the newspaper or hotel asked for
		}
		if person && !qs.asksSpeaker && speaker(sentence, loc) {
			continue // "As Maria Zakharova stated, …": who said it, not who did it
		}
		if person && qs.notPerson(sentence[loc[0]:loc[1]]) {
			continue // "the United States"
		}
		if fresh >= 2 || fresh == 1 && (!person || titled) {
			return true
		}
	}
	return false
}

// Speech: a name said to be the source of a sentence ("Maria Zakharova
// said", "as Peskov told reporters", "according to Ushakov"), and a
// question asking who said something.
var (
	speechAfter  = regexp.MustCompile(`^,?\s*(?:said|says|stated|states|told|tells|noted|notes|added|adds|stressed|explained|recalled|announced|declared|claimed|commented|confirmed)\b`)
	speechBefore = regexp.MustCompile(`(?i)(?:according\s+to|said|says|told)\s+$`)
	asksSpeech   = regexp.MustCompile(`(?i)\b(?:say|says|said|tell|tells|told|state|stated|announce[ds]?|according|speak|spoke|quote[sd]?|report(?:s|ed)?|comment(?:s|ed)?|claim(?:s|ed)?|confirm(?:s|ed)?|declare[sd]?)\b`)
)

// speaker reports whether the name at loc is the one a sentence is
// attributed to.
func speaker(sentence string, loc []int) bool {
	return speechAfter.MatchString(sentence[loc[1]:]) || speechBefore.MatchString(sentence[:loc[0]])
}

// notPerson reports whether WordNet knows a name as something other
// than a person ("United States": a country).
func (qs *questionInfo) notPerson(name string) bool {
	kinds := qs.kindsOf(name)
	return len(kinds) > 0 && !slices.Contains(kinds, "person")
}

// kindsOf returns what WordNet knows a run of capitalised words to name
// (lexicon.Kinds), by its longest known tail ("Kremlin Spokesman Dmitry
// Peskov" is known, if at all, as "Dmitry Peskov" or "Peskov"); nil when
// it knows none, or there is no lexicon.
func (qs *questionInfo) kindsOf(run string) []string {
	if qs.lex == nil {
		return nil
	}
	words := retrieval.Words(run)
	for i := range words {
		if kinds := qs.lex.Kinds(strings.Join(words[i:], " ")); len(kinds) > 0 {
			return kinds
		}
	}
	return nil
}

// namingPhrase is a name given as one: "called Northern Star", "known
// as “the red line”".
var namingPhrase = regexp.MustCompile(`(?i)\b(?:called|named|dubbed|titled|known\s+as|nicknamed)\s+(?:the\s+)?["“‘']?(\p{Lu}[\p{L}'’-]*)`)

// givesName reports whether a sentence gives the name of what a "what is
// the name of X" question asks about: a name introduced as one, or
// standing right after one of the question's words ("the ferry Northern
// Star"). Any other capitalised word might name anyone or anything.
func givesName(sentence string, qs *questionInfo) bool {
	for _, m := range namingPhrase.FindAllStringSubmatch(sentence, -1) {
		if !qs.words[strings.ToLower(m[1])] {
			return true
		}
	}
	for _, loc := range namedPhrase.FindAllStringIndex(sentence, -1) {
		words := retrieval.Words(sentence[:loc[0]])
		if loc[0] == 0 || len(words) == 0 {
			continue
		}
		prev, name := words[len(words)-1], sentence[loc[0]:loc[1]]
		if retrieval.Term(prev) != "" && qs.words[strings.ToLower(prev)] && !qs.holdsName(name) && !calendarWords[retrieval.Term(name)] {
			return true
		}
	}
	return false
}

// roleBefore reports whether text ends with an office ("press secretary
// Dmitry Peskov"): the name that follows is a person's.
func roleBefore(text string) bool {
	words := retrieval.Words(text)
	return len(words) > 0 && roleWords[retrieval.Term(words[len(words)-1])]
}

// hasRole reports whether sentence gives one of the question's names an
// office (anywhere, if the question names nobody): as a title before it
// ("Kremlin Spokesman Dmitry Peskov", "press secretary Dmitry Peskov") or
// in apposition after it ("Dmitry Peskov, press secretary of the
// Russian head of state", "Peskov, who is the Kremlin's spokesman"). An
// office merely near the name ("Peskov told reporters … the US
// President") is someone else's.
func hasRole(sentence string, qs *questionInfo) bool {
	locs := wordToken.FindAllStringIndex(sentence, -1)
	words := make([]string, len(locs))
	var roles, names []int
	for i, loc := range locs {
		words[i] = sentence[loc[0]:loc[1]]
		t := retrieval.Term(words[i])
		if roleWords[t] {
			roles = append(roles, i)
		}
		if qs.names[t] {
			names = append(names, i)
		}
	}
	if len(roles) == 0 {
		return false
	}
	if len(qs.names) == 0 {
		return true
	}
	for _, r := range roles {
		for _, n := range names {
			switch {
			case r < n && n-r <= roleWindow:
				// a title: only the names of what the office is of between
				// it and the name ("Deputy Foreign Minister Sergei
				// Ryabkov", "Aide to the President of the Russian
				// Federation Yuri Ushakov")
				title := true
				for _, w := range words[r+1 : n] {
					title = title && (isCapitalized(w) || titleLinks[strings.ToLower(w)])
				}
				if title {
					return true
				}
			case n < r && r-n <= roleWindow:
				// apposition: the office follows the name after a comma
				// or "is", "was", "as", with nothing said in between
				between := sentence[locs[n][1]:locs[r][0]]
				if appositive.MatchString(between) {
					return true
				}
			}
		}
	}
	return false
}

var (
	titleLinks = wordSet("of to the for and")
	wordToken  = regexp.MustCompile(`[\p{L}\p{N}]+`)
	// appositive is what may stand between a name and its office:
	// "Peskov, press secretary", "Peskov, the Kremlin's spokesman",
	// "Sherman, who is deputy secretary", "Ryabkov as head".
	appositive = regexp.MustCompile(`(?i)^(?:\s*,\s*|\s+(?:is|was|as|who\s+is|who\s+was)\s+)(?:(?:the|a|an|then|now|also|first|former|acting)\s+)*(?:\p{Lu}[\p{L}'’]*(?:'s|’s)?\s+)*\s*$`)
)

// roleWindow is how many words apart an office and a name may stand
// and still be one ("Dmitry Peskov, press secretary of the Russian
// head of state").
const roleWindow = 8

// holdsName reports whether a run of capitalised words holds one of the
// question's names.
func (qs *questionInfo) holdsName(run string) bool {
	for _, w := range retrieval.Words(run) {
		if qs.names[retrieval.Term(w)] {
			return true
		}
	}
	return false
}
