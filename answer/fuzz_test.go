package answer

import (
	"regexp"
	"strconv"
	"testing"
)

var marker = regexp.MustCompile(`\[(\d+)\]`)

// FuzzParseCitations checks the citation-marker parser on arbitrary
// replies: markers come out numbered 1, 2, 3… in order of first use, each
// mapped to a passage that was given, none twice.
func FuzzParseCitations(f *testing.F) {
	for _, s := range []string{
		"Geneva [1]. Two hours [2][1].",
		"Range [1-3], list [2, 4; 5], dash [1–2].",
		"Bogus [0] [99] [1-999999999] [",
		"[3]",
	} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, text string, given int) {
		given = given % 100
		out, order := ParseCitations(text, given)
		if len(order) > given && given >= 0 {
			t.Fatalf("%d citations of %d passages", len(order), given)
		}
		seen := map[int]bool{}
		for _, p := range order {
			if p < 0 || p >= given || seen[p] {
				t.Fatalf("order %v of %d passages", order, given)
			}
			seen[p] = true
		}
		highest := 0
		for _, m := range marker.FindAllStringSubmatch(out, -1) {
			n, _ := strconv.Atoi(m[1])
			if n < 1 || n > len(order) || n > highest+1 {
				t.Fatalf("marker [%d] in %q with %d citations (highest so far %d)", n, out, len(order), highest)
			}
			highest = max(highest, n)
		}
	})
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Where did Putin meet?", "Where did Putin meet?"},
		{"Where\x00 did\x07 Putin\x1b[31m meet\x1b[0m?", "Where did Putin meet ?"},
		{"bad \xff\xfe bytes", "bad bytes"},
		{"right\u202eto\u200bleft", "right to left"},
		{"  many \t\n spaces  ", "many spaces"},
		{"Ünïcödé stays, 你好", "Ünïcödé stays, 你好"},
		{"trailing space ", "trailing space"},
		{"non breaking", "non breaking"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want || CleanText(got) != got {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
