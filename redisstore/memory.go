package redisstore

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/talkbot/talkbot/answer"
)

// LocalMemory is the in-process memory a Memory falls back on.
type LocalMemory interface {
	History(ctx context.Context, chatID int64) []answer.Turn
	Append(ctx context.Context, chatID int64, t answer.Turn)
	Reset(ctx context.Context, chatID int64)
}

// Memory keeps each chat's last turns in a Redis list, trimmed to the
// last Turns and expiring after Idle without a question, so conversations
// outlive a restart and are shared by every process. Every turn is also
// kept in local, which answers while Redis cannot.
//
// A write that does not reach Redis (down, hung, breaker open) is not
// lost: the chat is recorded as diverged, with what Redis has not been
// told (a reset, and the turns appended since), and the chat's next call
// that reaches Redis, History or a write, writes that first, so a /reset
// made during an outage is not undone when Redis returns and the turns
// appended meanwhile are kept. The write-back merges rather than
// overwrites: turns are appended to what Redis holds (which may include
// turns this process never saw, from before a restart or from another
// process), and only a reset deletes. Between processes the last writer
// wins: a reset written back late deletes turns another process appended
// meanwhile, and turns written back late come after the other's. Another
// process reads the old list until this one writes back, which it does
// lazily, on the chat's next message. At most maxDiverged chats are
// recorded; past that the oldest change is forgotten (logged).
type Memory struct {
	s     *Store
	turns int
	idle  time.Duration
	local LocalMemory
	dirty *diverged
}

// Memory returns a conversation memory of turns turns per chat, expiring
// after idle, falling back on local.
func (s *Store) Memory(turns int, idle time.Duration, local LocalMemory) *Memory {
	return &Memory{s: s, turns: turns, idle: idle, local: local, dirty: newDiverged(maxDiverged, turns, idle, time.Now)}
}

func (m *Memory) key(chatID int64) string { return m.s.key("chat", strconv.FormatInt(chatID, 10)) }

// storedTurn is a turn as kept in Redis. ID tells equal turns apart, so a
// turn written again after a failure is not appended twice (its first
// write may have reached Redis with only the answer lost); readers
// ignore it.
type storedTurn struct {
	answer.Turn
	ID string `json:"id"`
}

// writeBack brings a chat's list up to date: it deletes it on a reset,
// appends the turns it does not hold yet, trims it and sets its expiry,
// and returns it when asked. It is idempotent, so a write that may or may
// not have reached Redis can be made again.
// KEYS[1] the list; ARGV: reset ("1"), turns kept, idle (ms), return the
// list ("1"), then the turns.
var writeBack = redis.NewScript(`
if ARGV[1] == "1" then redis.call("DEL", KEYS[1]) end
if #ARGV >= 5 then
  for i = 5, #ARGV do
    if not redis.call("LPOS", KEYS[1], ARGV[i]) then redis.call("RPUSH", KEYS[1], ARGV[i]) end
  end
  redis.call("LTRIM", KEYS[1], -tonumber(ARGV[2]), -1)
  redis.call("PEXPIRE", KEYS[1], ARGV[3])
end
if ARGV[4] == "1" then return redis.call("LRANGE", KEYS[1], 0, -1) end
return 0`)

// write sends p, what Redis has not been told of the chat, and clears it
// once Redis has it; read also returns the list.
func (m *Memory) write(ctx context.Context, chatID int64, p pending, read bool) ([]string, error) {
	args := make([]any, 0, 4+len(p.turns))
	args = append(args, flag(p.reset), m.turns, m.idle.Milliseconds(), flag(read))
	for _, t := range p.turns {
		args = append(args, t)
	}
	res, err := writeBack.Run(ctx, m.s.rdb, []string{m.key(chatID)}, args...).Result()
	if err != nil {
		return nil, err
	}
	m.dirty.written(chatID, p)
	if !read {
		return nil, nil
	}
	vals, _ := res.([]any)
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// History returns the chat's remembered turns, oldest first, writing
// back first what Redis has not been told of the chat.
func (m *Memory) History(ctx context.Context, chatID int64) []answer.Turn {
	var vals []string
	p, behind := m.dirty.get(chatID)
	err := m.s.do(ctx, "memory read", func(ctx context.Context) (err error) {
		if behind {
			vals, err = m.write(ctx, chatID, p, true)
		} else {
			vals, err = m.s.rdb.LRange(ctx, m.key(chatID), 0, -1).Result()
		}
		return err
	})
	if err != nil {
		return m.local.History(ctx, chatID)
	}
	turns := make([]answer.Turn, 0, len(vals))
	for _, v := range vals {
		var t answer.Turn
		if json.Unmarshal([]byte(v), &t) != nil || t.Question == "" {
			continue // not ours: skip it
		}
		turns = append(turns, t)
	}
	return turns
}

// Append remembers one more turn of the chat.
func (m *Memory) Append(ctx context.Context, chatID int64, t answer.Turn) {
	m.local.Append(ctx, chatID, t)
	data, _ := json.Marshal(storedTurn{Turn: t, ID: randomToken()})
	m.send(ctx, "memory append", chatID, m.dirty.appendTurn(chatID, data))
}

// Reset forgets the chat's turns.
func (m *Memory) Reset(ctx context.Context, chatID int64) {
	m.local.Reset(ctx, chatID)
	m.send(ctx, "memory reset", chatID, m.dirty.reset(chatID))
}

// send writes p; when that fails, the chat stays diverged for its next
// call to write back.
func (m *Memory) send(ctx context.Context, op string, chatID int64, p pending) {
	m.s.do(ctx, op, func(ctx context.Context) error {
		_, err := m.write(ctx, chatID, p, false)
		return err
	})
	if n := m.dirty.evictions(m.s.every); n > 0 {
		m.s.log.Warn("too many chats' memory waiting to be written back to redis; the oldest are forgotten and their redis memory stays as it was",
			"forgotten_chats", n, "limit", maxDiverged)
	}
}
