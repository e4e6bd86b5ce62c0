// Package corpus loads news articles, strips the web boilerplate around
// them, splits them into citable passages and versions the result.
//
// A Corpus is immutable once loaded: a reload builds a new one beside the
// one in use, so readers never see a half-loaded corpus.
package corpus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

// ParserVersion names what Parse, ParseHTML and the Splitter make of a
// file. A snapshot of parsed articles (package snapshot) made under
// another ParserVersion is not reused: raise it with any change to what
// they produce.
const ParserVersion = 1

// DefaultMaxFileSize is the largest article file Load accepts unless
// Options says otherwise.
const DefaultMaxFileSize = 5 << 20

//go:embed seeds/*.txt
var seeds embed.FS

// Seeds returns the seed articles embedded in the binary: the corpus used
// when no directory is configured.
func Seeds() fs.FS {
	sub, err := fs.Sub(seeds, "seeds")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory exists
	}
	return sub
}

// Document is one cleaned article.
type Document struct {
	ID     string // file name without extension, e.g. "001_27a9120208961b58"
	Path   string // path of the file inside the loaded tree
	Title  string
	Source string // e.g. "TASS"; empty when the text does not say
	URL    string
	Date   string // ISO 8601 when the full date is known, else as written
	Text   string // cleaned article body, paragraphs separated by blank lines
}

// Passage is a few consecutive sentences of one document: the unit that is
// retrieved and cited.
type Passage struct {
	ID    string // "<doc>#<n>", n counting from 1
	Doc   int    // index of the document in Corpus.Docs
	Start int    // byte offset of the passage in Document.Text
	End   int    // byte offset just past the passage
	Text  string // Document.Text[Start:End]
}

// Corpus is a loaded, cleaned and split set of documents.
type Corpus struct {
	Docs     []Document // sorted by ID
	Passages []Passage  // in document order, then passage order
	// Version is a hash of the cleaned content: equal for equal content,
	// different when any document changes.
	Version string
	// Warnings lists what the load skipped or doubted without failing,
	// for the admin to see.
	Warnings []string
	// Skipped lists the bad files a load with Options.SkipBad left out;
	// always empty otherwise.
	Skipped []Skipped
}

// Skipped is an article file a lenient load left out, and why.
type Skipped struct {
	Path string // inside the loaded tree
	Err  error  // what is wrong with it; the message starts with Path
}

// Options tunes Load. The zero value is ready to use.
type Options struct {
	MaxFileSize int64    // bytes; 0 means DefaultMaxFileSize
	Split       Splitter // passage sizes; zero means DefaultSplitter
	// SkipBad leaves out bad files (unreadable, empty, oversized,
	// binary, non-UTF-8, no text left after cleaning) and lists them in
	// Corpus.Skipped, rather than fail the load, as long as one good
	// article remains. It is for a process starting with no corpus to
	// fall back on; a reload keeps all or nothing, so that it never
	// swaps in a corpus that silently lost articles. Problems of the
	// tree rather than of a file (two files with one document id) still
	// fail the load.
	SkipBad bool
	// Reuse, if set, is asked about each article file before it is read:
	// when it knows the file is unchanged since an earlier load it
	// returns the document and the warnings (without the file's path)
	// that load made of it, and the file is neither read nor parsed. It
	// is how a persisted snapshot (package snapshot) has only changed
	// files parsed. It is called from several goroutines at once.
	Reuse func(p string) (doc Document, warnings []string, ok bool)
	// Parse, if set, is called instead of ParseFile to turn a file's
	// bytes into a document, so that a snapshot can reuse the parse of
	// bytes it has seen and record what it parsed. It is called from
	// several goroutines at once.
	Parse func(p string, data []byte) (Document, []string, error)
}

func (o Options) maxFileSize() int64 {
	if o.MaxFileSize <= 0 {
		return DefaultMaxFileSize
	}
	return o.MaxFileSize
}

// Load reads every .txt, .md, .html and .htm file under dir, recursively, or the
// embedded seed articles when dir is empty.
//
// Loading is all or nothing: any unreadable, oversized, binary or non-UTF-8
// file fails the whole load with an error naming every bad file, so a
// reload never swaps in a corpus that silently lost articles; unless
// opts.SkipBad, which leaves such files out (see Options). Files with
// other extensions are skipped with a warning.
func Load(ctx context.Context, dir string, opts Options) (*Corpus, error) {
	if dir == "" {
		c, err := LoadFS(ctx, Seeds(), opts)
		if err != nil {
			return nil, fmt.Errorf("load embedded corpus: %w", err)
		}
		return c, nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load corpus %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("load corpus %s: not a directory", dir)
	}
	c, err := LoadFS(ctx, os.DirFS(dir), opts)
	if err != nil {
		return nil, fmt.Errorf("load corpus %s: %w", dir, err)
	}
	return c, nil
}

// ErrEmpty is returned when a tree holds no article files.
var ErrEmpty = errors.New("no .txt, .md or .html files found")

