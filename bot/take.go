package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/talkbot/talkbot/inbox"
)

// Inbox keeps the updates taken and not yet answered on disk, so that
// they can be acknowledged to Telegram at once and still be answered
// after a crash (package inbox).
type Inbox interface {
	// Seen reports whether update id was taken before, by this run or an
	// earlier one.
	Seen(id int) bool
	// Take records updates, returning once they are durable.
	Take(entries []inbox.Entry) error
	// Done marks an update answered.
	Done(id int) error
	// Pending returns what an earlier run left unanswered, oldest first.
	Pending() []inbox.Entry
}

// incoming is one update as taken: decoded, with its forum topic, and
// as Telegram sent it, for the inbox. bad is set when it could not be
// decoded beyond its id.
type incoming struct {
	u      tgbotapi.Update
	thread int
	raw    json.RawMessage
	bad    error
	ref    string // the relay's entry, to acknowledge once done; "" if not relayed
}

// decodeUpdates decodes a JSON array of updates one by one, so that one
// malformed update is dropped alone instead of failing its whole batch
// (which polling would fetch again, forever).
func decodeUpdates(data []byte) ([]incoming, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("decode updates: %w", err)
	}
	out := make([]incoming, 0, len(raws))
	for _, raw := range raws {
		out = append(out, decodeUpdate(raw))
	}
	return out, nil
}

