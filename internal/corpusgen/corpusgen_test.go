package corpusgen_test

import (
	"testing"

	"github.com/talkbot/talkbot/internal/corpusgen"
)

func TestGenerate(t *testing.T) {
	a, err := corpusgen.Generate(1, 1000, 50)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := corpusgen.Generate(1, 1000, 50)
	c, _ := corpusgen.Generate(2, 1000, 50)
	if n := len(a.Corpus.Passages); n < 1000 || n > 1100 {
		t.Errorf("%d passages, want about 1000", n)
	}
	if a.Corpus.Version != b.Corpus.Version || a.Questions[0] != b.Questions[0] {
		t.Error("the same seed gave another corpus")
	}
	if a.Corpus.Version == c.Corpus.Version {
		t.Error("another seed gave the same corpus")
	}
	if len(a.Questions) != 50 {
		t.Errorf("%d questions, want 50", len(a.Questions))
	}
	docs := map[string]bool{}
	for _, d := range a.Corpus.Docs {
		if docs[d.Text] {
			t.Fatalf("two generated articles are identical: %s", d.ID)
		}
		docs[d.Text] = true
	}
	t.Logf("%d docs; e.g. %q -> %s", len(a.Corpus.Docs), a.Questions[0].Text, a.Questions[0].Doc)
}
