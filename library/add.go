package library

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/talkbot/talkbot/corpus"
)

// ErrEmbedded is returned by Add when the library serves the embedded
// seeds: there is no directory to add files to.
var ErrEmbedded = errors.New("the bot serves its built-in articles; set CORPUS_DIR to a directory to add articles")

// ErrExists is wrapped by the *ExistsError Add returns when a file would
// replace an article already in the corpus: replacing must be asked for
// (with Replace), never happen by accident of a file's name.
var ErrExists = errors.New("an article of that name already exists")

// maxName bounds the length of an added file's name.
const maxName = 120

// Article describes one article file of the corpus directory.
type Article struct {
	ID       string // the document id: the file name without extension
	File     string // path inside the corpus directory, with '/' separators
	Title    string // "" when the file does not parse
	Source   string
	Date     string
	URL      string
	Passages int // how many passages it is split into
}

// ExistsError says that a file would replace articles already in the
// corpus: one saved under the same name (perhaps a different name sent
// that SafeName maps to the same one, such as "a b.md" and "a_b.md"), or
// one with the same id in another file ("x.txt" for "x.md"; ids must be
// unique). It wraps ErrExists.
type ExistsError struct {
	Name     string    // the name the upload would be saved under
	New      Article   // the uploaded article, as it would be loaded
	Existing []Article // the articles it would replace, at least one
}

// Error names the articles in the way.
func (e *ExistsError) Error() string {
	var s []string
	for _, a := range e.Existing {
		s = append(s, fmt.Sprintf("%q (%s)", a.Title, a.File))
	}
	return fmt.Sprintf("%s: article %q already exists: %s; replace it explicitly", e.Name, e.New.ID, strings.Join(s, ", "))
}

// Unwrap lets errors.Is(err, ErrExists) see an *ExistsError.
func (e *ExistsError) Unwrap() error { return ErrExists }

// Add saves a new article file under name in the corpus directory and
// reloads. The file must be one the corpus would load (.txt, .md, .html or .htm, text,
// within the size limit). It never replaces an article: when the name
// (after SafeName) or the article id is taken, it returns an *ExistsError
// and changes nothing; see Replace. If the corpus with the file fails to
// load, the directory is put back as it was and the corpus in use keeps
// serving.
func (l *Library) Add(ctx context.Context, name string, data []byte) (Report, error) {
	return l.add(ctx, name, data, false)
}

// Replace is Add that replaces the articles in the way: the file of the
// same name is overwritten (keeping its mode), and a file holding the same
// article id under another name is removed. Report.Replaced says what
// went. If the new corpus fails to load, every replaced file is restored
// exactly, content, mode and modification time.
func (l *Library) Replace(ctx context.Context, name string, data []byte) (Report, error) {
	return l.add(ctx, name, data, true)
}

