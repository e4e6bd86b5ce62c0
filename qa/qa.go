// Package qa runs question sets against the answer service and scores
// retrieval, answers and refusals.
//
// The question format is that of shared/qa/README.md: one JSON object per
// line with id, question, history, docs, answer_any and answerable.
package qa

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/talkbot/talkbot/answer"
)

// Case is one question of a set.
type Case struct {
	ID         string   `json:"id"`
	Question   string   `json:"question"`
	History    []string `json:"history,omitempty"`
	Docs       []string `json:"docs,omitempty"`
	AnswerAny  []string `json:"answer_any,omitempty"`
	Answerable *bool    `json:"answerable,omitempty"`
	// Kind names what the case exercises (factoid, followup, yesno…),
	// so that scores can be read kind by kind.
	Kind string `json:"kind,omitempty"`
}

// IsAnswerable reports whether the corpus holds the answer; cases say so
// unless they set "answerable": false.
func (c Case) IsAnswerable() bool { return c.Answerable == nil || *c.Answerable }

// Load reads a question set, one JSON object per line; blank lines are skipped.
func Load(r io.Reader) ([]Case, error) {
	var cases []Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var c Case
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if strings.TrimSpace(c.Question) == "" {
			return nil, fmt.Errorf("line %d: case %q has no question", line, c.ID)
		}
		if c.IsAnswerable() && len(c.Docs) == 0 && len(c.AnswerAny) == 0 {
			return nil, fmt.Errorf("line %d: answerable case %q has neither docs nor answer_any", line, c.ID)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return cases, nil
}

// Answerer is what a question set is run against.
type Answerer interface {
	Answer(ctx context.Context, req answer.Request) (answer.Answer, error)
}

// Result is the outcome of one case.
type Result struct {
	Case   Case          `json:"case"`
	Answer answer.Answer `json:"answer"`
	Error  string        `json:"error,omitempty"`
	// Rank is the 1-based rank of the first expected document among the
	// cited documents followed by the other retrieved ones; 0 if absent.
	Rank int `json:"rank"`
	// OK says whether the case passed: the answer contains an expected
	// phrase, or an unanswerable question was refused.
	OK     bool     `json:"ok"`
	Issues []string `json:"issues,omitempty"`
}

// Report sums up a run.
type Report struct {
	Cases           int     `json:"cases"`
	Answerable      int     `json:"answerable"`
	Unanswerable    int     `json:"unanswerable"`
	RecallAt1       float64 `json:"recall_at_1"`
	RecallAt3       float64 `json:"recall_at_3"`
	MRR             float64 `json:"mrr"`
	AnswerAccuracy  float64 `json:"answer_accuracy"`
	RefusalAccuracy float64 `json:"refusal_accuracy"`
	// ByKind counts the cases of each kind and those that passed; cases
	// without a kind are left out.
	ByKind  map[string]KindScore `json:"by_kind,omitempty"`
	Results []Result             `json:"results"`
}

// KindScore is how the cases of one kind went.
type KindScore struct {
	Cases  int `json:"cases"`
	Passed int `json:"passed"`
}

// Run answers every case and scores the answers.
func Run(ctx context.Context, a Answerer, cases []Case) Report {
	var r Report
	var hit1, hit3, rr, answered, refused float64
	withDocs := 0
	for _, c := range cases {
		req := answer.Request{Question: c.Question}
		for _, h := range c.History {
			req.History = append(req.History, answer.Turn{Question: h})
		}
		res := Result{Case: c}
		ans, err := a.Answer(ctx, req)
		if err != nil {
			res.Error = err.Error()
			res.Issues = append(res.Issues, "error: "+err.Error())
		}
		res.Answer = ans
		r.Cases++
		if !c.IsAnswerable() {
			r.Unanswerable++
			res.OK = err == nil && !ans.Answered && len(ans.Citations) == 0
			if !res.OK && err == nil {
				res.Issues = append(res.Issues, "answered a question the corpus does not cover")
			}
			if res.OK {
				refused++
			}
			r.Results = append(r.Results, res)
			continue
		}
		r.Answerable++
		if len(c.Docs) > 0 {
			withDocs++
			res.Rank = rank(ranking(ans), c.Docs)
			switch {
			case res.Rank == 0:
				res.Issues = append(res.Issues, "no expected document retrieved")
			case res.Rank > 3:
				res.Issues = append(res.Issues, fmt.Sprintf("first expected document at rank %d", res.Rank))
			}
			if res.Rank == 1 {
				hit1++
			}
			if res.Rank >= 1 && res.Rank <= 3 {
				hit3++
			}
			if res.Rank > 0 {
				rr += 1 / float64(res.Rank)
			}
		}
		switch {
		case err != nil:
		case !ans.Answered:
			res.Issues = append(res.Issues, "refused an answerable question")
		case len(c.AnswerAny) > 0 && !containsAny(ans.Text, c.AnswerAny):
			res.Issues = append(res.Issues, fmt.Sprintf("answer lacks all of %q", c.AnswerAny))
		default:
			res.OK = true
			answered++
		}
		r.Results = append(r.Results, res)
	}
	for _, res := range r.Results {
		if k := res.Case.Kind; k != "" {
			if r.ByKind == nil {
				r.ByKind = map[string]KindScore{}
			}
			ks := r.ByKind[k]
			ks.Cases++
			if res.OK {
				ks.Passed++
			}
			r.ByKind[k] = ks
		}
	}
	r.RecallAt1 = ratio(hit1, withDocs)
	r.RecallAt3 = ratio(hit3, withDocs)
	r.MRR = ratio(rr, withDocs)
	r.AnswerAccuracy = ratio(answered, r.Answerable)
	r.RefusalAccuracy = ratio(refused, r.Unanswerable)
	return r
}

// ranking lists the documents an answer rests on: cited ones first, in
// citation order, then the other retrieved ones.
func ranking(a answer.Answer) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, c := range a.Citations {
		add(c.Doc)
	}
	for _, id := range a.Retrieved {
		add(id)
	}
	return out
}

