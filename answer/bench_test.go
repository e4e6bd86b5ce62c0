package answer_test

import (
	"context"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

// instantChat is an LLM that answers at once, so the pipeline's own
// overhead shows.
type instantChat struct{}

func (instantChat) Complete(context.Context, string, string) (string, error) {
	return "They talked for two hours [1].", nil
}

func BenchmarkAnswer(b *testing.B) {
	live := seedIndex(b)
	req := answer.Request{Question: "How long did the video talks last?"}
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		svc := answer.NewService(live, instantChat{}, nil, answer.Options{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Answer(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		srv := redistest.Start(b)
		store, err := redisstore.Open(srv.URL, redisstore.Options{Prefix: srv.Prefix})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		svc := answer.NewService(live, instantChat{}, nil, answer.Options{Cache: store.Cache(), Model: "m"})
		if _, err := svc.Answer(ctx, req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			a, err := svc.Answer(ctx, req)
			if err != nil || !a.Cached {
				b.Fatalf("not a cache hit: %v", err)
			}
		}
	})
	// The same hit with no network, and one bare Redis round trip: their
	// sum is about the cached figure above.
	b.Run("cached-in-process", func(b *testing.B) {
		svc := answer.NewService(live, instantChat{}, nil, answer.Options{Cache: answer.NewLocalCache(100, time.Hour), Model: "m"})
		svc.Answer(ctx, req)
		b.ReportAllocs()
		for b.Loop() {
			if a, _ := svc.Answer(ctx, req); !a.Cached {
				b.Fatal("not a cache hit")
			}
		}
	})
	b.Run("redis-roundtrip", func(b *testing.B) {
		srv := redistest.Start(b)
		rdb := srv.Client()
		b.ReportAllocs()
		for b.Loop() {
			rdb.Get(ctx, srv.Prefix+"missing")
		}
	})
}
