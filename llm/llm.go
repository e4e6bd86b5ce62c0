// Package llm talks to an OpenAI-compatible server (OpenAI, Ollama, vLLM,
// llama.cpp) for chat completions and embeddings, with a timeout on every
// call and retries of rate limits and server errors.
package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults used when Config leaves a field zero.
const (
	DefaultModel   = "gpt-4.1-mini"
	DefaultTimeout = 60 * time.Second
	DefaultTries   = 4
)

// Config says which server and models to use.
type Config struct {
	APIKey          string        // may be empty for local servers
	BaseURL         string        // empty means OpenAI's
	Model           string        // chat model; DefaultModel when empty
	EmbeddingsModel string        // needed only for Embed
	Timeout         time.Duration // per call, retries included; DefaultTimeout when zero
	MaxTries        int           // attempts per call; DefaultTries when zero
	// HTTPClient sends the requests; a client with Timeout is built when nil.
	HTTPClient *http.Client
	// Observer, if set, is told about every call, for metrics.
	Observer Observer
}

// Observer is told about each call to the model: its kind ("chat",
// "stream" or "embed"), how long it took with its retries, its error and
// the tokens the server reported (0 when it did not say).
type Observer interface {
	ModelCall(kind string, took time.Duration, err error, promptTokens, completionTokens int)
}

// observe reports a call begun at start to the observer, if any.
func (c *Client) observe(kind string, start time.Time, err error, usage openai.Usage) {
	if c.obs != nil {
		c.obs.ModelCall(kind, time.Since(start), err, usage.PromptTokens, usage.CompletionTokens)
	}
}

// Client is an LLM client. It is safe for concurrent use.
type Client struct {
	api      *openai.Client
	model    string
	embModel string
	timeout  time.Duration
	obs      Observer
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTries <= 0 {
		cfg.MaxTries = DefaultTries
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	oc.HTTPClient = &retryingDoer{client: hc, tries: cfg.MaxTries}
	return &Client{
		api:      openai.NewClientWithConfig(oc),
		model:    cfg.Model,
		embModel: cfg.EmbeddingsModel,
		timeout:  cfg.Timeout,
		obs:      cfg.Observer,
	}
}

// Model returns the chat model's name.
func (c *Client) Model() string { return c.model }

// chatRequest is a chat completion of the rules (system) and the
// question with its material (user).
func (c *Client) chatRequest(system, user string) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model: c.model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
	}
}

// Complete sends one chat completion and returns the reply's text.
func (c *Client) Complete(ctx context.Context, system, user string) (reply string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	resp, err := c.api.CreateChatCompletion(ctx, c.chatRequest(system, user))
	defer func() { c.observe("chat", start, err, resp.Usage) }()
	if err != nil {
		return "", c.wrap("chat completion", ctx, err)
	}
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("chat completion with %s: the reply has no choices", c.model)
	}
	return resp.Choices[0].Message.Content, nil
}

// Stream sends one chat completion and delivers the reply as it is
// written: delta gets each new piece, in order. It returns the whole
// reply. A stream that ends before the model finished is an error, not a
// short reply.
func (c *Client) Stream(ctx context.Context, system, user string, delta func(string)) (reply string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	var usage openai.Usage
	defer func() { c.observe("stream", start, err, usage) }()
	req := c.chatRequest(system, user)
	req.Stream = true
	stream, err := c.api.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return "", c.wrap("chat completion stream", ctx, err)
	}
	defer stream.Close()
	var text strings.Builder
	finished := false
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", c.wrap("chat completion stream", ctx, err)
		}
		if chunk.Usage != nil { // servers that report it do so in the last chunk
			usage = *chunk.Usage
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Delta.Content != "" {
				text.WriteString(ch.Delta.Content)
				if delta != nil {
					delta(ch.Delta.Content)
				}
			}
			if ch.FinishReason != "" {
				finished = true
			}
		}
	}
	if !finished {
		return "", fmt.Errorf("chat completion stream with %s: %w", c.model, ErrIncomplete)
	}
	return text.String(), nil
}

// ErrIncomplete is wrapped by errors of streams that broke off before
// the model finished its reply.
var ErrIncomplete = errors.New("the reply broke off before it was finished")

// Embed returns one embedding per text, in order.
func (c *Client) Embed(ctx context.Context, texts []string) (vecs [][]float32, err error) {
	if c.embModel == "" {
		return nil, errors.New("embeddings: no embeddings model configured")
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	resp, err := c.api.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
		Input: texts,
		Model: openai.EmbeddingModel(c.embModel),
	})
	defer func() { c.observe("embed", start, err, openai.Usage{PromptTokens: resp.Usage.PromptTokens}) }()
	if err != nil {
		return nil, c.wrap("embeddings", ctx, err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("embeddings with %s: got %d vectors for %d texts", c.embModel, len(resp.Data), len(texts))
	}
	sort.SliceStable(resp.Data, func(i, j int) bool { return resp.Data[i].Index < resp.Data[j].Index })
	out := make([][]float32, len(resp.Data))
	for i, d := range resp.Data {
		out[i] = d.Embedding
	}
	return out, nil
}

// wrap turns a go-openai error into one that says what failed in words an
// operator can act on.
func (c *Client) wrap(what string, ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s with %s: no reply within %s: %w", what, c.model, c.timeout, ErrTimeout)
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%s with %s: server answered %d: %s", what, c.model, apiErr.HTTPStatusCode, apiErr.Message)
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return fmt.Errorf("%s with %s: server answered %d", what, c.model, reqErr.HTTPStatusCode)
	}
	return fmt.Errorf("%s with %s: %w", what, c.model, err)
}

// ErrTimeout is wrapped by errors of calls that ran out of time.
var ErrTimeout = errors.New("llm timeout")
