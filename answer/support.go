package answer

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/retrieval"
)

// The support check: after an LLM reply has been cleaned and its markers
// renumbered, every sentence that states something must be borne out by
// the passages it cites: its numbers, dates and names must be in them,
// and enough of its other words. docs/SUPPORT.md has the rules and their
// measured precision and recall.

// A sentence's content words (stemmed, with synonyms folded) must be in
// the passages it cites: at least supportOverlap of them, and all but one
// in every missPerWords (at least one may be missing). Calibrated on
// testdata/support.jsonl (TestSupportTable).
const (
	supportOverlap = 0.75
	missPerWords   = 10
)

// supportResult is what checkSupport makes of an answer.
type supportResult struct {
	// Text is the answer with its unsupported sentences left out,
	// markers kept; "" when no supported sentence is left, and then the
	// caller refuses.
	Text string
	// Kept counts the checked sentences kept; Dropped, those dropped as
	// unsupported. Kept+Dropped is every sentence that states something.
	Kept, Dropped int
	// Uncited counts the sentences that state something without citing
	// a passage, kept or dropped: they are checked against all the
	// passages the answer cites, and kept only if those support them.
	Uncited int
	// Unchecked counts the sentences that state nothing checkable ("Here
	// is what the articles say."): kept, but never an answer on their own.
	Unchecked int
}

// checkSupport keeps the sentences of text that its citations support.
// text is an answer with markers [1]..[k]; cited[n-1] is the text of the
// passage that [n] refers to. A sentence's markers are those in it or
// directly after its final punctuation. It is pure: no I/O, no state.
func checkSupport(text string, cited []string) supportResult {
	sents := splitAnswer(text)
	all := newEvidence(cited...)
	known := knownNames(text, cited)
	var res supportResult
	keep := make([]bool, len(sents))
	for i, s := range sents {
		c := claimsOf(s.body, known)
		if c.empty() {
			res.Unchecked++
			keep[i] = true
			continue
		}
		ev := all
		if refs := validCites(s.cites, len(cited)); len(refs) == 0 {
			res.Uncited++
		} else if len(refs) < len(cited) {
			var ps []string
			for _, n := range refs {
				ps = append(ps, cited[n-1])
			}
			ev = newEvidence(ps...)
		}
		if ev.supports(c) {
			res.Kept++
			keep[i] = true
		} else {
			res.Dropped++
		}
	}
	if res.Kept > 0 {
		res.Text = joinKept(text, sents, keep)
	}
	return res
}

