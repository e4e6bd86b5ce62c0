package bot

import (
	"sync"
	"time"
)

// dispatcher runs jobs on a bounded number of workers, one at a time and
// in order within each chat, so one slow chat never holds up the others.
type dispatcher struct {
	sem chan struct{}
	wg  sync.WaitGroup

	mu     sync.Mutex
	queues map[int64][]func()
}

func newDispatcher(workers int) *dispatcher {
	return &dispatcher{sem: make(chan struct{}, workers), queues: map[int64][]func(){}}
}

// submit queues job behind the chat's earlier jobs.
func (d *dispatcher) submit(chat int64, job func()) {
	d.mu.Lock()
	if q, busy := d.queues[chat]; busy {
		d.queues[chat] = append(q, job)
		d.mu.Unlock()
		return
	}
	d.queues[chat] = []func(){}
	d.mu.Unlock()
	d.wg.Add(1)
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
				job = nil
			}
			d.mu.Unlock()
		}
	}()
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
