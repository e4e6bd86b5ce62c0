package answer

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// markerGroup matches citation markers: [1], [1, 2], [1-3], and runs of
// them such as [1][2], with the spaces before them on their line.
var markerGroup = regexp.MustCompile(`(?:[ \t]*\[[ \t]*\d+(?:[ \t]*[-–,;][ \t]*\d+)*[ \t]*\])+`)
var markerNumbers = regexp.MustCompile(`\d+(?:\s*[-–]\s*\d+)?`)

// maxRange bounds "[1-999999]" so a hostile reply cannot blow up.
const maxRange = 50

// ParseCitations maps the [n] markers of an LLM reply to the passages it
// was given (given[n-1]), drops markers of numbers that were not given,
// and renumbers the rest in order of first use. It returns the rewritten
// text and, for each new number, the index into given.
func ParseCitations(text string, given int) (string, []int) {
	newNum := map[int]int{} // given number -> new number
	var order []int
	out := markerGroup.ReplaceAllStringFunc(text, func(group string) string {
		var nums []int
		seen := map[int]bool{}
		for _, m := range markerNumbers.FindAllString(group, -1) {
			for _, n := range expand(m) {
				if n < 1 || n > given || seen[n] {
					continue
				}
				seen[n] = true
				if _, ok := newNum[n]; !ok {
					order = append(order, n-1)
					newNum[n] = len(order)
				}
				nums = append(nums, newNum[n])
			}
		}
		if len(nums) == 0 {
			return ""
		}
		var b strings.Builder
		if group[0] != '[' {
			b.WriteByte(' ') // keep one space before the marker
		}
		for _, n := range nums {
			b.WriteString("[" + strconv.Itoa(n) + "]")
		}
		return b.String()
	})
	// Dropping a marker can join the brackets around it into a new one
	// ("[[0]0]" → "[0]"): drop those too, until none is left.
	for {
		next := markerGroup.ReplaceAllStringFunc(out, func(group string) string {
			for _, m := range markerNumbers.FindAllString(group, -1) {
				for _, n := range expand(m) {
					if n < 1 || n > len(order) {
						return ""
					}
				}
			}
			return group
		})
		if next == out {
			break
		}
		out = next
	}
	return tidy(out), order
}

// expand turns "3" into [3] and "2-4" into [2 3 4].
func expand(m string) []int {
	lo, hi, isRange := strings.Cut(strings.ReplaceAll(m, "–", "-"), "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return nil
	}
	if !isRange {
		return []int{a}
	}
	z, err := strconv.Atoi(strings.TrimSpace(hi))
	if err != nil || z < a || z-a > maxRange {
		return []int{a}
	}
	out := make([]int, 0, z-a+1)
	for n := a; n <= z; n++ {
		out = append(out, n)
	}
	return out
}

var (
	spaceBeforePunct = regexp.MustCompile(`[ \t]+([.,;:!?])`)
	spaceRun         = regexp.MustCompile(`[ \t]{2,}|[ \t]+\n`)
)

// tidy removes the stray spaces a dropped marker leaves behind.
func tidy(s string) string {
	s = spaceBeforePunct.ReplaceAllString(s, "$1")
	s = spaceRun.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasSuffix(m, "\n") {
			return "\n"
		}
		return " "
	})
	return strings.TrimSpace(s)
}

// The citation styles normalizeCitations turns into [n].
const (
	citeLabel = `(?:sources?|passages?|docs?|documents?|refs?|references?|citations?)`
	citeNum   = `[0-9０-９]{1,3}`
	citeSep   = `[ \t]*(?:[-–,;&]|and)[ \t]*`
)

var (
	// bracketCite matches a citation in brackets, with or without a
	// label, in any of the brackets models use: [1], [1, 2], [1-3],
	// [1 and 2], [Source 1], [source: 1], [Passage 1, 2], [Sources: 1, 3],
	// [doc1] (Azure OpenAI On Your Data), [^1] (Markdown footnotes),
	// [^1^] (Bing), [1†source], 【1】, 【4:0†source】 (OpenAI file search),
	// ［１］ (full-width), [[1]].
	bracketCite = regexp.MustCompile(`(?i)\[?[\[［【][ \t]*\^?[ \t]*(?:` + citeLabel + `[ \t]*[:#]?[ \t]*)?` + citeNum +
		`(?:` + citeSep + `(?:` + citeLabel + `[ \t]*[:#]?[ \t]*)?` + citeNum + `)*` +
		`(?:(?::[0-9]+)?[ \t]*†[^\]］】\n]{0,80})?[ \t]*\^?[ \t]*[\]］】]\]?`)
	// parenCite matches a citation in parentheses: (Passage 1) or (doc1)
	// anywhere; a bare (1) or (1, 2) only right after a word or
	// punctuation and before the end of a sentence or line, so that "(1)
	// first" enumerations stay; see normalizeCitations for years.
	parenCite = regexp.MustCompile(`(?im)(\S)([ \t]?)\([ \t]*(` + citeLabel + `[ \t]*[:#]?[ \t]*)?([0-9]{1,3}(?:` + citeSep + `(?:` + citeLabel + `[ \t]*)?[0-9]{1,3})*)[ \t]*\)([.,;:!?]|$)?`)
	// superCite matches superscript digits after a word of three letters
	// or more, or after punctuation: "hours¹²", "hours.³". "km²" stays.
	superCite = regexp.MustCompile(`(\pL{3}|[.,;:!?)\]"'’”])([⁰¹²³⁴⁵⁶⁷⁸⁹]+(?:[,˒][⁰¹²³⁴⁵⁶⁷⁸⁹]+)*)`)
	// caretCite matches ^1 and ^[1] after a word or punctuation; "2^10"
	// stays.
	caretCite  = regexp.MustCompile(`([\pL.,;:!?)"'’”])\^\[?([0-9]{1,2})\]?`)
	citeDigits = regexp.MustCompile(`[0-9]+|[-–]`)
	// markerAfterLetter finds a marker stuck to its word: "hours[1]".
	markerAfterLetter = regexp.MustCompile(`(\pL)\[([0-9])`)
)

