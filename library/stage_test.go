package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talkbot/talkbot/retrieval"
)

func TestStageConfirmDiscard(t *testing.T) {
	const (
		old   = "# Moon\n\nThe moon base has twelve residents.\n"
		fresh = "# Moon again\n\nThe moon base has thirteen residents now.\n"
		admin = "42@42"
	)
	type step struct {
		do    string        // "confirm" or "discard"
		owner string        // who answers
		token string        // "" for the staged upload's token
		wait  time.Duration // the clock moves on first
		err   error
	}
	tests := []struct {
		name  string
		steps []step
		saved string // base.txt at the end
	}{
		{name: "owner confirms", steps: []step{{do: "confirm", owner: admin}}, saved: fresh},
		{name: "owner discards", steps: []step{{do: "discard", owner: admin}}, saved: old},
		{name: "another user is refused, the owner still can confirm",
			steps: []step{{do: "confirm", owner: "7@7", err: ErrNotOwner}, {do: "discard", owner: "7@7", err: ErrNotOwner}, {do: "confirm", owner: admin}}, saved: fresh},
		{name: "the owner in another chat is refused", steps: []step{{do: "confirm", owner: "42@-100", err: ErrNotOwner}}, saved: old},
		{name: "answered once", steps: []step{{do: "confirm", owner: admin}, {do: "confirm", owner: admin, err: ErrNotStaged}, {do: "discard", owner: admin, err: ErrNotStaged}}, saved: fresh},
		{name: "expired", steps: []step{{do: "confirm", owner: admin, wait: StageTTL + time.Second, err: ErrNotStaged}}, saved: old},
		{name: "not yet expired", steps: []step{{do: "confirm", owner: admin, wait: StageTTL - time.Second}}, saved: fresh},
		{name: "unknown token", steps: []step{{do: "confirm", owner: admin, token: "guess", err: ErrNotStaged}}, saved: old},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "base.txt"), []byte(old), 0o644)
			lib, _, err := Open(context.Background(), dir, retrieval.Options{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			lib.staged.now = func() time.Time { return now }
			st, err := lib.Stage("base.txt", []byte(fresh), admin)
			if err != nil || len(st.Token) < 20 || st.Name != "base.txt" {
				t.Fatalf("Stage = %+v, %v", st, err)
			}
			for i, s := range tt.steps {
				now = now.Add(s.wait)
				token := st.Token
				if s.token != "" {
					token = s.token
				}
				if err := lib.Check(token, s.owner); !errors.Is(err, s.err) {
					t.Errorf("step %d: Check: %v, want %v", i, err, s.err)
				}
				if s.do == "confirm" {
					_, rep, err := lib.Confirm(context.Background(), token, s.owner)
					if !errors.Is(err, s.err) || err == nil && (len(rep.Replaced) != 1 || rep.Replaced[0].Title != "Moon") {
						t.Errorf("step %d: Confirm = %+v, %v; want %v", i, rep, err, s.err)
					}
				} else if _, err := lib.Discard(token, s.owner); !errors.Is(err, s.err) {
					t.Errorf("step %d: Discard: %v, want %v", i, err, s.err)
				}
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "base.txt")); string(data) != tt.saved {
				t.Errorf("base.txt is %q, want %q", data, tt.saved)
			}
		})
	}
}

func TestStageBounded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "base.txt"), []byte("# Moon\n\nThe moon base has twelve residents.\n"), 0o644)
	lib, _, err := Open(context.Background(), dir, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	lib.staged.now = func() time.Time { now = now.Add(time.Millisecond); return now }
	var tokens []string
	for range maxStaged + 5 {
		st, err := lib.Stage("base.txt", []byte("# T\n\nText.\n"), "1@1")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, st.Token)
	}
	if n := len(lib.staged.by); n != maxStaged {
		t.Errorf("%d uploads staged, want at most %d", n, maxStaged)
	}
	if _, err := lib.Discard(tokens[0], "1@1"); !errors.Is(err, ErrNotStaged) {
		t.Errorf("the oldest upload is still staged: %v", err)
	}
	if _, err := lib.Discard(tokens[len(tokens)-1], "1@1"); err != nil {
		t.Errorf("the newest upload: %v", err)
	}
	embedded, _, err := Open(context.Background(), "", retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Stage("a.md", nil, "1@1"); !errors.Is(err, ErrEmbedded) {
		t.Errorf("Stage on the embedded seeds: %v", err)
	}
}
