package inbox

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

func entry(id int) Entry {
	return Entry{ID: id, Raw: json.RawMessage(`{"update_id":` + strconv.Itoa(id) + `}`)}
}

func ids(es []Entry) []int {
	out := []int{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestReopenReturnsWhatWasNotDone(t *testing.T) {
	tests := []struct {
		name        string
		take, done  []int
		tail        string // bytes a crash left at the end of the file
		wantPending []int
	}{
		{"nothing", nil, nil, "", []int{}},
		{"all done", []int{1, 2, 3}, []int{1, 2, 3}, "", []int{}},
		{"some left", []int{1, 2, 3, 4}, []int{2, 4}, "", []int{1, 3}},
		{"torn last line", []int{1, 2}, []int{1}, `+{"id":3,"raw":{"upd`, []int{2}},
		{"done of an unknown id", []int{5}, []int{9}, "", []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "inbox.log")
			b, pending, err := Open(path)
			if err != nil || len(pending) != 0 {
				t.Fatalf("open new: %v, %v", pending, err)
			}
			var es []Entry
			for _, id := range tt.take {
				es = append(es, entry(id))
			}
			if err := b.Take(es); err != nil {
				t.Fatal(err)
			}
			for _, id := range tt.done {
				if err := b.Done(id); err != nil {
					t.Fatal(err)
				}
			}
			b.Close() // as a crash would: nothing more is written
			if tt.tail != "" {
				f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString(tt.tail)
				f.Close()
			}
			b, pending, err = Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if got := ids(pending); !reflect.DeepEqual(got, tt.wantPending) {
				t.Errorf("pending after reopen %v, want %v", got, tt.wantPending)
			}
			for _, e := range pending {
				if string(e.Raw) != string(entry(e.ID).Raw) {
					t.Errorf("update %d came back as %s", e.ID, e.Raw)
				}
			}
			for _, id := range tt.take {
				if !b.Seen(id) {
					t.Errorf("update %d not recognised as taken after reopen", id)
				}
			}
		})
	}
}

func TestTakeSkipsRedeliveries(t *testing.T) {
	b, _, err := Open(filepath.Join(t.TempDir(), "inbox.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.Take([]Entry{entry(1), entry(2)})
	b.Done(1)
	b.Take([]Entry{entry(1), entry(2), entry(3)})
	if got := ids(b.Pending()); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf("pending %v, want [2 3]: a redelivered done update came back", got)
	}
}

func TestOneProcessAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.log")
	b, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second open: %v, want ErrLocked", err)
	}
	b.Close()
	b2, _, err := Open(path)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	b2.Close()
}

func TestCompactionKeepsPendingAndRecentIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.log")
	b, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// One update stays pending while enough others pass to compact the
	// file several times over and push it out of the remembered ids.
	b.Take([]Entry{entry(1)})
	for id := 2; id < 2+compactAt; id++ {
		b.Take([]Entry{entry(id)})
		b.Done(id)
	}
	if got := ids(b.Pending()); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("pending %v, want [1]", got)
	}
	b.Close()
	st, _ := os.Stat(path)
	if st.Size() > 400*1024 {
		t.Errorf("file is %d bytes after compaction", st.Size())
	}
	b, pending, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := ids(pending); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("pending after reopen %v, want [1]", got)
	}
	if last := 1 + compactAt; !b.Seen(last) || b.Seen(2) {
		t.Errorf("seen(last)=%v seen(2)=%v: want the recent ids remembered, the oldest forgotten", b.Seen(last), b.Seen(2))
	}
}
