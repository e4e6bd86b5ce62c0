package bot

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf16"

	"github.com/talkbot/talkbot/answer"
)

// MaxMessage is Telegram's limit on one message's text, in UTF-16 units.
const MaxMessage = 4096

// block is a piece of a message: raw text shown inside one optional tag.
// Messages are built from blocks, so any split falls between tags or
// inside raw text that is escaped afterwards: never inside a tag or entity.
type block struct {
	tag  string // "", "b", "i", "blockquote", or "a" (a link to href, in italics)
	text string
	href string
}

func (b block) render() string {
	if b.tag == "a" {
		return `<a href="` + html.EscapeString(b.href) + `"><i>` + html.EscapeString(b.text) + "</i></a>"
	}
	if b.tag == "" {
		return html.EscapeString(b.text)
	}
	return "<" + b.tag + ">" + html.EscapeString(b.text) + "</" + b.tag + ">"
}

func length(s string) int { return len(utf16.Encode([]rune(s))) }

// answerBlocks renders an answer and the list of the articles it cites,
// headed in language l: each title links to its article's URL when
// urlOf, given the document id, knows one, and ISO dates show as dates.
func answerBlocks(a answer.Answer, l string, urlOf func(doc string) string) []block {
	blocks := []block{{text: a.Text}}
	if len(a.Citations) == 0 {
		return blocks
	}
	blocks = append(blocks, block{text: "\n\n"}, block{tag: "b", text: tr(l, msgSourcesHeading)})
	for _, c := range a.Citations {
		title := block{tag: "i", text: c.Title}
		if urlOf != nil {
			if u := safeLink(urlOf(c.Doc)); u != "" {
				title = block{tag: "a", text: c.Title, href: u}
			}
		}
		blocks = append(blocks, block{text: fmt.Sprintf("\n[%d] ", c.N)}, title)
		if meta := joinNonEmpty(", ", c.Source, displayDate(l, c.Date)); meta != "" {
			blocks = append(blocks, block{text: " — " + meta})
		}
	}
	return blocks
}

// passageBlocks quotes the cited passages, for the Sources button.
func passageBlocks(a answer.Answer) []block {
	var blocks []block
	for i, c := range a.Citations {
		if i > 0 {
			blocks = append(blocks, block{text: "\n"})
		}
		blocks = append(blocks, block{tag: "b", text: fmt.Sprintf("[%d] %s", c.N, c.Title)}, block{text: "\n"}, block{tag: "blockquote", text: c.Text})
	}
	return blocks
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Split renders blocks as Telegram HTML messages of at most limit UTF-16
// units each. It breaks between blocks where it can, and inside a long
// block on a paragraph, sentence or word boundary, closing and reopening
// the block's tag around the break.
func Split(blocks []block, limit int) []string {
	var msgs []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			msgs = append(msgs, s)
		}
		cur.Reset()
	}
	for _, b := range blocks {
		r := b.render()
		if length(cur.String())+length(r) <= limit {
			cur.WriteString(r)
			continue
		}
		overhead := length(block{tag: b.tag, href: b.href}.render())
		for _, piece := range cutText(b.text, limit-overhead) {
			pr := block{tag: b.tag, text: piece, href: b.href}.render()
			if length(cur.String())+length(pr) > limit {
				flush()
			}
			cur.WriteString(pr)
		}
	}
	flush()
	return msgs
}

// cutText cuts raw text into pieces whose escaped length fits in limit,
// preferring paragraph, then sentence, then word boundaries.
func cutText(text string, limit int) []string {
	var out []string
	for text != "" {
		if length(html.EscapeString(text)) <= limit {
			out = append(out, text)
			break
		}
		// The longest prefix that fits once escaped.
		fit := 0
		n := 0
		for i, r := range text {
			w := length(html.EscapeString(string(r)))
			if n+w > limit {
				break
			}
			n += w
			fit = i + len(string(r))
		}
		cut := bestBreak(text[:fit])
		if cut <= 0 {
			cut = fit
		}
		if cut <= 0 { // limit smaller than one character: cannot happen with real limits
			cut = len(string([]rune(text)[0]))
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return out
}

// bestBreak returns where to end a piece of prefix: after the last
// paragraph break, sentence end or space in its second half.
func bestBreak(prefix string) int {
	half := len(prefix) / 2
	for _, sep := range []string{"\n\n", "\n", ". ", "! ", "? ", " "} {
		if i := strings.LastIndex(prefix, sep); i >= half {
			return i + len(sep)
		}
	}
	return 0
}
