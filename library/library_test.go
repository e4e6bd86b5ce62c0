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
		{in: "saved page.HTM", want: "saved_page.htm"},
		{in: "../../etc/passwd.txt", err: "plain file name"},
		{in: `..\windows.txt`, err: "plain file name"},
		{in: "dir/a.md", err: "plain file name"},
		{in: ".hidden.md", err: "hidden"},
		{in: "photo.jpg", err: "only .txt, .md and .html"},
		{in: "noext", err: "only .txt, .md and .html"},
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

// corpusDir makes a corpus directory for the Add and Replace tests:
// base.txt (mode 0640), a_b.md and news/moon_base.md.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	files := map[string]string{
		"base.txt":          "# Moon\n\nThe moon base has twelve residents.\n",
		"a_b.md":            "# Alpha beta\n\nAlpha met beta on Tuesday.\n",
		"news/moon_base.md": "# Moon base news\n\nThe moon base got a new greenhouse.\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "base.txt"), 0o640); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		data   string
		err    string
		exists []string // files of the articles in the way, for an *ExistsError
		docs   int      // after, when it works
	}{
		{name: "new article", file: "lunar.md", data: article, docs: 4},
		{name: "same name", file: "base.txt", data: "# Moon\n\nThe moon base has thirteen residents now.\n", err: "already exists", exists: []string{"base.txt"}},
		{name: "same id, other extension", file: "base.md", data: article, err: "already exists", exists: []string{"base.txt"}},
		{name: "same id in a subdirectory", file: "moon_base.txt", data: article, err: "already exists", exists: []string{"news/moon_base.md"}},
		{name: "another name saved as a taken one", file: "a b.md", data: article, err: "already exists", exists: []string{"a_b.md"}},
		{name: "another name with a taken id", file: "a b.txt", data: article, err: "already exists", exists: []string{"a_b.md"}},
		{name: "binary", file: "x.txt", data: "\x00\x01\x02 binary", err: "x.txt"},
		{name: "not utf-8", file: "x.txt", data: "bad \xff bytes", err: "not valid UTF-8"},
		{name: "empty", file: "x.md", data: "   \n", err: "x.md"},
		{name: "path-like name", file: "../../etc/passwd.txt", data: article, err: "plain file name"},
		{name: "too large", file: "big.txt", data: strings.Repeat("word ", 2<<20), err: "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := corpusDir(t)
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
				var exists *library.ExistsError
				if errors.As(err, &exists) != (tt.exists != nil) || errors.Is(err, library.ErrExists) != (tt.exists != nil) {
					t.Errorf("err = %v (%T), want an *ExistsError wrapping ErrExists: %v", err, err, tt.exists != nil)
				}
				if exists != nil {
					var got []string
					for _, a := range exists.Existing {
						got = append(got, a.File)
						if a.Title == "" || a.Passages == 0 {
							t.Errorf("existing article %+v lacks its title or passages", a)
						}
					}
					if !slices.Equal(got, tt.exists) || exists.New.Title != "Lunar base opens" && tt.file != "base.txt" {
						t.Errorf("in the way %q, new %+v; want %q", got, exists.New, tt.exists)
					}
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
			if rep.Article.Title != "Lunar base opens" || rep.Article.Passages != 1 || len(rep.Replaced) != 0 {
				t.Errorf("report of the article %+v, replaced %+v", rep.Article, rep.Replaced)
			}
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil || string(data) != tt.data {
				t.Errorf("saved file %q, %v", data, err)
			}
		})
	}
}

// fileState is what a rollback must put back: content, mode, time and
// identity.
type fileState struct {
	data  string
	mode  os.FileMode
	info  os.FileInfo
	exist bool
}

func stateOf(t *testing.T, p string) fileState {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		return fileState{}
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: string(data), mode: info.Mode(), info: info, exist: true}
}