// normalizeCitations rewrites the citation styles models write (see
// bracketCite, parenCite, superCite, caretCite) as the markers
// ParseCitations reads: "[1]", "[1, 2]", "[1-3]". A citation in a style
// that is also prose, a bare "(2)" or a superscript, is taken only if
// its numbers are passages given: "(2021)", "(see 1)" and "(12)" of six
// passages stay text.
func normalizeCitations(s string, given int) string {
	if strings.ContainsAny(s, "[［【") {
		s = bracketCite.ReplaceAllStringFunc(s, func(m string) string {
			space := ""
			if !strings.HasPrefix(m, "[") {
				space = " " // "hours【1】" → "hours [1]"
			}
			return space + canonicalMarker(m)
		})
	}
	if strings.Contains(s, "(") {
		s = replaceSubmatches(parenCite, s, func(m []string, matched []bool) string {
			labelled, nums, ends := m[3] != "", m[4], matched[5]
			if !labelled && (!ends || !allGiven(nums, given)) {
				return m[0]
			}
			return m[1] + " " + canonicalMarker("["+nums+"]") + m[5]
		})
	}
	if strings.ContainsAny(s, superscripts) {
		s = replaceSubmatches(superCite, s, func(m []string, _ []bool) string {
			return m[1] + " " + superMarkers(m[2], given)
		})
	}
	if strings.Contains(s, "^") {
		s = caretCite.ReplaceAllString(s, "$1 [$2]")
	}
	if strings.Contains(s, "[") {
		s = markerAfterLetter.ReplaceAllString(s, "$1 [$2")
	}
	return s
}

// replaceSubmatches replaces each match of re in s with what f makes of
// its groups; matched tells a group that matched empty from one that
// did not take part.
func replaceSubmatches(re *regexp.Regexp, s string, f func(groups []string, matched []bool) string) string {
	all := re.FindAllStringSubmatchIndex(s, -1)
	if all == nil {
		return s
	}
	var b strings.Builder
	at := 0
	for _, idx := range all {
		groups, matched := make([]string, len(idx)/2), make([]bool, len(idx)/2)
		for g := range groups {
			if idx[2*g] >= 0 {
				groups[g], matched[g] = s[idx[2*g]:idx[2*g+1]], true
			}
		}
		b.WriteString(s[at:idx[0]])
		b.WriteString(f(groups, matched))
		at = idx[1]
	}
	b.WriteString(s[at:])
	return b.String()
}

// allGiven reports whether every number in nums is that of a passage
// given.
func allGiven(nums string, given int) bool {
	for _, t := range citeDigits.FindAllString(nums, -1) {
		if n, err := strconv.Atoi(t); err == nil && (n < 1 || n > given) {
			return false
		}
	}
	return true
}

// superscripts are the superscript digits, by value.
const superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹"

// superMarkers turns superscript citations ("¹²", "¹,³") into markers:
// a number of a given passage is one citation ("¹²" of twenty passages
// is [12]), any other is one per digit ("¹²" of six is [1][2]).
func superMarkers(sup string, given int) string {
	var b strings.Builder
	for _, group := range strings.FieldsFunc(sup, func(r rune) bool { return r == ',' || r == '˒' }) {
		var digits []int
		n := 0
		for _, r := range group {
			d := utf8.RuneCountInString(superscripts[:strings.IndexRune(superscripts, r)])
			digits = append(digits, d)
			n = min(n*10+d, 1<<20)
		}
		if n >= 1 && n <= given {
			digits = []int{n}
		}
		for _, d := range digits {
			b.WriteString("[" + strconv.Itoa(d) + "]")
		}
	}
	return b.String()
}

// canonicalMarker rewrites one bracketed citation as "[1, 2]" or "[1-3]":
// labels, "†…" annotations and ":0" result numbers dropped, full-width
// digits made ASCII.
func canonicalMarker(m string) string {
	if i := strings.Index(m, "†"); i >= 0 {
		m = m[:i]
		if j := strings.LastIndexByte(m, ':'); j >= 0 && strings.Trim(m[j+1:], "0123456789 \t") == "" {
			m = m[:j]
		}
	}
	m = strings.Map(func(r rune) rune {
		if '０' <= r && r <= '９' {
			return '0' + r - '０'
		}
		return r
	}, m)
	var b strings.Builder
	b.WriteByte('[')
	prevNum := false
	for _, t := range citeDigits.FindAllString(m, -1) {
		switch {
		case t == "-" || t == "–":
			if prevNum {
				b.WriteByte('-')
			}
			prevNum = false
			continue
		case prevNum:
			b.WriteString(", ")
		}
		b.WriteString(t)
		prevNum = true
	}
	b.WriteByte(']')
	return b.String()
}
