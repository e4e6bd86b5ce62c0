package corpus

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func loadSeeds(t *testing.T) *Corpus {
	t.Helper()
	c, err := Load(context.Background(), "", Options{})
	if err != nil {
		t.Fatalf("load seeds: %v", err)
	}
	return c
}

func TestSeeds(t *testing.T) {
	c := loadSeeds(t)
	tests := []struct {
		id, title, source, date string
		first, last             string   // first and last body sentences
		keep                    []string // body text that must survive
		gone                    []string // boilerplate that must be removed
	}{
		{
			id:     "000_3f0c0d7fff4160eb",
			title:  "Communication between Russian and US presidents Vladimir Putin and Joe Biden was constructive",
			source: "TASS",
			first:  "Communication between Russian and US presidents Vladimir Putin and Joe Biden was constructive",
			last:   `begin substantive consultations on these "sensitive" issues.`,
			keep:   []string{"They (the presidents - TASS) have agreed", "the conversation lasted two hours"},
			gone:   []string{"GSV", "Photo:", "Sharifulin", "Based on materials"},
		},
		{
			id:    "001_27a9120208961b58",
			title: "Peskov said that Putin was the initiator of the night conversation with Biden",
			first: "The result of the conversation could affect the talks between Russia and the US on security guarantees, scheduled for January 10",
			last:  "there is no single line regarding Russian proposals.",
			keep:  []string{"(23.30 Moscow time)", "First Deputy Secretary of State Wendy Sherman."},
			gone:  []string{"Photo:", "kremlin .ru", "Recent Posts"},
		},
		{
			id:    "002_4ed4f2e28c58246e",
			title: "Russia's Putin 'liked' video meeting format in Biden talk, says Kremlin",
			date:  "2021-12-08",
			first: "Russian President Vladimir Putin liked the format of a recent video meeting",
			last:  "engage in meaningful consultations on these sensitive matters.",
			keep:  []string{`"reliable, legally binding guarantees`},
			gone:  []string{"Fecha de", "Imagen principal", "Add new comment", "human visitor", "Enter the characters", "8 December 2021"},
		},
		{
			id:    "003_907588203fbe8425",
			title: "Kremlin Views Putin-Biden Video Summit Positively",
			first: "The Kremlin positively assessed the video format in which the Russia-USA summit took place.",
			last:  "Yuri Ushakov said.",
			keep:  []string{"complete dismantling", "exercises in the Black Sea"},
			gone:  []string{"pub-", "DIRECT", "TKS", "No comments", "Post a Comment", "Ksenia", "campaig"},
		},
		{
			id:     "004_c6c5edef42ed08a6",
			title:  "No definite time set for Putin-Biden meeting yet, Kremlin says",
			source: "TASS",
			date:   "November 9",
			first:  "Earlier, Dmitry Peskov noted that both Moscow and Washington were interested",
			last:   "cybersecurity, prisoner exchange and arms control.",
			keep:   []string{"MOSCOW, November 9. /TASS/.", "Group of 20 meeting in Rome", "Putin and Biden last met for talks in Geneva on June 16."},
			gone:   []string{"All news", "Bobylev", "©", "Russian Presidential Spokesman Dmitry Peskov\n"},
		},
	}
	if len(c.Docs) != len(tests) {
		t.Fatalf("got %d documents, want %d", len(c.Docs), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d := c.Docs[i]
			if d.ID != tt.id {
				t.Fatalf("doc %d id = %q, want %q", i, d.ID, tt.id)
			}
			if d.Title != tt.title {
				t.Errorf("title = %q, want %q", d.Title, tt.title)
			}
			if d.Source != tt.source {
				t.Errorf("source = %q, want %q", d.Source, tt.source)
			}
			if d.Date != tt.date {
				t.Errorf("date = %q, want %q", d.Date, tt.date)
			}
			if !strings.HasPrefix(d.Text, tt.first) {
				t.Errorf("text starts %q, want %q", d.Text[:min(80, len(d.Text))], tt.first)
			}
			if !strings.HasSuffix(d.Text, tt.last) {
				t.Errorf("text ends %q, want %q", d.Text[max(0, len(d.Text)-80):], tt.last)
			}
			for _, k := range tt.keep {
				if !strings.Contains(d.Text, k) {
					t.Errorf("body lost %q", k)
				}
			}
			for _, g := range tt.gone {
				if strings.Contains(d.Text+"\n", g) {
					t.Errorf("boilerplate %q survived", g)
				}
			}
		})
	}
}

