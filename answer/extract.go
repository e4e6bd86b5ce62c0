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
	// historyWeight is how much the terms of the previous question count
	// in a follow-up; older questions count less and less.
	historyWeight = 0.5
	// secondSentence is how close a second sentence must score to the
	// best to join the answer.
	secondSentence = 0.75
	// contextShare is how much a question term counts when it is not in
	// the sentence but in its passage or its article's title.
	contextShare = 0.35
	// minEvidence is the share of the question's weighted terms (its own,
	// and its own with its history's) that the answer sentence, with its
	// context, must match (see answerable). Calibrated on the three public
	// question sets together (docs/OFFLINE.md).
	minEvidence = 0.22
	// minTopicShare is how much of the best-matching sentence's evidence
	// the answer must have (see offTopic). On the public sets, right
	// answers have 0.63 or more, and answers to questions the articles do
	// not answer 0.46 and 0.51; this sits between.
	minTopicShare = 0.55
)

// offline answers by extraction: the one or two sentences of the top
// passages that best match the question, each cited, or a refusal when
// the evidence does not hold (see answerable).
func (s *Service) offline(ctx context.Context, ix *retrieval.Index, req Request) Answer {
	if req.Lang != "" && req.Lang != corpusLang {
		return refuse(newAnswer(ix, req, req.Question, ModeOffline, nil), NeedsEnglish)
	}
	qs := readQuestion(ix, s.lex, req.Question, req.History)
	if n := len(req.History); n > 0 && personalPronoun.MatchString(req.Question) && asksForPerson(req.History[n-1].Question) {
		prev := req.History[n-1]
		if prev.Answer == "" { // answer it again to learn whom "he" or "she" is
			prev.Answer = s.offline(ctx, ix, Request{Question: prev.Question, History: req.History[:n-1]}).Text
		}
		qs.addSubject(ix, prev)
	}
	text := req.Question
	for i := len(req.History) - 1; i >= 0; i-- {
		text += "\n" + req.History[i].Question
	}
	hits := s.search(ctx, ix, qs.query(text), offlineHits)
	a := newAnswer(ix, req, text, ModeOffline, hits)
	if len(hits) == 0 || qs.own == 0 || unknownName(ix, req.Question) {
		return refuse(a, "")
	}
	c := ix.Corpus()
	cands := candidates(c, hits, qs)
	if len(cands) == 0 || !answerable(cands[0], qs) || offTopic(cands, req.History) || missingFromDoc(ix, c.Doc(c.Passages[cands[0].passage]), qs) || unnamedCategory(c, cands[0], qs) {
		return refuse(a, "")
	}
	picked := []candidate{cands[0]}
	for _, cd := range cands[1:] {
		if cd.score < secondSentence*cands[0].score {
			break
		}
		// A second sentence must add a real part of the question, and
		// come from the same article unless it scores nearly as well.
		sameDoc := c.Passages[cd.passage].Doc == c.Passages[cands[0].passage].Doc
		if addedWeight(cd, cands[0], qs) >= 0.2*qs.own && (sameDoc || cd.score >= 0.9*cands[0].score) {
			picked = append(picked, cd)
			break
		}
	}
	return withSentences(a, c, picked)
}

// withSentences makes a the answer of the picked sentences, each cited.
func withSentences(a Answer, c *corpus.Corpus, picked []candidate) Answer {
	var text []string
	numbers := map[int]int{} // hit passage -> citation number
	for _, cd := range picked {
		n, ok := numbers[cd.passage]
		if !ok {
			n = len(numbers) + 1
			numbers[cd.passage] = n
			a.Citations = append(a.Citations, citation(c, n, cd.passage))
		}
		t := cd.text + " [" + strconv.Itoa(n) + "]"
		if cd.day != "" {
			t += " (" + cd.day + ")"
		}
		text = append(text, t)
	}
	a.Text = strings.Join(text, " ")
	a.Answered = true
	return a
}

