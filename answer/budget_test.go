package answer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/prompts"
)

// words returns about n bytes of plain words.
func words(n int) string {
	return strings.TrimSpace(strings.Repeat("talks went on ", n/14+1)[:n])
}

func turns(n, question, answer int) []prompts.Turn {
	out := make([]prompts.Turn, n)
	for i := range out {
		out[i] = prompts.Turn{Question: fmt.Sprintf("Q%d %s?", i, words(question)), Answer: fmt.Sprintf("A%d %s [1].", i, words(answer))}
	}
	return out
}

func passages(n, size int) []prompts.Passage {
	out := make([]prompts.Passage, n)
	for i := range out {
		out[i] = prompts.Passage{N: i + 1, Title: fmt.Sprintf("Headline number %d of a news story", i+1), Source: "TASS", Date: "2021-12-08", Text: fmt.Sprintf("P%d %s.", i+1, words(size))}
	}
	return out
}

// deepCopy copies in's slices, to check fitPrompt leaves them alone.
func deepCopy(in prompts.AnswerInput) prompts.AnswerInput {
	in.History = append([]prompts.Turn(nil), in.History...)
	in.Passages = append([]prompts.Passage(nil), in.Passages...)
	return in
}

// isCut reports whether got is want cut by truncate: a start of it on a
// word boundary, ended with an ellipsis.
func isCut(got, want string) bool {
	kept, ok := strings.CutSuffix(got, ellipsis)
	if !ok || !strings.HasPrefix(want, kept) || !utf8.ValidString(kept) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(want[len(kept):])
	return next == ' ' || !strings.Contains(kept, " ") // a word longer than the room is cut anywhere
}

// sameOrCut reports whether got is want, or want cut (isCut).
func sameOrCut(got, want string) bool { return got == want || isCut(got, want) }

// checkFit fails unless out, fitted from in to budget, fits and keeps to
// the rules: the question whole unless allowed, the latest turns in
// order, the best passages in order with at least one, texts cut only
// on word boundaries.
func checkFit(t *testing.T, in, out prompts.AnswerInput, budget int, cutQuestion bool) {
	t.Helper()
	if n := answerSize(out); n > budget {
		t.Errorf("prompt of %d bytes, over the budget of %d", n, budget)
	}
	if out.Question != in.Question && (!cutQuestion || !isCut(out.Question, in.Question)) {
		t.Errorf("question changed to %q", out.Question)
	}
	if len(out.History) > len(in.History) {
		t.Fatalf("%d turns from %d", len(out.History), len(in.History))
	}
	latest := in.History[len(in.History)-len(out.History):]
	for i, turn := range out.History {
		if turn.Question != latest[i].Question || !sameOrCut(turn.Answer, latest[i].Answer) {
			t.Errorf("turn %d is %+v, want the latest turns in order", i, turn)
		}
	}
	if len(in.Passages) > 0 && len(out.Passages) == 0 {
		t.Fatal("no passage left")
	}
	for i, p := range out.Passages {
		want := in.Passages[i]
		if p.N != want.N || !sameOrCut(p.Text, want.Text) || !sameOrCut(p.Title, want.Title) {
			t.Errorf("passage %d is %+v, want the best passages in order", i, p)
		}
	}
}

