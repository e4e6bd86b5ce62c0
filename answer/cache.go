package answer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"

	lru "github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/text/unicode/norm"

	"github.com/talkbot/talkbot/prompts"
	"github.com/talkbot/talkbot/retrieval"
)

// Cache keeps finished answers, so the same question asked again costs
// neither time nor an LLM call. Implementations deal with their own
// failures: a broken cache behaves as an empty one that grants every lock.
type Cache interface {
	Get(ctx context.Context, key string) (Answer, bool)
	Set(ctx context.Context, key string, a Answer, ttl time.Duration)
	// Lock claims the work of answering key, so that processes sharing
	// the cache answer a question once. The claim lasts until unlock, but
	// at most ttl after its holder stops renewing it (it died): the holder
	// keeps it while it lives. ok is false while someone else holds it.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), ok bool)
}

// DefaultCacheTTL is how long a cached answer is served.
const DefaultCacheTTL = 24 * time.Hour

// KeyParts is everything that decides an answer.
type KeyParts struct {
	CorpusVersion string
	Mode, Model   string
	PromptVersion string
	Question      string // the standalone question, normalised by CacheKey
	// Asked is the asker's own words, when they were in the prompt
	// beside the standalone question.
	Asked string
	// Lang is the language the answer was asked for, when not the
	// question's own.
	Lang string
	// History is the conversation the answer was written with, if any:
	// an answer that saw one asker's conversation may echo it, so it is
	// only ever served under that same conversation.
	History []Turn
}

// CacheKey returns the cache key of an answer.
func CacheKey(p KeyParts) string {
	h := sha256.New()
	for _, part := range []string{p.CorpusVersion, p.Mode, p.Model, p.PromptVersion, Normalize(p.Question), Normalize(p.Asked), p.Lang} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	for _, t := range p.History {
		fmt.Fprintf(h, "%d:%s%d:%s", len(t.Question), t.Question, len(t.Answer), t.Answer)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Normalize folds the differences between two spellings of one question
// that cannot change its meaning: Unicode forms, case, quotes, spacing and
// punctuation between words. Everything that can change it stays: every
// word (so negations and names), and numbers with their inner points,
// commas and dashes ("3.5" is not "35", "2021-06-16" stays a date).
func Normalize(q string) string {
	q = strings.ToLower(norm.NFKC.String(q))
	rs := []rune(q)
	var b strings.Builder
	space := false
	for i, r := range rs {
		keep := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
		if !keep && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]) && strings.ContainsRune(".,:/-", r) {
			keep = true // inside a number, time or date
		}
		if !keep && (r == '\'' || r == '’') && i > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i-1]) && unicode.IsLetter(rs[i+1]) {
			continue // "don't" and "don’t" are one word
		}
		if !keep && (r == '-' || r == '+') && i+1 < len(rs) && unicode.IsDigit(rs[i+1]) && (i == 0 || !unicode.IsDigit(rs[i-1])) {
			keep = true // the sign of a number
		}
		if !keep {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LocalCache is a Cache in this process's memory: the most recent
// answers, each for its TTL. It is what the bot uses without Redis.
type LocalCache struct {
	lru *lru.LRU[string, Answer]
}

// NewLocalCache returns a cache of at most size answers, each kept for ttl.
func NewLocalCache(size int, ttl time.Duration) *LocalCache {
	return &LocalCache{lru: lru.NewLRU[string, Answer](size, nil, ttl)}
}

// Get returns the answer cached under key.
func (c *LocalCache) Get(_ context.Context, key string) (Answer, bool) { return c.lru.Get(key) }

// Set caches a under key; the cache's own TTL applies.
func (c *LocalCache) Set(_ context.Context, key string, a Answer, _ time.Duration) { c.lru.Add(key, a) }

// Lock always succeeds: within one process the service itself makes
// concurrent identical questions wait for one answer.
func (c *LocalCache) Lock(context.Context, string, time.Duration) (func(), bool) {
	return func() {}, true
}

// cached returns the cached answer to standalone, or computes it, once
// however many ask at the same moment, here or in other processes.
func (s *Service) cached(ctx context.Context, ix *retrieval.Index, req Request, standalone string, compute func() (Answer, error)) (Answer, error) {
	if s.opts.Cache == nil {
		return compute()
	}
	key := CacheKey(KeyParts{CorpusVersion: ix.Corpus().Version, Mode: s.Mode(), Model: s.opts.Model, PromptVersion: prompts.Version, Question: standalone, Asked: req.asked, Lang: req.Lang, History: req.History})
	if a, ok := s.opts.Cache.Get(ctx, key); ok {
		return s.hit(a, req), nil
	}
	if req.asked != "" && len(req.History) == 0 {
		// The answer to the standalone question, asked as such, answers
		// the follow-up it stands for too.
		plain := CacheKey(KeyParts{CorpusVersion: ix.Corpus().Version, Mode: s.Mode(), Model: s.opts.Model, PromptVersion: prompts.Version, Question: standalone, Lang: req.Lang})
		if a, ok := s.opts.Cache.Get(ctx, plain); ok {
			return s.hit(a, req), nil
		}
	}
	var near string
	var vec []float32
	if len(req.History) == 0 && req.asked == "" { // a reworded question never shares a conversation's answer
		near, vec = s.similar(ctx, ix, standalone)
	}
	if near != "" {
		if a, ok := s.opts.Cache.Get(ctx, near); ok {
			return s.hit(a, req), nil
		}
	}
	v, err, shared := s.flight.Do(key, func() (any, error) {
		giveUp := time.Now().Add(s.opts.LockWait)
		for {
			if a, ok := s.opts.Cache.Get(ctx, key); ok {
				return s.hit(a, req), nil
			}
			unlock, ok := s.opts.Cache.Lock(ctx, key, lockTTL)
			if !ok && time.Now().After(giveUp) {
				// The holder is slow or gone: answer rather than keep waiting.
				s.log.InfoContext(ctx, "another process is still answering this question; answering it here too")
				unlock, ok = func() {}, true
			}
			if ok {
				defer unlock()
				if s.opts.Observer != nil {
					s.opts.Observer.CacheLookup(false)
				}
				a, err := compute()
				if err == nil && a.Mode == s.Mode() && !a.unsure { // not a fallback nor an unusable reply: no answer to keep
					s.opts.Cache.Set(ctx, key, a, s.opts.CacheTTL)
					if vec != nil {
						s.opts.Similar.Remember(ctx, s.space(ix), standalone, key, vec)
					}
				}
				return a, err
			}
			// Another process is answering: wait for its answer.
			if !sleep(ctx, 100*time.Millisecond) {
				return Answer{}, ctx.Err()
			}
		}
	})
	if err != nil {
		return Answer{}, err
	}
	a := v.(Answer)
	if shared {
		a.Question = req.Question
	}
	return a, nil
}

// hit turns a cached answer into the reply to req.
func (s *Service) hit(a Answer, req Request) Answer {
	s.cacheHits.Add(1)
	if s.opts.Observer != nil {
		s.opts.Observer.CacheLookup(true)
	}
	a.Question = req.Question
	a.Cached = true
	return a
}

// lockTTL is how long a claim on answering a question outlives its
// holder: short, since a live holder renews it.
const lockTTL = 10 * time.Second

// DefaultLockWait is how long a question waits for another process
// answering it before answering it itself.
const DefaultLockWait = 5 * time.Second

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
