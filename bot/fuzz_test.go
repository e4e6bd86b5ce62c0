package bot

import (
	"html"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/faketelegram"
)

// FuzzSplit renders arbitrary answers and sources as Telegram HTML: every
// message must be HTML Telegram accepts, within 4,096 UTF-16 units, and
// together they must say everything.
func FuzzSplit(f *testing.F) {
	f.Add("Plain answer [1].", "A title", "Quote <b>&amp;", 4096)
	f.Add(strings.Repeat("Long sentence with <tags> & ampersands. ", 200), "T", strings.Repeat("x", 5000), 4096)
	f.Add("😀😀😀 emoji and \u200d joiners", "Ü", "&lt;", 64)
	f.Fuzz(func(t *testing.T, text, title, passage string, limit int) {
		if !utf8.ValidString(text + title + passage) {
			return // Telegram sends and the LLM client decodes valid UTF-8 only
		}
		limit = 32 + abs(limit)%(MaxMessage-31)
		a := answer.Answer{Text: text, Citations: []answer.Citation{{N: 1, Title: title, Source: "S", Date: "2021-12-07", Text: passage}}}
		for _, blocks := range [][]block{answerBlocks(a, "en", nil), passageBlocks(a)} {
			var shown strings.Builder
			for _, m := range Split(blocks, limit) {
				if n := length(m); n > limit {
					t.Fatalf("message of %d UTF-16 units, limit %d", n, limit)
				}
				if _, err := faketelegram.CheckHTML(m); err != nil {
					t.Fatalf("Telegram would refuse %q: %v", m, err)
				}
				shown.WriteString(html.UnescapeString(tags.ReplaceAllString(m, "")))
			}
			var want strings.Builder
			for _, b := range blocks {
				want.WriteString(b.text)
			}
			if squash(shown.String()) != squash(want.String()) {
				t.Fatalf("text lost in splitting:\nwant %q\n got %q", squash(want.String()), squash(shown.String()))
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// squash drops white space, which splitting may trim at the breaks.
func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}
