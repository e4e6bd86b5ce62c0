// Package lexicon tells which English words mean nearly the same, from
// WordNet 3.0 (Princeton University; see LICENSE-WordNet), so that the
// offline answerer can recognise a paraphrase ("talks" for
// "negotiations", "crude" for "primitive", "Ukrainian" for "Ukraine")
// without a list written for any one corpus or question.
package lexicon

import (
	_ "embed"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:generate go run gen.go -wordnet /usr/share/wordnet -out wordnet.txt

// wordnet is the relations, a line each, sorted by their first field:
// read in place where a word is looked up, never parsed whole, so that
// neither a start nor a first question pays for the 100,000 lines.
//
//go:embed wordnet.txt
var wordnet string

// Lexicon answers which words are related to a word. The zero value is
// not usable; New returns one. It is safe for concurrent use.
type Lexicon struct {
	data  string // lines sorted by their first field (see gen.go)
	once  sync.Once
	forms map[string][]string // base -> its irregular forms ("speak" -> "spoke", "spoken"), made on first use
}

// New returns the lexicon of the embedded WordNet relations. A word is
// looked up in the embedded lines by binary search; only the irregular
// forms' index (a few thousand lines) is built, on first use, so that a
// process that never answers offline does not pay for it.
func New() *Lexicon { return &Lexicon{data: wordnet} }

// entries returns the rest of each line whose first field is key, in
// the lines' order.
func (l *Lexicon) entries(key string) []string {
	d := l.data
	i := l.seek(key)
	var out []string
	for i < len(d) {
		line := d[i:]
		if n := strings.IndexByte(line, '\n'); n >= 0 {
			line = line[:n]
		}
		f := firstField(line)
		if f != key {
			break
		}
		out = append(out, line[len(f):])
		i += len(line) + 1
	}
	return out
}

// seek returns the offset of the first line whose first field is key or
// sorts after it (len(l.data) for none). The lines are sorted by first
// field, so "the line holding byte i has a first field >= key" is false,
// then true: the first i where it holds starts that line.
func (l *Lexicon) seek(key string) int {
	d := l.data
	return sort.Search(len(d), func(i int) bool {
		return firstField(d[strings.LastIndexByte(d[:i], '\n')+1:]) >= key
	})
}

// firstField returns s up to its first space or newline.
func firstField(s string) string {
	if n := strings.IndexAny(s, " \n"); n >= 0 {
		return s[:n]
	}
	return s
}

// fields returns the words after key on the last line for key that has
// any (nil for none): a key given twice means what its last line says.
func (l *Lexicon) fields(key string) []string {
	e := l.entries(key)
	for i := len(e) - 1; i >= 0; i-- {
		if f := strings.Fields(e[i]); len(f) > 0 {
			return f
		}
	}
	return nil
}

// related returns the words related to word by its own line; nil for
// the prefixed lines of irregular forms and names.
func (l *Lexicon) related(word string) []string {
	if strings.HasPrefix(word, "~") || strings.HasPrefix(word, "^") {
		return nil
	}
	return l.fields(word)
}

// base returns the base of an irregular form ("spoke" -> "speak"): the
// first line's for a form with several.
func (l *Lexicon) base(form string) (string, bool) {
	for _, e := range l.entries("~" + form) {
		if f := strings.Fields(e); len(f) > 0 {
			return f[0], true
		}
	}
	return "", false
}

// loadForms indexes the irregular forms by their base, from the "~"
// lines, which sort last.
func (l *Lexicon) loadForms() {
	l.forms = map[string][]string{}
	for line := range strings.Lines(l.data[l.seek("~"):]) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if form, ok := strings.CutPrefix(f[0], "~"); ok {
			l.forms[f[1]] = append(l.forms[f[1]], form)
		}
	}
}

// Related returns the words WordNet puts in one sense with word
// (synonyms), and the nouns an adjective pertains to, for word and for
// its base forms ("talks", "talk"; "spoke", "speak"). It returns nil for
// a word WordNet does not know.
func (l *Lexicon) Related(word string) []string {
	word = strings.ToLower(word)
	seen := map[string]bool{word: true}
	var out []string
	for _, b := range l.bases(word) {
		for _, r := range l.related(b) {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// Kinds returns the words for what a name is, by WordNet's hypernyms of
// it and of theirs ("NATO": "alliance", "organization", …; "Geneva":
// "city", …), so that an answer can be known to name the kind of thing
// asked for. It returns nil for a name WordNet does not know.
func (l *Lexicon) Kinds(name string) []string {
	return l.fields("^" + strings.ToLower(strings.Join(strings.Fields(name), "_")))
}

// Inflections returns the irregular forms of the same word as word, its
// base among them ("sent" -> "send"; "send" -> "sent"; "met" -> "meet"),
// which a stemmer cannot join; nil when it has none.
func (l *Lexicon) Inflections(word string) []string {
	l.once.Do(l.loadForms)
	word = strings.ToLower(word)
	base := word
	if b, ok := l.base(word); ok {
		base = b
	}
	var out []string
	for _, f := range append([]string{base}, l.forms[base]...) {
		if f != word && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// suffixes are WordNet's detachment rules (morphy): an inflected ending
// and what replaces it in the base form.
var suffixes = [][2]string{
	{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"},
	{"men", "man"}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""},
	{"ing", "e"}, {"ing", ""}, {"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"},
}

// bases returns word and the base forms of it that WordNet knows.
func (l *Lexicon) bases(word string) []string {
	out := []string{word}
	if b, ok := l.base(word); ok {
		out = append(out, b)
	}
	for _, s := range suffixes {
		if stem, ok := strings.CutSuffix(word, s[0]); ok && len(stem) > 1 {
			if b := stem + s[1]; b != word && l.related(b) != nil {
				out = append(out, b)
			}
		}
	}
	return out
}
