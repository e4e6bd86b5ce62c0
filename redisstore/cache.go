package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/talkbot/talkbot/answer"
)

// Cache is an answer.Cache in Redis, shared by every process using it.
type Cache struct{ s *Store }

// Cache returns the answer cache.
func (s *Store) Cache() *Cache { return &Cache{s: s} }

// entry is a cached answer as stored; V tells our values from others'.
type entry struct {
	V          int           `json:"v"`
	Answer     answer.Answer `json:"answer"`
	Standalone string        `json:"standalone"`
	Retrieved  []string      `json:"retrieved"`
}

const entryVersion = 1

// Get returns the answer cached under key. Anything unreadable is a miss.
func (c *Cache) Get(ctx context.Context, key string) (answer.Answer, bool) {
	var data []byte
	err := c.s.do(ctx, "cache get", func(ctx context.Context) (err error) {
		data, err = c.s.rdb.Get(ctx, c.s.key("answer", key)).Bytes()
		return err
	})
	if err != nil {
		return answer.Answer{}, false
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil || e.V != entryVersion || e.Answer.Text == "" {
		c.s.log.Debug("unreadable cache entry; treated as a miss", "key", key)
		return answer.Answer{}, false
	}
	a := e.Answer
	a.Standalone, a.Retrieved = e.Standalone, e.Retrieved
	if a.Citations == nil {
		a.Citations = []answer.Citation{}
	}
	return a, true
}

// Set caches a under key for ttl.
func (c *Cache) Set(ctx context.Context, key string, a answer.Answer, ttl time.Duration) {
	data, err := json.Marshal(entry{V: entryVersion, Answer: a, Standalone: a.Standalone, Retrieved: a.Retrieved})
	if err != nil {
		return
	}
	c.s.do(ctx, "cache set", func(ctx context.Context) error {
		return c.s.rdb.Set(ctx, c.s.key("answer", key), data, ttl).Err()
	})
}

// unlockScript deletes a lock only if it is still ours.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Lock claims key with SET NX PX. When Redis fails, the lock is granted:
// answering twice beats not answering.
func (c *Cache) Lock(ctx context.Context, key string, ttl time.Duration) (func(), bool) {
	token := randomToken()
	k := c.s.key("lock", key)
	var ok bool
	err := c.s.do(ctx, "cache lock", func(ctx context.Context) (err error) {
		ok, err = c.s.rdb.SetNX(ctx, k, token, ttl).Result()
		return err
	})
	if err != nil {
		return func() {}, true
	}
	if !ok {
		return nil, false
	}
	// Renew the claim while the holder lives, so that a short ttl frees
	// the question soon after a holder dies, and only then.
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				c.s.do(context.WithoutCancel(ctx), "cache lock renew", func(ctx context.Context) error {
					return renewScript.Run(ctx, c.s.rdb, []string{k}, token, ttl.Milliseconds()).Err()
				})
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-renewed
			c.s.do(context.WithoutCancel(ctx), "cache unlock", func(ctx context.Context) error {
				return unlockScript.Run(ctx, c.s.rdb, []string{k}, token).Err()
			})
		})
	}, true
}

// renewScript extends a lock only if it is still ours.
var renewScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

func randomToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
