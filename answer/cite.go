package answer

import (
	"regexp"
	"strconv"
	"strings"
)

// markerGroup matches citation markers: [1], [1, 2], [1-3], and runs of
// them such as [1][2].
var markerGroup = regexp.MustCompile(`(?:\s*\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\])+`)
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

var spaceBeforePunct = regexp.MustCompile(`[ \t]+([.,;:!?])`)

// tidy removes the stray spaces a dropped marker leaves behind.
func tidy(s string) string {
	s = spaceBeforePunct.ReplaceAllString(s, "$1")
	return strings.TrimSpace(s)
}
