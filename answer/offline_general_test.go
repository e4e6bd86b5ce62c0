package answer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/answer"
)

// TestOfflineMethodsGeneralise tries the offline answerer on an article
// no question set has seen (testdata/harbour.md): a person's words, a
// duration, a month, a weekday resolved by the article's date, a name
// given as one, a follow-up's "she" taken from the previous answer, and
// refusals where a count, a name or a duration is asked and the article
// does not give it. (WordNet's part is TestParaphraseEvidence's.)
func TestOfflineMethodsGeneralise(t *testing.T) {
	// Beside the seed articles, so that words weigh as in a real corpus.
	dir := t.TempDir()
	seeds, err := filepath.Glob(filepath.Join("..", "corpus", "seeds", "*"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("seed articles: %v", err)
	}
	for _, src := range seeds {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	harbour, err := os.ReadFile(filepath.Join("testdata", "harbour.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "harbour.md"), harbour, 0o644); err != nil {
		t.Fatal(err)
	}
	svc := answer.NewService(dirIndex(t, dir), nil, nil, answer.Options{})
	for _, tc := range []struct {
		name     string
		history  []string
		question string
		want     string // "" means the answer must be a refusal
	}{
		{"a person's words", nil, "What did Tom Baker say about the talks?", "negotiations had been frank"},
		{"a month", nil, "When does the new timetable start?", "May"},
		{"a duration", nil, "How long did the debate last?", "three hours"},
		{"a weekday resolved to the article's date", nil, "What was the date of the council meeting?", "5 March 2024"},
		{"a count is not a duration", nil, "How many people were in the operators' delegation?", ""},
		{"the previous answer's person", []string{"Who led the delegation of the ferry operators?"}, "How long has she led it?", ""},
		{"a name asked for is not a person's", nil, "What is the name of the harbour?", ""},
		{"a name given", nil, "What is the name of the new ferry?", "Northern Star"},
		{"a kind of name WordNet knows", nil, "Which organisation will the council ask to list the lighthouse?", "UNESCO"},
		{"a kind of name nothing says", nil, "Which shipyard built the new ferry?", ""},
		{"a role of something else", nil, "Who was the mayor of Dover?", ""},
		{"the role asked for", nil, "Who was the mayor of Portsmouth?", "Ann Clarke"},
		{"a speaker is not the doer", nil, "Who will pay for the new pier?", ""},
		{"a speaker asked for", nil, "Who said the negotiations had been frank?", "Tom Baker"},
		{"the same speaker asked for", nil, "Who said the harbour will need a new pier?", "Ann Clarke"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := answer.Request{Question: tc.question}
			for _, q := range tc.history {
				req.History = append(req.History, answer.Turn{Question: q})
			}
			a, err := svc.Answer(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && a.Answered:
				t.Errorf("%q answered %q, want a refusal", tc.question, a.Text)
			case tc.want != "" && !strings.Contains(a.Text, tc.want):
				t.Errorf("%q answered %q (answered %v), want it to hold %q", tc.question, a.Text, a.Answered, tc.want)
			}
		})
	}
}
