package retrieval

import (
	"testing"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/corpusgen"
)

// TestMayStemToKeepsEveryStem: the filters that spare SearchLexical most
// stemming never turn away a word from its own stem, over every word of
// the seed articles, a generated corpus and words whose stems are
// irregular or whose letters are not ASCII.
func TestMayStemToKeepsEveryStem(t *testing.T) {
	seeds, err := corpus.Load(t.Context(), "", corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := corpusgen.Generate(3, 2000, 0)
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"dying", "lying", "tying", "skies", "Skis", "idly", "gently", "ugly", "early", "only",
		"singly", "news", "Yes", "yelling", "ÉTAT", "İstanbul", "Öl", "x", "I", "5", "G20", "2021", "CONSTRUCTIVE"}
	for _, c := range []*corpus.Corpus{seeds, g.Corpus} {
		for _, d := range c.Docs {
			words = append(words, Words(d.Title+" "+d.Text)...)
		}
	}
	for _, w := range words {
		term := Term(w)
		if term == "" {
			continue
		}
		if !mayStemTo(w, term) {
			t.Errorf("mayStemTo(%q, %q) = false: the word would never match its own stem", w, term)
		}
		var m sentenceMatcher
		m.addFirst(term)
		if !m.first[w[0]] {
			t.Errorf("a word beginning %q is turned away from %q, its own stem", w[0], term)
		}
	}
	for _, tt := range []struct {
		word, term string
		want       bool
	}{
		{"Talks", "talk", true},
		{"stalk", "talk", false},
		{"a", "ab", true},
		{"ab", "abc", true},
		{"b", "ab", false},
		{"Ymca", "ymca", true},
	} {
		if got := mayStemTo(tt.word, tt.term); got != tt.want {
			t.Errorf("mayStemTo(%q, %q) = %v, want %v", tt.word, tt.term, got, tt.want)
		}
	}
}

// FuzzSearchLexical: any question, in any script or none, gets at most k
// passages, best first, each once, and never a panic.
func FuzzSearchLexical(f *testing.F) {
	for _, q := range []string{"How long did the talks last?", "Путин и Байден", "dying skies İstanbul", "", "a", "é", "ÿÿ 🙂 G20 2021"} {
		f.Add(q, 3)
	}
	seeds, err := corpus.Load(f.Context(), "", corpus.Options{})
	if err != nil {
		f.Fatal(err)
	}
	ix, err := Build(f.Context(), seeds, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string, k int) {
		k = k%50 + 1
		if k < 1 {
			k += 50
		}
		hits := ix.SearchLexical(NewQuery(q), k)
		if len(hits) > k {
			t.Fatalf("%d hits for k=%d", len(hits), k)
		}
		seen := map[int]bool{}
		for i, h := range hits {
			if seen[h.Passage] {
				t.Fatalf("passage %d twice: %v", h.Passage, hits)
			}
			seen[h.Passage] = true
			if i > 0 && worse(hits[i-1], h) {
				t.Fatalf("out of order at %d: %v", i, hits)
			}
		}
	})
}
