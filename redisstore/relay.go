package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of a Relay.
const (
	// DefaultLeaseTTL is how long the polling lease outlives its holder's
	// last renewal: another process takes over within it (plus one try).
	DefaultLeaseTTL = 3 * time.Second
	// DefaultClaimIdle is how long an update handed to a process may wait
	// unacknowledged before another process claims it: its holder died.
	// A live holder acknowledges within milliseconds (once the update is
	// queued for its chat), so this only needs to outlast a stall.
	DefaultClaimIdle = 10 * time.Second
	// streamMax bounds the stream; trimming is approximate. Thousands of
	// updates beyond the unanswered ones are far more than can wait.
	streamMax = 10000
	group     = "answerers"
	// Consumers (one per process start) with nothing pending that have
	// not read for consumerIdle are removed from the group, looked for
	// every pruneEvery.
	consumerIdle = time.Hour
	pruneEvery   = 10 * time.Minute
)

// Relay lets several processes poll one bot token: one holds a lease
// and polls Telegram, publishing the updates to a Redis stream, and
// every process (the poller too) reads them through one consumer group,
// so that each update goes to one of them, and one that a process took
// and died with is claimed by another (XAUTOCLAIM).
//
// Every key holds the hash tag {poll:<bot id>}, so the scripts run on
// Redis Cluster.
type Relay struct {
	s         *Store
	bot       string
	me        string // this process, as lease holder and consumer
	ttl       time.Duration
	claimIdle time.Duration
	grouped   atomic.Bool  // the consumer group is known to exist
	claimed   atomic.Int64 // when abandoned updates were last looked for, Unix ns
	pruned    atomic.Int64 // when gone consumers were last removed, Unix ns
}

// Relay returns the relay of bot botID, for the process named me.
// Zero durations take the defaults.
func (s *Store) Relay(botID int64, me string, leaseTTL, claimIdle time.Duration) *Relay {
	if leaseTTL <= 0 {
		leaseTTL = DefaultLeaseTTL
	}
	if claimIdle <= 0 {
		claimIdle = DefaultClaimIdle
	}
	return &Relay{s: s, bot: strconv.FormatInt(botID, 10), me: me, ttl: leaseTTL, claimIdle: claimIdle}
}

// The relay's keys share the hash tag {poll:<bot id>} (Store.tagged).
func (r *Relay) leaseKey() string  { return r.s.tagged("poll:"+r.bot, "leader") }
func (r *Relay) streamKey() string { return r.s.tagged("poll:"+r.bot, "updates") }
func (r *Relay) highKey() string   { return r.s.tagged("poll:"+r.bot, "published") }

// leadScript takes the lease if it is free and renews it if this
// process holds it: 1 taken, 2 renewed, 0 held by another.
var leadScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 2
end
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// resignScript frees the lease if this process holds it.
var resignScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lead takes the polling lease, or renews it if this process holds it,
// and reports whether it holds it now. An error means Redis could not
// say. While the circuit breaker is open, Lead is its probe (it is
// called every second or so): the processes learn that Redis is back
// within a second, not after the breaker's cool-down, so that an old
// poller and a new one overlap as little as possible.
func (r *Relay) Lead(ctx context.Context) (bool, error) {
	var n int64
	err := r.s.run(ctx, "take polling lease", true, func(ctx context.Context) (err error) {
		n, err = leadScript.Run(ctx, r.s.rdb, []string{r.leaseKey()}, r.me, r.ttl.Milliseconds()).Int64()
		return err
	})
	return n > 0, err
}

// Resign gives the lease up, if this process holds it, so another
// process takes over at once rather than when it expires.
func (r *Relay) Resign(ctx context.Context) {
	r.s.do(ctx, "give up polling lease", func(ctx context.Context) error {
		return resignScript.Run(ctx, r.s.rdb, []string{r.leaseKey()}, r.me).Err()
	})
}

// publishScript adds the updates newer than the highest published to
// the stream, in order, and returns the highest published since. So a
// new poller, which Telegram hands again what the old one fetched and
// did not acknowledge, publishes none of it twice.
var publishScript = redis.NewScript(`
local high = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 2, #ARGV, 2 do
  local id = tonumber(ARGV[i])
  if id > high then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'id', ARGV[i], 'raw', ARGV[i+1])
    high = id
  end
end
redis.call('SET', KEYS[2], high)
return high`)

// Publish adds updates, oldest first, to the stream the processes read,
// leaving out those published before, and returns the highest update id
// published: the poller acknowledges up to it.
func (r *Relay) Publish(ctx context.Context, ids []int, raws [][]byte) (int, error) {
	args := make([]any, 0, 1+2*len(ids))
	args = append(args, streamMax)
	for i, id := range ids {
		args = append(args, id, raws[i])
	}
	var high int64
	err := r.s.do(ctx, "publish updates", func(ctx context.Context) (err error) {
		high, err = publishScript.Run(ctx, r.s.rdb, []string{r.streamKey(), r.highKey()}, args...).Int64()
		return err
	})
	return int(high), err
}

