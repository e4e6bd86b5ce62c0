// Package lexicon tells which English words mean nearly the same, from
// WordNet 3.0 (Princeton University; see LICENSE-WordNet), so that the
// offline answerer can recognise a paraphrase ("talks" for
// "negotiations", "crude" for "primitive", "Ukrainian" for "Ukraine")
// without a list written for any one corpus or question.
package lexicon

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
)

//go:generate go run gen.go -wordnet /usr/share/wordnet -out wordnet.txt.gz

//go:embed wordnet.txt.gz
var wordnet []byte

// Lexicon answers which words are related to a word. The zero value is
// not usable; New returns one. It is safe for concurrent use.
type Lexicon struct {
	once    sync.Once
	related map[string][]string
	base    map[string]string   // irregular form -> base ("spoke" -> "speak")
	forms   map[string][]string // base -> its irregular forms ("speak" -> "spoke", "spoken")
	kinds   map[string][]string // name -> what it is ("nato" -> "alliance", "organization", …)
	err     error
}

// New returns the lexicon of the embedded WordNet relations. Its tables
// are read on first use, so that a process that never answers offline
// does not pay for them.
func New() *Lexicon { return &Lexicon{} }

func (l *Lexicon) load() {
	zr, err := gzip.NewReader(bytes.NewReader(wordnet))
	if err != nil {
		l.err = err
		return
	}
	l.related = make(map[string][]string, 60000)
	l.base = map[string]string{}
	l.forms = map[string][]string{}
	l.kinds = make(map[string][]string, 50000)
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		if form, ok := strings.CutPrefix(f[0], "~"); ok {
			if _, seen := l.base[form]; !seen {
				l.base[form] = f[1]
			}
			l.forms[f[1]] = append(l.forms[f[1]], form)
			continue
		}
		if name, ok := strings.CutPrefix(f[0], "^"); ok {
			l.kinds[name] = f[1:]
			continue
		}
		l.related[f[0]] = f[1:]
	}
	l.err = sc.Err()
}

// Related returns the words WordNet puts in one sense with word
// (synonyms), and the nouns an adjective pertains to, for word and for
// its base forms ("talks", "talk"; "spoke", "speak"). It returns nil for
// a word WordNet does not know, or if the embedded data cannot be read.
func (l *Lexicon) Related(word string) []string {
	l.once.Do(l.load)
	if l.err != nil {
		return nil
	}
	word = strings.ToLower(word)
	seen := map[string]bool{word: true}
	var out []string
	for _, b := range l.bases(word) {
		for _, r := range l.related[b] {
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
	l.once.Do(l.load)
	if l.err != nil {
		return nil
	}
	return l.kinds[strings.ToLower(strings.Join(strings.Fields(name), "_"))]
}

// Inflections returns the irregular forms of the same word as word, its
// base among them ("sent" -> "send"; "send" -> "sent"; "met" -> "meet"),
// which a stemmer cannot join; nil when it has none.
func (l *Lexicon) Inflections(word string) []string {
	l.once.Do(l.load)
	if l.err != nil {
		return nil
	}
	word = strings.ToLower(word)
	base := word
	if b, ok := l.base[word]; ok {
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
	if b, ok := l.base[word]; ok {
		out = append(out, b)
	}
	for _, s := range suffixes {
		if stem, ok := strings.CutSuffix(word, s[0]); ok && len(stem) > 1 {
			if b := stem + s[1]; b != word && l.related[b] != nil {
				out = append(out, b)
			}
		}
	}
	return out
}
