package answer_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
	"github.com/talkbot/talkbot/retrieval"
)

// enormousArticle is about 480 KB of words without a sentence mark or a
// line break: the article that became one passage and an LLM request of
// 435,000 characters.
func enormousArticle() string {
	vocabulary := strings.Fields("the delegations discussed the gas pipeline and its route through the northern region while the ministers waited for a decision on the transit fees")
	var b strings.Builder
	b.WriteString("Transcript of the pipeline talks\n\n")
	for i := 0; b.Len() < 480<<10; i++ {
		b.WriteString(vocabulary[i%len(vocabulary)])
		b.WriteByte(' ')
	}
	return b.String()
}

// boundedService answers from the enormous article and a normal one, with
// an LLM that cites passage 1 and rewrites follow-ups as asked.
func boundedService(t *testing.T) (*answer.Service, *fakeopenai.Server) {
	t.Helper()
	files := fstest.MapFS{
		"001_pipeline.txt": {Data: []byte(enormousArticle())},
		"002_summit.txt":   {Data: []byte("Summit ends without a deal\n\nThe summit ended on Tuesday without a deal on the pipeline. Both sides said they would meet again in January. No date was set.\n")},
	}
	c, err := corpus.LoadFS(context.Background(), files, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(context.Background(), c, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		if strings.Contains(req.Messages[0].Content, "standalone question") {
			return "QUESTION: What did the delegations say about the pipeline route?\nSEARCH: What did the delegations say about the pipeline route?"
		}
		return "The delegations discussed the pipeline route [1]."
	})
	t.Cleanup(ai.Close)
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
	return answer.NewService(retrieval.NewLive(ix), client, nil, answer.Options{}), ai
}

// requestSize is what a chat request asks the model to read: the text of
// its messages, in bytes.
func requestSize(req openai.ChatCompletionRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	return n
}

// TestEnormousArticleStaysWithinBudget answers questions about a 480 KB
// article without punctuation and checks that no request the LLM gets
// is over answer.PromptBudget.
func TestEnormousArticleStaysWithinBudget(t *testing.T) {
	longTurns := make([]answer.Turn, 6)
	for i := range longTurns {
		longTurns[i] = answer.Turn{
			Question: "Tell me everything about the talks " + strings.Repeat("and the pipeline ", 50) + "?",
			Answer:   strings.Repeat("The delegations discussed the pipeline route and the transit fees at length [1]. ", 40),
		}
	}
	tests := []struct {
		name string
		req  answer.Request
	}{
		{"a question about it", answer.Request{Question: "What did the delegations say about the pipeline route?"}},
		{"a follow-up after a long conversation", answer.Request{Question: "And the transit fees?", History: longTurns}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, ai := boundedService(t)
			a, err := svc.Answer(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			chats := ai.Chats()
			if len(chats) == 0 {
				t.Fatal("the LLM was not asked")
			}
			fromArticle := false
			for i, req := range chats {
				if n := requestSize(req); n > answer.PromptBudget {
					t.Errorf("request %d is %d bytes, over the budget of %d", i, n, answer.PromptBudget)
				}
				fromArticle = fromArticle || strings.Contains(req.Messages[len(req.Messages)-1].Content, "transit fees the delegations")
			}
			if !fromArticle {
				t.Error("no request showed the LLM a passage of the enormous article")
			}
			if !a.Answered || len(a.Citations) == 0 {
				t.Errorf("not answered: %+v", a)
			}
			for _, c := range a.Citations {
				if len(c.Text) > corpus.DefaultHardMaxBytes {
					t.Errorf("citation %d is %d bytes, over the passage cap of %d", c.N, len(c.Text), corpus.DefaultHardMaxBytes)
				}
			}
		})
	}
}
