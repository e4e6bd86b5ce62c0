package answer

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// Offline answering parameters.
const (
	offlineHits = 8 // passages searched for answer sentences
	// minCoverage is the share of the question's weighted terms that the
	// best passage must contain for the corpus to be taken as covering it.
	minCoverage = 0.45
	// historyWeight is how much the terms of the previous question count
	// in a follow-up; older questions count less and less.
	historyWeight = 0.5
	// secondSentence is how close a second sentence must score to the
	// best to join the answer.
	secondSentence = 0.75
)

// offline answers by extraction: the one or two sentences of the top
// passages that best match the question, each cited.
func (s *Service) offline(ctx context.Context, ix *retrieval.Index, req Request) Answer {
	q := retrieval.NewQuery(req.Question)
	w := historyWeight
	for i := len(req.History) - 1; i >= 0; i-- {
		q = q.With(req.History[i].Question, w)
		w *= 0.6
	}
	q = withoutFrameWords(q, req.Question)
	hits := s.search(ctx, ix, q, offlineHits)
	a := newAnswer(ix, req, q.Text, ModeOffline, hits)
	if len(hits) == 0 || len(missingNames(ix, req.Question)) > 0 {
		return refuse(a, "")
	}

	c := ix.Corpus()
	weights := termWeights(ix, q)
	best := 0.0
	for _, h := range hits[:min(3, len(hits))] {
		best = max(best, coverage(weights, retrieval.Terms(c.Passages[h.Passage].Text+" "+c.Doc(c.Passages[h.Passage]).Title)))
	}
	if best < minCoverage {
		return refuse(a, "")
	}

	cands := candidates(c, hits, weights, answerType(req.Question), req.Question)
	if need := howAnswer(req.Question); need != nil && len(cands) > 0 {
		// "how long"/"how many" was left out of the query: the answer must
		// hold a duration or a number, and be nearly as relevant as the
		// best sentence, else it answers another question.
		top := cands[0].score
		cands = slices.DeleteFunc(cands, func(cd candidate) bool {
			return !need.MatchString(cd.text) || cd.score < secondSentence*top
		})
	}
	if len(cands) == 0 {
		return refuse(a, "")
	}
	picked := []candidate{cands[0]}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for _, cd := range cands[1:] {
		if cd.score < secondSentence*cands[0].score {
			break
		}
		// A second sentence must add a real part of the question, and
		// come from the same article unless it scores nearly as well.
		sameDoc := c.Passages[cd.passage].Doc == c.Passages[cands[0].passage].Doc
		if addedWeight(cd, cands[0], weights) >= 0.2*total && (sameDoc || cd.score >= 0.9*cands[0].score) {
			picked = append(picked, cd)
			break
		}
	}

	var text []string
	numbers := map[int]int{} // hit passage -> citation number
	for _, cd := range picked {
		n, ok := numbers[cd.passage]
		if !ok {
			n = len(numbers) + 1
			numbers[cd.passage] = n
			a.Citations = append(a.Citations, citation(c, n, cd.passage))
		}
		text = append(text, cd.text+" ["+strconv.Itoa(n)+"]")
	}
	a.Text = strings.Join(text, " ")
	a.Answered = true
	return a
}

// frameWords frame a question rather than say what it is about ("what
// did X say about Y", "what does X want"). They are dropped from offline
// queries so that matching them, or missing them, proves nothing.
var frameWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("say said says tell told want wants wanted know think mean happen happened kind type sort regarding thing things anything something please exactly actually really also") {
		frameWords[retrieval.Term(w)] = true
	}
}

// howWhat matches "how long", "how many" and "how much": the adjective
// says what kind of answer is wanted, not what the question is about, so
// the articles need not contain it; the answer must hold that kind of
// phrase instead (howAnswer).
var howWhat = regexp.MustCompile(`(?i)\bhow (long|many|much)\b`)