// TestSeedBodySurvives checks that every sentence-shaped line of the raw
// seeds that is not boilerplate is in the cleaned text, word for word.
func TestSeedBodySurvives(t *testing.T) {
	c := loadSeeds(t)
	boiler := []string{"This question is for testing", "Enter the characters", "Vladimir Putin talked by telephone with Ksenia"}
	for _, d := range c.Docs {
		raw, err := fs.ReadFile(Seeds(), d.ID+".txt")
		if err != nil {
			t.Fatal(err)
		}
	lines:
		for _, line := range strings.Split(string(raw), "\n") {
			line = strings.TrimSpace(line)
			if !isSentence(line) || wordCount(line) < 6 {
				continue
			}
			for _, b := range boiler {
				if strings.HasPrefix(line, b) {
					continue lines
				}
			}
			if !strings.Contains(d.Text, line) {
				t.Errorf("%s lost body line %q", d.ID, line)
			}
		}
	}
}

func TestFrontMatter(t *testing.T) {
	tests := []struct {
		name, in                       string
		title, source, url, date, text string
		wantErr                        string
	}{
		{
			name:   "all keys",
			in:     "---\ntitle: \"Talks end\"\nsource: Reuters\nurl: https://example.com/a\ndate: 2021-12-07\n---\nThe talks ended. Nobody won.\n",
			title:  "Talks end",
			source: "Reuters",
			url:    "https://example.com/a",
			date:   "2021-12-07",
			text:   "The talks ended. Nobody won.",
		},
		{
			name:  "front matter wins over headline",
			in:    "---\ntitle: From front matter\n---\nA Headline In The Text\n\nThe body is here.\n",
			title: "From front matter",
			text:  "A Headline In The Text\n\nThe body is here.",
		},
		{
			name:  "markdown heading",
			in:    "Home\n\n# The heading\n\nBody text of the article.\n",
			title: "The heading",
			text:  "Body text of the article.",
		},
		{
			name: "long date normalised",
			in:   "---\ndate: December 7, 2021\n---\nBody.\n",
			date: "2021-12-07",
			text: "Body.",
		},
		{name: "unclosed", in: "---\ntitle: x\n", wantErr: "no closing ---"},
		{name: "not key value", in: "---\njust words\n---\nBody.\n", wantErr: "want key: value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := Parse("x", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.title != "" && d.Title != tt.title {
				t.Errorf("title = %q, want %q", d.Title, tt.title)
			}
			if d.Source != tt.source || d.URL != tt.url || d.Date != tt.date {
				t.Errorf("source, url, date = %q, %q, %q; want %q, %q, %q", d.Source, d.URL, d.Date, tt.source, tt.url, tt.date)
			}
			if d.Text != tt.text {
				t.Errorf("text = %q, want %q", d.Text, tt.text)
			}
		})
	}
}

