package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// WebArticle is the article go-trafilatura finds in a web page: its main
// text, without the menus, share bars, related links and comments around
// it, and the page's metadata.
type WebArticle struct {
	Title  string
	Source string // the site's name, else its host name
	Author string
	URL    string // the canonical URL the page gives, else where it was fetched from
	Date   string // ISO YYYY-MM-DD; "" when the page states none
	Text   string // paragraphs, one a line
}

// ErrNoArticle is returned by ExtractHTML for a page with no article
// text in it.
var ErrNoArticle = errors.New("no article text found in the page")

// ExtractHTML extracts the article of an HTML page with go-trafilatura
// (with its readability and DOM-distiller fallbacks): the title, site
// name, author, date (from the text, meta tags or JSON-LD) and canonical
// URL. pageURL, if known, is where the page came from.
func ExtractHTML(data []byte, pageURL string) (WebArticle, error) {
	if err := checkText(data); err != nil {
		return WebArticle{}, err
	}
	opts := trafilatura.Options{
		EnableFallback:  true,
		ExcludeComments: true,
		Deduplicate:     true,
	}
	if pageURL != "" {
		if u, err := url.Parse(pageURL); err == nil {
			opts.OriginalURL = u
		}
	}
	res, err := extract(data, opts)
	if err != nil {
		return WebArticle{}, err
	}
	m := res.Metadata
	a := WebArticle{
		Title:  oneLine(m.Title),
		Source: oneLine(m.Sitename),
		Author: oneLine(m.Author),
		URL:    oneLine(m.URL),
	}
	if a.URL == "" {
		a.URL = pageURL
	}
	if a.Source == "" {
		a.Source = strings.TrimPrefix(oneLine(m.Hostname), "www.")
	}
	if !m.Date.IsZero() {
		a.Date = m.Date.Format("2006-01-02")
	}
	var paras []string
	for _, p := range strings.Split(normalize(blockText(res)), "\n") {
		p = collapseSpaces(strings.TrimSpace(p))
		if p == "" || len(paras) == 0 && strings.EqualFold(p, a.Title) {
			continue
		}
		paras = append(paras, p)
	}
	a.Text = strings.Join(paras, "\n\n")
	if a.Text == "" {
		return WebArticle{}, ErrNoArticle
	}
	return a, nil
}

// extract runs go-trafilatura, turning a panic in it into an error: one
// odd page must not take the bot down.
func extract(data []byte, opts trafilatura.Options) (res *trafilatura.ExtractResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("extract the article: %v", r)
		}
	}()
	res, err = trafilatura.Extract(bytes.NewReader(data), opts)
	if err != nil {
		if strings.Contains(err.Error(), "text and comments are not long enough") || strings.Contains(err.Error(), "empty") {
			return nil, ErrNoArticle
		}
		return nil, fmt.Errorf("extract the article: %w", err)
	}
	if res == nil || strings.TrimSpace(res.ContentText) == "" {
		return nil, ErrNoArticle
	}
	return res, nil
}

// blockText returns the extracted text a paragraph a line: each block
// element (paragraph, heading, list item, quote, table cell) on a line of
// its own, where ContentText runs them all together.
func blockText(res *trafilatura.ExtractResult) string {
	if res.ContentNode == nil {
		return res.ContentText
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				return
			case atom.Br:
				b.WriteString("\n")
				return
			}
		}
		block := n.Type == html.ElementNode && blockTags[n.DataAtom]
		if block {
			b.WriteString("\n")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			b.WriteString("\n")
		}
	}
	walk(res.ContentNode)
	return b.String()
}

// blockTags are the elements that stand on lines of their own.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Li: true, atom.Blockquote: true, atom.Pre: true,
	atom.Tr: true, atom.Td: true, atom.Th: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Figcaption: true, atom.Dd: true, atom.Dt: true,
	atom.Ul: true, atom.Ol: true, atom.Table: true, atom.Hr: true,
}

// oneLine flattens a metadata value to one line of single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(normalize(s)), " ")
}

// Markdown writes the article as a Markdown file with front matter
// (title, source, url, date, author) that Parse reads back as the same
// document: what an article added from the web is saved as.
func (a WebArticle) Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	for _, kv := range [][2]string{{"title", a.Title}, {"source", a.Source}, {"url", a.URL}, {"date", a.Date}, {"author", a.Author}} {
		if v := oneLine(kv[1]); v != "" {
			fmt.Fprintf(&b, "%s: %q\n", kv[0], v)
		}
	}
	b.WriteString("---\n\n")
	b.WriteString(a.Text)
	b.WriteString("\n")
	return b.Bytes()
}

// ParseHTML parses an HTML page as Parse parses a text file: the article
// go-trafilatura finds in it, with its metadata, read exactly as the
// Markdown file WebArticle.Markdown writes of it would be.
func ParseHTML(id string, data []byte) (Document, []string, error) {
	a, err := ExtractHTML(data, "")
	if err != nil {
		return Document{}, nil, err
	}
	return Parse(id, a.Markdown())
}

// IsArticleName reports whether a file name is one the corpus loads:
// .txt, .md, .html or .htm.
func IsArticleName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".html", ".htm":
		return true
	}
	return false
}

// isHTMLName reports whether a file name is an HTML page's.
func isHTMLName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// ParseFile parses an article file by its name: an HTML page (.html,
// .htm) with ParseHTML, anything else with Parse. The id is the name
// without its extension.
func ParseFile(name string, data []byte) (Document, []string, error) {
	base := path.Base(name)
	id := strings.TrimSuffix(base, path.Ext(base))
	if isHTMLName(base) {
		return ParseHTML(id, data)
	}
	return Parse(id, data)
}