// LoadFS is Load over any file system, such as an embed.FS.
func LoadFS(ctx context.Context, fsys fs.FS, opts Options) (*Corpus, error) {
	var (
		docs     []Document
		warnings []string
		errs     []error   // fail the load, lenient or not
		bad      []Skipped // fail a strict load; a lenient one leaves them out
		seen     = map[string]string{}
		files    []file
	)
	walkErr := WalkArticles(ctx, fsys, func(p, id string) error {
		if other, dup := seen[id]; dup {
			errs = append(errs, fmt.Errorf("%s: document id %q already used by %s", p, id, other))
			return nil
		}
		seen[id] = p
		files = append(files, file{path: p, id: id})
		return nil
	}, func(p string, err error) {
		if errors.Is(err, ErrNotArticle) {
			warnings = append(warnings, fmt.Sprintf("%s: skipped, %v", p, ErrNotArticle))
			return
		}
		bad = append(bad, Skipped{Path: p, Err: fmt.Errorf("%s: %w", p, err)})
	})
	if walkErr != nil {
		return nil, walkErr
	}
	// Reading and cleaning are most of a load's time, and files are
	// independent: parse them in parallel, keeping their order.
	parsed := make([]parsedFile, len(files))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			parsed[i] = parseFile(fsys, f, opts)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, pf := range parsed {
		if pf.err != nil {
			bad = append(bad, Skipped{Path: files[i].path, Err: pf.err})
			continue
		}
		warnings = append(warnings, pf.warnings...)
		docs = append(docs, pf.doc)
	}
	if len(errs) > 0 || len(bad) > 0 && (!opts.SkipBad || len(docs) == 0) {
		all := make([]error, 0, len(bad)+len(errs))
		for _, b := range bad {
			all = append(all, b.Err)
		}
		return nil, errors.Join(append(all, errs...)...)
	}
	if len(docs) == 0 {
		return nil, ErrEmpty
	}
	c := build(docs, warnings, opts.Split)
	c.Skipped = bad
	return c, nil
}

// ErrNotArticle is what WalkArticles reports of a file that is not an
// article: its extension is none of .txt, .md, .html and .htm.
var ErrNotArticle = errors.New("not a .txt, .md or .html file")

// WalkArticles calls article with the path and document id of every
// article file under fsys, in lexical order, and other (if not nil) with
// every other file (ErrNotArticle) and every entry that cannot be read.
// Hidden files and directories are passed over. It is the one rule of
// what is an article, for the loader and for whoever must know which
// files a load would read. It stops at the first error article returns,
// or when ctx ends.
func WalkArticles(ctx context.Context, fsys fs.FS, article func(p, id string) error, other func(p string, err error)) error {
	if other == nil {
		other = func(string, error) {}
	}
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			other(p, err)
			if d != nil && d.IsDir() && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if p != "." && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !IsArticleName(name) {
			other(p, ErrNotArticle)
			return nil
		}
		return article(p, strings.TrimSuffix(name, path.Ext(name)))
	})
}

// file is an article file found by LoadFS.
type file struct{ path, id string }

// parsedFile is what parseFile made of one file.
type parsedFile struct {
	doc      Document
	warnings []string
	err      error
}

func parseFile(fsys fs.FS, f file, opts Options) parsedFile {
	doc, warns, ok := Document{}, []string(nil), false
	if opts.Reuse != nil {
		doc, warns, ok = opts.Reuse(f.path)
	}
	if !ok {
		data, err := readLimited(fsys, f.path, opts.maxFileSize())
		if err != nil {
			return parsedFile{err: fmt.Errorf("%s: %w", f.path, err)}
		}
		parse := ParseFile
		if opts.Parse != nil {
			parse = opts.Parse
		}
		doc, warns, err = parse(f.path, data)
		if err != nil {
			return parsedFile{err: fmt.Errorf("%s: %w", f.path, err)}
		}
	}
	doc.Path = f.path
	var out []string
	for _, w := range warns {
		out = append(out, f.path+": "+w)
	}
	return parsedFile{doc: doc, warnings: out}
}

// readLimited reads a file, refusing files over max bytes.
func readLimited(fsys fs.FS, p string, max int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() < max {
		buf.Grow(int(st.Size()) + bytes.MinRead) // one allocation, not a doubling series
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if int64(len(data)) > max {
		return nil, fmt.Errorf("file larger than the %d-byte limit", max)
	}
	return data, nil
}

// New builds a corpus from already parsed documents, as Load does after
// reading them. Documents must have distinct IDs.
func New(docs []Document, s Splitter) *Corpus {
	return build(append([]Document(nil), docs...), nil, s)
}

func build(docs []Document, warnings []string, s Splitter) *Corpus {
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	c := &Corpus{Docs: docs, Warnings: warnings}
	for i, d := range docs {
		for n, span := range s.Split(d.Text) {
			c.Passages = append(c.Passages, Passage{
				ID:    fmt.Sprintf("%s#%d", d.ID, n+1),
				Doc:   i,
				Start: span.Start,
				End:   span.End,
				Text:  d.Text[span.Start:span.End],
			})
		}
	}
	c.Version = version(docs, s)
	return c
}

// version hashes everything a reader of the corpus can observe, including
// how it was split, so that caches keyed by it never outlive a change.
func version(docs []Document, s Splitter) string {
	h := sha256.New()
	fmt.Fprintf(h, "talkbot-corpus/2 split=%d,%d,%d,%d\n", s.sentences(), s.maxBytes(), s.overlap(), s.hardMaxBytes())
	for _, d := range docs {
		for _, f := range []string{d.ID, d.Title, d.Source, d.URL, d.Date, d.Text} {
			fmt.Fprintf(h, "%d:%s", len(f), f)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Doc returns the document a passage belongs to.
func (c *Corpus) Doc(p Passage) Document { return c.Docs[p.Doc] }