// answerable decides from the evidence whether the best sentence answers
// the question: it must match enough of the question's weighted terms
// (its context counting in part), of its own and with its history, hold the kind of answer asked for, and
// come from an article that has the question's names.
func answerable(best candidate, qs *questionInfo) bool {
	if min(best.evidence, best.all) < minEvidence {
		return false
	}
	if qs.kind.typed() && !best.typed {
		return false
	}
	return true
}

// offTopic reports whether the best answer, though it holds the kind of
// answer asked for, matches the question far less than another retrieved
// sentence does: the articles speak of what was asked without giving the
// answer ("What is the name of the secure channel?" meets the sentence
// about the channel, which names none, and a sentence naming something
// else). Follow-ups, whose own words are few, are judged with their
// history.
func offTopic(cands []candidate, history []Turn) bool {
	share := func(cd candidate) float64 {
		if len(history) > 0 {
			return cd.all
		}
		return cd.evidence
	}
	var best float64
	for _, cd := range cands {
		best = max(best, share(cd))
	}
	return share(cands[0]) < minTopicShare*best
}

// frameWords frame a question rather than say what it is about ("what
// did X say about Y", "what does X want"). They are dropped from offline
// queries so that matching them, or missing them, proves nothing.
var frameWords = termSet("say said says tell told want wants wanted know think mean happen happened kind type sort regarding thing things anything something please exactly actually really also")

// candidate is one sentence of a retrieved passage, scored as an answer.
type candidate struct {
	text    string
	passage int // index into Corpus.Passages of the best hit holding it
	terms   map[string]bool
	// evidence is the share of the question's own weight the sentence
	// matches, its passage and title counting contextShare.
	evidence float64
	// strict is that share matched by the sentence alone, and all the
	// share of all the weight, the history's too.
	strict, all float64
	typed       bool // holds the kind of answer asked for
	score       float64
	// day is the date a weekday of the sentence ("on Wednesday") stands
	// for, from its article's date, when that is what answers.
	day string
}

