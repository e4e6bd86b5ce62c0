// Package prompts holds the versioned prompt templates sent to the LLM.
//
// The templates are embedded text/template files. Version changes whenever
// any template changes, so cached answers made with older prompts are
// never served as if they came from the current ones.
package prompts

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
)

// Version identifies the current set of templates. It also changes when
// what an answer is keyed by changes, so that no answer cached under the
// old rules is served (2026-11-22.2: answers written with one asker's
// conversation were cached under the bare follow-up).
const Version = "2026-11-22.2"

//go:embed *.tmpl
var files embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"data": fence,
}).ParseFS(files, "*.tmpl"))

// Turn is one earlier exchange of the conversation.
type Turn struct {
	Question string
	Answer   string
}

// Passage is one numbered passage offered to the LLM as evidence.
type Passage struct {
	N      int
	Title  string
	Source string
	Date   string
	Text   string
}

// AnswerInput is what the answer prompt is made of.
type AnswerInput struct {
	Question string
	History  []Turn
	Passages []Passage
}

// CondenseInput is what the condense prompt is made of: the conversation
// so far and the latest question, to be rewritten as a standalone one.
type CondenseInput struct {
	Question string
	History  []Turn
}

// Prompt is a system message, which carries the rules, and a user
// message, which carries the untrusted data.
type Prompt struct {
	System string
	User   string
}

// Answer renders the prompt that asks for a cited answer.
func Answer(in AnswerInput) (Prompt, error) {
	return render("answer", in)
}

// Condense renders the prompt that rewrites a follow-up question into a
// standalone one.
func Condense(in CondenseInput) (Prompt, error) {
	return render("condense", in)
}

func render(name string, in any) (Prompt, error) {
	var sys, user strings.Builder
	if err := templates.ExecuteTemplate(&sys, name+"_system.tmpl", in); err != nil {
		return Prompt{}, fmt.Errorf("render %s system prompt: %w", name, err)
	}
	if err := templates.ExecuteTemplate(&user, name+"_user.tmpl", in); err != nil {
		return Prompt{}, fmt.Errorf("render %s user prompt: %w", name, err)
	}
	return Prompt{System: strings.TrimSpace(sys.String()), User: strings.TrimSpace(user.String())}, nil
}

// fence makes untrusted text safe to place between the prompt's tags: it
// cannot close a tag or open a new one.
func fence(s string) string {
	return strings.NewReplacer("<", "‹", ">", "›").Replace(s)
}
