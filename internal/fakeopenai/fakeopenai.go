// Package fakeopenai is a test double of an OpenAI-compatible server:
// chat completions and embeddings over real HTTP, with the errors a real
// server gives (401, 429 with Retry-After, 5xx, broken JSON, stalls,
// runaway bodies). Like a real server it honours max_tokens (and
// max_completion_tokens), counting a word as a token: a longer reply is
// cut there and finishes with "length".
package fakeopenai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/sashabaranov/go-openai"
)

// Fault is one scripted misbehaviour, used for the next request instead
// of a normal reply.
type Fault struct {
	Status     int           // HTTP status to answer with; 0 means 200
	RetryAfter string        // Retry-After header value, if any
	Body       string        // raw body; a JSON error object when empty and Status >= 400
	Delay      time.Duration // wait before answering (or until the client gives up)
	// Cut serves the reply normally but breaks it off halfway: a streamed
	// reply stops after half its chunks without [DONE], a plain one after
	// half its JSON.
	Cut bool
	// BodySize, for a chat request, answers 200 with a body of this many
	// bytes, as a runaway server or proxy would: one JSON completion (one
	// server-sent event for a stream) whose content is that long, written
	// in pieces without a Content-Length until done or the client hangs up.
	BodySize int64
}

// Server is a running fake. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	// Key is the API key clients must send; empty accepts any.
	Key string
	// Latency delays every chat reply, as a real model takes time.
	Latency time.Duration
	// ChunkDelay is the pause between the chunks of a streamed reply.
	ChunkDelay time.Duration

	mu       sync.Mutex
	reply    func(openai.ChatCompletionRequest) string
	faults   []Fault
	chats    []openai.ChatCompletionRequest
	embeds   int
	requests int
	written  atomic.Int64 // response body bytes handed to the connection
}

// New starts a fake whose chat replies come from reply. Close it when done.
func New(reply func(openai.ChatCompletionRequest) string) *Server {
	s := &Server{reply: reply}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(countingWriter{ResponseWriter: w, n: &s.written}, r)
	}))
	return s
}

// countingWriter counts the body bytes a handler writes.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// Flush sends what is buffered, as the wrapped writer's Flush does.
func (c countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// BodyBytes returns how many bytes of response bodies the fake has
// written so far. A write fails once the client has hung up, so a client
// that stops reading a long body early keeps this well below its size
// (the connection's buffers hold a few MB at most).
func (s *Server) BodyBytes() int64 { return s.written.Load() }

// BaseURL returns the base URL to give a client (go-openai's BaseURL).
func (s *Server) BaseURL() string { return s.Server.URL + "/v1" }

// Fail queues faults, answered one per request before normal service resumes.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Chats returns the chat requests received so far.
func (s *Server) Chats() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), s.chats...)
}

// Requests returns how many HTTP requests arrived, faults included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// EmbeddingCalls returns how many embeddings requests were served.
func (s *Server) EmbeddingCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.embeds
}

