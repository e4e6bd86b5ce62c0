package answer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/fakeopenai"
	"github.com/talkbot/talkbot/llm"
)

// translator is a scripted model that rewrites a question in another
// language into an English search query (as the rewrite prompt asks),
// and answers as fakeopenai.Cite does: citing the passage holding want.
func translator(search map[string]string, want, reply string) func(openai.ChatCompletionRequest) string {
	cite := fakeopenai.Cite(want, reply)
	return func(req openai.ChatCompletionRequest) string {
		if strings.Contains(req.Messages[0].Content, "standalone question") {
			user := req.Messages[len(req.Messages)-1].Content
			_, q, _ := strings.Cut(user, "<question>\n")
			q, _, _ = strings.Cut(q, "\n</question>")
			return "QUESTION: " + q + "\nSEARCH: " + search[q]
		}
		return cite(req)
	}
}

// TestQuestionsInOtherLanguages: a Russian or German question reaches
// the English passages that answer it through the search query the
// rewrite yields (one call), and the answer is asked for in the asker's
// language. Offline, such a question gets a clear reply in its language.
func TestQuestionsInOtherLanguages(t *testing.T) {
	tests := []struct {
		name, question, search, language, reply string
	}{
		{"russian", "Сколько длился разговор Путина и Байдена по видеосвязи?", "How long did the video call between Putin and Biden last?", "Russian", "Разговор длился два часа [%[1]s]."},
		{"german", "Wie lange dauerte das Videogespräch zwischen Putin und Biden?", "How long did the video call between Putin and Biden last?", "German", "Das Gespräch dauerte zwei Stunden [%[1]s]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ai := fakeopenai.New(translator(map[string]string{tt.question: tt.search}, "two hours", tt.reply))
			t.Cleanup(ai.Close)
			client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
			svc := answer.NewService(seedIndex(t), client, nil, answer.Options{})
			a, err := svc.Answer(context.Background(), answer.Request{Question: tt.question})
			if err != nil {
				t.Fatal(err)
			}
			if !a.Answered || len(a.Citations) != 1 || !strings.Contains(a.Citations[0].Text, "two hours") {
				t.Fatalf("answer %q (answered %v), citations %+v: want the passage saying two hours", a.Text, a.Answered, a.Citations)
			}
			if want := fmt.Sprintf(tt.reply, "1"); a.Text != want {
				t.Errorf("answer %q, want %q", a.Text, want)
			}
			chats := ai.Chats()
			if len(chats) != 2 {
				t.Fatalf("%d model calls, want the rewrite and the answer", len(chats))
			}
			if sys := chats[1].Messages[0].Content; !strings.Contains(sys, "Answer in "+tt.language) {
				t.Errorf("the answering prompt does not ask for %s:\n%s", tt.language, sys)
			}

			offline := answer.NewService(seedIndex(t), nil, nil, answer.Options{})
			o, err := offline.Answer(context.Background(), answer.Request{Question: tt.question})
			if err != nil {
				t.Fatal(err)
			}
			if o.Answered || o.Text == answer.NeedsEnglish || !strings.Contains(o.Text, "English") && !strings.Contains(o.Text, "англ") && !strings.Contains(o.Text, "Englisch") {
				t.Errorf("offline reply %q (answered %v), want, in its own language, that offline answers need English", o.Text, o.Answered)
			}
		})
	}
}

// TestRefusalsInTheAskersLanguage: the fixed sentences of a refusal come
// in the asker's language, whether told (Request.Lang, from Telegram)
// or read from the question.
func TestRefusalsInTheAskersLanguage(t *testing.T) {
	ai := fakeopenai.New(func(req openai.ChatCompletionRequest) string {
		if strings.Contains(req.Messages[0].Content, "standalone question") {
			return "QUESTION: x?\nSEARCH: capital of Australia"
		}
		return "NOT_IN_ARTICLES"
	})
	t.Cleanup(ai.Close)
	client := llm.New(llm.Config{BaseURL: ai.BaseURL(), Model: "m", Timeout: 5 * time.Second})
	svc := answer.NewService(seedIndex(t), client, nil, answer.Options{Cache: answer.NewLocalCache(10, time.Hour)})
	tests := []struct{ question, lang, want string }{
		{"What is the capital of Australia?", "", answer.NotCovered},
		{"Какая столица Австралии?", "", "В статьях об этом ничего нет."},
		{"What is the capital of Australia?", "ru", "В статьях об этом ничего нет."}, // told by Telegram
		{"What is the capital of Australia?", "de-AT", "Die Artikel behandeln das nicht."},
		{"What is the capital of Australia?", "en", answer.NotCovered}, // asked again in English: the cache keeps languages apart
	}
	for _, tt := range tests {
		a, err := svc.Answer(context.Background(), answer.Request{Question: tt.question, Lang: tt.lang})
		if err != nil {
			t.Fatal(err)
		}
		if a.Answered || a.Text != tt.want {
			t.Errorf("%q (lang %q): %q, want %q", tt.question, tt.lang, a.Text, tt.want)
		}
	}
}