func rank(docs, want []string) int {
	for i, d := range docs {
		for _, w := range want {
			if d == w {
				return i + 1
			}
		}
	}
	return 0
}

func containsAny(text string, phrases []string) bool {
	text = strings.ToLower(text)
	for _, p := range phrases {
		if strings.Contains(text, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

func ratio(n float64, d int) float64 {
	if d == 0 {
		return 0
	}
	return n / float64(d)
}

// WriteText prints the figures and every failing case.
func (r Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "cases %d (answerable %d, unanswerable %d)\n", r.Cases, r.Answerable, r.Unanswerable)
	fmt.Fprintf(bw, "recall@1 %.3f  recall@3 %.3f  MRR %.3f\n", r.RecallAt1, r.RecallAt3, r.MRR)
	fmt.Fprintf(bw, "answer accuracy %.3f  refusal accuracy %.3f\n", r.AnswerAccuracy, r.RefusalAccuracy)
	if len(r.ByKind) > 0 {
		kinds := make([]string, 0, len(r.ByKind))
		for k := range r.ByKind {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		bw.WriteString("by kind:")
		for _, k := range kinds {
			fmt.Fprintf(bw, "  %s %d/%d", k, r.ByKind[k].Passed, r.ByKind[k].Cases)
		}
		bw.WriteString("\n")
	}
	failed := 0
	for _, res := range r.Results {
		if res.OK && len(res.Issues) == 0 {
			continue
		}
		failed++
		fmt.Fprintf(bw, "\n%s: %s\n", res.Case.ID, res.Case.Question)
		for _, is := range res.Issues {
			fmt.Fprintf(bw, "  - %s\n", is)
		}
		if res.Answer.Text != "" {
			fmt.Fprintf(bw, "  answer: %s\n", res.Answer.Text)
		}
	}
	if failed == 0 {
		fmt.Fprintln(bw, "\nall cases passed")
	}
	return bw.Flush()
}
