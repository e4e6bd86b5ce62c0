package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/internal/redistest"
	"github.com/talkbot/talkbot/redisstore"
)

// The store's types are what bot takes.
var (
	_ bot.Relay     = (*redisstore.Relay)(nil)
	_ bot.ChatOrder = (*redisstore.Chats)(nil)
)

// TestRelayLease: one process holds the polling lease at a time, renews
// it, and another takes it once it expires or is given up.
func TestRelayLease(t *testing.T) {
	srv := redistest.Start(t)
	s := open(t, srv, nil)
	ctx := context.Background()
	a := s.Relay(7, "a", 300*time.Millisecond, 0)
	b := s.Relay(7, "b", 300*time.Millisecond, 0)
	if ok, err := a.Lead(ctx); !ok || err != nil {
		t.Fatalf("a.Lead on a free lease = %v, %v", ok, err)
	}
	for range 5 { // renewed past its first expiry
		time.Sleep(100 * time.Millisecond)
		if ok, _ := a.Lead(ctx); !ok {
			t.Fatal("a lost a lease it renews")
		}
		if ok, _ := b.Lead(ctx); ok {
			t.Fatal("b took a lease a holds")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for ok := false; !ok; ok, _ = b.Lead(ctx) { // a stops renewing: it died
		if time.Now().After(deadline) {
			t.Fatal("b never took the lease a stopped renewing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Resign(ctx)
	if ok, _ := a.Lead(ctx); !ok {
		t.Error("a could not take the lease b gave up")
	}
	keys := srv.Client().Keys(ctx, srv.Prefix+"*").Val()
	for _, k := range keys {
		if !strings.Contains(k, "{poll:7}") {
			t.Errorf("key %q lacks the relay's hash tag {poll:7}", k)
		}
	}
}

// TestRelayHandsEachUpdateOnce: published updates are shared among the
// readers, each read by one; republishing (a new poller fetching what the
// old one had not acknowledged) adds nothing; an update read by a reader
// that died is claimed by another once idle.
func TestRelayHandsEachUpdateOnce(t *testing.T) {
	srv := redistest.Start(t)
	s := open(t, srv, nil)
	ctx := context.Background()
	relays := []*redisstore.Relay{
		s.Relay(7, "a", 0, 200*time.Millisecond),
		s.Relay(7, "b", 0, 200*time.Millisecond),
		s.Relay(7, "dies", 0, 200*time.Millisecond),
	}
	publish := func(from, to int) {
		var ids []int
		var raws [][]byte
		for id := from; id <= to; id++ {
			ids = append(ids, id)
			raws = append(raws, []byte(fmt.Sprintf(`{"update_id":%d}`, id)))
		}
		high, err := relays[0].Publish(ctx, ids, raws)
		if err != nil || high != to {
			t.Fatalf("Publish %d..%d = %d, %v", from, to, high, err)
		}
	}
	publish(1, 20)
	publish(11, 30) // 11..20 again: a new poller's first fetch
	if high, _ := relays[1].Published(ctx); high != 30 {
		t.Errorf("Published = %d, want 30", high)
	}
	got := map[int]string{}
	var lost []int // read by the reader that dies, never acknowledged
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < 30 && time.Now().Before(deadline) {
		for i, r := range relays {
			if i == 2 && len(lost) > 0 {
				continue // dead
			}
			err := r.Read(ctx, 4, func(id int, raw []byte, ref string) {
				if by, dup := got[id]; dup {
					t.Errorf("update %d handed twice: to %s and reader %d", id, by, i)
				}
				if i == 2 {
					lost = append(lost, id)
					return
				}
				got[id] = fmt.Sprint(i)
				if err := r.Ack(ctx, ref); err != nil {
					t.Error(err)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(got) != 30 || len(lost) == 0 {
		t.Fatalf("%d of 30 updates answered, %d taken by the dead reader", len(got), len(lost))
	}
	for id := 1; id <= 30; id++ {
		if _, ok := got[id]; !ok {
			t.Errorf("update %d never answered", id)
		}
	}
	if n := srv.Client().XLen(ctx, srv.Prefix+"{poll:7}:updates").Val(); n != 0 {
		t.Errorf("%d entries left in the stream once all were acknowledged", n)
	}
}

// TestChatsOrderAcrossProcesses: updates of a chat pushed by two
// processes are answered by one holder, in update id order; the holder
// releases the chat only with its queue empty, so one pushed meanwhile is
// not left behind; a holder that dies has its chat adopted.
func TestChatsOrderAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t)
	s := open(t, srv, nil)
	ctx := context.Background()
	a := s.Chats(7, "a", 300*time.Millisecond)
	b := s.Chats(7, "b", 300*time.Millisecond)
	raw := func(id int) []byte { return []byte(fmt.Sprintf(`{"update_id":%d}`, id)) }

	if hold, full, _, err := b.Push(ctx, 5, 12, raw(12), 10); !hold || full || err != nil {
		t.Fatalf("first push: hold %v full %v err %v", hold, full, err)
	}
	if hold, _, _, _ := a.Push(ctx, 5, 11, raw(11), 10); hold {
		t.Fatal("a took a chat b holds")
	}
	if hold, _, _, _ := a.Push(ctx, 6, 13, raw(13), 10); !hold {
		t.Fatal("a could not take another chat")
	}
	if _, _, _, err := a.Next(ctx, 5); err != redisstore.ErrChatLost {
		t.Errorf("a.Next on b's chat: %v, want ErrChatLost", err)
	}
	var order []int
	for {
		id, got, ok, err := b.Next(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if string(got) != string(raw(id)) {
			t.Errorf("update %d came back as %s", id, got)
		}
		order = append(order, id)
		if id == 11 {
			// Pushed while b answers: b finds it, a does not take the chat.
			if hold, _, _, _ := a.Push(ctx, 5, 14, raw(14), 10); hold {
				t.Error("a took the chat while b answers it")
			}
		}
		b.Done(ctx, 5, id)
	}
	if fmt.Sprint(order) != "[11 12 14]" {
		t.Errorf("answered %v, want [11 12 14]: oldest first, none left behind", order)
	}
	if hold, _, _, _ := a.Push(ctx, 5, 15, raw(15), 10); !hold {
		t.Error("the chat was not released with its queue empty")
	}

	// a dies holding chats 5 and 6: b adopts them once the holds expire.
	var adopted []int64
	deadline := time.Now().Add(5 * time.Second)
	for len(adopted) < 2 && time.Now().Before(deadline) {
		got, err := b.Adopt(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		adopted = append(adopted, got...)
		time.Sleep(50 * time.Millisecond)
	}
	if len(adopted) != 2 {
		t.Fatalf("adopted %v, want chats 5 and 6", adopted)
	}
	if id, _, ok, _ := b.Next(ctx, 5); !ok || id != 15 {
		t.Errorf("adopted chat's next update %d %v, want 15", id, ok)
	}

	// A full queue drops the update.
	for id := 100; id < 103; id++ {
		b.Push(ctx, 9, id, raw(id), 3)
	}
	if _, full, notify, _ := b.Push(ctx, 9, 103, raw(103), 3); !full || !notify {
		t.Errorf("a fourth update in a queue of 3: full %v, notify %v; want it refused, the chat told", full, notify)
	}
	if _, full, notify, _ := b.Push(ctx, 9, 104, raw(104), 3); !full || notify {
		t.Errorf("a fifth: full %v, notify %v; want it refused, the chat not told again", full, notify)
	}
	if _, full, _, _ := b.Push(ctx, 9, 102, raw(102), 3); full {
		t.Error("the same update pushed again was refused as overflow")
	}
}

// TestRelayAndChatsOnCluster runs the polling relay and the per-chat
// queues on a 3-node Redis Cluster: every script names keys of one hash
// slot ({poll:<bot>} and {chats:<bot>}), or the cluster refuses it with
// CROSSSLOT.
func TestRelayAndChatsOnCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openURL(t, cl.URL, cl.Prefix, redisstore.Options{Timeout: time.Second})
	r := s.Relay(7, "a", 0, 0)
	if ok, err := r.Lead(ctx); !ok || err != nil {
		t.Fatalf("Lead on a cluster: %v %v", ok, err)
	}
	if high, err := r.Publish(ctx, []int{1, 2}, [][]byte{[]byte(`{"update_id":1}`), []byte(`{"update_id":2}`)}); high != 2 || err != nil {
		t.Fatalf("Publish on a cluster: %d %v", high, err)
	}
	var got []int
	if err := r.Read(ctx, 10, func(id int, _ []byte, ref string) {
		got = append(got, id)
		if err := r.Ack(ctx, ref); err != nil {
			t.Errorf("Ack on a cluster: %v", err)
		}
	}); err != nil || len(got) != 2 {
		t.Fatalf("Read on a cluster: %v %v", got, err)
	}
	r.Resign(ctx)

	c := s.Chats(7, "a", 0)
	if hold, _, _, err := c.Push(ctx, 5, 1, []byte(`{"update_id":1}`), 10); !hold || err != nil {
		t.Fatalf("Push on a cluster: %v %v", hold, err)
	}
	if held, err := c.Renew(ctx, 5); !held || err != nil {
		t.Errorf("Renew on a cluster: %v %v", held, err)
	}
	if id, _, ok, err := c.Next(ctx, 5); id != 1 || !ok || err != nil {
		t.Fatalf("Next on a cluster: %d %v %v", id, ok, err)
	}
	if err := c.Done(ctx, 5, 1); err != nil {
		t.Error(err)
	}
	if _, _, ok, err := c.Next(ctx, 5); ok || err != nil {
		t.Errorf("Next on an empty queue on a cluster: %v %v", ok, err)
	}
	if _, err := c.Adopt(ctx, 10); err != nil {
		t.Errorf("Adopt on a cluster: %v", err)
	}
}