func TestReplace(t *testing.T) {
	const moon = "# Moon again\n\nThe moon base has thirteen residents now.\n"
	tests := []struct {
		name     string
		file     string
		broken   bool     // a broken file lands in the directory first: the reload fails
		replaced []string // files of the replaced articles
		gone     []string // files removed
		mode     os.FileMode
		err      string
	}{
		{name: "same name keeps the mode", file: "base.txt", replaced: []string{"base.txt"}, mode: 0o640},
		{name: "same id, other extension", file: "base.md", replaced: []string{"base.txt"}, gone: []string{"base.txt"}, mode: 0o640},
		{name: "same id in a subdirectory", file: "moon_base.txt", replaced: []string{"news/moon_base.md"}, gone: []string{"news/moon_base.md"}, mode: 0o644},
		{name: "another name saved as a taken one", file: "a b.md", replaced: []string{"a_b.md"}, mode: 0o644},
		{name: "nothing in the way", file: "lunar.md", mode: 0o644},
		{name: "failed reload restores the file exactly", file: "base.txt", broken: true, err: "not valid UTF-8"},
		{name: "failed reload restores the other file", file: "base.md", broken: true, err: "not valid UTF-8"},
		{name: "failed reload restores the subdirectory", file: "moon_base.txt", broken: true, err: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := corpusDir(t)
			lib, before, err := library.Open(context.Background(), dir, retrieval.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.broken {
				os.WriteFile(filepath.Join(dir, "broken.txt"), []byte("bad \xff bytes"), 0o644)
			}
			files := listDir(t, dir)
			states := map[string]fileState{}
			for _, f := range []string{"base.txt", "a_b.md", "news/moon_base.md"} {
				states[f] = stateOf(t, filepath.Join(dir, filepath.FromSlash(f)))
			}
			rep, err := lib.Replace(context.Background(), tt.file, []byte(moon))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if got := listDir(t, dir); !slices.Equal(got, files) {
					t.Errorf("a failed replacement changed the directory tree:\n%q\nwant\n%q", got, files)
				}
				for f, want := range states {
					got := stateOf(t, filepath.Join(dir, filepath.FromSlash(f)))
					if got.data != want.data || got.mode != want.mode || !got.info.ModTime().Equal(want.info.ModTime()) || !os.SameFile(got.info, want.info) {
						t.Errorf("%s restored as %q %v %v, want %q %v %v, the same file", f, got.data, got.mode, got.info.ModTime(), want.data, want.mode, want.info.ModTime())
					}
				}
				if v := lib.Live().Index().Corpus().Version; v != before.Version {
					t.Errorf("corpus changed to %s after a failed replacement", v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			saved, _ := library.SafeName(tt.file)
			if got := stateOf(t, filepath.Join(dir, saved)); got.data != moon || got.mode.Perm() != tt.mode {
				t.Errorf("saved %q with mode %v, want mode %v", got.data, got.mode, tt.mode)
			}
			var got []string
			for _, a := range rep.Replaced {
				got = append(got, a.File)
				if a.Title != titleOf(states[a.File].data) {
					t.Errorf("replaced %+v, want its old title", a)
				}
			}
			if !slices.Equal(got, tt.replaced) {
				t.Errorf("replaced %q, want %q", got, tt.replaced)
			}
			if rep.Article.Title != "Moon again" || rep.Article.File != saved || rep.Article.Passages != 1 {
				t.Errorf("article %+v", rep.Article)
			}
			for _, f := range tt.gone {
				if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err == nil {
					t.Errorf("%s still there, with an article of the same id", f)
				}
			}
			for _, f := range listDir(t, dir) {
				if strings.Contains(f, "/.") {
					t.Errorf("left behind: %s", f)
				}
			}
			if lib.Live().Index().Corpus().Version != rep.Version {
				t.Error("the new corpus is not in use")
			}
		})
	}
}

// titleOf is the title of a test article: its first line without "# ".
func titleOf(data string) string {
	line, _, _ := strings.Cut(data, "\n")
	return strings.TrimPrefix(line, "# ")
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
