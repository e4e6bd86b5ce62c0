package redisstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/talkbot/talkbot/answer"
)

// maxSimilar bounds the questions kept per space: Nearest reads them all.
const maxSimilar = 2000

// Similar is an answer.SimilarCache in Redis: one hash per space, of
// question embeddings by answer key, expiring with the answers.
type Similar struct {
	s   *Store
	ttl time.Duration
}

// Similar returns the semantic cache, its entries kept for ttl.
func (s *Store) Similar(ttl time.Duration) *Similar { return &Similar{s: s, ttl: ttl} }

type similarEntry struct {
	Question string    `json:"q"`
	Vec      []float32 `json:"v"`
}

// Nearest returns the remembered question nearest to vec.
func (c *Similar) Nearest(ctx context.Context, space string, vec []float32) (string, string, float64, bool) {
	var all map[string]string
	err := c.s.do(ctx, "semantic cache read", func(ctx context.Context) (err error) {
		all, err = c.s.rdb.HGetAll(ctx, c.s.key("similar", space)).Result()
		return err
	})
	if err != nil {
		return "", "", 0, false
	}
	var q, key string
	best := -2.0
	for k, v := range all {
		var e similarEntry
		if json.Unmarshal([]byte(v), &e) != nil || len(e.Vec) != len(vec) {
			continue
		}
		if sim := answer.Cosine(e.Vec, vec); sim > best {
			q, key, best = e.Question, k, sim
		}
	}
	return q, key, best, key != ""
}

// Remember stores a question's embedding under its answer's key.
func (c *Similar) Remember(ctx context.Context, space, question, key string, vec []float32) {
	data, _ := json.Marshal(similarEntry{Question: question, Vec: vec})
	k := c.s.key("similar", space)
	c.s.do(ctx, "semantic cache write", func(ctx context.Context) error {
		n, err := c.s.rdb.HLen(ctx, k).Result()
		if err != nil || n >= maxSimilar {
			return err
		}
		pipe := c.s.rdb.TxPipeline()
		pipe.HSet(ctx, k, key, data)
		pipe.Expire(ctx, k, c.ttl)
		_, err = pipe.Exec(ctx)
		return err
	})
}