// Published returns the highest update id published, 0 if none: a new
// poller starts acknowledging from there.
func (r *Relay) Published(ctx context.Context) (int, error) {
	var n int
	err := r.s.do(ctx, "read published", func(ctx context.Context) (err error) {
		n, err = r.s.rdb.Get(ctx, r.highKey()).Int()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	})
	return n, err
}

// Read calls each with up to count updates for this process: first
// any that a dead process took and never acknowledged (looked for at
// most every quarter of the claim idle time), else new ones. It does
// not wait for updates (a blocking read would outlast the store's
// timeout): the caller polls. ref is what Ack takes.
func (r *Relay) Read(ctx context.Context, count int, each func(id int, raw []byte, ref string)) error {
	if err := r.ensureGroup(ctx); err != nil {
		return err
	}
	var msgs []redis.XMessage
	if now := time.Now(); now.Sub(r.lastClaim()) >= r.claimIdle/4 {
		err := r.s.do(ctx, "claim abandoned updates", func(ctx context.Context) (err error) {
			msgs, _, err = r.s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: r.streamKey(), Group: group, Consumer: r.me, MinIdle: r.claimIdle, Start: "0-0", Count: int64(count),
			}).Result()
			return err
		})
		if err != nil {
			return r.lostGroup(err)
		}
		r.claimed.Store(now.UnixNano())
		if now.Sub(time.Unix(0, r.pruned.Load())) >= pruneEvery {
			r.pruned.Store(now.UnixNano())
			r.prune(ctx)
		}
	}
	if len(msgs) == 0 {
		err := r.s.do(ctx, "read updates", func(ctx context.Context) error {
			res, err := r.s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: group, Consumer: r.me, Streams: []string{r.streamKey(), ">"}, Count: int64(count), Block: -1,
			}).Result()
			if errors.Is(err, redis.Nil) {
				return nil
			}
			for _, st := range res {
				msgs = append(msgs, st.Messages...)
			}
			return err
		})
		if err != nil {
			return r.lostGroup(err)
		}
	}
	for _, m := range msgs {
		id, _ := strconv.Atoi(fmt.Sprint(m.Values["id"]))
		raw, _ := m.Values["raw"].(string)
		if raw == "" {
			// Trimmed away before anyone answered it: nothing to answer.
			r.Ack(ctx, m.ID)
			continue
		}
		each(id, []byte(raw), m.ID)
	}
	return nil
}

// prune removes from the group the consumers of processes gone long
// ago, which have nothing pending: each start of a process adds one.
func (r *Relay) prune(ctx context.Context) {
	var gone []string
	r.s.do(ctx, "list consumers", func(ctx context.Context) error {
		cs, err := r.s.rdb.XInfoConsumers(ctx, r.streamKey(), group).Result()
		for _, c := range cs {
			if c.Pending == 0 && c.Idle > consumerIdle && c.Name != r.me {
				gone = append(gone, c.Name)
			}
		}
		return err
	})
	for _, name := range gone {
		r.s.do(ctx, "remove gone consumer", func(ctx context.Context) error {
			return r.s.rdb.XGroupDelConsumer(ctx, r.streamKey(), group, name).Err()
		})
	}
}

func (r *Relay) lastClaim() time.Time { return time.Unix(0, r.claimed.Load()) }

// lostGroup notes an error saying the consumer group is gone (Redis
// restarted empty), so that it is made again, and returns err.
func (r *Relay) lostGroup(err error) error {
	if strings.Contains(err.Error(), "NOGROUP") {
		r.grouped.Store(false)
	}
	return err
}

// ensureGroup creates the consumer group (and the stream) if missing,
// reading from the stream's start, so that nothing published before it
// existed is missed.
func (r *Relay) ensureGroup(ctx context.Context) error {
	if r.grouped.Load() {
		return nil
	}
	err := r.s.do(ctx, "create consumer group", func(ctx context.Context) error {
		err := r.s.rdb.XGroupCreateMkStream(ctx, r.streamKey(), group, "0").Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return nil
		}
		return err
	})
	if err == nil {
		r.grouped.Store(true)
	}
	return err
}

// Ack acknowledges a delivered update: no other process will claim it.
func (r *Relay) Ack(ctx context.Context, ref string) error {
	return r.s.do(ctx, "acknowledge update", func(ctx context.Context) error {
		pipe := r.s.rdb.TxPipeline()
		pipe.XAck(ctx, r.streamKey(), group, ref)
		pipe.XDel(ctx, r.streamKey(), ref)
		_, err := pipe.Exec(ctx)
		return err
	})
}
