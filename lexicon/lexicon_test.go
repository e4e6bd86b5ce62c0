package lexicon

import (
	"slices"
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
