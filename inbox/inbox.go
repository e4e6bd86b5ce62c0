// Package inbox keeps, on disk, the Telegram updates a bot has taken but
// not yet answered.
//
// Telegram forgets an update once the bot acknowledges it (the next
// getUpdates offset, or a webhook's 200). Acknowledging only answered
// updates would stall intake behind one slow answer, since getUpdates
// returns at most 100 updates from the oldest unacknowledged; so the bot
// writes each update here first, acknowledges it at once, and marks it
// done once answered. After a crash, even kill -9, the next start answers
// what was left pending, and recognises a redelivered update it already
// took. Writes are appended to one file and synced once a batch; done
// marks are not synced, which a process crash does not lose (the
// operating system keeps them), only a power cut.
package inbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
)

// ErrLocked means another process holds the inbox.
var ErrLocked = errors.New("inbox is used by another process")

// Entry is one update as Telegram sent it.
type Entry struct {
	ID  int             `json:"id"`
	Raw json.RawMessage `json:"raw"`
}

// Limits of the file: the ids remembered to recognise redeliveries, and
// how many records accumulate before the file is rewritten.
const (
	remember   = 10000
	compactAt  = 50000
	recordTake = '+'
	recordDone = '-'
)

// Inbox is the on-disk list of updates taken and not yet done. It is
// safe for concurrent use.
type Inbox struct {
	path string

	mu      sync.Mutex
	f       *os.File
	pending map[int]json.RawMessage
	seen    map[int]bool // taken ids, pending or done, to recognise redeliveries
	order   []int        // seen ids, oldest first
	records int          // lines in the file
}

// Open opens (or creates) the inbox at path, takes an exclusive lock on
// it, and returns it with the updates left pending by an earlier run,
// oldest first. A torn last line, from a crash mid-write, is ignored.
func Open(path string) (*Inbox, []Entry, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("open inbox %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open inbox %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open inbox %s: %w", path, ErrLocked)
	}
	b := &Inbox{path: path, f: f, pending: map[int]json.RawMessage{}, seen: map[int]bool{}}
	if err := b.replay(); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read inbox %s: %w", path, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.compact(); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("rewrite inbox %s: %w", path, err)
	}
	return b, b.pendingLocked(), nil
}

// replay reads the file's records.
func (b *Inbox) replay() error {
	sc := bufio.NewScanner(b.f)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 2 {
			continue
		}
		switch line[0] {
		case recordTake:
			var e Entry
			if json.Unmarshal(line[1:], &e) != nil {
				continue // torn or foreign: skip it
			}
			b.see(e.ID)
			if e.Raw != nil {
				b.pending[e.ID] = append(json.RawMessage(nil), e.Raw...)
			}
		case recordDone:
			id, err := strconv.Atoi(string(bytes.TrimSpace(line[1:])))
			if err != nil {
				continue
			}
			b.see(id)
			delete(b.pending, id)
		}
	}
	return sc.Err()
}

// see remembers id as taken, forgetting the oldest beyond remember.
func (b *Inbox) see(id int) {
	if b.seen[id] {
		return
	}
	b.seen[id] = true
	b.order = append(b.order, id)
	if len(b.order) > remember {
		old := b.order[0]
		b.order = b.order[1:]
		if _, p := b.pending[old]; !p {
			delete(b.seen, old)
		}
	}
}

// Seen reports whether update id was taken before, by this run or an
// earlier one.
func (b *Inbox) Seen(id int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[id]
}

// Take records updates as taken, and returns once they are on disk:
// only then may they be acknowledged to Telegram. Updates seen before are
// left out of the file.
func (b *Inbox) Take(entries []Entry) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var buf bytes.Buffer
	for _, e := range entries {
		if b.seen[e.ID] {
			continue
		}
		line, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("inbox: encode update %d: %w", e.ID, err)
		}
		buf.WriteByte(recordTake)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if buf.Len() == 0 {
		return nil
	}
	if _, err := b.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("inbox: write: %w", err)
	}
	if err := b.f.Sync(); err != nil {
		return fmt.Errorf("inbox: sync: %w", err)
	}
	for _, e := range entries {
		if !b.seen[e.ID] {
			b.see(e.ID)
			b.pending[e.ID] = e.Raw
			b.records++
		}
	}
	return nil
}

// Done marks update id answered, so no later start answers it again.
func (b *Inbox) Done(id int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.pending[id]; !ok {
		return nil
	}
	if _, err := b.f.Write([]byte(string(recordDone) + strconv.Itoa(id) + "\n")); err != nil {
		return fmt.Errorf("inbox: mark update %d done: %w", id, err)
	}
	delete(b.pending, id)
	b.records++
	if b.records >= compactAt {
		return b.compact()
	}
	return nil
}

// Pending returns the updates taken and not done, oldest first.
func (b *Inbox) Pending() []Entry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pendingLocked()
}

func (b *Inbox) pendingLocked() []Entry {
	out := make([]Entry, 0, len(b.pending))
	for id, raw := range b.pending {
		out = append(out, Entry{ID: id, Raw: raw})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// compact rewrites the file with only what is still needed: the pending
// updates and the ids remembered. The new file replaces the old one
// atomically, so a crash leaves one or the other.
func (b *Inbox) compact() error {
	var buf bytes.Buffer
	records := 0
	for _, e := range b.pendingLocked() {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.WriteByte(recordTake)
		buf.Write(line)
		buf.WriteByte('\n')
		records++
	}
	for _, id := range b.order {
		if _, ok := b.pending[id]; !ok {
			buf.WriteString(string(recordDone) + strconv.Itoa(id) + "\n")
			records++
		}
	}
	tmp := b.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return err
	}
	if err := os.Rename(tmp, b.path); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(0, 2); err != nil {
		f.Close()
		return err
	}
	b.f.Close()
	b.f = f
	b.records = records
	return nil
}

// Close closes the file and releases the lock.
func (b *Inbox) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.f.Close()
}
