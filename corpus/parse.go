package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
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
		Date:   strings.Clone(normalizeDate(firstNonEmpty(meta["date"], page.date))),
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
		meta[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return nil, "", errors.New("front matter: opening --- has no closing ---")
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// fallbackTitle shortens the first sentence of a text that has no headline.
func fallbackTitle(text string) string {
	first := text
	if spans := SplitSentences(text); len(spans) > 0 {
		first = text[spans[0].Start:spans[0].End]
	}
	words := strings.Fields(first)
	if len(words) <= 14 {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:12], " ") + "…"
}

var dateLayouts = []string{
	"2006-01-02", "2 January 2006", "January 2, 2006", "January 2 2006",
	"2 Jan 2006", "Jan 2, 2006", "Jan. 2, 2006", "02.01.2006", "2006/01/02",
	time.RFC3339, "2006-01-02T15:04:05", "Monday, January 2, 2006", "Monday, 2 January 2006",
}

// normalizeDate turns a full date into ISO 8601 and leaves partial dates
// ("November 9") as written.
func normalizeDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02")
		}
	}
	return s
}

const monthNames = `(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?`

var (
	// dateOnly matches a line that is nothing but a date.
	dateOnly = regexp.MustCompile(`(?i)^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:\d{1,2}\s+` + monthNames + `,?\s+\d{4}|` + monthNames + `\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4})(?:,?\s+\d{1,2}:\d{2}(?:\s*[AP]M)?)?$`)
	// dateline matches "MOSCOW, November 9. /TASS/." or "WASHINGTON (Reuters) -".
	dateline       = regexp.MustCompile(`^([A-Z][A-Z .'-]{2,}),\s+(` + monthNames + `\s+\d{1,2}(?:,\s+\d{4})?)\.?\s*/\s*([A-Za-z][A-Za-z .-]{1,30}?)\s*/`)
	agencyDateline = regexp.MustCompile(`^[A-Z][A-Z .'-]{2,}(?:,\s+[^()]{0,40})?\s+\(([A-Z][A-Za-z .&-]{1,30})\)\s+[-–—]`)
	// attribution matches "Based on materials from TASS" and "Source: Reuters".
	attribution = regexp.MustCompile(`(?i)^(?:based on (?:materials|reporting|reports) (?:from|by|of)|according to materials (?:from|of)|source|sources|via)\s*:?\s+(.{2,60}?)\.?$`)
)

// lineDate returns the date a line consists of, if any.
func lineDate(line string) string {
	if dateOnly.MatchString(line) {
		return line
	}
	return ""
}
