package answer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleaned is an LLM reply made fit to show.
type cleaned struct {
	// text is plain text with citations as [1], [2]… renumbered by first
	// use; "" when there is nothing to show (yet).
	text string
	// order gives, for each citation number n, the index of the passage
	// it cites among those given (order[n-1]), as ParseCitations does.
	order []int
	// refused: the model declined (the NOT_IN_ARTICLES marker, with no
	// cited answer before it). Only the fixed refusal is shown, never
	// what the model wrote around the marker.
	refused bool
}

// cleanReply turns a raw LLM reply into what a reader sees, the same way
// for the final reply (final) and for the start of one still streaming.
// In order:
//
//  1. Reasoning is dropped: <think>, <thinking> and <reasoning> blocks
//     in any case, an unclosed one to the end, everything before a lone
//     closing tag (servers whose template opens the block in the prompt),
//     and gpt-oss "harmony" channels other than the final one.
//  2. A partial reply loses the tail that may still change: half a tag,
//     marker, refusal marker or Sources heading (see settledPart).
//  3. The refusal marker, wherever it stands and however wrapped
//     (**NOT_IN_ARTICLES**, `not_in_articles`, NOT IN ARTICLES…), ends
//     the answer: what came before it stands if it cites a passage;
//     otherwise the reply is a refusal. What follows it is never shown.
//  4. A source list the model wrote at the end (Sources:, ## References,
//     [^1]: footnotes…) is dropped: the bot shows its own. If the answer
//     cites nothing but the list does, the list's citations are put at
//     the end of the answer.
//  5. Markdown becomes plain text (see plainText), and citation styles
//     become [n] (see normalizeCitations) for ParseCitations to renumber.
//
// Every step is linear in the reply's length.
func cleanReply(raw string, given int, final bool) cleaned {
	s := strings.ReplaceAll(raw, "\r\n", "\n")
	s = stripReasoning(s, final)
	if !final {
		s = settledPart(s)
	}
	body, marked := cutRefusal(s)
	body, list := cutSourceList(body)
	text, order := citeText(body, given)
	if len(order) == 0 && strings.TrimSpace(text) != "" {
		if listed := citedIn(list, given); listed != "" {
			text, order = citeText(strings.TrimRight(body, " \t\n")+" "+listed, given)
		}
	}
	if marked && len(order) == 0 || refusalMarker.MatchString(text) { // the latter: a marker made by cleaning ("NOT_IN_**ARTICLES")
		return cleaned{refused: true}
	}
	return cleaned{text: text, order: order}
}

// citeText makes s plain text with its citations mapped to passages.
func citeText(s string, given int) (string, []int) {
	return ParseCitations(normalizeCitations(plainText(s), given), given)
}

// citedIn returns the [n] markers of a model-written source list that
// name given passages, run together ("[1][3]"), or "".
func citedIn(list string, given int) string {
	if list == "" {
		return ""
	}
	text := normalizeCitations(plainText(list), given)
	var b strings.Builder
	for _, m := range markerGroup.FindAllString(text, -1) {
		b.WriteString(strings.TrimSpace(m))
	}
	return b.String()
}

var (
	thinkOpen  = regexp.MustCompile(`(?i)<[ \t]*(?:think|thinking|reasoning)[ \t]*>`)
	thinkClose = regexp.MustCompile(`(?i)<[ \t]*/[ \t]*(?:think|thinking|reasoning)[ \t]*>`)
	// specialToken matches chat-template tokens a misconfigured server
	// lets through: <|eot_id|>, <|im_end|>, <|end|>…
	specialToken = regexp.MustCompile(`<\|[a-z_]{1,30}\|>`)
)

// harmonyFinal starts the answer of a gpt-oss reply in the raw "harmony"
// format (servers that do not parse it): analysis comes before it.
const harmonyFinal = "<|channel|>final<|message|>"