// add is Add, and Replace when replace is set.
func (l *Library) add(ctx context.Context, name string, data []byte, replace bool) (Report, error) {
	if l.dir == "" {
		return Report{}, ErrEmbedded
	}
	name, err := SafeName(name)
	if err != nil {
		return Report{}, err
	}
	if len(data) > corpus.DefaultMaxFileSize {
		return Report{}, fmt.Errorf("%s: %d bytes is over the limit of %d", name, len(data), corpus.DefaultMaxFileSize)
	}
	id := strings.TrimSuffix(name, filepath.Ext(name))
	doc, _, err := corpus.ParseFile(name, data)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", name, err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	final := filepath.Join(l.dir, name)
	existing, err := l.existing(ctx, name)
	if err != nil {
		return Report{}, fmt.Errorf("add %s: %w", name, err)
	}
	if len(existing) > 0 && !replace {
		return Report{}, &ExistsError{Name: name, New: describe(id, name, doc), Existing: existing}
	}

	// Set the files in the way aside (hard links, so the originals are
	// kept exactly), write the new file, and only then take the old ones
	// away: a reader of the directory never sees the article missing.
	mode := fs.FileMode(0o644)
	var aside []setAside
	restore := func() error {
		var errs []error
		if !setAsideHolds(aside, final) {
			if err := os.Remove(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		for _, a := range aside {
			errs = append(errs, a.restore())
		}
		return errors.Join(errs...)
	}
	for i, a := range existing {
		s, err := setAsideFile(filepath.Join(l.dir, filepath.FromSlash(a.File)))
		if err != nil {
			for _, s := range aside {
				s.discard()
			}
			return Report{}, fmt.Errorf("add %s: keep a copy of %s: %w", name, a.File, err)
		}
		aside = append(aside, s)
		if i == 0 || sameFile(s.path, final) {
			mode = s.mode
		}
	}
	if err := writeAtomic(final, data, mode); err != nil {
		undo := restore()
		return Report{}, errors.Join(fmt.Errorf("add %s: %w", name, err), wrapUndo(undo))
	}
	for _, a := range aside {
		if sameFile(a.path, final) {
			continue
		}
		if err := os.Remove(a.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			undo := restore()
			return Report{}, errors.Join(fmt.Errorf("add %s: remove the replaced %s: %w", name, a.path, err), wrapUndo(undo))
		}
	}
	ix, rep, err := l.build(ctx)
	if err != nil {
		undo := restore()
		return rep, errors.Join(fmt.Errorf("add %s: %w", name, err), wrapUndo(undo))
	}
	for _, a := range aside {
		a.discard()
	}
	l.live.Swap(ix)
	c := ix.Corpus()
	rep.Article = Article{ID: id, File: name}
	for i, d := range c.Docs {
		if d.ID == id {
			rep.Article.Title, rep.Article.Source, rep.Article.Date, rep.Article.URL = d.Title, d.Source, d.Date, d.URL
			for _, p := range c.Passages {
				if p.Doc == i {
					rep.Article.Passages++
				}
			}
		}
	}
	rep.Replaced = existing
	return rep, nil
}

// wrapUndo words a failure to put the directory back, or is nil.
func wrapUndo(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("and restoring the directory failed: %w", err)
}

// setAsideHolds reports whether a file set aside is the one at p.
func setAsideHolds(aside []setAside, p string) bool {
	for _, a := range aside {
		if sameFile(a.path, p) {
			return true
		}
	}
	return false
}

// sameFile reports whether paths a and b name the same file: equal, or
// spelled differently on a case-insensitive file system.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ia, err := os.Stat(a)
	if err != nil {
		return false
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}

// existing lists the article files an upload saved as name would
// replace: those with its id anywhere in the tree (as the corpus loader
// finds them), and the file of that very name
// when the file system finds it under another spelling (case-insensitive
// file systems).
func (l *Library) existing(ctx context.Context, name string) ([]Article, error) {
	id := strings.TrimSuffix(name, filepath.Ext(name))
	fsys := os.DirFS(l.dir)
	var found []Article
	err := corpus.WalkArticles(ctx, fsys, func(p, pid string) error {
		if pid == id {
			found = append(found, readArticle(fsys, p))
		}
		return nil
	}, nil) // an unreadable part: the load will name it
	if err != nil {
		return nil, fmt.Errorf("look for article %q: %w", id, err)
	}
	target, err := os.Stat(filepath.Join(l.dir, name))
	if err != nil {
		return found, nil
	}
	for _, a := range found {
		if info, err := os.Stat(filepath.Join(l.dir, filepath.FromSlash(a.File))); err == nil && os.SameFile(info, target) {
			return found, nil
		}
	}
	return append(found, readArticle(fsys, name)), nil
}

// readArticle describes the article file at p, as far as it parses.
func readArticle(fsys fs.FS, p string) Article {
	id := strings.TrimSuffix(path.Base(p), path.Ext(p))
	a := Article{ID: id, File: p}
	f, err := fsys.Open(p)
	if err != nil {
		return a
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, corpus.DefaultMaxFileSize+1))
	if err != nil || len(data) > corpus.DefaultMaxFileSize {
		return a
	}
	doc, _, err := corpus.ParseFile(p, data)
	if err != nil {
		return a
	}
	return describe(id, p, doc)
}

// describe counts the passages of a parsed article, split as a load
// splits it.
func describe(id, file string, doc corpus.Document) Article {
	return Article{ID: id, File: file, Title: doc.Title, Source: doc.Source, Date: doc.Date, URL: doc.URL,
		Passages: len(corpus.New([]corpus.Document{doc}, corpus.Splitter{}).Passages)}
}

// setAside is a file kept, under a hidden name beside it, while it is
// being replaced, so that it can be put back exactly.
type setAside struct {
	path string      // where the file was
	keep string      // the hidden copy
	mode fs.FileMode // its permission bits
}

// setAsideFile keeps a copy of the file at p: a hard link when the file
// system allows (the very same file: content, mode, times), else a copy
// with the same mode and modification time.
func setAsideFile(p string) (setAside, error) {
	info, err := os.Stat(p)
	if err != nil {
		return setAside{}, err
	}
	s := setAside{path: p, keep: filepath.Join(filepath.Dir(p), ".replaced-"+rand.Text()), mode: info.Mode().Perm()}
	if err := os.Link(p, s.keep); err == nil {
		return s, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return setAside{}, err
	}
	if err := os.WriteFile(s.keep, data, 0o600); err != nil {
		os.Remove(s.keep)
		return setAside{}, err
	}
	if err := errors.Join(os.Chmod(s.keep, s.mode), os.Chtimes(s.keep, info.ModTime(), info.ModTime())); err != nil {
		os.Remove(s.keep)
		return setAside{}, err
	}
	return s, nil
}

// restore puts the kept file back where it was.
func (s setAside) restore() error {
	if err := os.Rename(s.keep, s.path); err != nil {
		return fmt.Errorf("restore %s: %w", s.path, err)
	}
	return nil
}

// discard drops the kept copy once the replacement is in use.
func (s setAside) discard() { os.Remove(s.keep) }

// SafeName checks the name of a file to add and returns the name it is
// saved under: a plain file name (no directories), with a .txt, .md,
// .html or .htm
// extension, and letters, digits, '-', '_' and '.' only (anything else
// becomes '_'). Hidden names are refused, since the corpus skips them.
//
// SafeName is not one-to-one ("a b.md" and "a_b.md" are both saved as
// a_b.md): names stay readable, and Add refuses a name that is taken,
// whichever way it was spelled.
func SafeName(name string) (string, error) {
	base := strings.TrimSpace(name)
	if strings.ContainsAny(base, `/\`) || strings.Contains(base, "..") || base == "" {
		return "", fmt.Errorf("file name %q: want a plain file name such as article.md", name)
	}
	if strings.HasPrefix(base, ".") {
		return "", fmt.Errorf("file name %q: hidden files are not loaded", name)
	}
	ext := strings.ToLower(filepath.Ext(base))
	if !corpus.IsArticleName(base) {
		return "", fmt.Errorf("file name %q: only .txt, .md and .html files can be added", name)
	}
	safe := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, strings.TrimSuffix(base, filepath.Ext(base)))
	if len(safe) > maxName {
		return "", fmt.Errorf("file name %q: longer than %d bytes", name, maxName)
	}
	return safe + ext, nil
}

// writeAtomic writes data to path with the given permissions through a
// hidden temporary file in the same directory, so a reload never sees
// half a file.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), mode); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
