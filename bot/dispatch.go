package bot

import (
	"sync"
	"time"
)

// DefaultChatQueue is how many messages of one chat may wait behind the
// one being answered: as many as one user may ask in a minute by default.
const DefaultChatQueue = DefaultQuestionsPerMinute

// dispatcher runs jobs on a bounded number of workers, one at a time and
// in order within each chat, so one slow chat never holds up the others.
// Each chat's queue is bounded: a chat flooding faster than it can be
// answered has the excess dropped, not kept in memory.
type dispatcher struct {
	sem      chan struct{}
	maxQueue int
	wg       sync.WaitGroup

	mu       sync.Mutex
	queues   map[int64][]func()
	overflow map[int64]bool // chats told their queue overflowed, until it empties
}

func newDispatcher(workers, maxQueue int) *dispatcher {
	return &dispatcher{sem: make(chan struct{}, workers), maxQueue: maxQueue, queues: map[int64][]func(){}, overflow: map[int64]bool{}}
}

// submit queues job behind the chat's earlier jobs. It reports false when
// the chat's queue is full and job was dropped, with notify true the first
// time this happens since the queue was last empty.
func (d *dispatcher) submit(chat int64, job func()) (queued, notify bool) {
	d.mu.Lock()
	if q, busy := d.queues[chat]; busy {
		if len(q) >= d.maxQueue {
			notify = !d.overflow[chat]
			d.overflow[chat] = true
			d.mu.Unlock()
			return false, notify
		}
		d.queues[chat] = append(q, job)
		d.mu.Unlock()
		return true, false
	}
	d.queues[chat] = []func(){}
	d.wg.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.wg.Done()
		for job != nil {
			d.sem <- struct{}{}
			job()
			<-d.sem
			d.mu.Lock()
			if q := d.queues[chat]; len(q) > 0 {
				job, d.queues[chat] = q[0], q[1:]
			} else {
				delete(d.queues, chat)
				delete(d.overflow, chat)
				job = nil
			}
			d.mu.Unlock()
		}
	}()
	return true, false
}

// wait waits up to timeout for every job, and reports whether all ended.
func (d *dispatcher) wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
