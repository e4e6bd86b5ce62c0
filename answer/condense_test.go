package answer

import (
	"strings"
	"testing"
)

// TestParseRewrite: what models reply to the condensing prompt, and what
// is taken from it. A rewrite that is not a question is rejected.
func TestParseRewrite(t *testing.T) {
	const asked = "How long did it last?"
	tests := []struct {
		name, reply      string
		question, search string
	}{
		{"the format asked for", "QUESTION: How long did the Putin-Biden video call last?\nSEARCH: How long did the Putin-Biden video call last?",
			"How long did the Putin-Biden video call last?", "How long did the Putin-Biden video call last?"},
		{"one plain line (the old format)", "How long did the Putin-Biden video call last?", "How long did the Putin-Biden video call last?", ""},
		{"a preamble first", "Sure! Here is the standalone question:\nWhat time did the Putin-Biden phone call start?", "What time did the Putin-Biden phone call start?", ""},
		{"a preamble and quotes", "Here's the rewritten question:\n\n\"How long did the video call last?\"", "How long did the video call last?", ""},
		{"bold labels", "**Question:** How long did the call last?\n**Search:** call duration Putin Biden", "How long did the call last?", "call duration Putin Biden"},
		{"lower-case labels", "question: how long was it?\nsearch query: how long was the Putin Biden call?", "how long was it?", "how long was the Putin Biden call?"},
		{"standalone label", "Standalone question: `How long did the call last?`", "How long did the call last?", ""},
		{"reasoning first", "<think>The user means the video call.</think>\nQUESTION: How long did the video call last?\nSEARCH: How long did the video call last?", "How long did the video call last?", "How long did the video call last?"},
		{"reasoning whose opening tag was dropped", "The user means the call.</think>QUESTION: How long did the call last?", "How long did the call last?", ""},
		{"russian with english search", "QUESTION: Сколько длился разговор Путина и Байдена?\nSEARCH: How long did the conversation between Putin and Biden last?",
			"Сколько длился разговор Путина и Байдена?", "How long did the conversation between Putin and Biden last?"},
		{"a question without a mark", "QUESTION: the call lasted long\nSEARCH: how long did the call last", "", "how long did the call last"},
		{"an answer instead", "The video call lasted two hours [1].", "", ""},
		{"an answer without citation", "The call lasted two hours.", "", ""},
		{"a refusal", "NOT_IN_ARTICLES", "", ""},
		{"a wrapped refusal", "**NOT_IN_ARTICLES**", "", ""},
		{"empty", "", "", ""},
		{"only a preamble", "Here is the standalone question:", "", ""},
		{"far too long", "QUESTION: What " + strings.Repeat("very ", 200) + "long question?", "", ""},
		{"labelled answer", "QUESTION: It lasted two hours [1].\nSEARCH: call duration", "", "call duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseRewrite(tt.reply, asked)
			if got.question != tt.question || got.search != tt.search {
				t.Errorf("parseRewrite(%q) = %q / %q, want %q / %q", tt.reply, got.question, got.search, tt.question, tt.search)
			}
		})
	}
}
