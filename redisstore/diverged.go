package redisstore

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// maxDiverged bounds the chats whose Redis list a Memory still has to
// bring up to date; past it the chat changed longest ago is forgotten,
// and its Redis list stays as it was.
const maxDiverged = 10_000

// pending is what Redis has not yet been told of one chat's memory: a
// reset, and the turns appended since (encoded, the last few only).
type pending struct {
	reset bool
	turns [][]byte
	gen   uint64    // changes with every change of the entry
	at    time.Time // of the last change
}

// diverged records the chats whose memory changed in this process but
// not yet in Redis. Each write is recorded before it is sent, and cleared
// once Redis has it, so a write that fails (Redis down, breaker open) is
// sent again, with whatever followed it, by the chat's next call that
// reaches Redis.
type diverged struct {
	keep int           // turns kept per chat
	idle time.Duration // after which a chat's Redis list has expired anyway
	now  func() time.Time

	mu       sync.Mutex
	gen      uint64
	chats    *simplelru.LRU[int64, *pending]
	evicted  int // chats forgotten for room, since the last report
	reported time.Time
}

func newDiverged(size, keep int, idle time.Duration, now func() time.Time) *diverged {
	d := &diverged{keep: keep, idle: idle, now: now}
	d.chats, _ = simplelru.NewLRU[int64, *pending](size, nil) // size > 0: no error
	return d
}

// appendTurn records a turn appended to the chat and returns what is to
// be written.
func (d *diverged) appendTurn(chatID int64, turn []byte) pending {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.entry(chatID)
	p.turns = append(p.turns, turn)
	if len(p.turns) > d.keep {
		p.turns = append([][]byte(nil), p.turns[len(p.turns)-d.keep:]...)
	}
	return d.changed(chatID, p)
}

// reset records that the chat was reset and returns what is to be
// written.
func (d *diverged) reset(chatID int64) pending {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.entry(chatID)
	p.reset, p.turns = true, nil
	return d.changed(chatID, p)
}

// get returns what Redis has not been told of the chat, if anything.
// Changes older than idle are dropped: the Redis list they were for has
// expired since.
func (d *diverged) get(chatID int64) (pending, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.chats.Peek(chatID)
	if !ok {
		return pending{}, false
	}
	if d.now().Sub(p.at) > d.idle {
		d.chats.Remove(chatID)
		return pending{}, false
	}
	return snapshot(p), true
}

// written clears the chat once Redis has p, unless it changed meanwhile:
// then the next call writes it again (writing is idempotent).
func (d *diverged) written(chatID int64, p pending) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur, ok := d.chats.Peek(chatID); ok && cur.gen == p.gen {
		d.chats.Remove(chatID)
	}
}

// evictions returns how many chats were forgotten for room since it last
// returned more than zero, at most once per interval, for logging.
func (d *diverged) evictions(every time.Duration) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if d.evicted == 0 || now.Sub(d.reported) < every {
		return 0
	}
	n := d.evicted
	d.evicted, d.reported = 0, now
	return n
}

// len returns the number of chats recorded.
func (d *diverged) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.chats.Len()
}

func (d *diverged) entry(chatID int64) *pending {
	p, ok := d.chats.Peek(chatID)
	if !ok || d.now().Sub(p.at) > d.idle {
		p = &pending{}
	}
	return p
}

func (d *diverged) changed(chatID int64, p *pending) pending {
	d.gen++
	p.gen, p.at = d.gen, d.now()
	if d.chats.Add(chatID, p) { // newest last: the oldest change is evicted first
		d.evicted++
	}
	return snapshot(p)
}

func snapshot(p *pending) pending {
	s := *p
	s.turns = append([][]byte(nil), p.turns...)
	return s
}
