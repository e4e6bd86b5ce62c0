package corpusgen_test

import (
	"context"
	"testing"

	"github.com/talkbot/talkbot/corpus"

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

func TestWriteDirLoadsBack(t *testing.T) {
	g, err := corpusgen.Generate(3, 300, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := g.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	c, err := corpus.Load(context.Background(), dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != len(g.Corpus.Docs) {
		t.Fatalf("%d documents loaded, %d written", len(c.Docs), len(g.Corpus.Docs))
	}
	for i, d := range c.Docs {
		w := g.Corpus.Docs[i]
		if d.ID != w.ID || d.Title != w.Title || d.Date != w.Date {
			t.Errorf("document %d loaded as %q %q %q, written as %q %q %q", i, d.ID, d.Title, d.Date, w.ID, w.Title, w.Date)
		}
	}
	if got, want := len(c.Passages), len(g.Corpus.Passages); got < want*9/10 {
		t.Errorf("%d passages loaded, %d written: cleaning dropped generated text", got, want)
	}
}