var duration = regexp.MustCompile(`(?i)\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|several|few|half|an? hour and a half)[\s-]+(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b`)

// howAnswer returns the phrase an answer to a "how long/many/much"
// question must hold, or nil for other questions.
func howAnswer(question string) *regexp.Regexp {
	m := howWhat.FindStringSubmatch(question)
	switch {
	case m == nil:
		return nil
	case strings.EqualFold(m[1], "long"):
		return duration
	default:
		return quantityPhrase
	}
}

// withoutFrameWords removes frame words, and the adjective of "how long"
// and the like in question, from q, unless nothing else is left.
func withoutFrameWords(q retrieval.Query, question string) retrieval.Query {
	frame := map[string]bool{}
	for _, m := range howWhat.FindAllStringSubmatch(question, -1) {
		frame[retrieval.Term(m[1])] = true
	}
	var terms []retrieval.QueryTerm
	for _, t := range q.Terms {
		if !frameWords[t.Term] && !frame[t.Term] {
			terms = append(terms, t)
		}
	}
	if len(terms) > 0 {
		q.Terms = terms
	}
	return q
}

// termWeights gives each query term its weight times its IDF: how much
// finding it says about a passage.
func termWeights(ix *retrieval.Index, q retrieval.Query) map[string]float64 {
	out := make(map[string]float64, len(q.Terms))
	for _, t := range q.Terms {
		out[t.Term] = t.Weight * ix.IDF(t.Term)
	}
	return out
}

// coverage is the weighted share of query terms present in terms.
func coverage(weights map[string]float64, terms []string) float64 {
	var total, found float64
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		return 0
	}
	seen := map[string]bool{}
	for _, t := range terms {
		if w, ok := weights[t]; ok && !seen[t] {
			seen[t] = true
			found += w
		}
	}
	return found / total
}

// candidate is one sentence of a retrieved passage, scored as an answer.
type candidate struct {
	text    string
	passage int // index into Corpus.Passages of the best hit holding it
	terms   map[string]bool
	score   float64
}

