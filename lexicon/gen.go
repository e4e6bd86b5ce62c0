//go:build ignore

// gen.go writes wordnet.txt, the word relations package lexicon
// embeds, from the WordNet 3.0 database files (Debian: wordnet-base, in
// /usr/share/wordnet). Run it with go generate.
//
// Each line of the output is a word and its related words: those sharing
// a synset with it (synonyms) and, for adjectives, the nouns they pertain
// to ("ukrainian" -> "ukraine"). Only single-word, alphabetic lemmas are
// kept. A word's senses beyond the first few are left out when WordNet's
// sense counts show they are rare (see -senses); two words are related
// when they share a sense kept for either of them. Lines starting with "~"
// give irregular forms and their base ("spoke speak"). Lines starting
// with "^" give a name WordNet knows (spaces
// as "_") and the words for what it is, through its instance hypernyms
// and their hypernyms ("^nato alliance organization ...").
// The lines are sorted, so by their first field: package lexicon looks a
// word up by binary search in the embedded file, uncompressed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	dir := flag.String("wordnet", "/usr/share/wordnet", "WordNet dict directory")
	out := flag.String("out", "wordnet.txt", "output file")
	senses := flag.Int("senses", 4, "senses of a word kept beyond its tagged ones")
	flag.Parse()
	if err := generate(*dir, *out, *senses); err != nil {
		log.Fatal(err)
	}
}

var posNames = map[string]string{"n": "noun", "v": "verb", "a": "adj", "r": "adv"}