func TestCleanGeneralBoilerplate(t *testing.T) {
	in := strings.Join([]string{
		"Home › World › Europe",
		"Ministers agree on grain deal",
		"Share on Facebook",
		"Ministers from both countries agreed on Friday to extend the grain deal by 120 days.",
		"Photo: John Smith / Reuters",
		"We use cookies to improve your experience. By continuing you accept our cookie policy.",
		"The deal covers wheat, maize and sunflower oil, officials said.",
		"Subscribe to our newsletter",
		"Related",
		"Another story about something else entirely, with many words in it.",
	}, "\n")
	d, _, err := Parse("grain", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := "Ministers from both countries agreed on Friday to extend the grain deal by 120 days.\n\nThe deal covers wheat, maize and sunflower oil, officials said."
	if d.Text != want {
		t.Errorf("text =\n%s\nwant\n%s", d.Text, want)
	}
	if d.Title != "Ministers agree on grain deal" {
		t.Errorf("title = %q", d.Title)
	}
}

// errFS fails to open one file, as an unreadable file does.
type errFS struct {
	fstest.MapFS
	bad string
}

func (e errFS) Open(name string) (fs.File, error) {
	if name == e.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return e.MapFS.Open(name)
}

// ReadDir fails for the bad name too, as for an unreadable directory
// (fs.WalkDir lists directories through it, not Open).
func (e errFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == e.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return e.MapFS.ReadDir(name)
}

func TestLoadBadInput(t *testing.T) {
	good := &fstest.MapFile{Data: []byte("Headline here now\n\nA sentence of the body.\n")}
	tests := []struct {
		name    string
		fsys    fs.FS
		opts    Options
		wantErr string // must appear in the error, with the file name
	}{
		{"empty tree", fstest.MapFS{"notes.pdf": {Data: []byte("%PDF")}}, Options{}, "no .txt, .md or .html files"},
		{"invalid utf-8", fstest.MapFS{"a.txt": good, "b.txt": {Data: []byte("Caf\xe9 society.\n")}}, Options{}, "b.txt: not valid UTF-8"},
		{"binary", fstest.MapFS{"a.txt": good, "img.txt": {Data: []byte("PNG\x00\x01\x02")}}, Options{}, "img.txt: binary file"},
		{"too large", fstest.MapFS{"a.txt": good, "big.md": {Data: []byte(strings.Repeat("Word. ", 100))}}, Options{MaxFileSize: 100}, "big.md: file larger than the 100-byte limit"},
		{"unreadable", errFS{fstest.MapFS{"a.txt": good, "locked.txt": good}, "locked.txt"}, Options{}, "locked.txt: open locked.txt: permission denied"},
		{"empty file", fstest.MapFS{"a.txt": good, "empty.txt": {Data: []byte(" \n")}}, Options{}, "empty.txt: file is empty"},
		{"only boilerplate", fstest.MapFS{"a.txt": good, "ads.txt": {Data: []byte("Share on Twitter\nSubscribe\n")}}, Options{}, "ads.txt: no article text left"},
		{"duplicate id", fstest.MapFS{"a.txt": good, "x/a.md": good}, Options{}, `x/a.md: document id "a" already used by a.txt`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFS(context.Background(), tt.fsys, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if c != nil {
				t.Errorf("a failed load returned a corpus of %d documents", len(c.Docs))
			}
		})
	}
}

// TestLoadSkipBad checks the lenient load a process starts with: bad
// files are left out and listed, the good ones served as if alone, and
// the load still fails when nothing good remains or the tree itself is
// wrong.
func TestLoadSkipBad(t *testing.T) {
	good := &fstest.MapFile{Data: []byte("Headline here now\n\nA sentence of the body.\n")}
	other := &fstest.MapFile{Data: []byte("Second headline here\n\nAnother sentence of the body.\n")}
	lenient := Options{SkipBad: true}
	tests := []struct {
		name    string
		fsys    fs.FS
		opts    Options
		docs    []string // IDs served
		skipped []string // paths left out
		wantErr string   // when the load must fail
	}{
		{name: "nothing bad", fsys: fstest.MapFS{"a.txt": good, "b.md": other}, opts: lenient, docs: []string{"a", "b"}},
		{name: "binary", fsys: fstest.MapFS{"a.txt": good, "b.md": other, "img.txt": {Data: []byte("PNG\x00\x01\x02")}}, opts: lenient,
			docs: []string{"a", "b"}, skipped: []string{"img.txt"}},
		{name: "every kind of bad file", fsys: errFS{fstest.MapFS{
			"a.txt":      good,
			"b.txt":      {Data: []byte("Caf\xe9 society.\n")},
			"big.md":     {Data: []byte(strings.Repeat("Word. ", 100))},
			"locked.txt": good,
			"empty.txt":  {Data: []byte(" \n")},
			"ads.txt":    {Data: []byte("Share on Twitter\nSubscribe\n")},
		}, "locked.txt"}, opts: Options{SkipBad: true, MaxFileSize: 100},
			docs: []string{"a"}, skipped: []string{"ads.txt", "b.txt", "big.md", "empty.txt", "locked.txt"}},
		{name: "unreadable directory", fsys: errFS{fstest.MapFS{"a.txt": good, "sub/b.txt": other}, "sub"}, opts: lenient,
			docs: []string{"a"}, skipped: []string{"sub"}},
		{name: "strict still fails", fsys: fstest.MapFS{"a.txt": good, "img.txt": {Data: []byte("PNG\x00")}}, opts: Options{},
			wantErr: "img.txt: binary file"},
		{name: "nothing good left", fsys: fstest.MapFS{"img.txt": {Data: []byte("PNG\x00")}, "b.txt": {Data: []byte("Caf\xe9\n")}}, opts: lenient,
			wantErr: "img.txt: binary file"},
		{name: "a duplicate id is not a bad file", fsys: fstest.MapFS{"a.txt": good, "x/a.md": good, "img.txt": {Data: []byte("PNG\x00")}}, opts: lenient,
			wantErr: `x/a.md: document id "a" already used by a.txt`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFS(context.Background(), tt.fsys, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids, skipped []string
			for _, d := range c.Docs {
				ids = append(ids, d.ID)
			}
			for _, s := range c.Skipped {
				skipped = append(skipped, s.Path)
				if !strings.Contains(s.Err.Error(), s.Path) {
					t.Errorf("skipped %s: error %q does not name the file", s.Path, s.Err)
				}
			}
			slices.Sort(skipped)
			if !slices.Equal(ids, tt.docs) || !slices.Equal(skipped, tt.skipped) {
				t.Errorf("docs %q, skipped %q; want %q, %q", ids, skipped, tt.docs, tt.skipped)
			}
			// The good files make the same corpus as if they were alone.
			alone := fstest.MapFS{"a.txt": good, "b.md": other}
			for id := range alone {
				if !slices.Contains(ids, strings.TrimSuffix(id, path.Ext(id))) {
					delete(alone, id)
				}
			}
			want, err := LoadFS(context.Background(), alone, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != want.Version {
				t.Errorf("version %s, want %s as for the good files alone", c.Version, want.Version)
			}
		})
	}
}

func TestLoadDirectory(t *testing.T) {
	ctx := context.Background()
	if _, err := Load(ctx, filepath.Join(t.TempDir(), "missing"), Options{}); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: err = %v", err)
	}
	if _, err := Load(ctx, t.TempDir(), Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty dir: err = %v, want ErrEmpty", err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "one.txt"), "First headline here\n\nThe first body sentence.\n")
	write(t, filepath.Join(dir, "sub", "two.md"), "# Second\n\nThe second body sentence.\n")
	write(t, filepath.Join(dir, "skip.json"), "{}")
	write(t, filepath.Join(dir, ".hidden.txt"), "\x00")
	c, err := Load(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != 2 || c.Docs[0].ID != "one" || c.Docs[1].ID != "two" || c.Docs[1].Path != "sub/two.md" {
		t.Fatalf("docs = %+v", c.Docs)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "skip.json") {
		t.Errorf("warnings = %q, want one about skip.json", c.Warnings)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVersion(t *testing.T) {
	ctx := context.Background()
	a, b := loadSeeds(t), loadSeeds(t)
	if a.Version != b.Version || a.Version == "" {
		t.Fatalf("versions differ between runs: %q, %q", a.Version, b.Version)
	}
	files := fstest.MapFS{}
	fs.WalkDir(Seeds(), ".", func(p string, d fs.DirEntry, err error) error {
		if !d.IsDir() {
			data, _ := fs.ReadFile(Seeds(), p)
			files[p] = &fstest.MapFile{Data: data}
		}
		return nil
	})
	same, err := LoadFS(ctx, files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if same.Version != a.Version {
		t.Errorf("same files, other version: %q vs %q", same.Version, a.Version)
	}
	f := files["002_4ed4f2e28c58246e.txt"]
	f.Data = []byte(strings.Replace(string(f.Data), "quite frankly", "very frankly", 1))
	changed, err := LoadFS(ctx, files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if changed.Version == a.Version {
		t.Error("a changed file kept the corpus version")
	}
	resplit, err := LoadFS(ctx, files, Options{Split: Splitter{Sentences: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if resplit.Version == changed.Version {
		t.Error("other passage sizes kept the corpus version")
	}
}

func TestPassages(t *testing.T) {
	c := loadSeeds(t)
	perDoc := map[int]int{}
	for _, p := range c.Passages {
		d := c.Docs[p.Doc]
		perDoc[p.Doc]++
		if want := d.ID + "#" + strconv.Itoa(perDoc[p.Doc]); p.ID != want {
			t.Errorf("passage id %q, want %q", p.ID, want)
		}
		if d.Text[p.Start:p.End] != p.Text {
			t.Errorf("%s: offsets [%d:%d] do not give the passage text", p.ID, p.Start, p.End)
		}
	}
	for i := range c.Docs {
		if perDoc[i] < 2 {
			t.Errorf("%s has %d passages, want several", c.Docs[i].ID, perDoc[i])
		}
	}
	// Consecutive passages of one document overlap by a sentence.
	for i := 1; i < len(c.Passages); i++ {
		p, q := c.Passages[i-1], c.Passages[i]
		if p.Doc == q.Doc && q.Start >= p.End {
			t.Errorf("%s and %s do not overlap", p.ID, q.ID)
		}
	}
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One. Two! Three?", []string{"One.", "Two!", "Three?"}},
		{"At 23.30 Moscow time. Then.", []string{"At 23.30 Moscow time.", "Then."}},
		{`He said "yes." Then left.`, []string{`He said "yes."`, "Then left."}},
		{"Mr. Smith met Dr. Jones. J. R. R. Tolkien wrote.", []string{"Mr. Smith met Dr. Jones.", "J. R. R. Tolkien wrote."}},
		{"The U.S. and the U.K. agreed. Done.", []string{"The U.S. and the U.K. agreed.", "Done."}},
		{"no period here\nnext line.", []string{"no period here", "next line."}},
		{"lower. case start", []string{"lower. case start"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range SplitSentences(tt.in) {
			got = append(got, tt.in[s.Start:s.End])
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("SplitSentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitter(t *testing.T) {
	text := "S1 a. S2 b. S3 c. S4 d. S5 e."
	tests := []struct {
		s    Splitter
		want []string
	}{
		{Splitter{}, []string{"S1 a. S2 b. S3 c.", "S3 c. S4 d. S5 e."}},
		{Splitter{Sentences: 2, Overlap: -1}, []string{"S1 a. S2 b.", "S3 c. S4 d.", "S5 e."}},
		{Splitter{Sentences: 3, MaxBytes: 12}, []string{"S1 a. S2 b.", "S2 b. S3 c.", "S3 c. S4 d.", "S4 d. S5 e."}},
	}
	for _, tt := range tests {
		var got []string
		for _, sp := range tt.s.Split(text) {
			got = append(got, text[sp.Start:sp.End])
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%+v: got %q, want %q", tt.s, got, tt.want)
		}
	}
}
