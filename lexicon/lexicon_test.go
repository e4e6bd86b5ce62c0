package lexicon

import (
	"slices"
	"strings"
	"testing"
)

func TestRelated(t *testing.T) {
	lx := New()
	for _, tc := range []struct {
		word string
		want []string // each must be among the related words
		not  []string // none of these may be
	}{
		{"talks", []string{"negotiation", "dialogue"}, nil},
		{"negotiations", []string{"talks"}, nil},
		{"crude", []string{"primitive"}, nil},
		{"Ukrainian", []string{"ukraine"}, nil},
		{"frankly", []string{"candidly"}, nil},
		{"spoke", []string{"talk"}, nil}, // irregular: speak
		{"started", []string{"begin"}, []string{"started"}},
		{"xyzzy", nil, nil},
		{"", nil, nil},
	} {
		got := lx.Related(tc.word)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Related(%q) = %v, lacks %q", tc.word, got, w)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("Related(%q) holds %q", tc.word, w)
			}
		}
		if tc.want == nil && len(got) != 0 {
			t.Errorf("Related(%q) = %v, want none", tc.word, got)
		}
	}
}

func TestRelatedConcurrent(t *testing.T) {
	lx := New()
	done := make(chan []string)
	for range 4 {
		go func() { done <- lx.Related("talks") }()
	}
	for range 4 {
		if got := <-done; len(got) == 0 {
			t.Error("a concurrent first use found nothing")
		}
	}
}

func TestInflections(t *testing.T) {
	lx := New()
	for _, tc := range []struct {
		word string
		want []string
	}{
		{"sent", []string{"send"}},
		{"send", []string{"sent"}},
		{"met", []string{"meet"}},
		{"spoke", []string{"speak", "spoken"}},
		{"talk", nil},
	} {
		got := lx.Inflections(tc.word)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Inflections(%q) = %v, lacks %q", tc.word, got, w)
			}
		}
		if tc.want == nil && got != nil {
			t.Errorf("Inflections(%q) = %v, want none", tc.word, got)
		}
	}
}

func TestKinds(t *testing.T) {
	lx := New()
	for _, tc := range []struct {
		name string
		want []string // each must be among the kinds
		not  []string // none of these may be
	}{
		{"NATO", []string{"alliance", "organization"}, []string{"hotel", "newspaper"}},
		{"North Atlantic Treaty Organization", []string{"organization"}, nil},
		{"Geneva", []string{"city"}, []string{"hotel"}},
		{"Kremlin", []string{"citadel"}, []string{"newspaper"}},
		{"Villa La Grange", nil, nil},
		{"", nil, nil},
	} {
		got := lx.Kinds(tc.name)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Kinds(%q) = %v, lacks %q", tc.name, got, w)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("Kinds(%q) holds %q", tc.name, w)
			}
		}
		if tc.want == nil && len(got) != 0 {
			t.Errorf("Kinds(%q) = %v, want none", tc.name, got)
		}
	}
}

// TestSorted checks what the binary search relies on: the embedded lines
// sorted by their first field.
func TestSorted(t *testing.T) {
	prev := ""
	for line := range strings.Lines(wordnet) {
		f := firstField(strings.TrimSuffix(line, "\n"))
		if f < prev {
			t.Fatalf("line %q sorts before the key %q above it", line, prev)
		}
		prev = f
	}
}

// TestLookupMatchesTables checks the lookups in place against tables
// read from every line, as a map-building reader of the file would:
// every 7th word, name and irregular form.
func TestLookupMatchesTables(t *testing.T) {
	related := map[string][]string{}
	base := map[string]string{}
	forms := map[string][]string{}
	kinds := map[string][]string{}
	for line := range strings.Lines(wordnet) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if form, ok := strings.CutPrefix(f[0], "~"); ok {
			if _, seen := base[form]; !seen {
				base[form] = f[1]
			}
			forms[f[1]] = append(forms[f[1]], form)
			continue
		}
		if name, ok := strings.CutPrefix(f[0], "^"); ok {
			kinds[name] = f[1:]
			continue
		}
		related[f[0]] = f[1:]
	}
	lx := New()
	n := 0
	for w, want := range related {
		if n++; n%7 != 0 {
			continue
		}
		if got := lx.related(w); !slices.Equal(got, want) {
			t.Errorf("related(%q) = %v, want %v", w, got, want)
		}
	}
	n = 0
	for name, want := range kinds {
		if n++; n%7 != 0 {
			continue
		}
		if got := lx.Kinds(strings.ReplaceAll(name, "_", " ")); !slices.Equal(got, want) {
			t.Errorf("Kinds(%q) = %v, want %v", name, got, want)
		}
	}
	for form, want := range base {
		if got, ok := lx.base(form); !ok || got != want {
			t.Errorf("base(%q) = %q, %v, want %q", form, got, ok, want)
		}
	}
	lx.Inflections("")
	for b, want := range forms {
		if got := lx.forms[b]; !slices.Equal(got, want) {
			t.Errorf("forms[%q] = %v, want %v", b, got, want)
		}
	}
	for _, w := range []string{"~spoke", "^nato", "zzzzzz", "", "a"} {
		if got, want := lx.related(w), related[w]; !slices.Equal(got, want) {
			t.Errorf("related(%q) = %v, want %v", w, got, want)
		}
	}
}
