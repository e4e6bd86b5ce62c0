package answer

import (
	"slices"
	"testing"
)

func TestParseCitations(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		given int
		text  string
		order []int // indexes into the given passages, by new number
	}{
		{"renumber by first use", "B happened [3]. A happened [1].", 3, "B happened [1]. A happened [2].", []int{2, 0}},
		{"unknown dropped", "Fact [2]. Invented [7]. Zero [0].", 3, "Fact [1]. Invented. Zero.", []int{1}},
		{"groups and runs", "X [1, 3]. Y [3][2].", 3, "X [1][2]. Y [2][3].", []int{0, 2, 1}},
		{"ranges", "Z [1-3].", 3, "Z [1][2][3].", []int{0, 1, 2}},
		{"huge range bounded", "Z [1-99999999].", 2, "Z [1].", []int{0}},
		{"repeat in a group", "Q [2, 2].", 2, "Q [1].", []int{1}},
		{"no markers", "Nothing cited.", 3, "Nothing cited.", nil},
		{"not a marker", "Array [a] and [ ] stay.", 3, "Array [a] and [ ] stay.", nil},
		{"none given", "Refusal [1].", 0, "Refusal.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, order := ParseCitations(tt.in, tt.given)
			if text != tt.text || !slices.Equal(order, tt.order) {
				t.Errorf("ParseCitations(%q, %d) = %q, %v; want %q, %v", tt.in, tt.given, text, order, tt.text, tt.order)
			}
		})
	}
}
