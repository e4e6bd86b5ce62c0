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
		{"a marker starting a line stays there", "A [1].\n[2] B.", 2, "A [1].\n[2] B.", []int{0, 1}},
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

func TestNormalizeCitations(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"Two hours [1].", "Two hours [1]."},
		{"Two hours【1】.", "Two hours [1]."},            // OpenAI Assistants
		{"Two hours 【4:0†source】.", "Two hours  [4]."}, // OpenAI file search: message 4, result 0
		{"Two hours [1†L10-L20].", "Two hours [1]."},   // OpenAI browsing
		{"Two hours [Source 1], [source: 2].", "Two hours [1], [2]."},
		{"Two hours [Passage 1, Passage 3].", "Two hours [1, 3]."}, // Llama 3
		{"Two hours [Sources: 1, 3].", "Two hours [1, 3]."},
		{"Two hours [doc1][doc2].", "Two hours [1][2]."}, // Azure OpenAI On Your Data
		{"Two hours[^1].", "Two hours [1]."},             // Markdown footnote
		{"Two hours [^1^].", "Two hours [1]."},           // Bing Chat
		{"Two hours ［１］ [２].", "Two hours  [1] [2]."},    // full-width
		{"Two hours [1 and 2] [1 & 3] [1,2] [1 – 3].", "Two hours [1, 2] [1, 3] [1, 2] [1-3]."},
		{"Two hours [[1]].", "Two hours [1]."},
		{"Two hours (1).", "Two hours [1]."},
		{"Two hours (1, 2)", "Two hours [1, 2]"},
		{"Two hours (Passage 2) said.", "Two hours [2] said."},
		{"Two hours (doc1).", "Two hours [1]."},
		{"In 2021 (2021).", "In 2021 (2021)."},
		{"Two hours (see 1).", "Two hours (see 1)."},
		{"Two hours (7).", "Two hours (7)."}, // seven passages were not given
		{"(1) First.", "(1) First."},
		{"Two hours (1) by video.", "Two hours (1) by video."},
		{"Two hours¹.", "Two hours [1]."},
		{"Two hours.²,³", "Two hours. [2][3]"},
		{"500 km² of land", "500 km² of land"},
		{"Two hours^1. By video^[2].", "Two hours [1]. By video [2]."},
		{"2^10 files", "2^10 files"},
		{"It began at [10:30].", "It began at [10:30]."},
		{"An [a] array.", "An [a] array."},
	}
	for _, tt := range tests {
		if got := normalizeCitations(tt.in, 6); got != tt.want {
			t.Errorf("normalizeCitations(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