func TestFitPrompt(t *testing.T) {
	const budget = 6000
	tests := []struct {
		name        string
		in          prompts.AnswerInput
		turns       int  // turns kept; -1: any
		passages    int  // passages kept; -1: any
		cutAnswer   bool // the latest answer is cut
		cutPassage  bool // the first passage's text is cut
		cutQuestion bool // the question is cut
	}{
		{
			name:  "fits as it is",
			in:    prompts.AnswerInput{Question: "Who called?", History: turns(2, 40, 100), Passages: passages(3, 500)},
			turns: 2, passages: 3,
		},
		{
			name:  "oldest turns go first",
			in:    prompts.AnswerInput{Question: "Who called?", History: turns(10, 100, 300), Passages: passages(4, 500)},
			turns: -1, passages: 4,
		},
		{
			name:  "then a long latest answer is cut",
			in:    prompts.AnswerInput{Question: "And then?", History: append(turns(3, 100, 300), prompts.Turn{Question: "What?", Answer: words(20000)}), Passages: passages(4, 500)},
			turns: 1, passages: 4, cutAnswer: true,
		},
		{
			name:  "then the lowest-ranked passages go",
			in:    prompts.AnswerInput{Question: "Who called?", History: turns(3, 100, 300), Passages: passages(12, 700)},
			turns: 1, passages: -1,
		},
		{
			name:  "one passage alone over budget is cut, the question kept",
			in:    prompts.AnswerInput{Question: "Who called?", History: turns(3, 100, 300), Passages: passages(6, 480<<10)},
			turns: 0, passages: 1, cutPassage: true,
		},
		{
			name:  "a passage of one enormous word is cut at a rune",
			in:    prompts.AnswerInput{Question: "Who called?", Passages: []prompts.Passage{{N: 1, Title: "T", Text: strings.Repeat("ж", 100<<10)}}},
			turns: 0, passages: 1, cutPassage: true,
		},
		{
			name:  "a passage fenced larger than it is still fits",
			in:    prompts.AnswerInput{Question: "Who called?", Passages: []prompts.Passage{{N: 1, Title: "T", Text: strings.Repeat("<b> ", 5000)}}},
			turns: 0, passages: 1, cutPassage: true,
		},
		{
			name:  "an enormous title is cut",
			in:    prompts.AnswerInput{Question: "Who called?", Passages: []prompts.Passage{{N: 1, Title: words(50000), Text: "Short text."}}},
			turns: 0, passages: 1,
		},
		{
			name:  "a question alone over budget is cut, a passage kept",
			in:    prompts.AnswerInput{Question: words(20000), History: turns(2, 100, 100), Passages: passages(3, 600)},
			turns: 0, passages: 1, cutPassage: true, cutQuestion: true,
		},
		{
			name:  "no history, no passages",
			in:    prompts.AnswerInput{Question: words(20000)},
			turns: 0, passages: 0, cutQuestion: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deepCopy(tt.in)
			out := fitPrompt(tt.in, budget)
			if !reflect.DeepEqual(tt.in, before) {
				t.Fatal("fitPrompt changed its input")
			}
			checkFit(t, tt.in, out, budget, tt.cutQuestion)
			if tt.turns >= 0 && len(out.History) != tt.turns {
				t.Errorf("%d turns kept, want %d", len(out.History), tt.turns)
			}
			if tt.passages >= 0 && len(out.Passages) != tt.passages {
				t.Errorf("%d passages kept, want %d", len(out.Passages), tt.passages)
			}
			if tt.turns < 0 && (len(out.History) == 0 || len(out.History) == len(tt.in.History)) {
				t.Errorf("%d of %d turns kept, want some dropped", len(out.History), len(tt.in.History))
			}
			if tt.passages < 0 && (len(out.Passages) <= 1 || len(out.Passages) == len(tt.in.Passages)) {
				t.Errorf("%d of %d passages kept, want some dropped", len(out.Passages), len(tt.in.Passages))
			}
			if n := len(out.History); n > 0 {
				got, want := out.History[n-1].Answer, tt.in.History[len(tt.in.History)-1].Answer
				if cut := got != want; cut != tt.cutAnswer || cut && len(got) > maxHistoryAnswer {
					t.Errorf("latest answer of %d bytes from %d; want cut: %v", len(got), len(want), tt.cutAnswer)
				}
			}
			if len(out.Passages) > 0 {
				if cut := out.Passages[0].Text != tt.in.Passages[0].Text; cut != tt.cutPassage {
					t.Errorf("first passage of %d bytes from %d; want cut: %v", len(out.Passages[0].Text), len(tt.in.Passages[0].Text), tt.cutPassage)
				}
			}
			if tt.cutQuestion && out.Question == tt.in.Question {
				t.Error("question not cut")
			}
			// The passage keeps minPassage bytes, less the word cut there.
			if tt.cutQuestion && len(out.Passages) > 0 && len(out.Passages[0].Text) < minPassage-20 {
				t.Errorf("passage cut to %d bytes before the question", len(out.Passages[0].Text))
			}
		})
	}
}

