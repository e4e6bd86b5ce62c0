package redisstore

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// updateTTL is how long a handled update id is remembered: longer than
// Telegram keeps undelivered updates (24 hours).
const updateTTL = 25 * time.Hour

// Updates records the Telegram updates handled by any process, so a
// webhook retry or a restart never answers one twice.
type Updates struct {
	s   *Store
	bot string
}

// Updates returns the record of handled updates of one bot.
func (s *Store) Updates(botID int64) *Updates {
	return &Updates{s: s, bot: strconv.FormatInt(botID, 10)}
}

func (u *Updates) key(id int) string { return u.s.key("update", u.bot, strconv.Itoa(id)) }

// Claim marks update id taken and reports whether it was new. When Redis
// is unavailable every update counts as new.
func (u *Updates) Claim(ctx context.Context, id int) bool {
	var ok bool
	err := u.s.do(ctx, "claim update", func(ctx context.Context) (err error) {
		ok, err = u.s.rdb.SetNX(ctx, u.key(id), 1, updateTTL).Result()
		return err
	})
	return err != nil || ok
}

// Claimed reports whether update id was claimed already.
func (u *Updates) Claimed(ctx context.Context, id int) bool {
	var n int64
	err := u.s.do(ctx, "check update", func(ctx context.Context) (err error) {
		n, err = u.s.rdb.Exists(ctx, u.key(id)).Result()
		return err
	})
	return err == nil && n > 0
}

// Instance describes one process serving the bot.
type Instance struct {
	ID      string    `json:"id"`
	Host    string    `json:"host"`
	Version string    `json:"version"` // corpus version it serves
	Started time.Time `json:"started"`
}

// NewInstance describes this process.
func NewInstance() Instance {
	host, _ := os.Hostname()
	return Instance{ID: randomToken()[:8], Host: host, Started: time.Now()}
}

// instanceTTL is how long an instance is listed after its last heartbeat.
const instanceTTL = 45 * time.Second

// Peers are the processes serving one bot through this Redis: each
// announces the corpus version it serves, and a reload on one makes the
// others reload. Their heartbeats also count them, for the share of
// Telegram's limits each takes while the shared pacer is unreachable.
//
// The list of instances is a sorted set and a key per instance, written
// in one transaction and read with one MGET: all of them share the hash
// tag {peers} (see Store.tagged), so they work on a Cluster.
type Peers struct {
	s    *Store
	mu   sync.Mutex
	self Instance
	live int // processes listed at the last heartbeat or count that reached Redis
}

// Peers returns the peer group this process, self, belongs to.
func (s *Store) Peers(self Instance) *Peers { return &Peers{s: s, self: self} }

func (p *Peers) listKey() string              { return p.s.tagged("peers", "instances") }
func (p *Peers) instanceKey(id string) string { return p.s.tagged("peers", "instance", id) }

// Announce records that this process now serves version and tells the
// others, which reload.
func (p *Peers) Announce(ctx context.Context, version string) {
	p.mu.Lock()
	changed := p.self.Version != "" && p.self.Version != version
	p.self.Version = version
	data, _ := json.Marshal(p.self)
	p.mu.Unlock()
	p.heartbeat(ctx)
	if !changed {
		return
	}
	p.s.do(ctx, "publish reload", func(ctx context.Context) error {
		return p.s.rdb.Publish(ctx, p.s.key("reload"), data).Err()
	})
}

func (p *Peers) heartbeat(ctx context.Context) {
	p.mu.Lock()
	self := p.self
	p.mu.Unlock()
	data, _ := json.Marshal(self)
	now := time.Now()
	p.s.do(ctx, "heartbeat", func(ctx context.Context) error {
		pipe := p.s.rdb.TxPipeline()
		pipe.Set(ctx, p.instanceKey(self.ID), data, instanceTTL)
		pipe.ZAdd(ctx, p.listKey(), redis.Z{Score: float64(now.Unix()), Member: self.ID})
		pipe.ZRemRangeByScore(ctx, p.listKey(), "-inf", strconv.FormatInt(now.Add(-instanceTTL).Unix(), 10))
		n := pipe.ZCard(ctx, p.listKey())
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		p.setLive(int(n.Val()))
		return nil
	})
}

// Count returns how many processes share this Redis and key prefix
// (those whose last heartbeat is recent, 45 s at most), read from Redis
// now. When Redis cannot say, it returns the last count it could, and 1
// before any.
func (p *Peers) Count(ctx context.Context) int {
	since := strconv.FormatInt(time.Now().Add(-instanceTTL).Unix(), 10)
	p.s.do(ctx, "count instances", func(ctx context.Context) error {
		n, err := p.s.rdb.ZCount(ctx, p.listKey(), since, "+inf").Result()
		if err == nil {
			p.setLive(int(n))
		}
		return err
	})
	return p.Last()
}

// Last returns the count of processes as last read (by a heartbeat or
// Count), at least 1, without calling Redis.
func (p *Peers) Last() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(1, p.live)
}

func (p *Peers) setLive(n int) {
	p.mu.Lock()
	p.live = n
	p.mu.Unlock()
}

// Versions returns the corpus version each live process serves, by
// "host/id"; this process is in it even when Redis is down.
func (p *Peers) Versions(ctx context.Context) map[string]string {
	p.mu.Lock()
	out := map[string]string{p.self.Host + "/" + p.self.ID: p.self.Version}
	p.mu.Unlock()
	var vals []any
	p.s.do(ctx, "list instances", func(ctx context.Context) error {
		ids, err := p.s.rdb.ZRange(ctx, p.listKey(), 0, -1).Result()
		if err != nil || len(ids) == 0 {
			return err
		}
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = p.instanceKey(id)
		}
		vals, err = p.s.rdb.MGet(ctx, keys...).Result()
		return err
	})
	for _, v := range vals {
		str, ok := v.(string)
		var in Instance
		if ok && json.Unmarshal([]byte(str), &in) == nil && in.ID != "" {
			out[in.Host+"/"+in.ID] = in.Version
		}
	}
	return out
}

// Watch keeps this process listed and calls reload with the version
// another process announced, until ctx ends. It survives Redis going
// away and coming back. The subscription is a long-lived connection that
// go-redis re-establishes itself, outside the circuit breaker: it waits
// on no answer, so a hung Redis costs it nothing; the heartbeats go
// through the breaker like every other call.
func (p *Peers) Watch(ctx context.Context, reload func(ctx context.Context, version string)) {
	sub := p.s.rdb.Subscribe(ctx, p.s.key("reload"))
	defer sub.Close()
	msgs := sub.Channel()
	tick := time.NewTicker(instanceTTL / 3)
	defer tick.Stop()
	p.heartbeat(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p.heartbeat(ctx)
		case m, ok := <-msgs:
			if !ok {
				return
			}
			var from Instance
			if json.Unmarshal([]byte(m.Payload), &from) != nil || from.ID == p.id() {
				continue
			}
			reload(ctx, from.Version)
		}
	}
}

func (p *Peers) id() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.self.ID
}
