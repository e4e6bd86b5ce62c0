package answer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/retrieval"
)

// replyStyle is one way a real model writes its reply to the answering
// prompt, and what the user must see of it.
type replyStyle struct {
	name  string
	reply string
	// want is the answer text shown; answered and cites (the prompt's
	// passage numbers, in the order of the answer's citations) follow
	// from it: a refusal or NotGrounded cites nothing.
	want  string
	cites []int
	// hidden are texts that must never reach the user, in a partial or
	// the final answer (reasoning, outside knowledge).
	hidden []string
}

// replyStyles are replies as models write them, collected from GPT-4-class
// models, Llama 3, Qwen 2.5/3, DeepSeek-R1 and other reasoning models
// served by Ollama or vLLM, Azure OpenAI and Perplexity-like services.
// The question is "How long did the video call last?"; six passages are
// given.
var replyStyles = []replyStyle{
	// The style the prompt asks for (GPT-4o, Claude, Perplexity's API).
	{name: "plain [n]", reply: "The call lasted two hours [1].", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "runs and groups", reply: "The call lasted two hours [2][1]. It was by video [1, 3].", want: "The call lasted two hours [1][2]. It was by video [2][3].", cites: []int{2, 1, 3}},

	// Reasoning models.
	{name: "DeepSeek-R1 <think> block", // Ollama and vLLM without a reasoning parser
		reply:  "<think>\nOkay, the user asks how long the call lasted. Passage 2 mentions two hours, so I cite it.\n</think>\n\nThe call lasted two hours [2].",
		want:   "The call lasted two hours [1].",
		cites:  []int{2},
		hidden: []string{"Okay, the user", "so I cite it"}},
	{name: "Qwen3 empty <think> (thinking off)", reply: "<think>\n\n</think>\n\nThe call lasted two hours [1].", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "lone </think>: the template opened the block in the prompt", // DeepSeek-R1-0528 and QwQ chat templates end the prompt with "<think>\n"
		reply:  "Okay, so the user wants the length of the call. Passage [1] says two hours, I should cite [1].\n</think>\n\nThe call lasted two hours [1].",
		want:   "The call lasted two hours [1].",
		cites:  []int{1},
		hidden: []string{"Okay, so the user", "I should cite"}},
	{name: "<Thinking> in another case", reply: "<Thinking>The passages say two hours [1].</Thinking>The call lasted two hours [1].", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"The passages say"}},
	{name: "<reasoning> block", reply: "<reasoning>Check passage 1: it says two hours.</reasoning>\nThe call lasted two hours [1].", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"Check passage"}},
	{name: "unclosed <think>: the model ran out while thinking", reply: "<think>\nLet me look at the passages. Passage 1 says two hours [1] so the answer is", want: answer.NotGrounded, hidden: []string{"Let me look"}},
	{name: "gpt-oss harmony channels, unparsed", // llama.cpp without --jinja
		reply:  "<|channel|>analysis<|message|>User asks duration. Passage 1 says two hours.<|end|><|start|>assistant<|channel|>final<|message|>The call lasted two hours [1].<|return|>",
		want:   "The call lasted two hours [1].",
		cites:  []int{1},
		hidden: []string{"User asks duration", "<|"}},
	{name: "refusal considered in reasoning, answer given", reply: "<think>Maybe NOT_IN_ARTICLES? No, passage 1 has it.</think>The call lasted two hours [1].", want: "The call lasted two hours [1].", cites: []int{1}},

	// Refusals.
	{name: "refusal bare", reply: "NOT_IN_ARTICLES", want: answer.NotCovered},
	{name: "refusal in bold", reply: "**NOT_IN_ARTICLES**", want: answer.NotCovered}, // Llama 3 bolds what it is told to say
	{name: "refusal in code", reply: "`NOT_IN_ARTICLES`", want: answer.NotCovered},
	{name: "refusal quoted", reply: `"NOT_IN_ARTICLES"`, want: answer.NotCovered},
	{name: "refusal lower case", reply: "not_in_articles", want: answer.NotCovered},
	{name: "refusal spaced", reply: "NOT IN ARTICLES.", want: answer.NotCovered},
	{name: "refusal with the sentence the old prompt asked for", reply: "NOT_IN_ARTICLES: The articles do not say how long the call lasted.", want: answer.NotCovered, hidden: []string{"do not say"}},
	{name: "refusal then outside knowledge", reply: "NOT_IN_ARTICLES, but from what I know the call lasted about two hours [1].", want: answer.NotCovered, hidden: []string{"from what I know", "about two hours"}},
	{name: "refusal after an apology", reply: "I'm sorry, the passages do not cover this.\n\n**NOT_IN_ARTICLES**", want: answer.NotCovered, hidden: []string{"I'm sorry"}},
	{name: "marker after a cited answer", reply: "The call lasted two hours [1]. NOT_IN_ARTICLES", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "marker after a cited answer, with a remark", reply: "The call lasted two hours [1].\n\nNOT_IN_ARTICLES: who proposed it is not said, but I believe it was Biden.", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"I believe"}},

	// Citation styles.
	{name: "OpenAI file search 【4:0†source】", reply: "The call lasted two hours 【1:0†source】.", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "【n】 stuck to the word", reply: "The call lasted two hours【1】【2】.", want: "The call lasted two hours [1][2].", cites: []int{1, 2}},
	{name: "[n†source]", reply: "The call lasted two hours [1†source].", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "(n) at the end of a sentence", reply: "The call lasted two hours (1). It was by video (2, 3).", want: "The call lasted two hours [1]. It was by video [2][3].", cites: []int{1, 2, 3}},
	{name: "(year) and (see n) stay", reply: "The call of December 7 (2021) lasted two hours [1] (see 1).", want: "The call of December 7 (2021) lasted two hours [1] (see 1).", cites: []int{1}},
	{name: "[Source n] and [source: n]", reply: "The call lasted two hours [Source 1]. It was by video [source: 2].", want: "The call lasted two hours [1]. It was by video [2].", cites: []int{1, 2}},
	{name: "[Passage n] (Llama 3)", reply: "The call lasted two hours [Passage 1]. It was by video [passage 1, 2].", want: "The call lasted two hours [1]. It was by video [1][2].", cites: []int{1, 2}},
	{name: "[Sources: n, m]", reply: "The call lasted two hours [Sources: 1, 3].", want: "The call lasted two hours [1][2].", cites: []int{1, 3}},
	{name: "[^n] footnotes with their definitions", reply: "The call lasted two hours[^1].\n\n[^1]: Putin and Biden talk by video", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "^n and ^[n]", reply: "The call lasted two hours.^1 It was by video^[2].", want: "The call lasted two hours. [1] It was by video [2].", cites: []int{1, 2}},
	{name: "full-width ［１］ and [１]", reply: "The call lasted two hours［１］. It was by video [２].", want: "The call lasted two hours [1]. It was by video [2].", cites: []int{1, 2}},
	{name: "[n and m], [n,m], [n-m]", reply: "Two hours [1 and 2]. By video [1,3]. Both agreed [2-3].", want: "Two hours [1][2]. By video [1][3]. Both agreed [2][3].", cites: []int{1, 2, 3}},
	{name: "[docN] (Azure OpenAI On Your Data)", reply: "The call lasted two hours [doc1][doc2].", want: "The call lasted two hours [1][2].", cites: []int{1, 2}},
	{name: "superscripts", reply: "The call lasted two hours¹². It covered 500 km² of topics.", want: "The call lasted two hours [1][2]. It covered 500 km² of topics.", cites: []int{1, 2}},
	{name: "links as citations (Perplexity web)", reply: "The call lasted two hours [1](https://example.com/a).", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "<sup>n</sup>", reply: "The call lasted two hours<sup>1</sup>.", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "numbers not given are dropped", reply: "The call lasted two hours [1][9]. Also [0].", want: "The call lasted two hours [1]. Also.", cites: []int{1}},

	// Source lists the model writes: the bot shows its own.
	{name: "Sources: list", reply: "The call lasted two hours [1].\n\nSources:\n[1] Putin and Biden hold a video call\n[2] Talks in Geneva", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"Sources", "Talks in Geneva"}},
	{name: "**Sources** bullets", reply: "The call lasted two hours [1].\n\n**Sources**\n- [1] Putin and Biden hold a video call", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"Sources"}},
	{name: "## References numbered", reply: "The call lasted two hours [1].\n\n## References\n1. Putin and Biden hold a video call\n2. Talks in Geneva", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"References"}},
	{name: "Citations: on one line", reply: "The call lasted two hours [2].\nCitations: [2], [3]", want: "The call lasted two hours [1].", cites: []int{2}, hidden: []string{"Citations"}},
	{name: "cited only in the list", reply: "The call lasted two hours.\n\nSource: [Passage 1]", want: "The call lasted two hours. [1]", cites: []int{1}, hidden: []string{"Source"}},
	{name: "footnote block without a heading", reply: "The call lasted two hours [1].\n\n[1] Putin and Biden hold a video call", want: "The call lasted two hours [1].", cites: []int{1}, hidden: []string{"hold a video call"}},

	// Markdown.
	{name: "bold and italics", reply: "**The call lasted two hours** [1]. It was held by *secure video* and _in private_ [2].", want: "The call lasted two hours [1]. It was held by secure video and in private [2].", cites: []int{1, 2}},
	{name: "heading and __bold__", reply: "## Answer\n\nThe call lasted __two hours__ [1].", want: "The call lasted two hours [1].", cites: []int{1}}, // a heading alone states nothing: the support check leaves it out
	{name: "lists", reply: "Key points:\n\n- The call lasted two hours [1].\n* It was by video [2].\n1. Both sides spoke [3].", want: "• The call lasted two hours [1].\n• It was by video [2].\n• Both sides spoke [3].", cites: []int{1, 2, 3}},
	{name: "code and fences", reply: "```\nThe call lasted `two hours` [1].\n```", want: "The call lasted two hours [1].", cites: []int{1}},
	{name: "links and snake_case", reply: "The [Kremlin](https://kremlin.ru) said the call_length was two hours [1].", want: "The Kremlin said the call_length was two hours [1].", cites: []int{1}},

	// Nothing cited: not shown as an answer.
	{name: "cites nothing", reply: "Canada has about 40 million people.", want: answer.NotGrounded},
	{name: "cites only numbers not given", reply: "The call lasted two hours [9].", want: answer.NotGrounded},
}

