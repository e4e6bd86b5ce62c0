// Package llm talks to an OpenAI-compatible server (OpenAI, Ollama, vLLM,
// llama.cpp) for chat completions and embeddings, with a timeout on every
// call, retries of rate limits and server errors, and limits on how long
// a reply may be: a token limit the server applies, and byte caps this
// client applies to what it reads.
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
	// MaxTokens limits the tokens of a reply (Complete, Stream);
	// DefaultMaxTokens when zero. Reasoning models count their hidden
	// reasoning in it too, and need more.
	MaxTokens int
	// MaxShortTokens limits the tokens of a CompleteShort reply;
	// DefaultMaxShortTokens when zero.
	MaxShortTokens int
	// MaxReplyBytes caps the text of any reply; when zero, the larger of
	// DefaultMaxReplyBytes and 16 bytes per token of MaxTokens.
	MaxReplyBytes int
	// MaxBodyBytes caps the HTTP body of a chat completion, streamed or
	// not; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
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
	api      *openai.Client // chat completions, with capped bodies
	embAPI   *openai.Client // embeddings, whose size the caller's batch decides
	model    string
	embModel string
	timeout  time.Duration
	obs      Observer

	maxTokens, maxShortTokens, maxReplyBytes int
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
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.MaxShortTokens <= 0 {
		cfg.MaxShortTokens = DefaultMaxShortTokens
	}
	if cfg.MaxReplyBytes <= 0 {
		cfg.MaxReplyBytes = max(DefaultMaxReplyBytes, bytesPerToken*cfg.MaxTokens)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	retrying := &retryingDoer{client: hc, tries: cfg.MaxTries}
	oc.HTTPClient = retrying
	embAPI := openai.NewClientWithConfig(oc)
	oc.HTTPClient = &cappedDoer{next: retrying, max: cfg.MaxBodyBytes}
	return &Client{
		api:            openai.NewClientWithConfig(oc),
		embAPI:         embAPI,
		model:          cfg.Model,
		embModel:       cfg.EmbeddingsModel,
		timeout:        cfg.Timeout,
		obs:            cfg.Observer,
		maxTokens:      cfg.MaxTokens,
		maxShortTokens: cfg.MaxShortTokens,
		maxReplyBytes:  cfg.MaxReplyBytes,
	}
}

// Model returns the chat model's name.
func (c *Client) Model() string { return c.model }

// chatRequest is a chat completion of the rules (system) and the
// question with its material (user), of at most tokens tokens.
func (c *Client) chatRequest(system, user string, tokens int) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model: c.model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
	}
	tokenLimit(&req, tokens)
	return req
}

// Complete sends one chat completion and returns the reply's text. A
// reply longer than the client's limits is an error wrapping ErrTooLong,
// never a shortened reply.
func (c *Client) Complete(ctx context.Context, system, user string) (string, error) {
	return c.complete(ctx, system, user, c.maxTokens)
}

// CompleteShort is Complete for a reply of a line or so, such as a
// follow-up rewritten as a standalone question: the server is asked for
// at most MaxShortTokens tokens, so a runaway reply costs little.
func (c *Client) CompleteShort(ctx context.Context, system, user string) (string, error) {
	return c.complete(ctx, system, user, c.maxShortTokens)
}

// complete sends one chat completion of at most tokens tokens.
func (c *Client) complete(ctx context.Context, system, user string, tokens int) (reply string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	resp, err := c.api.CreateChatCompletion(ctx, c.chatRequest(system, user, tokens))
	defer func() { c.observe("chat", start, err, resp.Usage) }()
	if err != nil {
		return "", c.wrap("chat completion", ctx, err)
	}
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("chat completion with %s: the reply has no choices", c.model)
	}
	ch := resp.Choices[0]
	if err := c.checkLength(len(ch.Message.Content), ch.FinishReason, tokens); err != nil {
		return "", fmt.Errorf("chat completion: %w", err)
	}
	return ch.Message.Content, nil
}

// checkLength fails a reply of n bytes so far, or one the server says
// stopped at its token limit.
func (c *Client) checkLength(n int, finish openai.FinishReason, tokens int) error {
	if n > c.maxReplyBytes {
		return fmt.Errorf("%s wrote more than %d bytes: %w", c.model, c.maxReplyBytes, ErrTooLong)
	}
	if finish == openai.FinishReasonLength {
		return fmt.Errorf("%s stopped at the %d-token limit before it finished: %w", c.model, tokens, ErrTooLong)
	}
	return nil
}

// Stream sends one chat completion and delivers the reply as it is
// written: delta gets each new piece, in order. It returns the whole
// reply. A stream that ends before the model finished is an error, not a
// short reply; so is one longer than the client's limits (wrapping
// ErrTooLong), which is cut off as soon as it passes them: delta may by
// then have had part of it.
func (c *Client) Stream(ctx context.Context, system, user string, delta func(string)) (reply string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	var usage openai.Usage
	defer func() { c.observe("stream", start, err, usage) }()
	req := c.chatRequest(system, user, c.maxTokens)
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
			if err := c.checkLength(text.Len()+len(ch.Delta.Content), ch.FinishReason, c.maxTokens); err != nil {
				return "", fmt.Errorf("chat completion stream: %w", err) // the deferred Close hangs up
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
	resp, err := c.embAPI.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
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
