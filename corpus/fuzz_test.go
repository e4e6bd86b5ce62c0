package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the article parser and boilerplate
// cleaner: it must never panic, and what it accepts must be usable text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Title\n\nBody sentence one. Body sentence two.\n",
		"---\ntitle: T\ndate: 2021-12-07\n---\nText.",
		"---\ntitle: unterminated\n",
		"Share on Facebook\nTweet\nCookies help us. Accept cookies?\nReal text here.",
		"\x00binary",
		"bad \xff utf8",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, _, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		if strings.TrimSpace(doc.Text) == "" || doc.Title == "" {
			t.Errorf("accepted a document with no text or title: %+v", doc)
		}
		for _, s := range []string{doc.Text, doc.Title, doc.Source, doc.Date} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Errorf("accepted text that is not clean UTF-8: %q", s)
			}
		}
	})
}

// FuzzSplit checks the sentence and passage splitters on arbitrary text:
// spans in order, inside the text, never empty, sentences never shared.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"Mr. Smith went to Washington. He met Dr. Jones at 5 p.m. on Jan. 3!",
		"One.\nTwo? Three… Four",
		"…...!!??",
		"U.S. officials said so. \"Really?\" she asked.",
	} {
		f.Add(s, 3, 1)
	}
	f.Fuzz(func(t *testing.T, text string, sentences, overlap int) {
		sents := SplitSentences(text)
		end := 0
		for _, sp := range sents {
			if sp.Start < end || sp.End <= sp.Start || sp.End > len(text) {
				t.Fatalf("sentence span %v after %d in %d bytes", sp, end, len(text))
			}
			end = sp.End
		}
		s := Splitter{Sentences: sentences % 10, Overlap: overlap % 10}
		prev := Span{-1, -1}
		for _, p := range s.Split(text) {
			if p.End <= p.Start || p.End > len(text) || p.Start <= prev.Start || p.End <= prev.End {
				t.Fatalf("passage %v after %v in %d bytes", p, prev, len(text))
			}
			prev = p
		}
	})
}