// validCites returns the distinct markers of 1..n, in order.
func validCites(cites []int, n int) []int {
	var out []int
	for _, c := range cites {
		if c >= 1 && c <= n && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// answerSentence is one sentence of an answer.
type answerSentence struct {
	start, end int    // byte span in the answer, with the markers after it
	body       string // the sentence without markers
	cites      []int  // the numbers of its markers
}

// listNumber is a line's list number ("1.", "2)") that the sentence
// splitter would take for a sentence of its own.
var listNumber = regexp.MustCompile(`^\d{1,2}[.)]$`)

// splitAnswer cuts an answer into sentences, giving each the markers in
// it or directly after its final punctuation. Markers are blanked out
// before splitting, so "Done.[1] Next" splits like "Done. Next"; a marker
// after a period always ends a sentence, even after "U.S.".
func splitAnswer(text string) []answerSentence {
	groups := markerGroup.FindAllStringIndex(text, -1)
	masked := []byte(text)
	for _, g := range groups {
		for i := g[0]; i < g[1]; i++ {
			masked[i] = ' '
		}
	}
	var spans []corpus.Span
	from := 0
	cut := func(to int) {
		for _, sp := range corpus.SplitSentences(string(masked[from:to])) {
			spans = append(spans, corpus.Span{Start: from + sp.Start, End: from + sp.End})
		}
		from = to
	}
	for _, g := range groups {
		if endsWithStop(text[:g[0]]) {
			cut(g[1])
		}
	}
	cut(len(text))
	spans = joinListNumbers(text, spans)

	out := make([]answerSentence, len(spans))
	for i, sp := range spans {
		out[i] = answerSentence{start: sp.Start, end: sp.End}
	}
	for _, g := range groups {
		i := markerOwner(spans, g[0])
		if i < 0 {
			continue
		}
		out[i].cites = append(out[i].cites, markerCites(text[g[0]:g[1]])...)
		out[i].end = max(out[i].end, g[1])
		out[i].start = min(out[i].start, g[0]+len(text[g[0]:g[1]])-len(strings.TrimLeft(text[g[0]:g[1]], " \t\n")))
	}
	for i := range out {
		out[i].body = strings.TrimSpace(markerGroup.ReplaceAllString(text[out[i].start:out[i].end], ""))
	}
	return out
}

// endsWithStop reports whether before ends with a sentence's final
// punctuation, perhaps followed by closing quotes or brackets.
func endsWithStop(before string) bool {
	s := strings.TrimRight(before, " \t")
	s = strings.TrimRight(s, `"'”’»)`)
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '.' || r == '!' || r == '?' || r == '…'
}

// joinListNumbers joins a list number the splitter left on its own to
// the sentence after it on the same line.
func joinListNumbers(text string, spans []corpus.Span) []corpus.Span {
	var out []corpus.Span
	for i := 0; i < len(spans); i++ {
		sp := spans[i]
		if listNumber.MatchString(text[sp.Start:sp.End]) && i+1 < len(spans) && !strings.Contains(text[sp.End:spans[i+1].Start], "\n") {
			sp.End = spans[i+1].End
			i++
		}
		out = append(out, sp)
	}
	return out
}

// markerOwner returns the sentence a marker at pos belongs to: the one it is
// in, else the last one before it, else the first after it.
func markerOwner(spans []corpus.Span, pos int) int {
	best := -1
	for i, sp := range spans {
		if sp.Start <= pos {
			best = i
		}
	}
	if best < 0 && len(spans) > 0 {
		return 0
	}
	return best
}

// markerCites returns the numbers of a marker group such as " [1][2]".
func markerCites(group string) []int {
	var out []int
	for _, m := range markerNumbers.FindAllString(group, -1) {
		out = append(out, expand(m)...)
	}
	return out
}

// joinKept rebuilds the answer from its kept sentences, keeping line
// breaks between them.
func joinKept(text string, sents []answerSentence, keep []bool) string {
	var b strings.Builder
	last := -1
	for i, s := range sents {
		if !keep[i] {
			continue
		}
		if last >= 0 {
			switch gap := text[sents[last].end:s.start]; {
			case last == i-1 && strings.TrimSpace(gap) == "":
				b.WriteString(gap)
			case strings.Contains(gap, "\n\n"):
				b.WriteString("\n\n")
			case strings.Contains(gap, "\n"):
				b.WriteString("\n")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString(text[s.start:s.end])
		last = i
	}
	return strings.TrimSpace(b.String())
}

// sentenceClaims is what a sentence states, in the forms evidence is kept in.
type sentenceClaims struct {
	numbers  []string // "n:2", "o:1" (ordinal), "n:3.5"
	days     []string // "june 16"
	months   []string // "june"
	weekdays []string // "tuesday"
	names    []name
	terms    []string // content words, as keys, without repeats
	negated  bool
}

// name is a name a sentence states, as keys: its head ("Biden" of "Joe
// Biden", "Sea" of "Black Sea") and the word before the head, if any
// ("Joe", "Black"; titles such as "President" left out).
type name struct{ head, modifier string }

// empty reports whether the claims hold nothing to check.
func (c sentenceClaims) empty() bool {
	return len(c.numbers)+len(c.days)+len(c.months)+len(c.weekdays)+len(c.names)+len(c.terms) == 0
}

// evidence is what passages hold, in the forms claims are checked in.
type evidence struct {
	numbers, days, months, weekdays, keys map[string]bool
	// modifiers maps a name's head to the words written before it in a
	// name ("black" for "sea" from "Black Sea").
	modifiers map[string][]string
	sentences []evidenceSentence
}

// evidenceSentence is one clause of a passage: a sentence cut at commas,
// colons, dashes, brackets and quotation marks, so that a negation counts
// only for the words near it.
type evidenceSentence struct {
	keys    map[string]bool
	negated bool
}

var clauseBreak = regexp.MustCompile(`[,;:()"“”—–]|\bbut\b`)

// newEvidence gathers the facts and words of passages.
func newEvidence(passages ...string) *evidence {
	ev := &evidence{numbers: map[string]bool{}, days: map[string]bool{}, months: map[string]bool{}, weekdays: map[string]bool{}, keys: map[string]bool{}, modifiers: map[string][]string{}}
	for _, p := range passages {
		p = normalizeUS(p)
		toks := supTokenize(p)
		f := findTextFacts(p, toks)
		for _, n := range f.numbers {
			ev.numbers[n] = true
		}
		for _, d := range f.days {
			ev.days[d] = true
			_, day, _ := strings.Cut(d, " ")
			ev.numbers["n:"+day] = true
		}
		for _, m := range f.months {
			ev.months[m] = true
		}
		for _, w := range f.weekdays {
			ev.weekdays[w] = true
		}
		for i, t := range toks {
			if k := supportKey(t.w); k != "" {
				ev.keys[k] = true
			}
			if i > 0 && startsUpper(t.w) && startsUpper(toks[i-1].w) && spaceAfter(toks, i-1) && !nameTitles[strings.ToLower(toks[i-1].w)] {
				if h, m := supportKey(t.w), supportKey(toks[i-1].w); h != "" && m != "" {
					ev.modifiers[h] = append(ev.modifiers[h], m)
				}
			}
		}
		for _, sp := range corpus.SplitSentences(p) {
			for _, clause := range clauseBreak.Split(p[sp.Start:sp.End], -1) {
				toks := supTokenize(clause)
				es := evidenceSentence{keys: map[string]bool{}, negated: isNegatedText(toks)}
				for _, t := range toks {
					if k := supportKey(t.w); k != "" {
						es.keys[k] = true
					}
				}
				ev.sentences = append(ev.sentences, es)
			}
		}
	}
	return ev
}

// supports reports whether the evidence bears out every claim.
func (ev *evidence) supports(c sentenceClaims) bool {
	for _, n := range c.numbers {
		if !ev.numbers[n] {
			return false
		}
	}
	for _, d := range c.days {
		if !ev.days[d] {
			return false
		}
	}
	for _, m := range c.months {
		if !ev.months[m] {
			return false
		}
	}
	for _, w := range c.weekdays {
		if !ev.weekdays[w] {
			return false
		}
	}
	for _, n := range c.names {
		if !ev.hasName(n) {
			return false
		}
	}
	if len(c.terms) == 0 {
		return true
	}
	found := 0
	for _, t := range c.terms {
		if ev.hasKey(t) {
			found++
		}
	}
	missing := len(c.terms) - found
	if float64(found) < supportOverlap*float64(len(c.terms)) || missing > max(1, len(c.terms)/missPerWords) {
		return false
	}
	return ev.sameNegation(c)
}

// hasName reports whether the evidence holds a name: its head, and its
// modifier unless the passages write the head only without one. So "Joe
// Biden" matches "Biden", but "Baltic Sea" does not match "Black Sea";
// "Sergey Lavrov" matches "Sergei Lavrov" (one letter apart).
func (ev *evidence) hasName(n name) bool {
	if !ev.hasKey(n.head) {
		return false
	}
	mods := ev.modifiers[n.head]
	if n.modifier == "" || len(mods) == 0 || ev.hasKey(n.modifier) {
		return true
	}
	for _, m := range mods {
		if oneEditApart(m, n.modifier) {
			return true
		}
	}
	return false
}

// oneEditApart reports whether a and b differ by at most one letter
// changed, added or removed: spellings of one transliterated name.
func oneEditApart(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 || len(a) < 4 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+min(1, len(a)-i):] == b[i+min(1, len(b)-i):]
	}
	return a[i:] == b[i+1:]
}

// hasKey reports whether the evidence holds a word key, or one differing
// from it by a short ending ("russia"/"russian", "ukrain"/"ukrainian").
func (ev *evidence) hasKey(k string) bool {
	if ev.keys[k] {
		return true
	}
	if len(k) < 4 {
		return false
	}
	for e := range ev.keys {
		if len(e) >= 4 && (strings.HasPrefix(e, k) && len(e)-len(k) <= 3 || strings.HasPrefix(k, e) && len(k)-len(e) <= 3) {
			return true
		}
	}
	return false
}

// sameNegation checks that a sentence does not flip the passage clause
// it restates. A negated sentence needs a negated clause sharing two of
// its words (or all, if fewer); one without negation needs a clause
// without negation sharing as many of its words as the best clause. It
// applies only when one clause holds half of the sentence's words.
func (ev *evidence) sameNegation(c sentenceClaims) bool {
	best, bestN := -1, 0
	for i, s := range ev.sentences {
		n := overlapCount(s.keys, c)
		if n > bestN {
			best, bestN = i, n
		}
	}
	if best < 0 || float64(bestN) < 0.5*float64(len(c.terms)) {
		return true // no one sentence is restated: nothing to compare
	}
	if c.negated {
		// Any negated sentence sharing words may carry the negation.
		for _, s := range ev.sentences {
			if s.negated && overlapCount(s.keys, c) >= min(2, len(c.terms)) {
				return true
			}
		}
		return false
	}
	// A sentence without negation must restate a sentence without it.
	for _, s := range ev.sentences {
		if !s.negated && overlapCount(s.keys, c) >= bestN {
			return true
		}
	}
	return false
}

func overlapCount(keys map[string]bool, c sentenceClaims) int {
	n := 0
	for _, t := range c.terms {
		if keys[t] {
			n++
		}
	}
	return n
}

// supToken is one word or number of a text.
type supToken struct {
	w          string // as written, possessive "'s" removed
	start, end int
	initial    bool // first word of a sentence, clause or quotation
}

var supTokenRe = regexp.MustCompile(`\d+(?:[.,:]\d+)*(?:st|nd|rd|th)?|[\p{L}\p{M}]+(?:['’][\p{L}]+)*`)

// supTokenize splits text into words and numbers, marking the words that
// start a sentence, a clause after a colon, or a quotation: their capital
// says nothing.
func supTokenize(text string) []supToken {
	locs := supTokenRe.FindAllStringIndex(text, -1)
	out := make([]supToken, 0, len(locs))
	prev := 0
	for i, l := range locs {
		w := text[l[0]:l[1]]
		for _, s := range []string{"'s", "’s", "'S"} {
			w = strings.TrimSuffix(w, s)
		}
		gap := text[prev:l[0]]
		initial := i == 0 || strings.ContainsAny(gap, ":;\"“‘«(\n") || endsWithStop(gap) && strings.HasSuffix(gap, " ")
		out = append(out, supToken{w: w, start: l[0], end: l[1], initial: initial})
		prev = l[1]
	}
	return out
}

// usForms are the ways of writing the United States, all read as "USA".
var usForms = regexp.MustCompile(`\bU\.S\.(?:A\.)?|\bUnited States(?: of America)?\b|\bU\.S\b`)

// normalizeUS makes equal what is written differently and would split
// into different words: "U.S." and "United States" become "USA".
func normalizeUS(s string) string {
	return usForms.ReplaceAllString(s, "USA")
}

// textFacts are the numbers and dates of a text.
type textFacts struct {
	numbers, days, months, weekdays []string
	dayTokens                       map[int]bool // tokens that are the day of a date
	monthTokens                     map[int]bool
}

// findTextFacts extracts the numbers, dates and weekdays of a text.
func findTextFacts(text string, toks []supToken) textFacts {
	f := textFacts{dayTokens: map[int]bool{}, monthTokens: map[int]bool{}}
	for i, t := range toks {
		if d, ok := supWeekdays[strings.ToLower(t.w)]; ok && startsUpper(t.w) {
			f.weekdays = append(f.weekdays, d)
			f.monthTokens[i] = true
			continue
		}
		m, ok := monthOf(text, toks, i)
		if !ok {
			continue
		}
		f.monthTokens[i] = true
		f.months = append(f.months, m)
		if j, day := dayNear(toks, i); j >= 0 {
			f.dayTokens[j] = true
			f.days = append(f.days, m+" "+day)
		}
	}
	f.numbers = supNumbers(text, toks, f.dayTokens)
	return f
}

// monthOf returns the month toks[i] names, if it names one: a capitalised
// month ("June", "Dec."), where the months that are also words ("May",
// "March") must stand by a number.
func monthOf(text string, toks []supToken, i int) (string, bool) {
	t := toks[i]
	if !startsUpper(t.w) {
		return "", false
	}
	m, ok := supMonths[strings.ToLower(t.w)]
	if !ok {
		return "", false
	}
	short := len(t.w) <= 4 && strings.ToLower(t.w) != m
	if short && !(strings.HasPrefix(text[t.end:], ".") || i+1 < len(toks) && startsWithDigit(toks[i+1].w)) {
		return "", false
	}
	if (m == "may" || m == "march") && !hasNumberBeside(toks, i) {
		return "", false
	}
	return m, true
}

func hasNumberBeside(toks []supToken, i int) bool {
	return i+1 < len(toks) && startsWithDigit(toks[i+1].w) || i > 0 && startsWithDigit(toks[i-1].w)
}

// dayNear returns the token holding the day of the month at toks[i]:
// "June 16", "June 16th", "16 June", "16th of June".
func dayNear(toks []supToken, i int) (int, string) {
	try := func(j int) (int, string) {
		if j < 0 || j >= len(toks) {
			return -1, ""
		}
		w := strings.TrimRight(toks[j].w, "stndrh")
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > 31 || !startsWithDigit(toks[j].w) {
			return -1, ""
		}
		return j, strconv.Itoa(n)
	}
	if j, d := try(i + 1); j >= 0 {
		return j, d
	}
	if i >= 1 && strings.EqualFold(toks[i-1].w, "of") {
		return try(i - 2)
	}
	return try(i - 1)
}

func startsWithDigit(w string) bool { return w != "" && w[0] >= '0' && w[0] <= '9' }

func startsUpper(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

var (
	andAHalf = regexp.MustCompile(`(?i)\b(?:an?|one) [\p{L}]+ and a half\b`)
	halfAn   = regexp.MustCompile(`(?i)\bhalf an? [\p{L}]+\b`)
)

// supNumbers returns the numbers of a text as keys: "n:2" for "2", "two"
// and "2.0"; "n:2000" for "2,000" and "two thousand"; "o:1" for "first"
// and "1st"; "n:3.5" for "three and a half". Tokens in skip (the days of
// dates) are left out, and so is a lone "one", mostly a pronoun.
func supNumbers(text string, toks []supToken, skip map[int]bool) []string {
	var out []string
	for i := 0; i < len(toks); i++ {
		if skip[i] {
			continue
		}
		v, ord, n := supNumberAt(toks, i)
		if n == 0 {
			continue
		}
		end := i + n
		if n == 1 && strings.EqualFold(toks[i].w, "one") && !ord {
			i = end - 1
			continue
		}
		if end+2 < len(toks) && strings.EqualFold(toks[end].w, "and") && strings.EqualFold(toks[end+1].w, "a") && strings.EqualFold(toks[end+2].w, "half") {
			v += 0.5
			end += 3
		}
		out = append(out, supNumberKey(v, ord))
		i = end - 1
	}
	for range andAHalf.FindAllString(text, -1) {
		out = append(out, supNumberKey(1.5, false))
	}
	for range halfAn.FindAllString(text, -1) {
		out = append(out, supNumberKey(0.5, false))
	}
	return out
}

func supNumberKey(v float64, ord bool) string {
	if ord {
		return "o:" + strconv.FormatFloat(v, 'f', -1, 64)
	}
	return "n:" + strconv.FormatFloat(v, 'f', -1, 64)
}

// supNumberAt reads a number starting at toks[i]: digits ("2,000", "2.5",
// "23:30", "16th", "1.2 million") or number words ("twenty-one", "two
// hundred", "first"). It returns the value, whether it is an ordinal, and
// how many tokens it took (0: no number there).
func supNumberAt(toks []supToken, i int) (float64, bool, int) {
	w := toks[i].w
	if startsWithDigit(w) {
		ord := false
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			if strings.HasSuffix(w, suf) {
				w, ord = strings.TrimSuffix(w, suf), true
			}
		}
		if thousandsSep.MatchString(w) {
			w = strings.ReplaceAll(w, ",", "")
		}
		w = strings.ReplaceAll(w, ":", ".")
		v, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return 0, false, 0
		}
		n := 1
		if i+1 < len(toks) {
			if s, ok := numberScales[strings.ToLower(toks[i+1].w)]; ok {
				v *= s
				n++
			}
		}
		return v, ord, n
	}
	return supNumberWordsAt(toks, i)
}

var thousandsSep = regexp.MustCompile(`^\d{1,3}(?:,\d{3})+$`)

// supNumberWordsAt reads a number in words: "twenty-one", "two hundred and
// five", "twenty-first".
func supNumberWordsAt(toks []supToken, i int) (float64, bool, int) {
	var total, cur float64
	n := 0
	for j := i; j < len(toks); j++ {
		lw := strings.ToLower(toks[j].w)
		if v, ok := cardinalWords[lw]; ok {
			cur += v
		} else if v, ok := ordinalWords[lw]; ok {
			return total + cur + v, true, j - i + 1
		} else if s, ok := numberScales[lw]; ok && n > 0 {
			if s == 100 {
				cur *= s
			} else {
				total += cur * s
				cur = 0
			}
		} else if lw == "and" && n > 0 && j+1 < len(toks) && cur >= 100 {
			if _, ok := cardinalWords[strings.ToLower(toks[j+1].w)]; !ok {
				break
			}
		} else {
			break
		}
		n = j - i + 1
	}
	if n == 0 {
		return 0, false, 0
	}
	return total + cur, false, n
}

// claimsOf gathers what a sentence states. known holds the keys of words
// written as names somewhere in the answer or its passages: a
// capitalised word opening a sentence counts as a name only if it is one
// of them, or an acronym, or starts a run of capitalised words.
func claimsOf(sentence string, known map[string]bool) sentenceClaims {
	sentence = normalizeUS(bulletPrefix.ReplaceAllString(sentence, ""))
	sentence = theTwo.ReplaceAllString(sentence, "$1")
	toks := supTokenize(sentence)
	f := findTextFacts(sentence, toks)
	c := sentenceClaims{numbers: f.numbers, days: f.days, months: f.months, weekdays: f.weekdays, negated: isNegatedText(toks)}
	numeric := map[int]bool{}
	for i := 0; i < len(toks); i++ {
		if _, _, n := supNumberAt(toks, i); n > 0 {
			for j := i; j < i+n; j++ {
				numeric[j] = true
			}
			i += n - 1
		}
	}
	isName := nameTokens(toks, known, f.monthTokens, numeric)
	c.names = nameHeads(sentence, toks, isName)
	heads := map[string]bool{}
	for _, n := range c.names {
		heads[n.head] = true
	}
	seen := map[string]bool{}
	for i, t := range toks {
		if numeric[i] || f.monthTokens[i] || f.dayTokens[i] || startsWithDigit(t.w) || utf8.RuneCountInString(t.w) < 2 {
			continue
		}
		if isName[i] && !heads[supportKey(t.w)] {
			continue // a given name or title: the name check has it
		}
		lw := strings.ToLower(t.w)
		if neutralWords[lw] || english.IsStopWord(lw) || isNegationWord(lw) || lw == "half" {
			continue
		}
		if k := supportKey(t.w); k != "" && !seen[k] {
			seen[k] = true
			c.terms = append(c.terms, k)
		}
	}
	return c
}

// theTwo is "the two" of "the two leaders": it refers to two already
// named, rather than counting them, and is no number to check.
var theTwo = regexp.MustCompile(`\b([Tt]he|[Tt]hese|[Tt]hose) two\b`)

// bulletPrefix is a list item's bullet or number at the start of a sentence.
var bulletPrefix = regexp.MustCompile(`^\s*(?:[-*•]|\d{1,2}[.)])\s+`)

// nameTokens marks the tokens that are (part of) names: capitalised
// words not opening a sentence, and opening ones that are known names,
// acronyms, or followed by another capitalised word.
func nameTokens(toks []supToken, known map[string]bool, dates, numeric map[int]bool) []bool {
	out := make([]bool, len(toks))
	for i, t := range toks {
		if dates[i] || numeric[i] || !startsUpper(t.w) || utf8.RuneCountInString(t.w) < 2 {
			continue
		}
		if english.IsStopWord(strings.ToLower(t.w)) || neutralWords[strings.ToLower(t.w)] {
			continue
		}
		if !t.initial {
			out[i] = true
			continue
		}
		next := i+1 < len(toks) && !toks[i+1].initial && startsUpper(toks[i+1].w) && !dates[i+1] && spaceAfter(toks, i)
		out[i] = known[supportKey(t.w)] || isAcronym(t.w) || next
	}
	return out
}

func spaceAfter(toks []supToken, i int) bool { return toks[i+1].start == toks[i].end+1 }

func isAcronym(w string) bool {
	return utf8.RuneCountInString(w) >= 2 && strings.ToUpper(w) == w && !startsWithDigit(w)
}

// nameHeads returns the key of each name's head: the last word of a run
// of capitalised words joined by single spaces that is not a title
// ("President", "Minister"). "Joe Biden" is checked as "Biden".
func nameHeads(text string, toks []supToken, isName []bool) []name {
	var out []name
	for i := 0; i < len(toks); {
		if !isName[i] {
			i++
			continue
		}
		j := i
		for j+1 < len(toks) && isName[j+1] && spaceAfter(toks, j) && !strings.ContainsAny(text[toks[j].start:toks[j].end], "'’") {
			j++
		}
		for k := j; k >= i; k-- {
			if !nameTitles[strings.ToLower(toks[k].w)] {
				n := name{head: supportKey(toks[k].w)}
				if k > i && !nameTitles[strings.ToLower(toks[k-1].w)] {
					n.modifier = supportKey(toks[k-1].w)
				}
				out = append(out, n)
				break
			}
		}
		i = j + 1
	}
	return out
}

// knownNames returns the keys of the words written capitalised where
// their capital means a name: not opening a sentence.
func knownNames(text string, passages []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range append([]string{markerGroup.ReplaceAllString(text, " ")}, passages...) {
		s = normalizeUS(s)
		for _, t := range supTokenize(s) {
			if !t.initial && startsUpper(t.w) && !english.IsStopWord(strings.ToLower(t.w)) {
				out[supportKey(t.w)] = true
			}
		}
	}
	return out
}

// supportKey returns the key a word is compared by: its stem, with British
// "-ise" spellings and synonyms folded; "" for a stop word.
func supportKey(w string) string {
	if w == "US" {
		w = "USA"
	}
	lw := strings.ToLower(w)
	if retrieval.Term(lw) == "" {
		return "" // a stop word
	}
	k := retrieval.Term(britishIse.ReplaceAllString(lw, "${1}iz$2"))
	if s, ok := supSynonyms[k]; ok {
		return s
	}
	return k
}

var britishIse = regexp.MustCompile(`^(\p{L}{4,})is(e|ed|es|ing|ation|ations)$`)

// isNegatedText reports whether a text holds a negation: "not", "no",
// "never", "-n't", "impossible", "rather than", "unlike"... Its presence
// counts, not its parity: "unlike X, Y rather than Z" restates "Y and not
// Z like X".
func isNegatedText(toks []supToken) bool {
	for i, t := range toks {
		lw := strings.ToLower(t.w)
		if isNegationWord(lw) || lw == "than" && i > 0 && strings.EqualFold(toks[i-1].w, "rather") {
			return true
		}
	}
	return false
}

func isNegationWord(lw string) bool {
	switch lw {
	case "not", "no", "never", "none", "nor", "neither", "without", "nobody", "nothing", "cannot", "impossible", "unlike", "instead":
		return true
	}
	return strings.HasSuffix(lw, "n't") || strings.HasSuffix(lw, "n’t")
}

// The read-only tables of the check.
var (
	supMonths = map[string]string{
		"january": "january", "february": "february", "march": "march", "april": "april", "may": "may", "june": "june",
		"july": "july", "august": "august", "september": "september", "october": "october", "november": "november", "december": "december",
		"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july", "aug": "august",
		"sep": "september", "sept": "september", "oct": "october", "nov": "november", "dec": "december",
	}
	supWeekdays = map[string]string{
		"monday": "monday", "tuesday": "tuesday", "wednesday": "wednesday", "thursday": "thursday",
		"friday": "friday", "saturday": "saturday", "sunday": "sunday",
	}
	cardinalWords = map[string]float64{
		"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
		"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
		"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
		"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
	}
	ordinalWords = map[string]float64{
		"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
		"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fifteenth": 15, "twentieth": 20,
		"thirtieth": 30, "hundredth": 100,
	}
	numberScales = map[string]float64{"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

	// nameTitles precede a name without being its head.
	nameTitles = map[string]bool{
		"president": true, "presidents": true, "minister": true, "deputy": true, "foreign": true, "secretary": true,
		"spokesman": true, "spokeswoman": true, "spokesperson": true, "ambassador": true, "aide": true, "press": true,
		"mr": true, "mrs": true, "ms": true, "dr": true, "general": true, "prime": true, "vice": true, "chief": true,
		"chancellor": true, "senator": true, "first": true, "former": true,
	}

	// neutralWords report or frame a statement without adding to it.
	neutralWords = map[string]bool{
		"said": true, "say": true, "says": true, "saying": true, "told": true, "tell": true, "stated": true, "noted": true,
		"added": true, "explained": true, "stressed": true, "emphasized": true, "emphasised": true, "according": true,
		"also": true, "however": true, "though": true, "although": true, "meanwhile": true, "while": true,
		"article": true, "articles": true, "passage": true, "passages": true, "source": true, "sources": true,
		"report": true, "reports": true, "reported": true, "mention": true, "mentions": true, "mentioned": true,
		"here": true, "following": true, "summary": true, "information": true, "provided": true, "text": true,
		"later": true, "earlier": true, "then": true, "part": true, "his": true, "her": true, "its": true,
		"specify": true, "specific": true, "detail": true, "details": true, "exact": true, "exactly": true,
		"remark": true, "rather": true, "remarks": true, "besides": true, "unlike": true, "like": true, "based": true, "overall": true, "notably": true,
	}

	// supSynonyms folds words that news paraphrases swap, by stem, onto one
	// key. A small hand list of common reporting vocabulary; the first
	// word of each group is the key.
	supSynonyms = synonymTable(
		"talk talks conversation call discuss discussion speak spoke meeting meet met summit dialogue dialog contact contacts",
		"video videoconference videoconferencing conferencing virtual remote remotely online",
		"phone telephone",
		"lead led head headed",
		"leader president",
		"main predominant principal primary major",
		"begin start launch commence enter",
		"appoint name designate nominate",
		"representative envoy official delegate ambassador",
		"quick quickly prompt promptly rapid rapidly swift swiftly soon fast",
		"want wish desire seek interested interest",
		"concern worry worried alarm",
		"frank frankly candid candidly",
		"military troops forces army",
		"guarantee assurance",
		"television tv",
		"defense defence",
		"programme program",
		"usa america american americans",
		"direct directly straight",
	)
)

// synonymTable maps the stem of every word of each group to the stem of
// its first word.
func synonymTable(groups ...string) map[string]string {
	out := map[string]string{}
	for _, g := range groups {
		words := strings.Fields(g)
		key := english.Stem(words[0], true)
		for _, w := range words {
			out[english.Stem(w, true)] = key
		}
	}
	return out
}
