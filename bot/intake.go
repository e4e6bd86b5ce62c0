package bot

import (
	"sync"
	"time"
)

// Limits of how long polling holds back the acknowledgement of an update
// still being answered.
const (
	holdFor    = 2 * time.Minute // an answer running longer is given up on
	holdWindow = 50              // updates taken after it; getUpdates returns at most 100
	recentIDs  = 10000           // update ids remembered to drop redeliveries
)

// intake keeps track of the updates taken and those still being handled.
// Polling acknowledges only what is finished, so a crash leaves unfinished
// updates with Telegram to be delivered again; redelivered or retried
// updates are recognised and dropped.
type intake struct {
	mu      sync.Mutex
	next    int               // one past the highest update id taken
	running map[int]time.Time // taken and not finished, with when taken
	seen    map[int]bool
	order   []int // seen ids, oldest first, to forget the oldest
	changed chan struct{}
}

func newIntake() *intake {
	return &intake{running: map[int]time.Time{}, seen: map[int]bool{}, changed: make(chan struct{}, 1)}
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
	in.running[id] = time.Now()
	in.next = max(in.next, id+1)
	return true
}

// done marks update id finished.
func (in *intake) done(id int) {
	in.mu.Lock()
	delete(in.running, id)
	in.mu.Unlock()
	select {
	case in.changed <- struct{}{}:
	default:
	}
}

// offset returns the getUpdates offset: the oldest update still being
// handled, unless holding it back would stall intake (it runs too long,
// or too many later updates came since), else one past the newest taken.
func (in *intake) offset(now time.Time) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	off := in.next
	for id, at := range in.running {
		if id < off && now.Sub(at) < holdFor && in.next-id <= holdWindow {
			off = id
		}
	}
	return off
}