// candidates scores every sentence of the hits, best first.
func candidates(c *corpus.Corpus, hits []retrieval.Hit, qs *questionInfo) []candidate {
	type key struct{ doc, start int }
	seen := map[key]bool{}
	var out []candidate
	for rank, h := range hits {
		p := c.Passages[h.Passage]
		context := setOf(retrieval.Terms(p.Text + " " + c.Doc(p).Title))
		for _, sp := range corpus.SplitSentences(p.Text) {
			k := key{p.Doc, p.Start + sp.Start}
			if seen[k] {
				continue
			}
			seen[k] = true
			cd, ok := score(p.Text[sp.Start:sp.End], context, rank, qs)
			if ok && !cd.typed && qs.kind.dated() {
				if on, ok := dayOf(p.Text[sp.Start:sp.End], c.Doc(p).Date); ok {
					cd.typed, cd.day = true, on
					cd.score *= 3 // from the untyped penalty to the typed bonus
				}
			}
			if ok {
				cd.passage = h.Passage
				out = append(out, cd)
			}
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

// score rates one sentence as the answer: the weight of the question
// terms it matches (those only in its context count in part), more if it
// holds the kind of answer asked for or one of the options of an
// either-or question, less the further down the hits it comes and the
// longer it runs.
func score(text string, context map[string]bool, rank int, qs *questionInfo) (candidate, bool) {
	terms := retrieval.Terms(text)
	set := setOf(terms)
	var lex, own, strict, total float64
	for _, u := range qs.units {
		m := matchShare(u, set, context)
		lex += m * u.weight
		total += u.weight
		if u.own {
			own += m * u.weight
			if m == 1 {
				strict += u.weight
			}
		}
	}
	if lex == 0 {
		return candidate{}, false
	}
	cd := candidate{text: text, terms: set, evidence: own / qs.own, strict: strict / qs.own, all: lex / total, typed: qs.kind.matches(text, qs) && !otherRole(text, qs)}
	cd.score = lex * (1 - 0.04*float64(rank))
	if n := len(terms); n > 25 {
		cd.score /= 1 + 0.01*float64(n-25) // prefer the point to the paragraph
	}
	if qs.kind.typed() {
		if cd.typed {
			cd.score *= 1.5
		} else {
			cd.score *= 0.5
		}
	}
	if holdsOption(set, qs.options) {
		cd.score *= 1.5
	}
	return cd, true
}

// matchShare is how far a sentence matches a unit: 1 when it holds one
// of its forms, contextShare when only its passage or title does.
func matchShare(u unit, sentence, context map[string]bool) float64 {
	for _, f := range u.forms {
		if sentence[f] {
			return 1
		}
	}
	best := 0.0
	for _, r := range u.related {
		if sentence[r.term] {
			best = max(best, r.share)
		}
	}
	for _, f := range u.forms {
		if context[f] {
			return max(best, contextShare)
		}
	}
	for _, r := range u.related {
		if context[r.term] {
			best = max(best, r.share*contextShare)
		}
	}
	return best
}

// holdsOption reports whether a sentence has a term of either option.
func holdsOption(set map[string]bool, options [][]string) bool {
	for _, opt := range options {
		for _, t := range opt {
			if set[t] {
				return true
			}
		}
	}
	return false
}

func setOf(terms []string) map[string]bool {
	out := make(map[string]bool, len(terms))
	for _, t := range terms {
		out[t] = true
	}
	return out
}

// addedWeight is the weight of the question units cd has and first lacks.
func addedWeight(cd, first candidate, qs *questionInfo) float64 {
	var w float64
	for _, u := range qs.units {
		if matchShare(u, cd.terms, nil) == 1 && matchShare(u, first.terms, nil) == 0 {
			w += u.weight
		}
	}
	return w
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

// unknownName reports whether the question names someone or something
// the corpus never mentions: two adjacent capitalised words ("Emmanuel
// Macron", "Nord Stream"), neither of them a month or weekday, neither
// found anywhere in the articles. A lone unknown word is often another
// spelling ("Kyiv") or a paraphrase ("Italy's capital"), so it does not
// count.
func unknownName(ix *retrieval.Index, question string) bool {
	prev := false
	for i, w := range retrieval.Words(question) {
		t := retrieval.Term(w)
		unknown := i > 0 && t != "" && isCapitalized(w) && !calendarWords[t] && !ix.Contains(t)
		if unknown && prev {
			return true
		}
		prev = unknown
	}
	return false
}

// unnamedCategory reports whether a question asks for a kind of name
// ("Which hotel…", "Which newspaper…") that neither the answer's passage
// says nor WordNet knows a name of the answer to be: a name near the
// question's words is then only a name, and calling it the hotel asked
// for would be a claim the articles do not make ("Villa La Grange" is a
// mansion; nothing says Biden stayed there). WordNet knows that NATO is
// an organisation; the passage need not say it.
func unnamedCategory(c *corpus.Corpus, best candidate, qs *questionInfo) bool {
	if len(qs.category) == 0 {
		return false
	}
	p := c.Passages[best.passage]
	terms := setOf(retrieval.Terms(p.Text + " " + c.Doc(p).Title))
	if slices.ContainsFunc(qs.category, func(t string) bool { return terms[t] }) {
		return false
	}
	for _, name := range namedPhrase.FindAllString(best.text, -1) {
		for _, k := range qs.kindsOf(name) {
			if slices.Contains(qs.category, retrieval.Term(k)) {
				return false
			}
		}
	}
	return true
}

// demonym matches the stems of words like "American", "Russian",
// "Chinese": adjectives of a country, which an article may name otherwise.
var demonym = regexp.MustCompile(`(an|ian|ese|ish)$`)

// missingFromDoc reports whether a typed question names someone or something
// the corpus knows but the answer's article never mentions: the answer
// is then about another event ("How long did the Geneva summit last?"
// answered from an article on a video call).
func missingFromDoc(ix *retrieval.Index, d corpus.Document, qs *questionInfo) bool {
	if len(qs.names) == 0 || !qs.kind.typed() {
		return false
	}
	terms := setOf(retrieval.Terms(d.Title + " " + d.Text))
	for n := range qs.names {
		if ix.Contains(n) && !terms[n] && !demonym.MatchString(n) {
			return true
		}
	}
	return false
}
