package llm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// retryingDoer sends a request again after a 429 or a 5xx, waiting as the
// server's Retry-After says or else with exponential backoff.
//
// It retries at the HTTP level because that is where Retry-After is
// visible; go-openai's errors drop the headers.
type retryingDoer struct {
	client *http.Client
	tries  int
}

// maxRetryAfter caps how long a Retry-After may make us wait; the call's
// own deadline usually cuts it shorter.
const maxRetryAfter = 30 * time.Second

func (d *retryingDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.MaxInterval = 8 * time.Second
	attempt := 0
	resp, err := backoff.Retry(ctx, func() (*http.Response, error) {
		attempt++
		r := req
		if attempt > 1 {
			if req.GetBody == nil && req.Body != nil {
				return nil, backoff.Permanent(errors.New("request body cannot be replayed"))
			}
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, backoff.Permanent(err)
				}
				r.Body = body
			}
		}
		resp, err := d.client.Do(r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, backoff.Permanent(err)
			}
			return nil, err // connection refused, reset: worth another try
		}
		if !retryable(resp.StatusCode) {
			return resp, nil
		}
		// Keep the body so the last response can still be read by the caller.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		statusErr := fmt.Errorf("server answered %d", resp.StatusCode)
		if wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if deadline, has := ctx.Deadline(); has && time.Now().Add(wait).After(deadline) {
				return resp, backoff.Permanent(statusErr) // waiting would outlive the call
			}
			return resp, &backoff.RetryAfterError{Duration: wait}
		}
		return resp, statusErr
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(d.tries)), backoff.WithMaxElapsedTime(0))
	if resp != nil {
		// The last answer was an error status: hand it to go-openai, which
		// turns its body into an APIError.
		return resp, nil
	}
	return nil, err
}

func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 && code != http.StatusNotImplemented
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}
