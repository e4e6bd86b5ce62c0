package answer

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// VisiblePartial is visiblePartial, for the tests of package answer_test.
func VisiblePartial(reply string, given int) (string, bool) { return visiblePartial(reply, given) }

func TestCleanReply(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		text    string
		order   []int
		refused bool
	}{
		{name: "years in parentheses are not citations", raw: "The talks of 2021 (2021) went on [1].", text: "The talks of 2021 (2021) went on [1].", order: []int{0}},
		{name: "bare number past the passages given stays text", raw: "Talks went on (12). Two hours [1].", text: "Talks went on (12). Two hours [1].", order: []int{0}},
		{name: "(see n) stays", raw: "Two hours [1] (see 2).", text: "Two hours [1] (see 2).", order: []int{0}},
		{name: "enumeration stays", raw: "They agreed on (1) talks and (2) envoys [3].", text: "They agreed on (1) talks and (2) envoys [1].", order: []int{2}},
		{name: "(n) mid-sentence stays", raw: "Two hours (1) by video [2].", text: "Two hours (1) by video [1].", order: []int{1}},
		{name: "snake_case is not emphasis", raw: "The file call_log_v2 says two hours [1].", text: "The file call_log_v2 says two hours [1].", order: []int{0}},
		{name: "arithmetic is not emphasis", raw: "It was 2*3 hours, 5 * 3 minutes [1].", text: "It was 2*3 hours, 5 * 3 minutes [1].", order: []int{0}},
		{name: "escaped characters stay, without the backslash", raw: `The \*official\* length was two hours [1].`, text: "The *official* length was two hours [1].", order: []int{0}},
		{name: "numbers past the passages given are dropped", raw: "Two hours [7]. By video [2][99] and (8).", text: "Two hours. By video [1] and (8).", order: []int{1}},
		{name: "time in brackets stays", raw: "It began at [10:30] [1].", text: "It began at [10:30] [1].", order: []int{0}},
		{name: "km² and 2^10 stay", raw: "It covered 500 km² and 2^10 files [1].", text: "It covered 500 km² and 2^10 files [1].", order: []int{0}},
		{name: "superscripts of no number given are digits", raw: "Two hours¹⁰.", text: "Two hours [1].", order: []int{0}}, // [1][0]: no passage 0
		{name: "only reasoning", raw: "<think>It says two hours [1].</think>", text: "", order: nil},
		{name: "unclosed reasoning", raw: "Two hours [1]. <think>But maybe", text: "Two hours [1].", order: []int{0}},
		{name: "lone closing tag", raw: "It says two hours [2].</think>Two hours [1].", text: "Two hours [1].", order: []int{0}},
		{name: "two reasoning blocks", raw: "<think>a [2]</think>Two hours [1]. <think>b [3]</think>By video [2].", text: "Two hours [1]. By video [2].", order: []int{0, 1}},
		{name: "special tokens", raw: "Two hours [1].<|eot_id|>", text: "Two hours [1].", order: []int{0}},
		{name: "marker first", raw: "NOT_IN_ARTICLES. Two hours [1].", refused: true},
		{name: "marker in brackets", raw: "[NOT_IN_ARTICLES]", refused: true},
		{name: "marker in guillemets, singular", raw: "«NOT_IN_ARTICLE»", refused: true},
		{name: "marker after an uncited sentence", raw: "Nothing here. NOT_IN_ARTICLES", refused: true},
		{name: "marker after a cited answer", raw: "Two hours [1].\n**NOT_IN_ARTICLES** but more", text: "Two hours [1].", order: []int{0}},
		{name: "not in articles in prose is not the marker", raw: "This is not in articles 3 or 4, only in [1].", text: "This is not in articles 3 or 4, only in [1].", order: []int{0}},
		{name: "source list heading in Markdown", raw: "Two hours [1].\n\n### Sources used:\n1. A\n2. B", text: "Two hours [1].", order: []int{0}},
		{name: "Sources as a word in a sentence stays", raw: "Two hours [1].\nSources said the call was calm [2].", text: "Two hours [1].\nSources said the call was calm [2].", order: []int{0, 1}},
		{name: "list citations kept when the answer has none", raw: "Two hours.\n\nReferences:\n- [Passage 2] Putin and Biden", text: "Two hours. [1]", order: []int{1}},
		{name: "blank lines shrink", raw: "Two hours [1].\n\n\n\nBy video [2].  ", text: "Two hours [1].\n\nBy video [2].", order: []int{0, 1}},
		{name: "nested list", raw: "Points:\n  - two hours [1]\n    - by video [2]", text: "Points:\n• two hours [1]\n• by video [2]", order: []int{0, 1}},
		{name: "table", raw: "| length | source |\n|---|---|\n| two hours | [1] |", text: "length – source\ntwo hours – [1]", order: []int{0}},
		{name: "image and autolink", raw: "![photo](https://x/y.png) See <https://kremlin.ru> [1].", text: "photo See https://kremlin.ru [1].", order: []int{0}},
		{name: "unpaired emphasis marks go", raw: "**Two hours [1].", text: "Two hours [1].", order: []int{0}},
		{name: "strikethrough", raw: "~~One~~ Two hours [1]. About ~2 hours.", text: "One Two hours [1]. About ~2 hours.", order: []int{0}},
		{name: "heading marks only at line start", raw: "# Call\nTopic #1 of the day lasted two hours [1].", text: "Call\nTopic #1 of the day lasted two hours [1].", order: []int{0}},
		{name: "CRLF", raw: "Two hours [1].\r\n\r\nBy video [2].", text: "Two hours [1].\n\nBy video [2].", order: []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cleanReply(tt.raw, 6, true)
			if r.text != tt.text || !slices.Equal(r.order, tt.order) || r.refused != tt.refused {
				t.Errorf("cleanReply(%q) = %q %v refused=%v; want %q %v refused=%v", tt.raw, r.text, r.order, r.refused, tt.text, tt.order, tt.refused)
			}
		})
	}
}