// stripReasoning drops the model's reasoning from a reply. A partial
// reply that opens as reasoning does (see opensLikeReasoning), with no
// closing tag yet, is all reasoning for now: its opening tag may have
// been in the prompt.
func stripReasoning(s string, final bool) string {
	if i := strings.LastIndex(s, harmonyFinal); i >= 0 {
		s = s[i+len(harmonyFinal):]
	} else if t := strings.TrimSpace(s); strings.HasPrefix(t, "<|channel|>") || strings.HasPrefix(t, "<|start|>") {
		return "" // harmony analysis, with no final answer (yet)
	}
	s = specialToken.ReplaceAllString(s, "")
	if c := thinkClose.FindStringIndex(s); c != nil {
		if o := thinkOpen.FindStringIndex(s); o == nil || o[0] > c[0] {
			s = s[c[1]:] // a lone closing tag: all before it was reasoning
		}
	} else if !final && opensLikeReasoning(s) {
		return ""
	}
	var b strings.Builder
	for {
		o := thinkOpen.FindStringIndex(s)
		if o == nil {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:o[0]])
		c := thinkClose.FindStringIndex(s[o[1]:])
		if c == nil {
			return b.String() // unclosed: the rest is reasoning
		}
		s = s[o[1]+c[1]:]
	}
}

// reasoningOpeners are how reasoning models (DeepSeek-R1, QwQ, Qwen3,
// gpt-oss) start thinking. An answer to a question about the news does
// not start so; if one does, it is only shown once complete.
var reasoningOpeners = []string{"okay", "ok,", "ok so", "alright", "hmm", "let me ", "let's ", "i need to ", "we need to ", "the user ", "so the user", "so, the user", "first, i ", "wait,"}

// opensLikeReasoning reports whether s starts as reasoning does.
func opensLikeReasoning(s string) bool {
	s = strings.ToLower(strings.TrimLeft(s, " \t\n"))
	for _, o := range reasoningOpeners {
		if strings.HasPrefix(s, o) {
			return true
		}
	}
	return false
}

// refusalMarker matches the refusal marker however a model writes it,
// with what wraps it (bold, quotes, code, brackets) and the punctuation
// after it. The spaced form must be upper case: "not in articles" may be
// prose.
var refusalMarker = regexp.MustCompile("[*_\"'`“‘«(\\[]*(?:(?i:not_in_articles?)|NOT[ -]IN[ -]ARTICLES?)[*_\"'`”’»)\\]]*")

// cutRefusal returns s up to the first refusal marker, and whether there
// was one.
func cutRefusal(s string) (string, bool) {
	m := refusalMarker.FindStringIndex(s)
	if m == nil {
		return s, false
	}
	return s[:m[0]], true
}

var (
	// sourcesHeading matches a line that heads a source list: "Sources:",
	// "**References**", "## Citations", "Sources used:"…
	sourcesHeading = regexp.MustCompile(`(?im)^[ \t>]*(?:#{1,6}[ \t]*)?[*_]{0,3}[ \t]*(?:sources?|references?|citations?|bibliography|works cited|sources used|cited sources|cited passages)[ \t]*[*_]{0,3}[ \t]*[:：]?[ \t]*[*_]{0,3}[ \t]*$`)
	// sourcesLine matches a line that is a source list by itself:
	// "Sources: [1], [3]", "**Source:** Passage 2".
	sourcesLine = regexp.MustCompile(`(?im)^[ \t>]*(?:[-*•][ \t]+)?[*_]{0,3}(?:sources?|references?|citations?)[*_]{0,3}[ \t]*[:：][ \t]*[*_]{0,3}[ \t]*(?:[\[［【(^]|passages?\b|sources?\b|docs?\b|documents?\b|\d)`)
	// footnoteLine matches a line defining a footnote or listing a
	// source by its marker: "[^1]: Title", "[1] Title".
	footnoteLine = regexp.MustCompile(`^[ \t]*(?:[-*•][ \t]+)?[\[［【]\^?[0-9０-９]{1,3}[^\]］】\n]{0,80}[\]］】]:?[ \t]+\S`)
)