// claimsIndex is a corpus of six articles that each say everything the
// replies above claim, so that whatever passage a reply cites supports
// it: this test is about reading replies, and the support check (tested
// in support_test.go) passes every sentence here.
func claimsIndex(t *testing.T) *retrieval.Live {
	t.Helper()
	dir := t.TempDir()
	for i := range 6 {
		text := fmt.Sprintf("# Video call report %d\n\n"+
			"Report %d: the video call between Putin and Biden on December 7, 2021 lasted two hours, the Kremlin said, and the call length was two hours. "+
			"It was held by secure video and in private, both sides spoke and both agreed to continue. "+
			"It covered 500 km² of topics.\n", i+1, i+1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("call%d.md", i+1)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dirIndex(t, dir)
}

// TestReplyStyles runs every reply style through the service, over HTTP
// to an OpenAI-compatible server, both as one completion and streamed,
// and checks what the user sees.
func TestReplyStyles(t *testing.T) {
	live := claimsIndex(t)
	for _, st := range replyStyles {
		t.Run(st.name, func(t *testing.T) {
			ai := fakeopenai.New(func(openai.ChatCompletionRequest) string { return st.reply })
			t.Cleanup(ai.Close)
			client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
			svc := answer.NewService(live, client, nil, answer.Options{})
			for _, stream := range []bool{false, true} {
				var partials []string
				req := answer.Request{Question: "How long did the video call last?"}
				if stream {
					req.Progress = func(p string) { partials = append(partials, p) }
				}
				a, err := svc.Answer(context.Background(), req)
				if err != nil {
					t.Fatalf("stream %v: %v", stream, err)
				}
				chats := ai.Chats()
				checkStyle(t, st, a, chats[len(chats)-1], stream)
				if stream && os.Getenv("SHOW_PARTIALS") != "" {
					t.Logf("%d partials: %q", len(partials), partials)
				}
				for i, p := range partials {
					checkPartial(t, st, a, p, i)
				}
			}
		})
	}
}

// checkStyle checks the final answer to a reply style.
func checkStyle(t *testing.T, st replyStyle, a answer.Answer, chat openai.ChatCompletionRequest, stream bool) {
	t.Helper()
	if a.Text != st.want {
		t.Errorf("stream %v: text\n%q, want\n%q", stream, a.Text, st.want)
	}
	if a.Answered != (len(st.cites) > 0) {
		t.Errorf("stream %v: answered %v", stream, a.Answered)
	}
	if got := citedPassages(t, a, chat.Messages[1].Content); !slices.Equal(got, st.cites) {
		t.Errorf("stream %v: cites passages %v, want %v", stream, got, st.cites)
	}
	for _, h := range st.hidden {
		if strings.Contains(a.Text, h) {
			t.Errorf("stream %v: the answer shows %q", stream, h)
		}
	}
}

// halfMarker matches a marker cut in half at the end of a partial.
var halfMarker = regexp.MustCompile(`[\[【［(^][^\]】］)]*$`)

// checkPartial checks one partial answer shown while a reply style
// streamed in.
func checkPartial(t *testing.T, st replyStyle, a answer.Answer, p string, i int) {
	t.Helper()
	lower := strings.ToLower(p)
	for _, bad := range append([]string{"<think", "<thinking", "<reasoning", "</", "not_in_articles", "not in articles", "**", "__", "【", "［", "†", "sources", "references", "citations", "##", "`"}, st.hidden...) {
		if strings.Contains(lower, strings.ToLower(bad)) {
			t.Errorf("partial %d %q shows %q", i, p, bad)
		}
	}
	if halfMarker.MatchString(p) {
		t.Errorf("partial %d %q ends in half a marker", i, p)
	}
	if !a.Answered {
		t.Errorf("partial %d %q shown of a reply that is not an answer (%q)", i, p, a.Text)
	} else if !strings.HasPrefix(a.Text, withoutDroppedLines(p, a.Text)) {
		t.Errorf("partial %d %q is not the start of the answer %q", i, p, a.Text)
	}
}

// withoutDroppedLines leaves out of a partial the whole lines the final
// answer does not have: the support check, which runs once the reply is
// complete, drops lines that state nothing of use ("Key points:"), and
// the final edit of the message removes them.
func withoutDroppedLines(partial, final string) string {
	lines := strings.Split(partial, "\n")
	var kept []string
	for i, l := range lines {
		if i == len(lines)-1 || strings.Contains(final, l) {
			kept = append(kept, l)
		}
	}
	return strings.TrimLeft(strings.Join(kept, "\n"), "\n")
}

var passageTag = regexp.MustCompile(`(?s)<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>`)

// citedPassages returns the prompt's numbers of the passages an answer
// cites, in citation order.
func citedPassages(t *testing.T, a answer.Answer, prompt string) []int {
	t.Helper()
	var out []int
	for i, c := range a.Citations {
		if c.N != i+1 {
			t.Errorf("citation %d numbered %d", i+1, c.N)
		}
		n := 0
		for _, m := range passageTag.FindAllStringSubmatch(prompt, -1) {
			if strings.Contains(m[2], c.Text) {
				n, _ = strconv.Atoi(m[1])
				break
			}
		}
		out = append(out, n)
	}
	return out
}

// TestReplyStylesEveryPrefix shows every start of every reply style, as
// a stream cut anywhere would: no partial may show what the final answer
// does not, or anything of a reply that is not an answer.
func TestReplyStylesEveryPrefix(t *testing.T) {
	for _, st := range replyStyles {
		t.Run(st.name, func(t *testing.T) {
			final := answer.Answer{Text: st.want, Answered: len(st.cites) > 0}
			for i := range st.reply {
				if p, ok := answer.VisiblePartial(st.reply[:i], 6); ok {
					checkPartial(t, st, final, p, i)
				}
			}
		})
	}
}