// decodeUpdate decodes one update with the forum topic of its message,
// which the library's types do not carry.
func decodeUpdate(raw json.RawMessage) incoming {
	in := incoming{raw: raw}
	var extra struct {
		ID      int `json:"update_id"`
		Message *struct {
			ThreadID int `json:"message_thread_id"`
		} `json:"message"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		in.bad = err
		return in
	}
	in.u.UpdateID = extra.ID
	if extra.Message != nil {
		in.thread = extra.Message.ThreadID
	}
	if err := json.Unmarshal(raw, &in.u); err != nil {
		in.u = tgbotapi.Update{UpdateID: extra.ID}
		in.bad = err
	}
	return in
}

// pipeline takes updates, in the order they come, to their chats'
// workers: it drops repeats, writes new updates to the inbox, checks them
// against the update log and the rate limit (all of a batch at once, so a
// slow Redis costs one timeout a batch, not one an update), and records
// each update as answered only once it was.
type pipeline struct {
	b       *Bot
	ctx     context.Context // the work's: cancelled when the drain ends
	d       *dispatcher
	in      *intake
	webhook bool            // updates may go to several processes: claim at once
	stop    <-chan struct{} // closed when the bot stops taking updates
}

// checkers bounds the Redis checks of one batch run at once.
const checkers = 16

// replay takes what an earlier run left in the inbox.
func (p *pipeline) replay() {
	ib := p.b.cfg.Inbox
	if ib == nil {
		return
	}
	pending := ib.Pending()
	if len(pending) == 0 {
		return
	}
	p.b.log.Info("answering updates left unanswered by the last run", "updates", len(pending))
	batch := make([]incoming, 0, len(pending))
	for _, e := range pending {
		batch = append(batch, decodeUpdate(e.Raw))
	}
	p.take(batch, true)
}

// take queues a batch's new updates and returns how many were new.
func (p *pipeline) take(batch []incoming, replayed bool) int {
	ib := p.b.cfg.Inbox
	fresh := make([]incoming, 0, len(batch))
	for _, x := range batch {
		id := x.u.UpdateID
		if !p.in.take(id) {
			if x.ref != "" && !p.in.busy(id) {
				p.ack(x) // handed again, though answered: Redis missed the acknowledgement
			}
			continue // being answered, or answered by this run
		}
		if x.ref != "" {
			p.in.keep(id) // the relay keeps it until acknowledged, not the inbox
			fresh = append(fresh, x)
			continue
		}
		if ib != nil && !replayed && ib.Seen(id) {
			p.in.done(id) // an earlier run took it: answered, or replayed from the inbox
			p.b.log.Info("update taken before a restart; skipped", "update", id)
			continue
		}
		fresh = append(fresh, x)
	}
	if len(fresh) == 0 {
		return 0
	}
	if ib != nil && !replayed {
		entries := make([]inbox.Entry, 0, len(fresh))
		for _, x := range fresh {
			if x.ref == "" {
				entries = append(entries, inbox.Entry{ID: x.u.UpdateID, Raw: x.raw})
			}
		}
		if err := ib.Take(entries); err != nil {
			p.b.log.Error("inbox: updates kept in memory only until answered", "err", err)
		} else {
			for _, e := range entries {
				p.in.keep(e.ID)
			}
		}
	} else if replayed {
		for _, x := range fresh {
			p.in.keep(x.u.UpdateID)
		}
	}
	checked := p.check(fresh)
	for i, x := range fresh {
		if checked[i].skip {
			p.finish(x, true)
			p.b.log.Info("update handled by another process or before a restart; skipped", "update", x.u.UpdateID)
			continue
		}
		p.submit(x, checked[i].adm)
	}
	return len(fresh)
}

// checked is what the shared state says of one update.
type checked struct {
	skip bool // another process, or an earlier run, answered it
	adm  admission
}

// check asks the update log and the rate limiter about every update of
// a batch concurrently.
func (p *pipeline) check(batch []incoming) []checked {
	out := make([]checked, len(batch))
	sem := make(chan struct{}, checkers)
	var wg sync.WaitGroup
	for i, x := range batch {
		if x.bad != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			defer func() {
				if r := recover(); r != nil {
					p.b.log.Error("panic checking update", "update", x.u.UpdateID, "panic", fmt.Sprint(r))
				}
			}()
			if log := p.b.cfg.Updates; log != nil {
				id := x.u.UpdateID
				if p.webhook && !log.Claim(p.ctx, id) || !p.webhook && log.Claimed(p.ctx, id) {
					out[i].skip = true
					return
				}
			}
			out[i].adm = p.b.admit(p.ctx, x.u)
		}()
	}
	wg.Wait()
	return out
}

// submit queues one update for its chat's worker.
func (p *pipeline) submit(x incoming, adm admission) {
	id := x.u.UpdateID
	if x.bad != nil {
		p.b.log.Warn("malformed update dropped", "update", id, "err", x.bad)
		p.finish(x, true)
		return
	}
	if adm.checked && !adm.ok {
		// Over the limit: answered at once, never queued, so a flood
		// takes no place in the chat's queue.
		go func() { p.finish(x, p.b.handle(p.ctx, x.u, x.thread, adm)) }()
		return
	}
	chat := chatOf(x.u)
	if p.b.cfg.ChatOrder != nil && chat != 0 && p.queue(x, chat) {
		return // in the chat's queue in Redis, answered by its holder in order
	}
	queued, notify := p.d.submit(chat, func() {
		p.finish(x, p.b.handle(p.ctx, x.u, x.thread, adm))
	})
	if !queued {
		p.b.log.Warn("chat's queue is full; message dropped", "chat", chat, "update", id)
		p.finish(x, true)
		if notify {
			p.queueFull(x)
		}
	}
}

// queueFull tells the chat of x, once, that its queue is full.
func (p *pipeline) queueFull(x incoming) {
	if x.u.Message != nil && x.u.Message.Chat != nil {
		r := reply{chat: x.u.Message.Chat.ID, to: x.u.Message.MessageID, thread: x.thread, lang: messageLang(x.u.Message)}
		go p.b.say(p.ctx, r, r.t(msgQueueFull))
	}
}

// finish records how handling update id ended. An update answered (or
// that never will be) is done: marked in the inbox and the update log,
// and acknowledged. One cut off by a shutdown stays pending: in the
// inbox, or else unacknowledged, so that the next start answers it. A
// relayed update is acknowledged to the relay once done; one cut off
// stays with the relay, for another process to claim.
func (p *pipeline) finish(x incoming, answered bool) {
	id := x.u.UpdateID
	if !answered {
		p.in.abandon(id)
		return
	}
	if ib := p.b.cfg.Inbox; ib != nil {
		if err := ib.Done(id); err != nil {
			p.b.log.Warn("inbox: mark update done", "update", id, "err", err)
		}
	}
	if log := p.b.cfg.Updates; log != nil && !p.webhook {
		log.Claim(context.WithoutCancel(p.ctx), id)
	}
	p.ack(x)
	p.in.done(id)
}

// ack acknowledges a relayed update to the relay.
func (p *pipeline) ack(x incoming) {
	if x.ref == "" || p.b.cfg.Relay == nil {
		return
	}
	if err := p.b.cfg.Relay.Ack(context.WithoutCancel(p.ctx), x.ref); err != nil {
		p.b.log.Warn("acknowledge handed update; another process may answer it again", "update", x.u.UpdateID, "err", err)
	}
}