// cutSourceList splits off a source list at the end of s: from a line
// heading one, or a last paragraph of footnote lines.
func cutSourceList(s string) (body, list string) {
	at := -1
	for _, re := range []*regexp.Regexp{sourcesHeading, sourcesLine} {
		if m := re.FindStringIndex(s); m != nil && (at < 0 || m[0] < at) {
			at = m[0]
		}
	}
	if at < 0 {
		at = footnoteBlock(s)
	}
	if at < 0 {
		return s, ""
	}
	return s[:at], s[at:]
}

// footnoteBlock returns where the last paragraph of s starts if every
// line of it is a footnote line, or -1.
func footnoteBlock(s string) int {
	trimmed := strings.TrimRight(s, " \t\n")
	start := strings.LastIndex(trimmed, "\n\n") + 1 // 0 when one paragraph
	if start == 0 {
		return -1 // the whole reply: not a list after an answer
	}
	for _, line := range strings.Split(trimmed[start:], "\n") {
		if strings.TrimSpace(line) != "" && !footnoteLine.MatchString(line) {
			return -1
		}
	}
	return start
}

// partialWindow bounds how far back an unfinished marker or tag is looked
// for at the end of a partial reply: a "[" further back is not a marker
// being written, and must not hold back the rest of the reply.
const partialWindow = 48

// settledPart cuts from a partial reply the tail that may still turn
// into something else: half a tag ("<thi"), an unclosed bracket ("[1",
// "【", "(Source"), half a refusal marker ("NOT_IN", "**not"), an
// unfinished line that may head a source list ("Sour", "## "), and
// trailing formatting characters ("**", "^", "¹").
func settledPart(s string) string {
	floor := len(s) - partialWindow
	for n := -1; n != len(s); {
		n = len(s)
		s = cutUnclosed(s, "<", ">", floor)
		s = cutUnclosed(s, "[［【(", "]］】)", floor)
	}
	if i := strings.LastIndex(s, "<sup>"); i >= 0 && !strings.Contains(s[i:], "</sup>") {
		s = s[:i]
	}
	s = cutMarkerPrefix(s)
	s = cutHeadingLine(s)
	return strings.TrimRightFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || strings.ContainsRune("*_`~#|\\^⁰¹²³⁴⁵⁶⁷⁸⁹", r)
	})
}

// cutUnclosed cuts s at the last of the opening characters that no
// closing character follows, if it is at floor or after.
func cutUnclosed(s, open, close string, floor int) string {
	i := strings.LastIndexAny(s, open)
	if i < 0 || i < floor || strings.ContainsAny(s[i:], close) {
		return s
	}
	return s[:i]
}

// markerForms are the refusal marker's forms a partial reply may end
// with the start of: the first case-insensitively, the second as is.
var markerForms = [...]string{"not_in_articles", "NOT IN ARTICLES"}

// cutMarkerPrefix cuts s where a refusal marker may be starting at its
// end, with what wraps it.
func cutMarkerPrefix(s string) string {
	for i := max(0, len(s)-len(markerForms[0])-1); i < len(s); i++ {
		if s[i] != 'n' && s[i] != 'N' || i > 0 && isWordByte(s[i-1]) {
			continue
		}
		rest := strings.TrimRight(s[i:], " ")
		under := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(rest))
		if strings.HasPrefix(markerForms[0], under) || strings.HasPrefix(markerForms[1], strings.ReplaceAll(rest, "-", " ")) {
			return strings.TrimRight(s[:i], "*_\"'`“‘«([ ")
		}
	}
	return s
}

