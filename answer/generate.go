package answer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/lang"
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
	hits := s.search(ctx, ix, retrieval.NewQuery(cmp.Or(req.search, standalone)), s.opts.TopK)
	a := newAnswer(ix, req, standalone, ModeLLM, hits)
	if len(hits) == 0 {
		return refuse(a, ""), nil // nothing to ground an answer in: no need to ask
	}
	c := ix.Corpus()
	in := prompts.AnswerInput{Question: req.Question, Asked: req.asked, History: historyTurns(req.History), Language: lang.Name(req.Lang)}
	if standalone != req.Question {
		in.Question = standalone
	}
	for i, h := range hits {
		p := c.Passages[h.Passage]
		d := c.Doc(p)
		in.Passages = append(in.Passages, prompts.Passage{N: i + 1, Title: d.Title, Source: d.Source, Date: d.Date, Text: p.Text})
	}
	in = fitPrompt(in, PromptBudget)
	given := len(in.Passages) // the budget may have left the last ones out
	prompt, err := prompts.Answer(in)
	if err != nil {
		return Answer{}, err
	}
	reply, err := s.write(ctx, prompt, req.Progress, given)
	if err != nil {
		return Answer{}, fmt.Errorf("answer question: %w", err)
	}
	r := cleanReply(reply, given, true)
	if r.refused {
		return refuse(a, ""), nil // the fixed refusal: never what the model wrote around its marker
	}
	if err := tooLong("answer", r.text); err != nil { // markers can grow when renumbered
		s.llmErrors.Add(1)
		return Answer{}, fmt.Errorf("answer question: %w", err)
	}
	var ok bool
	if len(r.order) == 0 {
		s.log.WarnContext(ctx, "llm reply cites no passage; not shown as an answer")
		a = refuse(a, NotGrounded)
		a.unsure = true
		return a, nil
	}
	if req.Lang == corpusLang && !s.opts.SkipSupportCheck {
		if r, ok = s.supported(ctx, r, c, hits); !ok {
			a = refuse(a, NotGrounded)
			a.unsure = true
			return a, nil
		}
	}
	a.Text = r.text
	a.Answered = true
	for i, k := range r.order {
		a.Citations = append(a.Citations, citation(c, i+1, hits[k].Passage))
	}
	return a, nil
}

// supported keeps the sentences of a cleaned reply that the passages
// they cite bear out (see support.go), renumbering the citations left,
// and reports whether any is left. The check reads the articles'
// language; an answer in another is not checked.
func (s *Service) supported(ctx context.Context, r cleaned, c *corpus.Corpus, hits []retrieval.Hit) (cleaned, bool) {
	cited := make([]string, len(r.order))
	for i, k := range r.order {
		cited[i] = c.Passages[hits[k].Passage].Text
	}
	v := checkSupport(r.text, cited)
	if s.opts.Observer != nil {
		s.opts.Observer.SupportCheck(v.Kept, v.Dropped, v.Uncited)
	}
	if v.Dropped > 0 {
		s.log.InfoContext(ctx, "answer sentences not supported by their citations; dropped", "dropped", v.Dropped, "kept", v.Kept)
	}
	if v.Text == "" {
		s.log.WarnContext(ctx, "no sentence of the llm reply is supported by its citations; not shown as an answer", "dropped", v.Dropped)
		return r, false
	}
	text, order := ParseCitations(v.Text, len(r.order))
	if len(order) == 0 {
		return r, false
	}
	kept := make([]int, len(order))
	for i, k := range order {
		kept[i] = r.order[k]
	}
	r.text, r.order = text, kept
	return r, true
}

// write gets the answer from the LLM, streaming it to progress when both
// the caller and the LLM can. A reply longer than MaxReplyBytes is an LLM
// failure; a stream is cut off as soon as it passes it.
//
// Each partial answer cleans the whole reply so far (cleanReply, linear
// in its length), so partials are made only once the reply has grown by
// an eighth since the last one: the work stays linear in the reply's
// length, not quadratic. A partial the same as the last is not sent.
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
	over, parsed, shown := false, 0, "" // parsed: the length of the reply at the last partial
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
		if partial, ok := visiblePartial(sofar.String(), given); ok && partial != shown {
			shown = partial
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
// see: the reply cleaned as the final one will be (cleanReply), without
// the tail that may still change, and only once it cites a passage. So a
// partial never shows reasoning, a refusal or its marker, half a marker
// or a model-written source list, and shows nothing of a reply that will
// be replaced for citing nothing.
func visiblePartial(reply string, given int) (string, bool) {
	r := cleanReply(reply, given, false)
	if r.refused || len(r.order) == 0 || r.text == "" {
		return "", false
	}
	return r.text, true
}