func TestSettledPart(t *testing.T) {
	const said = "Two hours [1]. "
	tests := []struct{ partial, want string }{
		{said + "By video [2", said + "By video"},
		{said + "By video [Source 2", said + "By video"},
		{said + "By video 【", said + "By video"},
		{said + "By video 【2†sou", said + "By video"},
		{said + "By video (Passage", said + "By video"},
		{said + "<thi", "Two hours [1]."},
		{said + "NOT_IN", "Two hours [1]."},
		{said + "**NOT_IN_ART", "Two hours [1]."},
		{said + "`not", "Two hours [1]."},
		{said + "NOT IN ", "Two hours [1]."},
		{said + "\n\nSour", said + "\n\n"},
		{said + "\n\n**Sources:** [1", said + "\n\n"},
		{said + "\n\n## ", said + "\n\n"},
		{said + "\n\n[1] Putin and", said + "\n\n"},
		{said + "\n\n2.", said + "\n\n"},
		{said + "By video^", said + "By video"},
		{said + "By video¹", said + "By video"},
		{said + "By **video", said + "By **video"}, // the opening ** goes later, in dropEmphasis
		{said + "By video **", said + "By video"},
		{said + "By video<sup>2", said + "By video"},
		{said + "By video", said + "By video"},
		{strings.Repeat("x", 100) + "[" + strings.Repeat("y", 100), strings.Repeat("x", 100) + "[" + strings.Repeat("y", 100)}, // far back: not a marker
	}
	for _, tt := range tests {
		if got := settledPart(tt.partial); got != tt.want {
			t.Errorf("settledPart(%q) = %q, want %q", tt.partial, got, tt.want)
		}
	}
}

func TestVisiblePartial(t *testing.T) {
	tests := []struct{ partial, want string }{
		{"", ""},
		{"The call lasted", ""}, // nothing cited yet
		{"The call lasted two hours [2", ""},
		{"The call lasted two hours [2] by", "The call lasted two hours [1] by"},
		{"<think>Two hours [1]", ""},
		{"<think>Two hours [1]</think>", ""},
		{"<think>x</think>Two hours [1]", "Two hours [1]"},
		{"Okay, so passage [1] says two hours", ""}, // may be reasoning whose <think> was in the prompt
		{"Okay, so passage [1] says.</think>Two hours [3]", "Two hours [1]"},
		{"NOT_IN_ARTICLES but two hours [1]", ""},
		{"Two hours [1]. NOT_IN_ARTICLES", "Two hours [1]."},
		{"**Two hours** [1]. *By", "Two hours [1]. By"},
	}
	for _, tt := range tests {
		got, ok := visiblePartial(tt.partial, 6)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("visiblePartial(%q) = %q, %v; want %q", tt.partial, got, ok, tt.want)
		}
	}
}