func isWordByte(b byte) bool {
	return b >= 0x80 || b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// partialListItem is an unfinished line that may become a numbered list item.
var partialListItem = regexp.MustCompile(`^[0-9]{1,2}[.)]?[ \t]*$`)

// headingWords start the headings of source lists.
var headingWords = []string{"sources", "references", "citations", "bibliography", "works cited"}

// cutHeadingLine cuts the unfinished last line of a partial reply if it
// may be, or start with, the heading of a source list, or a line of one
// ("[1] Title"), or a list item's number.
func cutHeadingLine(s string) string {
	i := strings.LastIndexByte(s, '\n') + 1
	line := strings.ToLower(strings.TrimLeft(s[i:], " \t#*_>-•"))
	if line == "" || i > 0 && strings.IndexAny(line, "[［【") == 0 || partialListItem.MatchString(line) {
		return s[:i]
	}
	for _, w := range headingWords {
		if strings.HasPrefix(w, line) || strings.HasPrefix(line, w[:len(w)-1]) {
			return s[:i]
		}
	}
	return s
}

var (
	codeFence    = regexp.MustCompile("^(?:```|~~~)")
	ruleLine     = regexp.MustCompile(`^(?:[-*_][ \t]*){3,}$`)
	tableRule    = regexp.MustCompile(`^\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+(?:[ \t]*:?-{2,}:?[ \t]*)?$`)
	headingMark  = regexp.MustCompile(`^#{1,6}(?:[ \t]+|$)`)
	quoteMark    = regexp.MustCompile(`^(?:>[ \t]?)+`)
	listMark     = regexp.MustCompile(`^(?:[-*+•‣◦]|\d{1,2}[.)])[ \t]+`)
	mdImage      = regexp.MustCompile(`!\[([^\]\n]*)\]\([^)\n]*\)`)
	mdLink       = regexp.MustCompile(`\[([^\]\n]+)\]\((?:[a-zA-Z][a-zA-Z+.-]*:|/|#|www\.)[^)\s]*(?:[ \t]+"[^"\n]*")?\)`)
	htmlSup      = regexp.MustCompile(`(?i)<sup>[ \t]*\[?([0-9]{1,3}(?:[ \t]*,[ \t]*[0-9]{1,3})*)\]?[ \t]*</sup>`)
	htmlBreak    = regexp.MustCompile(`(?i)<br[ \t]*/?>`)
	htmlTag      = regexp.MustCompile(`(?i)</?(?:b|i|u|s|em|strong|sup|sub|code|p|span|mark|small)[ \t]*>`)
	autoLink     = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	blankLines   = regexp.MustCompile(`\n{3,}`)
	citationLike = regexp.MustCompile(`^` + bracketCite.String() + `$`)
)

// plainText turns Markdown into plain text: headings, quotes, rules and
// code fences lose their marks, list items become lines starting with
// "• ", links their text, tables cells joined by " – ", and emphasis and
// code marks go (see dropEmphasis), and so do the few HTML tags models
// write (<b>, <br>, <sup>1</sup> as a citation). Lines stay lines.
func plainText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if codeFence.MatchString(line) || ruleLine.MatchString(line) || tableRule.MatchString(line) {
			continue
		}
		line = quoteMark.ReplaceAllString(line, "")
		if h := headingMark.FindString(line); h != "" {
			line = strings.TrimRight(line[len(h):], " \t#")
		}
		bullet := ""
		if m := listMark.FindString(line); m != "" {
			bullet, line = "• ", line[len(m):]
		}
		if strings.HasPrefix(line, "|") && strings.HasSuffix(line, "|") && len(line) > 1 {
			line = tableCells(line)
		}
		out = append(out, bullet+inlinePlain(line))
	}
	return blankLines.ReplaceAllString(strings.Join(out, "\n"), "\n\n")
}

