package redisstore

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

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
type Memory struct {
	s     *Store
	turns int
	idle  time.Duration
	local LocalMemory
}

// Memory returns a conversation memory of turns turns per chat, expiring
// after idle, falling back on local.
func (s *Store) Memory(turns int, idle time.Duration, local LocalMemory) *Memory {
	return &Memory{s: s, turns: turns, idle: idle, local: local}
}

func (m *Memory) key(chatID int64) string { return m.s.key("chat", strconv.FormatInt(chatID, 10)) }

// History returns the chat's remembered turns, oldest first.
func (m *Memory) History(ctx context.Context, chatID int64) []answer.Turn {
	var vals []string
	err := m.s.do(ctx, "memory read", func(ctx context.Context) (err error) {
		vals, err = m.s.rdb.LRange(ctx, m.key(chatID), 0, -1).Result()
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
	data, _ := json.Marshal(t)
	k := m.key(chatID)
	m.s.do(ctx, "memory append", func(ctx context.Context) error {
		pipe := m.s.rdb.TxPipeline()
		pipe.RPush(ctx, k, data)
		pipe.LTrim(ctx, k, int64(-m.turns), -1)
		pipe.PExpire(ctx, k, m.idle)
		_, err := pipe.Exec(ctx)
		return err
	})
}

// Reset forgets the chat's turns.
func (m *Memory) Reset(ctx context.Context, chatID int64) {
	m.local.Reset(ctx, chatID)
	m.s.do(ctx, "memory reset", func(ctx context.Context) error {
		return m.s.rdb.Del(ctx, m.key(chatID)).Err()
	})
}
