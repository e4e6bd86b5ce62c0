package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Parse turns the bytes of one article file into a Document: it checks the
// bytes are text, reads optional front matter, removes boilerplate and
// finds the title, source and date. Warnings describe doubts that do not
// make the file unusable.
func Parse(id string, data []byte) (Document, []string, error) {
	if err := checkText(data); err != nil {
		return Document{}, nil, err
	}
	text := normalize(string(data))
	meta, body, err := frontMatter(text)
	if err != nil {
		return Document{}, nil, err
	}
	page := clean(body)
	if t := meta["title"]; t != "" && page.title != "" && !strings.EqualFold(t, page.title) {
		// The front matter names the title, so the line taken for one is text.
		page.paragraphs = append([]string{page.title}, page.paragraphs...)
	}
	// Metadata is cut from the file's text; cloned, it does not keep the
	// whole file alive beside the cleaned text.
	doc := Document{
		ID:     id,
		Title:  strings.Clone(firstNonEmpty(meta["title"], page.title)),
		Source: strings.Clone(firstNonEmpty(meta["source"], page.source)),
		URL:    strings.Clone(meta["url"]),
		Date:   strings.Clone(frontMatterDate(firstNonEmpty(meta["date"], page.date))),
		Text:   strings.Join(page.paragraphs, "\n\n"),
	}
	if doc.Text == "" {
		return Document{}, nil, errors.New("no article text left after cleaning")
	}
	var warnings []string
	if doc.Title == "" {
		doc.Title = fallbackTitle(doc.Text)
		warnings = append(warnings, "no title found; using the first sentence")
	}
	return doc, warnings, nil
}

// checkText refuses binary and non-UTF-8 content.
func checkText(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("file is empty")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return errors.New("binary file (contains NUL bytes)")
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return fmt.Errorf("not valid UTF-8 (first bad byte at offset %d)", off)
	}
	controls, total := 0, 0
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		off += size
		total++
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' && r != '\f' {
			controls++
		}
	}
	if controls*100 > total {
		return errors.New("binary file (too many control characters)")
	}
	return nil
}

// normalize unifies line endings and odd spaces so later rules see one shape.
func normalize(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u00A0' || r == '\u2007' || r == '\u202F' || r == '\t':
			return ' '
		case r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\uFEFF':
			return -1
		case unicode.IsControl(r) && r != '\n':
			return -1
		}
		return r
	}, s)
}

// frontMatter splits an optional leading "---" block of "key: value" lines
// from the body. Unknown keys are ignored.
func frontMatter(s string) (map[string]string, string, error) {
	lines := strings.Split(s, "\n")
	if strings.TrimSpace(lines[0]) != "---" {
		return nil, s, nil
	}
	meta := map[string]string{}
	for i := 1; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "---" {
			return meta, strings.Join(lines[i+1:], "\n"), nil
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, "", fmt.Errorf("front matter line %d: want key: value, got %q", i+1, line)
		}
		meta[strings.ToLower(strings.TrimSpace(k))] = unquote(strings.TrimSpace(v))
	}
	return nil, "", errors.New("front matter: opening --- has no closing ---")
}

// frontMatterDate normalises the date front matter gives, when it reads
// as one; else it is kept as written.
func frontMatterDate(s string) string {
	if d, ok := readDate(s); ok {
		return d
	}
	return s
}

// unquote reads a front-matter value: a double-quoted one as a Go (and
// YAML) string with its escapes, as WebArticle.Markdown writes them, else
// without one pair of quotes around it.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
	}
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// fallbackTitle makes a title of the first sentence of a text that has
// no headline: without its dateline ("MOSCOW, June 24 (Reuters) - "), cut
// at the end of its first clause when the sentence is long, else after
// twelve words.
func fallbackTitle(text string) string {
	first := text
	if spans := SplitSentences(text); len(spans) > 0 {
		first = text[spans[0].Start:spans[0].End]
	}
	first = stripDateline(first)
	words := strings.Fields(first)
	if len(words) <= 14 {
		return strings.TrimRight(strings.Join(words, " "), ".")
	}
	for i := 4; i < len(words) && i < 16; i++ {
		if w := words[i]; strings.HasSuffix(w, ",") || strings.HasSuffix(w, ";") || i+1 < len(words) && (words[i+1] == "—" || words[i+1] == "–") {
			return strings.TrimRight(strings.Join(words[:i+1], " "), ",;")
		}
	}
	return strings.Join(words[:12], " ") + "…"
}

// stripDateline removes the dateline a story opens with.
func stripDateline(s string) string {
	for _, re := range []*regexp.Regexp{dateline, agencyDateline, plainDateline} {
		if loc := re.FindStringIndex(s); loc != nil && loc[0] == 0 {
			rest := strings.TrimLeft(s[loc[1]:], " .-–—")
			if rest != "" {
				return rest
			}
		}
	}
	return s
}

