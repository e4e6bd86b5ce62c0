package answer

import (
	"slices"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/prompts"
)

// PromptBudget bounds a whole rendered prompt sent to the LLM, system and
// user message together, in bytes of UTF-8 text.
//
// It is sized for an 8k-token local model (8,192 tokens of context),
// which must hold the prompt, the chat template's few dozen tokens and a
// reply of up to 700 tokens (llm.DefaultMaxTokens): about 7,400 tokens
// for the prompt. News prose costs about 4 bytes a token in English and 5
// to 6 in Cyrillic, so 12,000 bytes is about 3,000 tokens, and stays
// under 7,400 even at 2 bytes a token (Chinese or Japanese text, numbers
// and names cut into many tokens). Bytes, not characters, are counted
// because they track tokens across scripts: a budget of characters
// would let a prompt of CJK text grow three times larger in tokens.
//
// It holds a full prompt with room to spare: the rules (about 1,200
// bytes), six passages of at most corpus.DefaultMaxBytes with their
// titles (about 5,000), six earlier turns of a few hundred bytes each,
// and the question. Only odd input is trimmed: a passage near the hard
// cap, a long conversation, a runaway answer kept in the history.
const PromptBudget = 12000

// maxHistoryAnswer is how long an earlier answer may stay in a prompt
// that is over budget: an answer of one to three sentences is well
// within it, in any language; what is longer is cut to it.
const maxHistoryAnswer = 1000

// fitPrompt returns in trimmed so that the answer prompt rendered from it
// (prompts.Answer, system and user message) is at most budget bytes. It
// gives up, in order, until the prompt fits:
//
//  1. earlier turns of the conversation, oldest first, down to the
//     latest, which a follow-up most often refers to;
//  2. the length of long answers in the turns left (maxHistoryAnswer);
//  3. passages, lowest ranked (last) first, down to one;
//  4. the latest turn: the question was already made to stand alone;
//  5. the remaining passage's text (and outsized title, source or
//     date), cut on a word boundary;
//  6. only when the question alone is over budget, the question.
//
// Cut text ends with "…". Nothing else of in changes, and in's slices
// are not written to. A prompt that cannot fit even so (a budget below
// the rules' own size) is returned as short as it gets.
func fitPrompt(in prompts.AnswerInput, budget int) prompts.AnswerInput {
	in.History = slices.Clone(in.History)
	in.Passages = slices.Clone(in.Passages)
	over := func() int { return answerSize(in) - budget }
	if over() <= 0 {
		return in
	}
	in.History = fitHistory(in.History, func(h []prompts.Turn) bool {
		trial := in
		trial.History = h
		return answerSize(trial) <= budget
	})
	for len(in.Passages) > 1 && over() > 0 {
		in.Passages = in.Passages[:len(in.Passages)-1]
	}
	if over() > 0 {
		in.History = nil
	}
	if over() > 0 && len(in.Passages) > 0 {
		p := &in.Passages[0]
		for _, field := range []*string{&p.Title, &p.Source, &p.Date} {
			*field = truncate(*field, maxField)
		}
		cutToFit(&p.Text, minPassage, over)
	}
	cutToFit(&in.Question, 0, over)
	if len(in.Passages) > 0 {
		cutToFit(&in.Passages[0].Text, 0, over)
	}
	return in
}

// fitCondense returns in trimmed so that the follow-up rewriting prompt
// rendered from it (prompts.Condense) is at most budget bytes, by the
// rules of fitPrompt for the conversation: earlier turns go first,
// oldest first, then long answers are cut, then the latest turn goes;
// the question is cut only when it alone is over budget.
func fitCondense(in prompts.CondenseInput, budget int) prompts.CondenseInput {
	in.History = slices.Clone(in.History)
	over := func() int { return condenseSize(in) - budget }
	if over() <= 0 {
		return in
	}
	in.History = fitHistory(in.History, func(h []prompts.Turn) bool {
		trial := in
		trial.History = h
		return condenseSize(trial) <= budget
	})
	if over() > 0 {
		in.History = nil
	}
	cutToFit(&in.Question, 0, over)
	return in
}

// fitHistory drops the oldest turns of h until fits holds or one turn is
// left, then cuts the answers of the turns left to maxHistoryAnswer if
// that is still not enough. The turns are written in place.
func fitHistory(h []prompts.Turn, fits func([]prompts.Turn) bool) []prompts.Turn {
	for len(h) > 1 && !fits(h) {
		h = h[1:]
	}
	if fits(h) {
		return h
	}
	for i := range h {
		h[i].Answer = truncate(h[i].Answer, maxHistoryAnswer)
	}
	return h
}

// Sizes a cut keeps, in bytes.
const (
	// minPassage is what the last passage keeps before the question is
	// cut: a sentence or two to answer from.
	minPassage = 400
	// maxField is what a passage's title, source or date keeps when the
	// passage alone is over budget: a headline is far shorter, so only a
	// file's runaway metadata is cut.
	maxField = 300
)

// cutToFit shortens *s, but not below keep bytes, until over reports
// that the prompt fits. Each round cuts by what is still over, so a few
// rounds do: text rendered larger than it is (fenced "<" and ">") may
// take more than one.
func cutToFit(s *string, keep int, over func() int) {
	for {
		excess := over()
		if excess <= 0 || len(*s) <= keep {
			return
		}
		*s = truncate(*s, max(keep, len(*s)-excess))
	}
}

// ellipsis ends text that was cut.
const ellipsis = "…"

// truncate returns s if it is at most n bytes, else its start cut on a
// word boundary (corpus.CutWords) and ended with an ellipsis, in at most
// n bytes all told; "" when n leaves no room for a word.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	room := n - len(ellipsis)
	if room < 1 {
		return ""
	}
	pieces := corpus.CutWords(s, room)
	if len(pieces) == 0 || pieces[0].End-pieces[0].Start > room {
		return "" // room is less than a rune
	}
	return s[pieces[0].Start:pieces[0].End] + ellipsis
}

// answerSize is the size in bytes of the answer prompt rendered from in,
// or 0 if it does not render: the caller's own render then reports it.
func answerSize(in prompts.AnswerInput) int {
	p, err := prompts.Answer(in)
	if err != nil {
		return 0
	}
	return len(p.System) + len(p.User)
}

// condenseSize is answerSize for the follow-up rewriting prompt.
func condenseSize(in prompts.CondenseInput) int {
	p, err := prompts.Condense(in)
	if err != nil {
		return 0
	}
	return len(p.System) + len(p.User)
}