func TestDropEmphasis(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**bold** and __bold__", "bold and bold"},
		{"*it* and _it_", "it and it"},
		{"***both***", "both"},
		{"**Geneva**'s talks", "Geneva's talks"},
		{"(**two hours**)", "(two hours)"},
		{"snake_case and __init__ names", "snake_case and init names"},
		{"a_b_c", "a_b_c"},
		{"5 * 3 = 15", "5 * 3 = 15"},
		{"2*3*4", "2*3*4"},
		{"`code` and ``more``", "code and more"},
		{`\*not\* \_emphasis\_`, "*not* _emphasis_"},
		{"open **bold", "open bold"},
		{"~~struck~~ ~5", "struck ~5"},
		{"no marks at all", "no marks at all"},
	}
	for _, tt := range tests {
		if got := dropEmphasis(tt.in); got != tt.want {
			t.Errorf("dropEmphasis(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCleanReplyLinear cleans replies built to make a careless cleaner
// quadratic, at half the size cap and at a quarter of that: four times the
// reply may take about four times as long, not sixteen. Each is timed
// as the best of three runs, so that other work on the machine (CI runs
// the packages side by side) does not pass for a quadratic cleaner.
func TestCleanReplyLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	took := func(raw string, final bool) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 { // the best of three: a busy machine only slows some
			start := time.Now()
			cleanReply(raw, 6, final)
			best = min(best, time.Since(start))
		}
		return best
	}
	for _, unit := range []string{"[", "[1", "【", "(1", "<think>", "</think>", "<", "NOT_", "**a ", "_a", "\n\n[1] x", "Sources:\n", "¹", "^", "\\", "| a |\n", "[a](http://x) "} {
		raw := strings.Repeat(unit, MaxReplyBytes/2/len(unit))
		for _, final := range []bool{true, false} {
			quarter, whole := took(raw[:len(raw)/4], final), took(raw, final)
			if whole > 10*quarter && whole > 100*time.Millisecond {
				t.Errorf("cleaning %q (final %v): %v for %d bytes, %v for a quarter", unit, final, whole, len(raw), quarter)
			}
		}
	}
}

func BenchmarkCleanReply(b *testing.B) {
	raw := strings.Repeat("**The call** lasted two hours【1】 by *video* [Passage 2]. ", 200)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		cleanReply(raw, 6, true)
	}
}

// FuzzCleanReply checks the cleaner on arbitrary replies, final and
// partial: citations numbered 1, 2, 3… in order of first use, each of a
// passage given, and never the refusal marker shown.
func FuzzCleanReply(f *testing.F) {
	for _, s := range []string{
		"<think>x</think>Two hours【1】 by *video* [Passage 2].\n\nSources:\n[1] A",
		"NOT_IN_**ARTICLES** [1]",
		"Two hours (1, 2). In 2021 (2021)¹²^3 [^4] [doc5]",
		"**Two** __hours__ `x` [1](http://a) <sup>2</sup>",
	} {
		f.Add(s, 6, true)
	}
	f.Fuzz(func(t *testing.T, raw string, given int, final bool) {
		given %= 20
		r := cleanReply(raw, given, final)
		if r.refused && (r.text != "" || len(r.order) > 0) {
			t.Fatalf("a refusal with text %q, order %v", r.text, r.order)
		}
		if refusalMarker.MatchString(r.text) {
			t.Fatalf("the marker is shown: %q", r.text)
		}
		seen := map[int]bool{}
		for _, p := range r.order {
			if p < 0 || p >= given || seen[p] {
				t.Fatalf("order %v of %d passages", r.order, given)
			}
			seen[p] = true
		}
		highest := 0
		for _, m := range marker.FindAllStringSubmatch(r.text, -1) {
			n, _ := strconv.Atoi(m[1])
			if n < 1 || n > len(r.order) || n > highest+1 {
				t.Fatalf("marker [%d] in %q with %d citations", n, r.text, len(r.order))
			}
			highest = max(highest, n)
		}
	})
}
