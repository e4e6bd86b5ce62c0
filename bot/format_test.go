package bot

import (
	"strings"
	"testing"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/faketelegram"
)

func TestSplitLongAnswer(t *testing.T) {
	sentence := "Peskov said the talks <were> \"frank\" & useful [1]. "
	long := strings.Repeat(sentence, 5000/len(sentence)+1) // over 5,000 characters
	a := answer.Answer{Text: long, Answered: true, Citations: []answer.Citation{
		{N: 1, Title: "Kremlin <views> & talks", Source: "TASS", Date: "2021-12-08", Text: strings.Repeat("Passage text & more. ", 300)},
	}}
	for name, blocks := range map[string][]block{"answer": answerBlocks(a, "en", nil), "passages": passageBlocks(a)} {
		msgs := Split(blocks, MaxMessage)
		if len(msgs) < 2 {
			t.Fatalf("%s: %d messages, want a split", name, len(msgs))
		}
		var visible strings.Builder
		for i, m := range msgs {
			vis, err := faketelegram.CheckHTML(m)
			if err != nil {
				t.Fatalf("%s: message %d is not valid Telegram HTML: %v\n%s", name, i, err, m)
			}
			if length(m) > MaxMessage {
				t.Errorf("%s: message %d has %d units", name, i, length(m))
			}
			visible.WriteString(vis)
			if i < len(msgs)-1 && name == "answer" && !strings.HasSuffix(strings.TrimSpace(m), ".") && !strings.HasSuffix(m, "</i>") {
				t.Errorf("message %d does not end on a sentence: …%q", i, m[len(m)-30:])
			}
		}
	}
}

func TestSplitKeepsTagsWhole(t *testing.T) {
	blocks := []block{{tag: "b", text: strings.Repeat("bold words ", 50)}, {text: " & plain"}}
	msgs := Split(blocks, 100)
	for i, m := range msgs {
		if _, err := faketelegram.CheckHTML(m); err != nil {
			t.Errorf("message %d %q: %v", i, m, err)
		}
		if length(m) > 100 {
			t.Errorf("message %d over the limit: %d", i, length(m))
		}
	}
	if got := strings.Join(msgs, ""); !strings.Contains(got, "&amp; plain") {
		t.Errorf("lost the tail: %q", got)
	}
}

func TestCitationsLinkAndShowDates(t *testing.T) {
	a := answer.Answer{Text: "They met. [1] [2]", Citations: []answer.Citation{
		{N: 1, Doc: "web", Title: "Talks <resume>", Source: "The Courier", Date: "2021-06-16"},
		{N: 2, Doc: "seed", Title: "No definite time", Source: "TASS", Date: "November 9"},
	}}
	urls := map[string]string{"web": "https://example.com/a?b=1&c=2", "seed": ""}
	got := strings.Join(Split(answerBlocks(a, "en", func(id string) string { return urls[id] }), MaxMessage), "")
	for _, want := range []string{
		`[1] <a href="https://example.com/a?b=1&amp;c=2"><i>Talks &lt;resume&gt;</i></a> — The Courier, 16 June 2021`,
		`[2] <i>No definite time</i> — TASS, November 9`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	urls["web"] = "javascript:alert(1)"
	if got := strings.Join(Split(answerBlocks(a, "ru", func(id string) string { return urls[id] }), MaxMessage), ""); strings.Contains(got, "href") || !strings.Contains(got, "16.06.2021") {
		t.Errorf("unsafe link or date: %q", got)
	}
}