// TestFullPromptFitsBudget checks the claim of PromptBudget's comment: a
// prompt of six full passages, six turns and a long question is sent
// whole.
func TestFullPromptFitsBudget(t *testing.T) {
	in := prompts.AnswerInput{
		Question: words(300) + "?",
		History:  turns(6, 150, 400),
		Passages: passages(6, corpus.DefaultMaxBytes-5),
	}
	if n := answerSize(in); n > PromptBudget {
		t.Fatalf("a full prompt is %d bytes, over PromptBudget (%d)", n, PromptBudget)
	}
	if out := fitPrompt(in, PromptBudget); !reflect.DeepEqual(out, in) {
		t.Error("a full prompt was trimmed")
	}
}

func TestFitCondense(t *testing.T) {
	const budget = 4000
	tests := []struct {
		name        string
		in          prompts.CondenseInput
		turns       int
		cutAnswer   bool
		cutQuestion bool
	}{
		{"fits as it is", prompts.CondenseInput{Question: "And he?", History: turns(3, 50, 200)}, 3, false, false},
		{"oldest turns go first", prompts.CondenseInput{Question: "And he?", History: turns(20, 100, 300)}, -1, false, false},
		{"then a long latest answer is cut", prompts.CondenseInput{Question: "And he?", History: append(turns(4, 100, 300), prompts.Turn{Question: "What?", Answer: words(50000)})}, 1, true, false},
		{"then the latest turn goes", prompts.CondenseInput{Question: "And he?", History: []prompts.Turn{{Question: words(5000), Answer: "Yes [1]."}}}, 0, false, false},
		{"a question alone over budget is cut", prompts.CondenseInput{Question: words(20000), History: turns(2, 50, 50)}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]prompts.Turn(nil), tt.in.History...)
			out := fitCondense(tt.in, budget)
			if !reflect.DeepEqual(tt.in.History, before) {
				t.Fatal("fitCondense changed its input")
			}
			if n := condenseSize(out); n > budget {
				t.Errorf("prompt of %d bytes, over the budget of %d", n, budget)
			}
			if cut := out.Question != tt.in.Question; cut != tt.cutQuestion || cut && !isCut(out.Question, tt.in.Question) {
				t.Errorf("question of %d bytes from %d; want cut: %v", len(out.Question), len(tt.in.Question), tt.cutQuestion)
			}
			if tt.turns >= 0 && len(out.History) != tt.turns {
				t.Errorf("%d turns kept, want %d", len(out.History), tt.turns)
			}
			if tt.turns < 0 && (len(out.History) == 0 || len(out.History) == len(tt.in.History)) {
				t.Errorf("%d of %d turns kept, want some dropped", len(out.History), len(tt.in.History))
			}
			latest := tt.in.History[len(tt.in.History)-len(out.History):]
			for i, turn := range out.History {
				if turn.Question != latest[i].Question || !sameOrCut(turn.Answer, latest[i].Answer) {
					t.Errorf("turn %d is %+v, want the latest turns in order", i, turn)
				}
				if cut := turn.Answer != latest[i].Answer; cut != (tt.cutAnswer && i == len(out.History)-1) {
					t.Errorf("turn %d answer cut: %v, want %v", i, cut, tt.cutAnswer)
				}
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"one two three", 13, "one two three"},
		{"one two three", 12, "one two…"},
		{"one two three", 9, "one…"},
		{"one two three", 4, ""},
		{"onetwothree", 8, "onetw…"},
		{"переговоры идут", 12, "пере…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.s, tt.n); got != tt.want || len(got) > tt.n {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
