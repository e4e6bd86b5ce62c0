package library_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/retrieval"
)

const article = "# Lunar base opens\n\nThe lunar base opened on Monday with twelve residents.\n"

func TestSafeName(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "article.md", want: "article.md"},
		{in: "Report 2021 (final).TXT", want: "Report_2021__final_.txt"},
		{in: "Саммит.md", want: "Саммит.md"},
		{in: "../../etc/passwd.txt", err: "plain file name"},
		{in: `..\windows.txt`, err: "plain file name"},
		{in: "dir/a.md", err: "plain file name"},
		{in: ".hidden.md", err: "hidden"},
		{in: "photo.jpg", err: "only .txt and .md"},
		{in: "noext", err: "only .txt and .md"},
		{in: "", err: "plain file name"},
		{in: strings.Repeat("a", 200) + ".md", err: "longer than"},
	}
	for _, tt := range tests {
		got, err := library.SafeName(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("SafeName(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SafeName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(filepath.Dir(dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Dir(dir), p)
			data, _ := os.ReadFile(p)
			names = append(names, rel+"="+string(data))
		}
		return nil
	})
	slices.Sort(names)
	return names
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		err  string
		docs int // after, when it works
	}{
		{name: "new article", file: "lunar.md", data: article, docs: 2},
		{name: "replaces same name", file: "base.txt", data: "# Moon\n\nThe moon base has thirteen residents now.\n", docs: 1},
		{name: "binary", file: "x.txt", data: "\x00\x01\x02 binary", err: "x.txt"},
		{name: "not utf-8", file: "x.txt", data: "bad \xff bytes", err: "not valid UTF-8"},
		{name: "empty", file: "x.md", data: "   \n", err: "x.md"},
		{name: "path-like name", file: "../../etc/passwd.txt", data: article, err: "plain file name"},
		{name: "too large", file: "big.txt", data: strings.Repeat("word ", 2<<20), err: "over the limit"},
		{name: "clashing id rolls back", file: "base.md", data: article, err: "already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "corpus")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "base.txt"), []byte("# Moon\n\nThe moon base has twelve residents.\n"), 0o644)
			lib, before, err := library.Open(context.Background(), dir, retrieval.Options{})
			if err != nil {
				t.Fatal(err)
			}
			files := listDir(t, dir)
			rep, err := lib.Add(context.Background(), tt.file, []byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if got := listDir(t, dir); !slices.Equal(got, files) {
					t.Errorf("a refused file changed the directory tree:\n%q\nwant\n%q", got, files)
				}
				if v := lib.Live().Index().Corpus().Version; v != before.Version {
					t.Errorf("corpus changed to %s after a refused file", v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Docs != tt.docs || rep.Version == before.Version || lib.Live().Index().Corpus().Version != rep.Version {
				t.Errorf("report %+v, want %d docs and the new version in use", rep, tt.docs)
			}
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil || string(data) != tt.data {
				t.Errorf("saved file %q, %v", data, err)
			}
		})
	}
}

func TestAddToEmbedded(t *testing.T) {
	lib, _, err := library.Open(context.Background(), "", retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Add(context.Background(), "a.md", []byte(article)); !errors.Is(err, library.ErrEmbedded) {
		t.Errorf("err = %v, want ErrEmbedded", err)
	}
}
