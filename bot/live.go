package bot

import (
	"context"
	"errors"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// streamLimit bounds the text of a growing answer, below MaxMessage so
// the " …" mark always fits; the final answer is split properly.
const streamLimit = MaxMessage - 96

// liveReply shows an answer growing in one message. New text replaces
// text not yet shown, so edits never queue up: each edit waits for the
// chat's sending limits (one a second in a private chat), and a 429 slows
// the edits rather than piling them up. Partial answers are optional:
// when other chats' messages are waiting to go out, they are left out.
type liveReply struct {
	send *sender
	r    reply
	stop context.CancelFunc
	done chan struct{}
	wake chan struct{}

	mu     sync.Mutex
	latest string
	msgID  int // the message being edited; 0 until the first text is out
}

// startLive starts showing text passed to update as a reply to r.
func (b *Bot) startLive(ctx context.Context, r reply) *liveReply {
	ctx, stop := context.WithCancel(ctx)
	l := &liveReply{send: b.send, r: r, stop: stop, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	go l.loop(ctx, b)
	return l
}

// update sets the text to show next.
func (l *liveReply) update(text string) {
	l.mu.Lock()
	l.latest = text
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// finish stops the edits and returns the message shown, or 0 if none was.
func (l *liveReply) finish() int {
	l.stop()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msgID
}

func (l *liveReply) loop(ctx context.Context, b *Bot) {
	defer close(l.done)
	shown := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		l.mu.Lock()
		text, id := l.latest, l.msgID
		l.mu.Unlock()
		if text == shown {
			continue
		}
		params := tgbotapi.Params{}
		params.AddNonZero64("chat_id", l.r.chat)
		params["text"] = truncate(text, streamLimit) + " …"
		method := "editMessageText"
		if id == 0 {
			method = "sendMessage"
			params.AddNonZero("message_thread_id", l.r.thread)
			params.AddNonZero("reply_to_message_id", l.r.to)
			params.AddBool("allow_sending_without_reply", true)
		} else {
			params.AddNonZero("message_id", id)
		}
		m, err := l.send.sendOptional(ctx, method, l.r.chat, params)
		if errors.Is(err, errBusy) {
			continue // other chats' answers go first; the next update tries again
		}
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("show partial answer", "chat", l.r.chat, "err", err)
			}
			continue
		}
		shown = text
		if id == 0 {
			l.mu.Lock()
			l.msgID = m.MessageID
			l.mu.Unlock()
		}
	}
}

// truncate cuts text to at most limit UTF-16 units, on a rune boundary.
func truncate(text string, limit int) string {
	if length(text) <= limit {
		return text
	}
	n := 0
	for i, r := range text {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if n+w > limit {
			return text[:i]
		}
		n += w
	}
	return text
}
