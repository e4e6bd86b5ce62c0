// Package prompts holds the versioned prompt templates sent to the LLM.
//
// The templates are embedded text/template files. Version changes whenever
// any template changes, so cached answers made with older prompts are
// never served as if they came from the current ones.
package prompts

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
)

// rules names a change in how answers are made or keyed that the
// templates' text does not show, so that no answer cached under the old
// rules is served (2026-11-22.3: the reply cleaner and the support check).
const rules = "2026-11-22.3"

// Version identifies the current prompts: the rules, then a digest of
// every template's name and text, so that editing a template can never
// serve answers cached with the old one.
var Version = rules + "-" + digest(files)

//go:embed *.tmpl
var files embed.FS

// digest hashes the names and contents of the templates in fsys.
func digest(fsys fs.FS) string {
	h := sha256.New()
	names, err := fs.Glob(fsys, "*.tmpl")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	for _, name := range names { // fs.Glob returns them sorted
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err) // listed just above
		}
		fmt.Fprintf(h, "%d:%s%d:", len(name), name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

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
	// Asked is the user's own words, when Question is their follow-up
	// rewritten to stand alone: they may carry a nuance the rewrite lost.
	Asked    string
	History  []Turn
	Passages []Passage
	// Language is the name, in English, of the language to answer in
	// ("Russian"); empty means the question's.
	Language string
}

// CondenseInput is what the condense prompt is made of: the conversation
// so far, if any, and the latest question, to be rewritten as a
// standalone one and as a search query in the articles' language.
type CondenseInput struct {
	Question string
	History  []Turn
	// CorpusLanguage names the articles' language; default English.
	CorpusLanguage string
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
	if in.CorpusLanguage == "" {
		in.CorpusLanguage = "English"
	}
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