// take counts a request and answers it with the next fault, if any. It
// reports whether the request was answered, and returns a Cut or BodySize
// fault for the caller to apply.
func (s *Server) take(w http.ResponseWriter, r *http.Request) (bool, *Fault) {
	// Reading the whole body lets the server notice a client hanging up.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.requests++
	var f *Fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	key := s.Key
	s.mu.Unlock()
	if key != "" && r.Header.Get("Authorization") != "Bearer "+key {
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.", "invalid_request_error")
		return true, nil
	}
	if f == nil {
		return false, nil
	}
	if f.Delay > 0 && !wait(r, f.Delay) {
		return true, nil
	}
	if f.Cut || f.BodySize > 0 {
		return false, f
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body == "" && status >= 400 {
		writeError(w, status, http.StatusText(status), "server_error")
		return true, nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, f.Body)
	return true, nil
}

// wait pauses for d, and reports false if the client hung up first.
func wait(r *http.Request, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeError(w http.ResponseWriter, status int, msg, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": nil}})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	done, fault := s.take(w, r)
	if done {
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), "invalid_request_error")
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "model and messages are required", "invalid_request_error")
		return
	}
	s.mu.Lock()
	s.chats = append(s.chats, req)
	reply, latency, chunkDelay := s.reply, s.Latency, s.ChunkDelay
	s.mu.Unlock()
	if latency > 0 && !wait(r, latency) {
		return
	}
	if fault != nil && fault.BodySize > 0 {
		runaway(w, req, fault.BodySize)
		return
	}
	cut := fault != nil && fault.Cut
	content := ""
	if reply != nil {
		content = reply(req)
	}
	limit := req.MaxTokens
	if req.MaxCompletionTokens > 0 {
		limit = req.MaxCompletionTokens
	}
	finish := openai.FinishReasonStop
	if c, ok := truncate(content, limit); ok {
		content, finish = c, openai.FinishReasonLength
	}
	if req.Stream {
		s.stream(w, r, req.Model, content, finish, chunkDelay, cut)
		return
	}
	body, _ := json.Marshal(openai.ChatCompletionResponse{
		ID:      "chatcmpl-fake",
		Object:  "chat.completion",
		Created: time.Now().Unix(),
		Model:   req.Model,
		Choices: []openai.ChatCompletionChoice{{
			Index:        0,
			Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			FinishReason: finish,
		}},
		Usage: openai.Usage{PromptTokens: len(strings.Fields(req.Messages[0].Content)), CompletionTokens: len(strings.Fields(content))},
	})
	if cut {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// stream sends content as server-sent events, a few words per chunk, as
// the real API does for "stream": true.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, model, content string, finish openai.FinishReason, delay time.Duration, cut bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	flusher, _ := w.(http.Flusher)
	var chunks []string
	words := strings.SplitAfter(content, " ")
	for i := 0; i < len(words); i += 3 {
		chunks = append(chunks, strings.Join(words[i:min(i+3, len(words))], ""))
	}
	if cut {
		chunks = chunks[:len(chunks)/2]
	}
	send := func(delta string, finish openai.FinishReason) error {
		b, _ := json.Marshal(openai.ChatCompletionStreamResponse{
			ID: "chatcmpl-fake", Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: model,
			Choices: []openai.ChatCompletionStreamChoice{{Index: 0, Delta: openai.ChatCompletionStreamChoiceDelta{Content: delta}, FinishReason: finish}},
		})
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	for i, c := range chunks {
		if i > 0 && delay > 0 && !wait(r, delay) {
			return
		}
		if send(c, "") != nil {
			return // the client hung up
		}
	}
	if cut {
		return // the connection closes without a finish or [DONE]
	}
	send("", finish)
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// truncate cuts content to at most limit tokens, counting a word as a
// token as the usage figures do, and reports whether it cut anything. A
// limit of 0 means none.
func truncate(content string, limit int) (string, bool) {
	if limit <= 0 {
		return content, false
	}
	words, inWord := 0, false
	for i, r := range content {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			if words == limit {
				return content[:i], true
			}
			words++
		}
		inWord = !space
	}
	return content, false
}

// runaway answers req with a completion of size bytes, its content
// padding, written a piece at a time until done or the client hangs up.
func runaway(w http.ResponseWriter, req openai.ChatCompletionRequest, size int64) {
	head := fmt.Sprintf(`{"id":"chatcmpl-fake","object":"chat.completion","created":%d,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"`, time.Now().Unix(), req.Model)
	tail := `"},"finish_reason":"stop"}]}`
	w.Header().Set("Content-Type", "application/json")
	if req.Stream {
		head = fmt.Sprintf(`data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":%d,"model":%q,"choices":[{"index":0,"delta":{"content":"`, time.Now().Unix(), req.Model)
		tail = `"},"finish_reason":"stop"}]}` + "\n\n"
		w.Header().Set("Content-Type", "text/event-stream")
	}
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	pad := bytes.Repeat([]byte("x"), 32<<10)
	for left := size - int64(len(head)+len(tail)); left > 0; left -= int64(len(pad)) {
		if _, err := w.Write(pad[:min(left, int64(len(pad)))]); err != nil {
			return // the client hung up
		}
	}
	io.WriteString(w, tail)
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	if done, _ := s.take(w, r); done {
		return
	}
	var req struct {
		Input any    `json:"input"`
		Model string `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body", "invalid_request_error")
		return
	}
	var inputs []string
	switch in := req.Input.(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, v := range in {
			str, _ := v.(string)
			inputs = append(inputs, str)
		}
	}
	if req.Model == "" || len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, "model and input are required", "invalid_request_error")
		return
	}
	s.mu.Lock()
	s.embeds++
	s.mu.Unlock()
	resp := openai.EmbeddingResponse{Object: "list", Model: openai.EmbeddingModel(req.Model)}
	for i, in := range inputs {
		resp.Data = append(resp.Data, openai.Embedding{Object: "embedding", Index: i, Embedding: Vector(in)})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// Dims is the length of the fake's embeddings.
const Dims = 64

// Vector is the fake's embedding of a text: hashed, length-normalised
// word counts, so texts sharing words are close, as with a real model.
func Vector(text string) []float32 {
	v := make([]float32, Dims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 127)
	}) {
		if len(w) < 3 {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%Dims]++
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	if n > 0 {
		for i := range v {
			v[i] /= float32(math.Sqrt(n))
		}
	}
	return v
}

// EchoConversation is a careless model: it answers every question with
// "It lasted two hours", citing the passage that says so (else passage
// 1), and repeats the conversation it was shown (the text inside
// <conversation> in talkbot's answering prompt), so a test can tell
// whether one user's conversation reached another's answer.
// Its rewrite of a follow-up (talkbot's condensing prompt) is
// rewrite(question).
func EchoConversation(rewrite func(question string) string) func(openai.ChatCompletionRequest) string {
	return func(req openai.ChatCompletionRequest) string {
		user := req.Messages[len(req.Messages)-1].Content
		if strings.Contains(req.Messages[0].Content, "standalone question") {
			_, q, _ := strings.Cut(user, "<question>\n")
			q, _, _ = strings.Cut(q, "\n</question>")
			return rewrite(q)
		}
		conv := ""
		if _, c, ok := strings.Cut(user, "<conversation>"); ok {
			conv, _, _ = strings.Cut(c, "</conversation>")
		}
		n := "1"
		if m := twoHours.FindStringSubmatch(user); m != nil {
			n = m[1]
		}
		return "It lasted two hours [" + n + "]. You said: " + strings.Join(strings.Fields(conv), " ")
	}
}

// twoHours finds the number of a passage of talkbot's answering prompt
// that says something lasted two hours.
var twoHours = regexp.MustCompile(`<passage n="(\d+)"[^>]*>[^<]*lasted two hours`)

// Cite is a model that answers by citing the first passage of talkbot's
// answering prompt holding needle: format gets that passage's number
// for each %[1]s. With no such passage it declines (NOT_IN_ARTICLES),
// as a faithful model would. Its rewrite of a question is the question.
func Cite(needle, format string) func(openai.ChatCompletionRequest) string {
	passage := regexp.MustCompile(`(?s)<passage n="(\d+)"[^>]*>(.*?)</passage>`)
	return func(req openai.ChatCompletionRequest) string {
		user := req.Messages[len(req.Messages)-1].Content
		if strings.Contains(req.Messages[0].Content, "standalone question") {
			_, q, _ := strings.Cut(user, "<question>\n")
			q, _, _ = strings.Cut(q, "\n</question>")
			return q
		}
		for _, m := range passage.FindAllStringSubmatch(user, -1) {
			if strings.Contains(m[2], needle) {
				return fmt.Sprintf(format, m[1])
			}
		}
		return "NOT_IN_ARTICLES"
	}
}
