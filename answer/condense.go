package answer

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/talkbot/talkbot/prompts"
)

// rewrite is the model's preparation of a question for answering: the
// question made standalone, in the asker's language, and the same in the
// articles' language for searching. Either may be "" when unusable.
type rewrite struct {
	question string
	search   string
}

// condense asks the model to make a follow-up stand alone, and a
// question in another language searchable in the articles' language,
// in one call. Unusable lines of the reply come back "".
func (s *Service) condense(ctx context.Context, req Request) (rewrite, error) {
	prompt, err := prompts.Condense(fitCondense(prompts.CondenseInput{Question: req.Question, History: historyTurns(req.History)}, PromptBudget))
	if err != nil {
		return rewrite{}, err
	}
	reply, err := s.completeShort(ctx, prompt.System, prompt.User)
	if err != nil {
		return rewrite{}, fmt.Errorf("rewrite question: %w", err)
	}
	return parseRewrite(reply, req.Question), nil
}

// rewriteLabel matches the labels a model puts before a rewritten
// question or a search query, with the Markdown and quotes around them.
var rewriteLabel = regexp.MustCompile(`(?i)^[\s*_#>\-•"'“”«»` + "`" + `]*(standalone question|rewritten question|rephrased question|question|search query|search|query)\s*[*_]*\s*[:：]\s*`)

// preamble matches a line that only introduces what follows ("Sure!
// Here is the standalone question:").
var preamble = regexp.MustCompile(`(?i)^(sure|certainly|of course|okay|ok|here|the (standalone|rewritten) question|конечно|вот)([\s,.:;!]|$).*|.*[:：]$`)

// parseRewrite reads the model's reply to the condensing prompt. It
// takes the labelled QUESTION and SEARCH lines; a model that ignores the
// format and writes one line gets that line as the question, after any
// preamble. A line is rejected when it is not a question: an answer
// (citations, or no question form), a refusal, empty, or far longer
// than what was asked.
func parseRewrite(reply, asked string) rewrite {
	reply = stripReasoning(reply, true)
	var out rewrite
	var loose []string
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if m := rewriteLabel.FindStringSubmatch(line); m != nil {
			switch label := strings.ToLower(m[1]); {
			case strings.Contains(label, "search") || label == "query":
				if out.search == "" {
					out.search = cleanRewrite(line[len(m[0]):], asked, false)
				}
			default:
				if out.question == "" {
					out.question = cleanRewrite(line[len(m[0]):], asked, true)
				}
			}
			continue
		}
		if !preamble.MatchString(line) || strings.HasSuffix(line, "?") {
			loose = append(loose, line)
		}
	}
	if out.question == "" && out.search == "" && len(loose) > 0 {
		out.question = cleanRewrite(loose[0], asked, true)
	}
	return out
}

// cleanRewrite strips the quotes and Markdown around a rewritten line,
// and returns "" if what is left is unusable: an answer, a refusal, far
// too long, or, for a question, a statement (a search query may be a
// list of words).
func cleanRewrite(line, asked string, question bool) string {
	line = strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "*_`\"'“”«»„ "))
	switch {
	case line == "",
		len(line) > 4*len(asked)+300,
		refusalMarker.MatchString(line),
		markerGroup.MatchString(line), // it cites: an answer, not a question
		question && !looksLikeQuestion(line):
		return ""
	}
	return line
}

// questionWords start a question without a question mark, in the
// languages the bot is asked in most.
var questionWords = regexp.MustCompile(`(?i)^(who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|can|could|will|would|should|shall|has|have|had|may|might|must|кто|что|когда|где|куда|откуда|почему|зачем|как|какой|какая|какое|какие|каков|сколько|чей|ли|был|была|было|были|есть|wer|wen|wem|was|wann|wo|woher|wohin|warum|wieso|weshalb|wie|welche|welcher|welches|ist|sind|war|waren|hat|haben|gibt|qui|que|quoi|quand|où|pourquoi|comment|quel|quelle|quels|quelles|combien|qué|quién|cuándo|dónde|por qué|cómo|cuál|cuánto)([\s,.:;!?]|$)`)

// looksLikeQuestion reports whether s reads as a question rather than a
// statement: a question mark, or a question word first.
func looksLikeQuestion(s string) bool {
	return strings.HasSuffix(strings.TrimRight(s, " .)»\"'"), "?") || strings.HasSuffix(s, "？") || questionWords.MatchString(s)
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