const monthNames = `(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?`

// The shapes of the lines metadata is read from. They find where a
// dateline, a credit or a copyright notice is; the dates in them are read
// by readDate.
var (
	// dateline matches "MOSCOW, November 9. /TASS/.": place, date, agency.
	dateline = regexp.MustCompile(`^([A-Z][A-Z .'-]{2,}),\s+(` + monthNames + `\s+\d{1,2}(?:,\s+\d{4})?)\.?\s*/\s*([A-Za-z][A-Za-z .-]{1,30}?)\s*/\.?`)
	// agencyDateline matches "MOSCOW, June 24 (Meridian Wire) -" and
	// "WASHINGTON (Reuters) —": place, perhaps a date, agency.
	agencyDateline = regexp.MustCompile(`^[A-Z][A-Z .'-]{2,}(?:,\s+([^()]{0,40}))?\s+\(([A-Z][A-Za-z .&-]{1,30})\)\s+[-–—]`)
	// plainDateline matches "GENEVA -" and "KYIV, Dec 8 —".
	plainDateline = regexp.MustCompile(`^[A-Z][A-Z.'-]{2,}(?: [A-Z][A-Z.'-]+){0,2}(?:,\s+([^()]{0,40}?))?\s+[-–—]\s`)
	// attribution matches "Based on materials from TASS" and "Source: Reuters".
	attribution = regexp.MustCompile(`(?i)^(?:based on (?:materials|reporting|reports) (?:from|by|of)|according to materials (?:from|of)|source|sources|via)\s*:?\s+(.{2,60}?)\.?$`)
	// copyright matches a publisher's notice: "(c) 2021 The Continental
	// Herald | About us" and "© EastWest Monitor 2013-2021. Reproduction…".
	copyright = regexp.MustCompile(`^(?i:\(c\)|©|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?\s+)?(\p{Lu}[^|.,;©/()]{1,60}?)(?:\s+\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(?:[|.,;]|$)`)
)

// publisher returns the name a copyright notice gives, if the line is one.
func publisher(line string) string {
	m := copyright.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	name := strings.TrimSpace(m[1])
	if w := wordCount(name); w == 0 || w > 6 || strings.ContainsFunc(name, unicode.IsDigit) {
		return ""
	}
	return name
}

// dateRank orders the dates a page states: a full date before one
// without its year, and the date an article was published before the
// date it was updated.
type dateRank int

const (
	noDate dateRank = iota
	partialDate
	updatedDate
	publishedDate
)

// updatedLabel names the label of a date a page was changed on, in the
// languages the dates are read in.
var updatedLabel = regexp.MustCompile(`(?i)\b(updated?|modified|edited|last (changed|modified)|обновлено|изменено|оновлено|actualizado|actualización|aktualisiert|mis à jour|modifié)\b`)

// metaDate reads a page's date line: a date alone ("8 December 2021"),
// labelled ("Published: June 16, 2021 21:40 CEST", "Fecha de publicación:
// 8 December 2021"), or first among other metadata ("22.07.2021, 18:05 |
// By Anna Volkova | 4 min read"). A line stating both when the article
// was published and updated gives the published date. ok is false for a
// line that is not such a date line, such as a sentence.
func metaDate(line string) (d string, rank dateRank, ok bool) {
	if isSentence(line) || wordCount(line) > 20 || !strings.ContainsFunc(line, unicode.IsDigit) {
		return "", noDate, false
	}
	for i, seg := range splitMeta(line) {
		label, value := cutLabel(seg)
		v, found := readDate(value)
		if !found {
			if i == 0 {
				return "", noDate, false // a date line starts with its date
			}
			continue
		}
		r := publishedDate
		switch {
		case !isISODate(v):
			r = partialDate
		case label != "" && updatedLabel.MatchString(label):
			r = updatedDate
		}
		if r > rank {
			d, rank = v, r
		}
	}
	return d, rank, rank != noDate
}

// splitMeta splits a line of page metadata at its separators.
func splitMeta(line string) []string {
	return strings.FieldsFunc(line, func(r rune) bool { return r == '|' || r == '·' || r == '•' })
}

// cutLabel splits "Published: June 16" into its label and value; a
// segment without a label of one to four words is all value. The colon
// of a time ("21:40") is no label's.
func cutLabel(seg string) (label, value string) {
	k, v, ok := strings.Cut(seg, ":")
	if !ok || strings.ContainsFunc(k, unicode.IsDigit) || wordCount(k) > 4 || wordCount(k) == 0 {
		return "", seg
	}
	return strings.TrimSpace(k), v
}

// isISODate reports whether d is a full date as readDate writes one.
func isISODate(d string) bool {
	_, err := time.Parse("2006-01-02", d)
	return err == nil
}
