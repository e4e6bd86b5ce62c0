package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Relay lets several processes serve one token in polling mode, where
// Telegram allows one getUpdates consumer at a time (package redisstore's
// Relay): the process holding a lease polls and publishes what it gets;
// every process reads its share of what was published.
type Relay interface {
	// Lead takes the polling lease or renews it, and reports whether
	// this process holds it; an error means Redis could not say.
	Lead(ctx context.Context) (bool, error)
	// Resign gives the lease up, for another process to take at once.
	Resign(ctx context.Context)
	// Published returns the highest update id published: a new poller
	// acknowledges up to it.
	Published(ctx context.Context) (int, error)
	// Publish hands updates, oldest first, to the processes, leaving out
	// those published before; it returns the highest id published.
	Publish(ctx context.Context, ids []int, raws [][]byte) (int, error)
	// Read calls each with up to count updates handed to this process
	// (with ref, what Ack takes), or abandoned by a dead one.
	Read(ctx context.Context, count int, each func(id int, raw []byte, ref string)) error
	// Ack marks a handed update done: no other process will claim it.
	Ack(ctx context.Context, ref string) error
}

// ChatOrder keeps the updates of each chat in order across processes
// (package redisstore's Chats): an update is queued for its chat, and
// the one process holding the chat answers its queue, oldest first.
type ChatOrder interface {
	// Push queues an update of chat; hold reports that this process took
	// the chat and must answer its queue, full that the queue already has
	// max updates and this one was dropped, notify that it is the first
	// dropped since the queue was last empty.
	Push(ctx context.Context, chat int64, id int, raw []byte, max int) (hold, full, notify bool, err error)
	// Next returns the chat's oldest queued update, renewing the hold;
	// ok false means none was left, and the chat was released.
	Next(ctx context.Context, chat int64) (id int, raw []byte, ok bool, err error)
	// Done removes an answered update from the chat's queue.
	Done(ctx context.Context, chat int64, id int) error
	// Renew keeps the hold on chat while one of its updates is answered.
	Renew(ctx context.Context, chat int64) (bool, error)
	// Release gives up the hold on chat, leaving its queue to another.
	Release(ctx context.Context, chat int64)
	// Adopt takes up to max chats with queued updates and no holder.
	Adopt(ctx context.Context, max int) ([]int64, error)
}

// Timing of the work shared between processes. The lease and hold
// durations themselves are the store's (redisstore.DefaultLeaseTTL, 3 s,
// and DefaultChatLease, 5 s): these tries come well within them.
const (
	leadEvery      = time.Second            // the poller renews its lease; the others try to take it
	chatRenewEvery = time.Second            // a process renews its hold on a chat it answers
	adoptEvery     = time.Second            // how often chats left by a dead process are looked for
	adoptAtOnce    = 50                     // chats adopted in one look
	readAtOnce     = 10                     // updates read from the relay at once: shared out among processes
	readIdle       = 100 * time.Millisecond // wait between reads that found nothing
	conflictWait   = time.Second            // first wait after a 409 Conflict, doubled each time
	conflictCap    = 30 * time.Second       // longest wait after a 409
)

// leadership tracks whether this process polls: it holds the relay's
// lease, or, while Redis cannot say, it was the poller when Redis was
// last reached (or never reached it: then it polls alone, as a process
// without Redis does). Standbys never poll while Redis is unreachable:
// they cannot know whether the poller lives, and polling beside it would
// take its updates (409) and answer some twice.
type leadership struct {
	relay Relay
	log   *slog.Logger

	mu        sync.Mutex
	leading   bool
	confirmed bool // the last try reached Redis
	gen       int  // counts terms, so the poller knows one began
	term      context.Context
	end       context.CancelFunc
	changed   chan struct{}
}

func newLeadership(relay Relay, log *slog.Logger) *leadership {
	return &leadership{relay: relay, log: log, changed: make(chan struct{}, 1)}
}

// run renews or tries to take the lease every leadEvery until ctx ends.
func (l *leadership) run(ctx context.Context) {
	t := time.NewTicker(leadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.try(ctx)
		}
	}
}

// try asks Redis once who polls, and starts or ends this process's term.
func (l *leadership) try(ctx context.Context) {
	held, err := l.relay.Lead(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if l.confirmed || l.gen == 0 {
			what := "standing by"
			if l.leading || l.gen == 0 {
				what = "polling on, as the last known poller"
			}
			l.log.Warn("polling lease: redis unreachable; "+what, "err", err)
		}
		l.confirmed = false
		if l.gen == 0 {
			l.begin(ctx) // never reached Redis: poll alone, as without it
		}
		return
	}
	was := l.leading
	l.confirmed = true
	switch {
	case held && !was:
		l.log.Info("polling: this process polls Telegram and hands updates to the others")
		l.begin(ctx)
	case !held && was:
		l.log.Info("polling: another process holds the lease; standing by")
		l.stop()
	case !held && l.gen == 0:
		l.log.Info("polling: another process polls; answering the updates it hands out")
		l.gen = 1
	}
}

// begin starts a term. The caller holds l.mu.
func (l *leadership) begin(ctx context.Context) {
	l.leading = true
	l.gen++
	l.term, l.end = context.WithCancel(ctx)
	l.signal()
}

// stop ends the term, cutting off a long poll in flight. The caller
// holds l.mu.
func (l *leadership) stop() {
	l.leading = false
	if l.end != nil {
		l.end()
	}
	l.signal()
}

func (l *leadership) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// stepDown ends the term after a 409 while Redis was unreachable:
// another process polls, so this one stands by until Redis says.
func (l *leadership) stepDown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leading {
		l.log.Warn("polling: another consumer polls this token (409) and redis cannot say who should; standing by until it can")
		l.stop()
	}
}