// tableCells joins the cells of a Markdown table row.
func tableCells(row string) string {
	cells := strings.Split(strings.Trim(row, "|"), "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return strings.Join(cells, " – ")
}

// inlinePlain drops the inline Markdown of one line: images and links
// become their text (a link whose text is a citation, "[1](url)", stays
// a citation), and emphasis and code marks go.
func inlinePlain(line string) string {
	if strings.ContainsAny(line, "[<") {
		line = htmlSup.ReplaceAllString(line, " [$1]")
		line = htmlBreak.ReplaceAllString(line, " ")
		line = htmlTag.ReplaceAllString(line, "")
		line = mdImage.ReplaceAllString(line, "$1")
		line = mdLink.ReplaceAllStringFunc(line, func(m string) string {
			text := m[1:strings.Index(m, "](")]
			if citationLike.MatchString("[" + text + "]") {
				return "[" + text + "]"
			}
			return text
		})
		line = autoLink.ReplaceAllString(line, "$1")
	}
	return dropEmphasis(line)
}

// delimRun is a run of one emphasis character in a line.
type delimRun struct {
	start, end  int
	c           byte
	open, close bool // may open or close emphasis
	paired      bool
}

// dropEmphasis removes Markdown emphasis from a line: runs of *, _ and ~~
// that open or close emphasis, paired or not (a partial line may hold
// only the opening "**" or "_"), and backticks. A run inside a word
// ("snake_case", "2*3") or between spaces ("5 * 3") is text and stays,
// and so is a character escaped with a backslash, without it.
func dropEmphasis(line string) string {
	if !strings.ContainsAny(line, "*_~`\\") {
		return line
	}
	runs := delimRuns(line)
	var stacks [3][]int // indexes into runs of open runs, per character
	for i := range runs {
		r := &runs[i]
		k := strings.IndexByte("*_~", r.c)
		if st := stacks[k]; r.close && len(st) > 0 {
			j := st[len(st)-1]
			stacks[k] = st[:len(st)-1]
			runs[j].paired, r.paired = true, true
			continue
		}
		if r.open {
			stacks[k] = append(stacks[k], i)
		}
	}
	var b strings.Builder
	at := 0
	for _, r := range runs {
		if r.paired || r.open || r.close {
			b.WriteString(unescape(line[at:r.start]))
			at = r.end
		}
	}
	b.WriteString(unescape(line[at:]))
	return b.String()
}

// delimRuns finds the runs of emphasis characters in a line, skipping
// escaped ones; a single "~" is text, not a run.
func delimRuns(line string) []delimRun {
	var runs []delimRun
	for i := 0; i < len(line); {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c != '*' && c != '_' && c != '~' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == c {
			j++
		}
		if c != '~' || j-i == 2 {
			runs = append(runs, flanking(line, i, j))
		}
		i = j
	}
	return runs
}

// flanking tells whether the run line[i:j] may open or close emphasis,
// as in CommonMark, except that a run inside a word does neither.
func flanking(line string, i, j int) delimRun {
	prev, _ := utf8.DecodeLastRuneInString(line[:i])
	next, _ := utf8.DecodeRuneInString(line[j:])
	prevSpace := i == 0 || unicode.IsSpace(prev)
	nextSpace := j == len(line) || unicode.IsSpace(next)
	prevPunct := !prevSpace && isPunct(prev)
	nextPunct := !nextSpace && isPunct(next)
	prevWord := !prevSpace && !prevPunct
	nextWord := !nextSpace && !nextPunct
	r := delimRun{start: i, end: j, c: line[i]}
	r.open = !nextSpace && (!nextPunct || prevSpace || prevPunct) && !prevWord
	r.close = !prevSpace && (!prevPunct || nextSpace || nextPunct) && !nextWord
	return r
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// unescape drops backticks, and the backslash of an escaped ASCII
// punctuation character ("\*" → "*").
func unescape(s string) string {
	if !strings.ContainsAny(s, "`\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '`':
		case c == '\\' && i+1 < len(s) && s[i+1] < 0x80 && isPunct(rune(s[i+1])):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
