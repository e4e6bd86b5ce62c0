package library

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoArticle is returned by Remove and StageRemove for an id that no
// article of the corpus has.
var ErrNoArticle = errors.New("no article has that id")

// Articles lists the articles being served, in id order.
func (l *Library) Articles() []Article {
	c := l.live.Index().Corpus()
	out := make([]Article, len(c.Docs))
	for i, d := range c.Docs {
		out[i] = Article{ID: d.ID, File: d.Path, Title: d.Title, Source: d.Source, Date: d.Date, URL: d.URL}
	}
	for _, p := range c.Passages {
		out[p.Doc].Passages++
	}
	return out
}

// Remove takes the article id out of the corpus directory and reloads.
// If the corpus without it fails to load (it was the last article, or
// another file is bad), the file is put back exactly and the corpus in
// use keeps serving. Report.Replaced lists what went.
func (l *Library) Remove(ctx context.Context, id string) (Report, error) {
	if l.dir == "" {
		return Report{}, ErrEmbedded
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	found, err := l.byID(ctx, id)
	if err != nil {
		return Report{}, err
	}
	var aside []setAside
	restore := func() error {
		var errs []error
		for _, a := range aside {
			errs = append(errs, a.restore())
		}
		return errors.Join(errs...)
	}
	for _, a := range found {
		s, err := setAsideFile(filepath.Join(l.dir, filepath.FromSlash(a.File)))
		if err == nil {
			err = os.Remove(s.path)
		}
		if err != nil {
			if s.keep != "" {
				aside = append(aside, s)
			}
			return Report{}, errors.Join(fmt.Errorf("remove %s: %w", a.File, err), wrapUndo(restore()))
		}
		aside = append(aside, s)
	}
	ix, rep, err := l.build(ctx)
	if err != nil {
		return rep, errors.Join(fmt.Errorf("remove %s: %w", id, err), wrapUndo(restore()))
	}
	for _, a := range aside {
		a.discard()
	}
	l.live.Swap(ix)
	rep.Replaced = found
	return rep, nil
}

// byID lists the article files of id. The caller holds l.mu.
func (l *Library) byID(ctx context.Context, id string) ([]Article, error) {
	if id == "" || id != filepath.Base(id) {
		return nil, fmt.Errorf("%q: %w", id, ErrNoArticle)
	}
	found, err := l.existing(ctx, id+".md")
	if err != nil {
		return nil, err
	}
	var out []Article
	for _, a := range found {
		if a.ID == id {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", id, ErrNoArticle)
	}
	return out, nil
}

// StageRemove holds the removal of article id for owner until confirmed
// (Confirm) or dropped (Discard), as Stage holds an upload, and returns it
// with the articles it would remove. Nothing is changed.
func (l *Library) StageRemove(ctx context.Context, id, owner string) (Staged, []Article, error) {
	if l.dir == "" {
		return Staged{}, nil, ErrEmbedded
	}
	l.mu.Lock()
	found, err := l.byID(ctx, id)
	l.mu.Unlock()
	if err != nil {
		return Staged{}, nil, err
	}
	return l.staged.add(Staged{Name: found[0].File, ID: id, Remove: true, Owner: owner}), found, nil
}
