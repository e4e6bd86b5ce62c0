package answer

import (
	"slices"
	"strings"

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
}

// unit is one term of the question, with the forms that count as it
// (a number and its word, "G20" and "20") and how much it counts.
type unit struct {
	forms  []string
	weight float64
	own    bool // from the question itself, not its history
}

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
func readQuestion(ix *retrieval.Index, question string, history []Turn) *questionInfo {
	kind, kindFrame := questionKind(question)
	qs := &questionInfo{
		kind:    kind,
		yesNo:   yesNoStart.MatchString(question),
		options: eitherOr(question),
		words:   wordSet(question),
		names:   nameTerms(question),
	}
	seen := map[string]bool{}
	add := func(text string, weight float64, own bool, skip map[string]bool) {
		for _, w := range retrieval.Words(text) {
			fs := forms(w)
			if len(fs) == 0 || seen[fs[0]] || frameWords[fs[0]] || skip[fs[0]] {
				continue
			}
			seen[fs[0]] = true
			u := unit{forms: fs, weight: weight * ix.IDF(fs[0]), own: own}
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

// query is the retrieval query of the question: every form of every unit.
func (qs *questionInfo) query(text string) retrieval.Query {
	q := retrieval.Query{Text: text}
	for _, u := range qs.units {
		for _, f := range u.forms {
			q.Terms = append(q.Terms, retrieval.QueryTerm{Term: f, Weight: weightOf(u)})
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
