package llm

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults of the limits on a reply, used when Config leaves them zero.
//
// The bot gives short answers: a few sentences with citations, which is
// 50 to 250 tokens in English and up to about twice that in languages
// that cost more tokens per word. DefaultMaxTokens leaves room for that
// and stops a model that rambles on; DefaultMaxShortTokens does the same
// for one-line replies such as a follow-up rewritten as a standalone
// question. The byte caps are there for servers that ignore the token
// limit, and for broken proxies: a token is rarely more than 16 bytes of
// UTF-8, so 16 KiB is well above any reply that fits 700 tokens, and
// 4 MiB of HTTP body is well above any such reply streamed one token per
// server-sent event.
const (
	DefaultMaxTokens      = 700
	DefaultMaxShortTokens = 150
	DefaultMaxReplyBytes  = 16 << 10
	DefaultMaxBodyBytes   = 4 << 20
)

// bytesPerToken is a generous upper bound on the UTF-8 bytes of one
// token; it scales the reply's byte cap when MaxTokens is raised.
const bytesPerToken = 16

// ErrTooLong is wrapped by errors of replies longer than the client
// accepts: the model stopped at its token limit (finish_reason "length"),
// the reply's text passed MaxReplyBytes, or the HTTP body passed
// MaxBodyBytes. The reply is then incomplete or runaway, and must be
// neither shown nor kept as an answer.
var ErrTooLong = errors.New("the reply is too long")

// tokenLimit sets the request's limit on the reply's tokens. It uses
// max_tokens, which OpenAI, Ollama, vLLM and llama.cpp all accept, except
// for the models go-openai knows reject it (OpenAI's reasoning models),
// which take max_completion_tokens instead; go-openai refuses to send
// max_tokens to those without asking the server.
func tokenLimit(req *openai.ChatCompletionRequest, tokens int) {
	req.MaxTokens, req.MaxCompletionTokens = tokens, 0
	if errors.Is(openai.NewReasoningValidator().Validate(*req), openai.ErrReasoningModelMaxTokensDeprecated) {
		req.MaxTokens, req.MaxCompletionTokens = 0, tokens
	}
}

// cappedDoer cuts off response bodies longer than max bytes, so that a
// runaway or hostile server cannot fill memory: go-openai reads a whole
// JSON body, or a whole server-sent event line, before it looks at it.
type cappedDoer struct {
	next openai.HTTPDoer
	max  int64
}

// Do sends req and caps the body of its response.
func (d *cappedDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.next.Do(req)
	if err != nil {
		return nil, err
	}
	// An error status keeps its body, capped, for go-openai's error message.
	if resp.StatusCode < 400 && resp.ContentLength > d.max {
		resp.Body.Close()
		return nil, fmt.Errorf("response body of %d bytes is over the %d-byte limit: %w", resp.ContentLength, d.max, ErrTooLong)
	}
	resp.Body = &cappedBody{body: resp.Body, left: d.max, max: d.max}
	return resp, nil
}

// cappedBody reads at most max bytes of body, and then fails and hangs
// up rather than read on.
type cappedBody struct {
	body io.ReadCloser
	left int64 // bytes still allowed
	max  int64
	err  error // set once the cap is passed
}

// Read reads from the body until it passes the cap; one byte more than
// the cap is read to tell a body of exactly max bytes from a longer one.
func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.body.Close() // hang up: the server need not send the rest
	b.err = fmt.Errorf("response body passed the %d-byte limit: %w", b.max, ErrTooLong)
	return n, b.err
}

// Close closes the body.
func (b *cappedBody) Close() error { return b.body.Close() }