// candidates scores every sentence of the hits, best first.
func candidates(c *corpus.Corpus, hits []retrieval.Hit, weights map[string]float64, want answerKind, question string) []candidate {
	type key struct{ doc, start int }
	seen := map[key]bool{}
	qWords := wordSet(question)
	var out []candidate
	for rank, h := range hits {
		p := c.Passages[h.Passage]
		for _, sp := range corpus.SplitSentences(p.Text) {
			k := key{p.Doc, p.Start + sp.Start}
			if seen[k] {
				continue
			}
			seen[k] = true
			text := p.Text[sp.Start:sp.End]
			terms := retrieval.Terms(text)
			set := make(map[string]bool, len(terms))
			var lex float64
			for _, t := range terms {
				if !set[t] {
					set[t] = true
					lex += weights[t]
				}
			}
			if lex == 0 {
				continue
			}
			score := lex * (1 - 0.04*float64(rank))
			if n := len(terms); n > 25 {
				score /= 1 + 0.01*float64(n-25) // prefer the point to the paragraph
			}
			if want.matches(text, qWords) {
				score *= 1.3
			}
			out = append(out, candidate{text: text, passage: h.Passage, terms: set, score: score})
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	return out
}

// addedWeight is the weight of the question terms cd has and first lacks.
func addedWeight(cd, first candidate, weights map[string]float64) float64 {
	var w float64
	for t := range cd.terms {
		if !first.terms[t] {
			w += weights[t]
		}
	}
	return w
}

// answerKind is what sort of phrase would answer a question.
type answerKind int

const (
	anyKind answerKind = iota
	timeKind
	quantityKind
	personKind
	placeKind
)

var (
	askTime     = regexp.MustCompile(`(?i)\b(when|what time|what date|which date|what day|which day|how soon|since when|until when)\b`)
	askQuantity = regexp.MustCompile(`(?i)\bhow (long|many|much|often|old|far)\b`)
	askPerson   = regexp.MustCompile(`(?i)\b(who|whom|whose)\b`)
	askPlace    = regexp.MustCompile(`(?i)\bwhere\b`)

	timePhrase     = regexp.MustCompile(`(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|tonight|(19|20)\d{2})\b|\b\d{1,2}[.:]\d{2}\b`)
	quantityPhrase = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozens?|half|several)\b`)
	placePhrase    = regexp.MustCompile(`\b(in|at|from|to|near)\s+(the\s+)?\p{Lu}\p{L}+`)
)

func answerType(question string) answerKind {
	switch {
	case askTime.MatchString(question):
		return timeKind
	case askQuantity.MatchString(question):
		return quantityKind
	case askPerson.MatchString(question):
		return personKind
	case askPlace.MatchString(question):
		return placeKind
	}
	return anyKind
}

// matches reports whether a sentence holds the kind of phrase asked for.
// Names and places count only when the question does not already hold them.
func (k answerKind) matches(sentence string, questionWords map[string]bool) bool {
	switch k {
	case timeKind:
		return timePhrase.MatchString(sentence)
	case quantityKind:
		return quantityPhrase.MatchString(sentence)
	case personKind:
		for i, w := range retrieval.Words(sentence) {
			if i > 0 && isCapitalized(w) && !questionWords[strings.ToLower(w)] {
				return true
			}
		}
	case placeKind:
		for _, m := range placePhrase.FindAllStringSubmatch(sentence, -1) {
			words := retrieval.Words(m[0])
			if !questionWords[strings.ToLower(words[len(words)-1])] {
				return true
			}
		}
	}
	return false
}

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range retrieval.Words(s) {
		out[strings.ToLower(w)] = true
	}
	return out
}

func isCapitalized(w string) bool {
	r := []rune(w)
	return unicode.IsUpper(r[0]) && !strings.ContainsFunc(w, unicode.IsDigit)
}

// leadWords may open a question capitalized without being names.
var leadWords = map[string]bool{
	"tell": true, "list": true, "describe": true, "explain": true, "give": true,
	"show": true, "summarize": true, "summarise": true, "name": true, "compare": true,
	"please": true, "according": true, "did": true, "does": true, "do": true,
	"is": true, "are": true, "was": true, "were": true, "will": true, "would": true,
	"can": true, "could": true, "should": true, "has": true, "have": true, "had": true,
	"what": true, "who": true, "whom": true, "whose": true, "when": true, "where": true,
	"why": true, "how": true, "which": true, "and": true, "but": true, "so": true,
	"in": true, "on": true, "at": true, "for": true, "about": true, "after": true, "before": true,
}

// missingNames returns the names in a question (runs of capitalized
// words: people, places, organisations) of which no word occurs anywhere
// in the corpus. A question about someone the articles never mention is
// not covered by them, however well its other words match.
func missingNames(ix *retrieval.Index, question string) []string {
	var missing []string
	var run []string
	flush := func() {
		defer func() { run = run[:0] }()
		known, words := false, 0
		for _, w := range run {
			t := retrieval.Term(w)
			if t == "" {
				continue
			}
			words++
			if ix.Contains(t) {
				known = true
			}
		}
		if words > 0 && !known {
			missing = append(missing, strings.Join(run, " "))
		}
	}
	first := true
	for _, field := range strings.Fields(question) {
		for _, w := range retrieval.Words(field) {
			lead := first && (leadWords[strings.ToLower(w)] || retrieval.Term(w) == "")
			first = false
			if isCapitalized(w) && !lead && len([]rune(w)) > 1 {
				run = append(run, w)
			} else if len(run) > 0 {
				flush()
			}
		}
		if strings.ContainsAny(field, ",.;:?!\"()") && len(run) > 0 {
			flush() // punctuation ends a name
		}
	}
	if len(run) > 0 {
		flush()
	}
	return missing
}