func generate(dir, out string, maxSenses int) error {
	related := map[string]map[string]bool{}
	link := func(a, b string) {
		if a == b {
			return
		}
		if related[a] == nil {
			related[a] = map[string]bool{}
		}
		related[a][b] = true
	}
	for _, pos := range []string{"n", "v", "a", "r"} {
		name := posNames[pos]
		synsets, pertains, err := readData(filepath.Join(dir, "data."+name))
		if err != nil {
			return err
		}
		err = eachLine(filepath.Join(dir, "index."+name), func(line string) error {
			f := strings.Fields(line)
			if len(f) < 6 {
				return nil
			}
			word := f[0]
			pcnt, _ := strconv.Atoi(f[3])
			i := 4 + pcnt
			if len(f) < i+2 {
				return fmt.Errorf("index.%s: short line %q", name, line)
			}
			tagged, _ := strconv.Atoi(f[i+1])
			offsets := f[i+2:]
			keep := min(len(offsets), max(tagged, 1, min(maxSenses, len(offsets))))
			for _, off := range offsets[:keep] {
				for _, other := range synsets[off] {
					if usable(word) && usable(other) {
						link(word, other)
						link(other, word) // a sense frequent for either
					}
				}
				for _, noun := range pertains[off+" "+word] {
					if usable(word) && usable(noun) {
						link(word, noun)
						link(noun, word)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	var lines []string
	for w, set := range related {
		others := make([]string, 0, len(set))
		for o := range set {
			others = append(others, o)
		}
		slices.Sort(others)
		lines = append(lines, w+" "+strings.Join(others, " "))
	}
	for _, name := range []string{"noun", "verb", "adj", "adv"} {
		err := eachLine(filepath.Join(dir, name+".exc"), func(line string) error {
			f := strings.Fields(line)
			if len(f) >= 2 && usable(f[0]) && usable(f[1]) {
				lines = append(lines, "~"+f[0]+" "+f[1])
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	kinds, err := readKinds(filepath.Join(dir, "data.noun"))
	if err != nil {
		return err
	}
	lines = append(lines, kinds...)
	slices.Sort(lines)
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(file)
	for _, l := range lines {
		w.WriteString(l + "\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return file.Close()
}

// usable keeps single lower-case alphabetic words.
func usable(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// readData returns, per synset offset, its lemmas, and per "offset lemma"
// of an adjective, the nouns it pertains to.
func readData(path string) (map[string][]string, map[string][]string, error) {
	synsets := map[string][]string{}
	type ptr struct{ from, target, source string }
	var ptrs []ptr
	err := eachLine(path, func(line string) error {
		if strings.HasPrefix(line, "  ") {
			return nil // licence header
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil
		}
		off := f[0]
		n, err := strconv.ParseInt(f[3], 16, 32)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", path, off, err)
		}
		var words []string
		for i := 0; i < int(n); i++ {
			w := strings.ToLower(f[4+2*i])
			if j := strings.IndexByte(w, '('); j >= 0 {
				w = w[:j] // adjective markers: "(a)", "(p)"
			}
			words = append(words, w)
		}
		synsets[off] = words
		i := 4 + 2*int(n)
		pc, _ := strconv.Atoi(f[i])
		for k := 0; k < pc; k++ {
			p := f[i+1+4*k : i+5+4*k]
			if p[0] != "\\" {
				continue
			}
			src, _ := strconv.ParseUint(p[3][:2], 16, 8)
			dst, _ := strconv.ParseUint(p[3][2:], 16, 8)
			if src == 0 || int(src) > len(words) {
				continue
			}
			ptrs = append(ptrs, ptr{from: off + " " + words[src-1], target: p[1] + " " + strconv.FormatUint(dst, 10), source: p[2]})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	pertains := map[string][]string{}
	if len(ptrs) > 0 {
		nouns, _, err := readNouns(filepath.Dir(path), ptrs[0].source)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ptrs {
			off, num, _ := strings.Cut(p.target, " ")
			k, _ := strconv.Atoi(num)
			if ws := nouns[off]; k >= 1 && k <= len(ws) {
				pertains[p.from] = append(pertains[p.from], ws[k-1])
			}
		}
	}
	return synsets, pertains, nil
}

// readNouns reads the lemmas of the noun synsets (the targets of
// pertainym pointers, pos "n"); other targets are left out.
func readNouns(dir, _ string) (map[string][]string, map[string][]string, error) {
	out := map[string][]string{}
	err := eachLine(filepath.Join(dir, "data.noun"), func(line string) error {
		f := strings.Fields(line)
		if strings.HasPrefix(line, "  ") || len(f) < 4 {
			return nil
		}
		n, _ := strconv.ParseInt(f[3], 16, 32)
		for i := 0; i < int(n); i++ {
			out[f[0]] = append(out[f[0]], strings.ToLower(f[4+2*i]))
		}
		return nil
	})
	return out, nil, err
}

// readKinds returns a "^name kind kind ..." line for every lemma of a
// noun synset that is a name: an instance of another (WordNet's "@i"
// pointer) or a synset with a capitalised lemma ("NATO"). The kinds are
// the single-word lemmas of its hypernyms ("@", "@i") and of theirs, up
// to the root.
func readKinds(path string) ([]string, error) {
	type synset struct {
		lemmas    []string
		named     bool     // a lemma is capitalised: a proper name
		instance  []string // instance hypernyms
		hypernyms []string
	}
	synsets := map[string]*synset{}
	err := eachLine(path, func(line string) error {
		f := strings.Fields(line)
		if strings.HasPrefix(line, "  ") || len(f) < 4 {
			return nil
		}
		n, _ := strconv.ParseInt(f[3], 16, 32)
		s := &synset{}
		for i := 0; i < int(n); i++ {
			l := f[4+2*i]
			s.named = s.named || l[0] >= 'A' && l[0] <= 'Z'
			s.lemmas = append(s.lemmas, strings.ToLower(l))
		}
		i := 4 + 2*int(n)
		pc, _ := strconv.Atoi(f[i])
		for k := 0; k < pc; k++ {
			p := f[i+1+4*k : i+5+4*k]
			switch {
			case p[0] == "@i" && p[2] == "n":
				s.instance = append(s.instance, p[1])
			case p[0] == "@" && p[2] == "n":
				s.hypernyms = append(s.hypernyms, p[1])
			}
		}
		synsets[f[0]] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	kinds := map[string]map[string]bool{}
	for _, s := range synsets {
		if len(s.instance) == 0 && !s.named {
			continue
		}
		words := map[string]bool{}
		seen := map[string]bool{}
		todo := slices.Concat(s.instance, s.hypernyms)
		for len(todo) > 0 {
			off := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			h := synsets[off]
			if seen[off] || h == nil {
				continue
			}
			seen[off] = true
			for _, l := range h.lemmas {
				if usable(l) {
					words[l] = true
				}
			}
			todo = append(todo, h.hypernyms...)
			todo = append(todo, h.instance...)
		}
		for _, l := range s.lemmas {
			if kinds[l] == nil {
				kinds[l] = map[string]bool{}
			}
			for w := range words {
				kinds[l][w] = true
			}
		}
	}
	var lines []string
	for name, set := range kinds {
		ws := make([]string, 0, len(set))
		for w := range set {
			ws = append(ws, w)
		}
		slices.Sort(ws)
		lines = append(lines, "^"+name+" "+strings.Join(ws, " "))
	}
	return lines, nil
}

func eachLine(path string, fn func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if err := fn(sc.Text()); err != nil {
			return err
		}
	}
	return sc.Err()
}
