package qa

import (
	"context"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/answer"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		wantErr  string
	}{
		{"ok", `{"id":"a","question":"Q?","docs":["d"],"answer_any":["x"]}` + "\n\n" + `{"id":"b","question":"R?","answerable":false}`, 2, ""},
		{"bad json", `{"id":"a","question":"Q?","docs":["d"]}` + "\n{oops", 0, "line 2"},
		{"with kind", `{"id":"a","question":"Q?","docs":["d"],"kind":"factoid"}`, 1, ""},
		{"unknown field", `{"id":"a","question":"Q?","doc":["d"]}`, 0, `unknown field "doc"`},
		{"no question", `{"id":"a","docs":["d"]}`, 0, "has no question"},
		{"answerable without expectations", `{"id":"a","question":"Q?"}`, 0, "neither docs nor answer_any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, err := Load(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(cases) != tt.n {
				t.Fatalf("got %d cases, %v", len(cases), err)
			}
		})
	}
}

// canned answers each question with a fixed answer.
type canned map[string]answer.Answer

func (c canned) Answer(_ context.Context, req answer.Request) (answer.Answer, error) {
	return c[req.Question], nil
}

func TestRunScores(t *testing.T) {
	no := false
	cases := []Case{
		{ID: "hit", Question: "q1", Docs: []string{"A"}, AnswerAny: []string{"two hours"}, Kind: "factoid"},
		{ID: "second", Question: "q2", Docs: []string{"B"}, AnswerAny: []string{"Geneva"}, Kind: "factoid"},
		{ID: "miss", Question: "q3", Docs: []string{"C"}, AnswerAny: []string{"x"}, Kind: "paraphrase"},
		{ID: "refused", Question: "q4", Answerable: &no, Kind: "unanswerable"},
		{ID: "invented", Question: "q5", Answerable: &no, Kind: "unanswerable"},
	}
	a := canned{
		"q1": {Answered: true, Text: "It lasted Two Hours [1].", Citations: []answer.Citation{{Doc: "A"}}},
		"q2": {Answered: true, Text: "In Geneva [1].", Citations: []answer.Citation{{Doc: "Z"}}, Retrieved: []string{"Z", "B"}},
		"q3": {Answered: false, Retrieved: []string{"Y"}},
		"q4": {Answered: false},
		"q5": {Answered: true, Text: "Made up [1].", Citations: []answer.Citation{{Doc: "A"}}},
	}
	r := Run(context.Background(), a, cases)
	if r.Answerable != 3 || r.Unanswerable != 2 {
		t.Fatalf("counts %d/%d", r.Answerable, r.Unanswerable)
	}
	check := func(name string, got, want float64) {
		if got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%s = %.3f, want %.3f", name, got, want)
		}
	}
	check("recall@1", r.RecallAt1, 1.0/3)
	check("recall@3", r.RecallAt3, 2.0/3)
	check("MRR", r.MRR, (1+0.5)/3)
	check("answer accuracy", r.AnswerAccuracy, 2.0/3)
	check("refusal accuracy", r.RefusalAccuracy, 0.5)
	want := map[string]KindScore{"factoid": {2, 2}, "paraphrase": {1, 0}, "unanswerable": {2, 1}}
	for k, w := range want {
		if r.ByKind[k] != w {
			t.Errorf("kind %s: %+v, want %+v", k, r.ByKind[k], w)
		}
	}
	if len(r.ByKind) != len(want) {
		t.Errorf("kinds %v", r.ByKind)
	}
	var out strings.Builder
	r.WriteText(&out)
	if !strings.Contains(out.String(), "by kind:  factoid 2/2  paraphrase 0/1  unanswerable 1/2") {
		t.Errorf("text report lacks the scores by kind:\n%s", out.String())
	}
}
