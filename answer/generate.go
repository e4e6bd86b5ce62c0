package answer

import (
	"context"
	"errors"
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

// MaxReplyBytes bounds an LLM reply the service takes as an answer. A
// short answer with citations is a few hundred bytes; a reply past this
// is a model running away, whatever the Chat's own limits, and is an LLM
// failure: never shown as an answer, cached or kept in a conversation.
const MaxReplyBytes = 16 << 10

// ErrReplyTooLong is wrapped by errors of LLM replies longer than
// MaxReplyBytes.
var ErrReplyTooLong = errors.New("the LLM's reply is too long to be an answer")

// ShortCompleter is a Chat that can also be held to a reply of a line or
// so, at less cost when a model runs on; the service rewrites follow-ups
// with it. llm.Client is one.
type ShortCompleter interface {
	CompleteShort(ctx context.Context, system, user string) (string, error)
}

// tooLong fails text longer than MaxReplyBytes.
func tooLong(what, text string) error {
	if len(text) > MaxReplyBytes {
		return fmt.Errorf("%s of %d bytes is over %d: %w", what, len(text), MaxReplyBytes, ErrReplyTooLong)
	}
	return nil
}

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
	if err := tooLong("answer", text); err != nil { // markers can grow when renumbered
		s.llmErrors.Add(1)
		return Answer{}, fmt.Errorf("answer question: %w", err)
	}
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
// the caller and the LLM can. A reply longer than MaxReplyBytes is an LLM
// failure; a stream is cut off as soon as it passes it.
//
// Each partial answer parses the whole reply so far, so partials are
// made only once the reply has grown by an eighth since the last one:
// the work stays linear in the reply's length, not quadratic.
func (s *Service) write(ctx context.Context, prompt prompts.Prompt, progress func(string), given int) (string, error) {
	streamer, ok := s.chat.(Streamer)
	if !ok || progress == nil {
		reply, err := s.complete(ctx, prompt.System, prompt.User)
		if err == nil {
			if err = tooLong("reply", reply); err != nil {
				s.llmErrors.Add(1)
			}
		}
		return reply, err
	}
	s.llmCalls.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sofar strings.Builder
	over, parsed := false, 0 // parsed: the length of the reply at the last partial
	reply, err := streamer.Stream(ctx, prompt.System, prompt.User, func(delta string) {
		if over {
			return
		}
		sofar.WriteString(delta)
		if err := tooLong("streamed reply", sofar.String()); err != nil {
			over = true
			cancel() // stop the stream: none of it will be used
			return
		}
		if sofar.Len()-parsed < parsed/8 {
			return
		}
		parsed = sofar.Len()
		if partial, ok := visiblePartial(sofar.String(), given); ok {
			progress(partial)
		}
	})
	if over {
		err = tooLong("streamed reply", sofar.String())
	}
	if err == nil {
		err = tooLong("streamed reply", reply)
	}
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

// condense rewrites a follow-up into a standalone question, or returns
// "" when the model's rewrite is unusable.
func (s *Service) condense(ctx context.Context, req Request) (string, error) {
	prompt, err := prompts.Condense(prompts.CondenseInput{Question: req.Question, History: historyTurns(req.History)})
	if err != nil {
		return "", err
	}
	reply, err := s.completeShort(ctx, prompt.System, prompt.User)
	if err != nil {
		return "", fmt.Errorf("condense follow-up question: %w", err)
	}
	q := strings.TrimSpace(strings.SplitN(strings.TrimSpace(reply), "\n", 2)[0])
	if q == "" || len(q) > 4*len(req.Question)+500 {
		return "", nil
	}
	return q, nil
}

// completeShort calls the LLM for a reply of a line or so, held to that
// when the LLM can be, counting calls and failures as complete does. A
// reply longer than MaxReplyBytes is a failure.
func (s *Service) completeShort(ctx context.Context, system, user string) (string, error) {
	var reply string
	var err error
	if short, ok := s.chat.(ShortCompleter); ok {
		s.llmCalls.Add(1)
		if reply, err = short.CompleteShort(ctx, system, user); err != nil {
			s.llmErrors.Add(1)
		}
	} else {
		reply, err = s.complete(ctx, system, user)
	}
	if err == nil {
		if err = tooLong("rewrite", reply); err != nil {
			s.llmErrors.Add(1)
		}
	}
	return reply, err
}
