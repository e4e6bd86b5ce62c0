package answer

import (
	"context"
	"fmt"
	"strings"

	"github.com/talkbot/talkbot/prompts"
	"github.com/talkbot/talkbot/retrieval"
)

// notInArticles starts an LLM reply that declines to answer, as the
// answer prompt asks.
const notInArticles = "NOT_IN_ARTICLES"

// NotGrounded replaces an LLM reply that cites no passage: it may be true,
// but nothing in the articles shows it, so it is not shown as an answer.
const NotGrounded = "I could not find a sourced answer to this in the articles."

// generate answers with the LLM: retrieve for the standalone question,
// prompt, and map the reply's citations back to passages.
func (s *Service) generate(ctx context.Context, ix *retrieval.Index, req Request, standalone string) (Answer, error) {
	hits := s.search(ctx, ix, retrieval.NewQuery(standalone), s.opts.TopK)
	a := newAnswer(ix, req, standalone, ModeLLM, hits)
	if len(hits) == 0 {
		return refuse(a, ""), nil // nothing to ground an answer in: no need to ask
	}
	c := ix.Corpus()
	in := prompts.AnswerInput{Question: req.Question, History: historyTurns(req.History)}
	if standalone != req.Question {
		in.Question = standalone
	}
	for i, h := range hits {
		p := c.Passages[h.Passage]
		d := c.Doc(p)
		in.Passages = append(in.Passages, prompts.Passage{N: i + 1, Title: d.Title, Source: d.Source, Date: d.Date, Text: p.Text})
	}
	prompt, err := prompts.Answer(in)
	if err != nil {
		return Answer{}, err
	}
	reply, err := s.write(ctx, prompt, req.Progress, len(hits))
	if err != nil {
		return Answer{}, fmt.Errorf("answer question: %w", err)
	}
	reply = strings.TrimSpace(reply)
	if rest, ok := strings.CutPrefix(reply, notInArticles); ok {
		rest = strings.TrimSpace(strings.TrimLeft(rest, ":.-— "))
		rest, _ = ParseCitations(rest, 0) // a refusal cites nothing
		return refuse(a, rest), nil
	}
	text, order := ParseCitations(reply, len(hits))
	if len(order) == 0 {
		s.log.WarnContext(ctx, "llm reply cites no passage; not shown as an answer")
		return refuse(a, NotGrounded), nil
	}
	a.Text = text
	a.Answered = true
	for i, k := range order {
		a.Citations = append(a.Citations, citation(c, i+1, hits[k].Passage))
	}
	return a, nil
}

// write gets the answer from the LLM, streaming it to progress when both
// the caller and the LLM can.
func (s *Service) write(ctx context.Context, prompt prompts.Prompt, progress func(string), given int) (string, error) {
	streamer, ok := s.chat.(Streamer)
	if !ok || progress == nil {
		return s.complete(ctx, prompt.System, prompt.User)
	}
	s.llmCalls.Add(1)
	var sofar strings.Builder
	reply, err := streamer.Stream(ctx, prompt.System, prompt.User, func(delta string) {
		sofar.WriteString(delta)
		if partial, ok := visiblePartial(sofar.String(), given); ok {
			progress(partial)
		}
	})
	if err != nil {
		s.llmErrors.Add(1)
	}
	return reply, err
}

// visiblePartial turns the start of an LLM reply into what a reader may
// see: nothing while it could still be a refusal, and citations mapped as
// in the final answer, without a marker cut in half at the end.
func visiblePartial(reply string, given int) (string, bool) {
	reply = strings.TrimLeft(reply, " \n\t")
	if len(reply) < len(notInArticles) && strings.HasPrefix(notInArticles, reply) || strings.HasPrefix(reply, notInArticles) {
		return "", false
	}
	if i := strings.LastIndexByte(reply, '['); i >= 0 && !strings.Contains(reply[i:], "]") {
		reply = reply[:i]
	}
	text, _ := ParseCitations(reply, given)
	return text, text != ""
}

// condense rewrites a follow-up into a standalone question.
func (s *Service) condense(ctx context.Context, req Request) (string, error) {
	prompt, err := prompts.Condense(prompts.CondenseInput{Question: req.Question, History: historyTurns(req.History)})
	if err != nil {
		return "", err
	}
	reply, err := s.complete(ctx, prompt.System, prompt.User)
	if err != nil {
		return "", fmt.Errorf("condense follow-up question: %w", err)
	}
	q := strings.TrimSpace(strings.SplitN(strings.TrimSpace(reply), "\n", 2)[0])
	if q == "" || len(q) > 4*len(req.Question)+500 {
		return req.Question, nil // an unusable rewrite: fall back to the question itself
	}
	return q, nil
}
