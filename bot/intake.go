package bot

import (
	"sync"
	"time"
)

// Limits of how long polling holds back the acknowledgement of an update
// still being answered that is kept nowhere else (no inbox, or it could
// not be written): past them polling moves on rather than stall, and such
// an update is lost if the process dies before answering it.
const (
	holdFor    = 2 * time.Minute // an answer running longer is given up on
	holdWindow = 50              // updates taken after it; getUpdates returns at most 100
	recentIDs  = 10000           // update ids remembered to drop redeliveries
)

// intake keeps track of the updates taken and those still being handled.
// Polling acknowledges an update once it is answered, or once it is safe
// in the inbox; a crash leaves the others with Telegram to be delivered
// again. Redelivered or retried updates are recognised and dropped.
type intake struct {
	mu      sync.Mutex
	next    int              // one past the highest update id taken
	running map[int]*running // taken and not finished
	seen    map[int]bool
	order   []int // seen ids, oldest first, to forget the oldest
	changed chan struct{}
}

// running is an update being handled.
type running struct {
	at   time.Time // when taken
	kept bool      // in the inbox: acknowledging it loses nothing
}

func newIntake() *intake {
	return &intake{running: map[int]*running{}, seen: map[int]bool{}, changed: make(chan struct{}, 1)}
}

// take reports whether update id is new, and marks it taken.
func (in *intake) take(id int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seen[id] {
		return false
	}
	in.seen[id] = true
	in.order = append(in.order, id)
	if len(in.order) > recentIDs {
		delete(in.seen, in.order[0])
		in.order = in.order[1:]
	}
	in.running[id] = &running{at: time.Now()}
	in.next = max(in.next, id+1)
	return true
}

// keep notes that update id is safe in the inbox.
func (in *intake) keep(id int) {
	in.mu.Lock()
	if r := in.running[id]; r != nil {
		r.kept = true
	}
	in.mu.Unlock()
}

// unseen returns the updates of batch not taken before.
func (in *intake) unseen(batch []incoming) []incoming {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []incoming
	for _, x := range batch {
		if !in.seen[x.u.UpdateID] {
			out = append(out, x)
		}
	}
	return out
}

// busy reports whether update id is taken and not finished.
func (in *intake) busy(id int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.running[id] != nil
}

// done marks update id finished.
func (in *intake) done(id int) {
	in.mu.Lock()
	delete(in.running, id)
	in.mu.Unlock()
	in.signal()
}

// abandon notes that update id was cut off unanswered: it stays running,
// so that it is not acknowledged unless the inbox keeps it.
func (in *intake) abandon(int) { in.signal() }

func (in *intake) signal() {
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

// offset returns the getUpdates offset: the oldest update still being
// handled that is kept nowhere else, unless holding it back would stall
// intake (it runs too long, or too many later updates came since), else
// one past the newest taken.
func (in *intake) offset(now time.Time) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	off := in.next
	for id, r := range in.running {
		if id < off && !r.kept && now.Sub(r.at) < holdFor && in.next-id <= holdWindow {
			off = id
		}
	}
	return off
}

// final returns the offset to acknowledge at shutdown: as offset, but
// never past an update cut off unanswered that no inbox keeps, however
// long it ran.
func (in *intake) final() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	off := in.next
	for id, r := range in.running {
		if id < off && !r.kept {
			off = id
		}
	}
	return off
}