// current returns the term's context and number if this process polls,
// and whether Redis confirmed it at the last try.
func (l *leadership) current() (term context.Context, gen int, leading, confirmed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term, l.gen, l.leading, l.confirmed
}

// conflicts is the state of a run of 409 Conflict answers to getUpdates.
type conflicts struct {
	n    int
	wait time.Duration
}

// conflict notes a 409 and returns how long to wait before polling
// again. The first of a run is logged, with what it means.
func (c *conflicts) conflict(log *slog.Logger) time.Duration {
	if c.n == 0 {
		c.wait = conflictWait
		log.Error("telegram: 409 Conflict: another getUpdates consumer is polling this bot's token (only one may; "+
			"another talkbot not sharing this Redis, another program, or a webhook set meanwhile); backing off, and polling again after",
			"retry_in_ms", c.wait.Milliseconds())
	}
	c.n++
	d := c.wait
	c.wait = min(2*c.wait, conflictCap)
	return d
}

// ok notes that getUpdates worked, ending a run of conflicts.
func (c *conflicts) ok(log *slog.Logger) {
	if c.n > 0 {
		log.Info("telegram: polling works again after 409 conflicts", "conflicts", c.n)
		c.n = 0
	}
}

// consume reads the updates the relay hands this process and takes
// them, until ctx ends. Redis failing only slows it: it tries again
// with a backoff.
func (p *pipeline) consume(ctx context.Context, relay Relay) {
	backoff := baseWait
	for ctx.Err() == nil {
		var batch []incoming
		err := relay.Read(ctx, readAtOnce, func(id int, raw []byte, ref string) {
			x := decodeUpdate(raw)
			if x.u.UpdateID == 0 {
				x.u.UpdateID = id
			}
			x.ref = ref
			batch = append(batch, x)
		})
		if err != nil {
			if ctx.Err() == nil {
				p.b.log.Debug("read handed updates", "err", err, "retry_in_ms", backoff.Milliseconds())
			}
			sleep(ctx, backoff)
			backoff = min(2*backoff, capWait)
			continue
		}
		backoff = baseWait
		if len(batch) == 0 {
			sleep(ctx, readIdle)
			continue
		}
		p.take(batch, false)
	}
}

// queue puts an update in its chat's queue in Redis, and answers the
// queue if this process took the chat. It reports false if Redis could
// not take it: the caller answers it here.
func (p *pipeline) queue(x incoming, chat int64) bool {
	q := p.b.cfg.ChatOrder
	hold, full, notify, err := q.Push(p.ctx, chat, x.u.UpdateID, x.raw, p.b.cfg.ChatQueue)
	if err != nil {
		p.b.log.Debug("chat order unavailable; answering here", "update", x.u.UpdateID, "err", err)
		return false
	}
	p.finish(x, true) // kept in Redis now, for whichever process holds the chat
	if full {
		p.b.log.Warn("chat's queue is full; message dropped", "chat", chat, "update", x.u.UpdateID)
		if notify {
			p.queueFull(x)
		}
		return true
	}
	if hold {
		p.answerChat(chat)
	}
	return true
}

// answerChat has this process's worker for chat answer the chat's queue.
func (p *pipeline) answerChat(chat int64) {
	q := p.b.cfg.ChatOrder
	if queued, _ := p.d.submit(chat, func() { p.answerQueue(chat) }); !queued {
		q.Release(context.WithoutCancel(p.ctx), chat) // for another process, or a later adoption
	}
}

// answerQueue answers the updates queued for chat, which this process
// holds, oldest first, until none is left; the hold ends with the queue.
// A process stopping leaves the rest to another.
func (p *pipeline) answerQueue(chat int64) {
	q := p.b.cfg.ChatOrder
	for {
		if p.stopping() {
			q.Release(context.WithoutCancel(p.ctx), chat)
			return
		}
		id, raw, ok, err := q.Next(p.ctx, chat)
		if err != nil {
			p.b.log.Warn("chat's queue: left for another process", "chat", chat, "err", err)
			return
		}
		if !ok {
			return
		}
		x := decodeUpdate(raw)
		renewing, stopRenew := context.WithCancel(p.ctx)
		go func() {
			for sleep(renewing, chatRenewEvery) {
				if held, err := q.Renew(renewing, chat); err == nil && !held {
					p.b.log.Warn("lost the hold on a chat while answering it", "chat", chat, "update", id)
					return
				}
			}
		}()
		finished := true
		if x.bad != nil {
			p.b.log.Warn("malformed update dropped", "update", id, "err", x.bad)
		} else {
			finished = p.b.handle(p.ctx, x.u, x.thread, admission{})
		}
		stopRenew()
		if !finished {
			q.Release(context.WithoutCancel(p.ctx), chat)
			return
		}
		if err := q.Done(p.ctx, chat, id); err != nil {
			p.b.log.Warn("chat's queue: mark update answered", "chat", chat, "update", id, "err", err)
		}
	}
}

// adopt takes, every adoptEvery until ctx ends, the chats whose holder
// died with updates queued, and answers them.
func (p *pipeline) adopt(ctx context.Context) {
	q := p.b.cfg.ChatOrder
	for sleep(ctx, adoptEvery) {
		chats, err := q.Adopt(ctx, adoptAtOnce)
		if err != nil && !errors.Is(err, context.Canceled) {
			p.b.log.Debug("adopt chats", "err", err)
		}
		for _, chat := range chats {
			p.b.log.Info("answering a chat another process left", "chat", chat)
			p.answerChat(chat)
		}
	}
}

// stopping reports whether the bot was told to stop taking updates.
func (p *pipeline) stopping() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}
