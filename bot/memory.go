package bot

import (
	"context"
	"sync"
	"time"

	"github.com/talkbot/talkbot/answer"
)

// Memory keeps the recent turns of each chat, for follow-up questions.
type Memory interface {
	History(ctx context.Context, chatID int64) []answer.Turn
	Append(ctx context.Context, chatID int64, t answer.Turn)
	Reset(ctx context.Context, chatID int64)
}

// LocalMemory is a Memory in this process: the last Turns turns of each
// chat, forgotten after Idle without a question.
type LocalMemory struct {
	Turns int
	Idle  time.Duration
	now   func() time.Time

	mu    sync.Mutex
	chats map[int64]*conversation
}

type conversation struct {
	turns []answer.Turn
	last  time.Time
}

// NewLocalMemory returns a memory of turns turns per chat, expiring after idle.
func NewLocalMemory(turns int, idle time.Duration) *LocalMemory {
	return &LocalMemory{Turns: turns, Idle: idle, now: time.Now, chats: map[int64]*conversation{}}
}

// History returns the chat's remembered turns, oldest first.
func (m *LocalMemory) History(_ context.Context, chatID int64) []answer.Turn {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.chats[chatID]
	if c == nil {
		return nil
	}
	if m.now().Sub(c.last) > m.Idle {
		delete(m.chats, chatID)
		return nil
	}
	return append([]answer.Turn(nil), c.turns...)
}

// Append remembers one more turn of the chat.
func (m *LocalMemory) Append(_ context.Context, chatID int64, t answer.Turn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	c := m.chats[chatID]
	if c == nil || now.Sub(c.last) > m.Idle {
		c = &conversation{}
		m.chats[chatID] = c
	}
	c.turns = append(c.turns, t)
	if len(c.turns) > m.Turns {
		c.turns = c.turns[len(c.turns)-m.Turns:]
	}
	c.last = now
	if len(m.chats) > 10000 {
		m.expire(now)
	}
}

// Reset forgets the chat's turns.
func (m *LocalMemory) Reset(_ context.Context, chatID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.chats, chatID)
}

func (m *LocalMemory) expire(now time.Time) {
	for id, c := range m.chats {
		if now.Sub(c.last) > m.Idle {
			delete(m.chats, id)
		}
	}
}
