// Package corpusgen builds large news-like corpora for benchmarks and
// scale tests, deterministically from a seed: sentences of the seed
// articles recombined, with the names, numbers and dates of each
// generated article made its own, and questions whose answering article
// is known.
package corpusgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/talkbot/talkbot/corpus"
)

// Question is a generated question and the article that answers it.
type Question struct {
	Text   string
	Doc    string // Document.ID
	Answer string // the sentence that answers it; other articles may hold it too
}

// Generated is a corpus and questions about it.
type Generated struct {
	Corpus    *corpus.Corpus
	Questions []Question
}

var (
	number = regexp.MustCompile(`\d+`)
	word   = regexp.MustCompile(`\p{L}+`)
	months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	onsets = []string{"b", "br", "d", "dr", "f", "g", "gr", "k", "kr", "l", "m", "n", "p", "pr", "r", "s", "st", "t", "tr", "v", "z", "sh", "ch", "h"}
	vowels = []string{"a", "e", "i", "o", "u", "ai", "ei", "ou", "ia"}
	codas  = []string{"", "n", "r", "s", "l", "v", "k", "nd", "rk", "sk", "t"}
)

// Generate returns a corpus of at least passages passages, and
// questions for up to maxQuestions of its articles.
func Generate(seed uint64, passages, maxQuestions int) (*Generated, error) {
	return generate(seed, passages, maxQuestions, 0)
}

// GenerateShared is Generate with every name drawn from a pool of names
// names, as a newsroom's articles keep returning to the same people: a
// name no longer points to one article, and questions, which ask by names
// and two words of the answering sentence, must be told apart by the rest.
func GenerateShared(seed uint64, passages, maxQuestions, names int) (*Generated, error) {
	return generate(seed, passages, maxQuestions, names)
}

func generate(seed uint64, passages, maxQuestions, names int) (*Generated, error) {
	seeds, err := corpus.Load(context.Background(), "", corpus.Options{})
	if err != nil {
		return nil, fmt.Errorf("load seed articles: %w", err)
	}
	var sentences []string
	for _, d := range seeds.Docs {
		for _, sp := range corpus.SplitSentences(d.Text) {
			if s := strings.TrimSpace(d.Text[sp.Start:sp.End]); len(s) > 40 {
				sentences = append(sentences, s)
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var pool []string
	for range names {
		pool = append(pool, name(r))
	}
	var docs []corpus.Document
	var questions []Question
	total := 0
	split := corpus.Splitter{}
	for i := 0; total < passages; i++ {
		d, q := article(r, i, sentences, pool)
		docs = append(docs, d)
		total += len(corpus.New([]corpus.Document{d}, split).Passages)
		if len(questions) < maxQuestions && q.Text != "" {
			questions = append(questions, q)
		}
	}
	return &Generated{Corpus: corpus.New(docs, split), Questions: questions}, nil
}

// name makes up a proper name.
func name(r *rand.Rand) string {
	var b strings.Builder
	for range 2 + r.IntN(2) {
		b.WriteString(onsets[r.IntN(len(onsets))] + vowels[r.IntN(len(vowels))])
	}
	b.WriteString(codas[r.IntN(len(codas))])
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// article recombines seed sentences into one article with its own names
// (made up, or from pool if it is not empty), numbers and date, and asks
// a question about it.
func article(r *rand.Rand, i int, sentences, pool []string) (corpus.Document, Question) {
	names := map[string]string{} // seed name -> this article's name
	rename := func(w string) string {
		if n, ok := names[w]; ok {
			return n
		}
		n := name(r)
		if len(pool) > 0 {
			n = pool[r.IntN(len(pool))]
		}
		names[w] = n
		return n
	}
	n := 8 + r.IntN(10)
	var paras []string
	var body []string
	for range n {
		s := sentences[r.IntN(len(sentences))]
		words := word.FindAllStringIndex(s, -1)
		var b strings.Builder
		last := 0
		for k, m := range words {
			w := s[m[0]:m[1]]
			b.WriteString(s[last:m[0]])
			if k > 0 && unicode.IsUpper([]rune(w)[0]) && !isMonth(w) {
				w = rename(w)
			}
			b.WriteString(w)
			last = m[1]
		}
		b.WriteString(s[last:])
		out := number.ReplaceAllStringFunc(b.String(), func(string) string { return strconv.Itoa(1 + r.IntN(2000)) })
		body = append(body, out)
		if len(body) == 3 || r.IntN(4) == 0 {
			paras = append(paras, strings.Join(body, " "))
			body = nil
		}
	}
	if len(body) > 0 {
		paras = append(paras, strings.Join(body, " "))
	}
	id := fmt.Sprintf("gen%06d", i)
	date := fmt.Sprintf("20%02d-%02d-%02d", 10+r.IntN(15), 1+r.IntN(12), 1+r.IntN(28))
	subject := name(r) + " " + name(r)
	title := fmt.Sprintf("%s on %s talks in %s", subject, strings.ToLower(pick(r, []string{"security", "trade", "energy", "border", "sanctions", "arms"})), name(r))
	doc := corpus.Document{ID: id, Title: title, Source: "Generated", Date: date, Text: strings.Join(paras, "\n\n")}
	return doc, question(r, doc)
}

// question asks about one sentence of doc by its names and a few of its
// words, reworded into a question.
func question(r *rand.Rand, doc corpus.Document) Question {
	spans := corpus.SplitSentences(doc.Text)
	sp := spans[r.IntN(len(spans))]
	s := doc.Text[sp.Start:sp.End]
	var names, words []string
	for k, w := range word.FindAllString(s, -1) {
		switch {
		case k > 0 && unicode.IsUpper([]rune(w)[0]) && !isMonth(w):
			names = append(names, w)
		case len(w) > 5:
			words = append(words, strings.ToLower(w))
		}
	}
	if len(names) == 0 || len(words) < 2 {
		return Question{}
	}
	r.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
	q := fmt.Sprintf("What about %s and the %s %s?", strings.Join(names[:min(2, len(names))], " and "), words[0], words[1])
	return Question{Text: q, Doc: doc.ID, Answer: s}
}

func isMonth(w string) bool {
	for _, m := range months {
		if m == w {
			return true
		}
	}
	return false
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// WriteDir writes the generated articles into dir as Markdown files with
// front matter, the way an admin would supply them, for tests that load
// a corpus from disk.
func (g *Generated) WriteDir(dir string) error {
	for _, d := range g.Corpus.Docs {
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: %s\nsource: %s\ndate: %s\n---\n%s\n", d.Title, d.Source, d.Date, d.Text)
		if err := os.WriteFile(filepath.Join(dir, d.ID+".md"), []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("write generated article: %w", err)
		}
	}
	return nil
}
