package prompts

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestVersionFollowsTheTemplates: any edit of a template's text or name
// gives another version, so a cached answer is never served as if the
// current prompts had written it.
func TestVersionFollowsTheTemplates(t *testing.T) {
	base := fstest.MapFS{
		"answer_system.tmpl": {Data: []byte("Use only the passages.")},
		"answer_user.tmpl":   {Data: []byte("{{.Question}}")},
	}
	edits := map[string]fstest.MapFS{
		"a word changed":           {"answer_system.tmpl": {Data: []byte("Use only these passages.")}, "answer_user.tmpl": base["answer_user.tmpl"]},
		"a space added":            {"answer_system.tmpl": {Data: []byte("Use only the passages. ")}, "answer_user.tmpl": base["answer_user.tmpl"]},
		"a file renamed":           {"answer_system.tmpl": base["answer_system.tmpl"], "answer_user2.tmpl": base["answer_user.tmpl"]},
		"text moved between files": {"answer_system.tmpl": {Data: []byte("Use only the passages.{{.Question}}")}, "answer_user.tmpl": {Data: []byte("")}},
	}
	want := digest(base)
	if digest(base) != want {
		t.Fatal("digest is not deterministic")
	}
	for name, fsys := range edits {
		if digest(fsys) == want {
			t.Errorf("%s: version unchanged", name)
		}
	}
	if !strings.HasPrefix(Version, rules+"-") || !strings.HasSuffix(Version, digest(files)) {
		t.Errorf("Version %q is not the rules and the embedded templates' digest", Version)
	}
}

func TestCondensePromptNamesTheCorpusLanguage(t *testing.T) {
	p, err := Condense(CondenseInput{Question: "Сколько длился разговор?"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.System, "SEARCH: the same standalone question in English") || strings.Contains(p.User, "<conversation>") {
		t.Errorf("condense prompt without history:\n%s\n%s", p.System, p.User)
	}
}

func TestAnswerPromptLanguageAndAsked(t *testing.T) {
	p, err := Answer(AnswerInput{Question: "How long did the call last?", Asked: "and how long?", Language: "Russian"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.System, "Answer in Russian") || !strings.Contains(p.User, "<asked>\nand how long?\n</asked>") {
		t.Errorf("answer prompt:\n%s\n%s", p.System, p.User)
	}
	p, _ = Answer(AnswerInput{Question: "q"})
	if !strings.Contains(p.System, "Answer in the language of the question") || strings.Contains(p.User, "<asked>") {
		t.Errorf("answer prompt without language or asked:\n%s\n%s", p.System, p.User)
	}
}
