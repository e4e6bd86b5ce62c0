package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultChatLease is how long a process's hold on a chat outlives its
// last renewal: a chat whose holder died is taken over within it.
const DefaultChatLease = 5 * time.Second

// Chats orders the updates of each chat across the processes serving a
// bot, whichever process received them (webhook behind a load balancer,
// or the polling relay): each update is queued in its chat's sorted set,
// by update id, and the one process holding the chat's lease answers
// them, oldest first, one at a time. A process that queues an update
// while another holds the chat leaves it to that one. The lease is
// released only by the script that finds the queue empty, so an update
// queued meanwhile is never left behind; a holder that dies leaves its
// chats to be adopted once their leases expire.
//
// Every key holds the hash tag {chats:<bot id>}, so the scripts run on
// Redis Cluster.
type Chats struct {
	s   *Store
	bot string
	me  string
	ttl time.Duration
}

// Chats returns the per-chat queues of bot botID, for the process named
// me. A zero lease takes DefaultChatLease.
func (s *Store) Chats(botID int64, me string, lease time.Duration) *Chats {
	if lease <= 0 {
		lease = DefaultChatLease
	}
	return &Chats{s: s, bot: strconv.FormatInt(botID, 10), me: me, ttl: lease}
}

// The keys of all of a bot's chats share the hash tag {chats:<bot id>}
// (Store.tagged), since a push touches the chat's queue and hold and the
// set of busy chats at once: on a Cluster they live on one node.
func (c *Chats) queueKey(chat int64) string {
	return c.s.tagged("chats:"+c.bot, strconv.FormatInt(chat, 10), "queue")
}

func (c *Chats) leaseKey(chat int64) string {
	return c.s.tagged("chats:"+c.bot, strconv.FormatInt(chat, 10), "holder")
}

// toldKey marks a chat told its queue is full, until the queue empties.
func (c *Chats) toldKey(chat int64) string {
	return c.s.tagged("chats:"+c.bot, strconv.FormatInt(chat, 10), "told")
}

// activeKey is the set of chats with queued updates, for adoption.
func (c *Chats) activeKey() string { return c.s.tagged("chats:"+c.bot, "busy") }

// pushScript queues an update unless the chat's queue is full (-1 the
// first time since it was last empty, -2 after), and takes the chat's
// lease if it is free: 1 taken, 0 held already.
var pushScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[2]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then
  if redis.call('SET', KEYS[4], 1, 'NX', 'PX', 3600000) then return -1 end
  return -2
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[6])
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return 1 end
return 0`)

// Push queues update id of chat, as raw, and reports whether this
// process took the chat and must answer its queue (Next, Done). full
// means the chat already has max updates waiting and this one was
// dropped; notify, that it is the first dropped since the queue was last
// empty, for the chat to be told once.
func (c *Chats) Push(ctx context.Context, chat int64, id int, raw []byte, max int) (hold, full, notify bool, err error) {
	var n int64
	err = c.s.do(ctx, "queue update for its chat", func(ctx context.Context) (err error) {
		n, err = pushScript.Run(ctx, c.s.rdb, []string{c.queueKey(chat), c.leaseKey(chat), c.activeKey(), c.toldKey(chat)},
			id, raw, c.me, c.ttl.Milliseconds(), max, chat).Int64()
		return err
	})
	return n == 1, n < 0, n == -1, err
}

// nextScript returns the oldest queued update of a chat held by this
// process; with none, it releases the chat and returns nothing. -1: the
// chat is no longer this process's.
var nextScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then
  redis.call('DEL', KEYS[2], KEYS[4])
  redis.call('SREM', KEYS[3], ARGV[3])
  return false
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {first[2], first[1]}`)

// ErrChatLost means this process no longer holds the chat: its lease
// expired (Redis was slow, or the process stalled) and another process
// may have taken it.
var ErrChatLost = errors.New("chat's lease lost")

// Next returns the oldest update queued for chat, which this process
// holds, renewing the hold; ok is false once the queue is empty, and
// the chat released. The update stays queued until Done.
func (c *Chats) Next(ctx context.Context, chat int64) (id int, raw []byte, ok bool, err error) {
	var res any
	err = c.s.do(ctx, "next update of chat", func(ctx context.Context) (err error) {
		res, err = nextScript.Run(ctx, c.s.rdb, []string{c.queueKey(chat), c.leaseKey(chat), c.activeKey(), c.toldKey(chat)},
			c.me, c.ttl.Milliseconds(), chat).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	})
	switch v := res.(type) {
	case int64:
		return 0, nil, false, ErrChatLost
	case []any:
		if len(v) == 2 {
			s, _ := v[0].(string)
			raw, _ := v[1].(string)
			id, _ = strconv.Atoi(s)
			return id, []byte(raw), true, nil
		}
	}
	return 0, nil, false, err
}

// Done removes update id, answered, from chat's queue.
func (c *Chats) Done(ctx context.Context, chat int64, id int) error {
	return c.s.do(ctx, "remove answered update", func(ctx context.Context) error {
		s := strconv.Itoa(id)
		return c.s.rdb.ZRemRangeByScore(ctx, c.queueKey(chat), s, s).Err()
	})
}

// holdScript extends this process's hold on a chat.
var holdScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// Renew keeps this process's hold on chat while it answers; false means
// it was lost.
func (c *Chats) Renew(ctx context.Context, chat int64) (bool, error) {
	var n int64
	err := c.s.do(ctx, "renew chat's lease", func(ctx context.Context) (err error) {
		n, err = holdScript.Run(ctx, c.s.rdb, []string{c.leaseKey(chat)}, c.me, c.ttl.Milliseconds()).Int64()
		return err
	})
	return n == 1, err
}

// Release gives up this process's hold on chat, leaving what is queued
// for whoever adopts it (a process stopping mid-queue).
func (c *Chats) Release(ctx context.Context, chat int64) {
	c.s.do(ctx, "release chat", func(ctx context.Context) error {
		return resignScript.Run(ctx, c.s.rdb, []string{c.leaseKey(chat)}, c.me).Err()
	})
}

// Adopt takes up to max chats that have updates queued and no holder
// (theirs died, or stopped), and returns them: this process answers
// their queues now.
func (c *Chats) Adopt(ctx context.Context, max int) ([]int64, error) {
	var members []string
	err := c.s.do(ctx, "list chats with queued updates", func(ctx context.Context) (err error) {
		members, err = c.s.rdb.SRandMemberN(ctx, c.activeKey(), int64(max)).Result()
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, m := range members {
		chat, perr := strconv.ParseInt(m, 10, 64)
		if perr != nil {
			continue
		}
		var took bool
		err = c.s.do(ctx, "adopt chat", func(ctx context.Context) (err error) {
			took, err = c.s.rdb.SetNX(ctx, c.leaseKey(chat), c.me, c.ttl).Result()
			return err
		})
		if err != nil {
			return out, err
		}
		if took {
			out = append(out, chat)
		}
	}
	return out, nil
}
