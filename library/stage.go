package library

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"
)

// StageTTL is how long a staged upload waits for its confirmation.
const StageTTL = 10 * time.Minute

// maxStaged bounds the uploads waiting at once; beyond it the oldest is
// dropped, so a forgotten question or a flood of files never grows memory.
const maxStaged = 16

// ErrNotStaged is returned by Confirm and Discard for a token that names
// no waiting upload: it expired, was answered already, or never existed.
var ErrNotStaged = errors.New("that upload is no longer waiting: it expired or was already answered")

// ErrNotOwner is returned by Confirm and Discard when someone other than
// the upload's owner answers it. The upload keeps waiting for its owner.
var ErrNotOwner = errors.New("that upload is someone else's to confirm")

// Staged is an upload held in memory until its owner confirms that it
// replaces the articles in its way (Confirm) or drops it (Discard). It
// lets a front end ask "replace it?" without writing anything first.
type Staged struct {
	Token   string    // unguessable: whoever holds it can answer (if the owner)
	Name    string    // the name the file is saved under
	Owner   string    // who may answer, as the caller identifies them
	Expires time.Time // after which it is dropped unanswered
	// Remove is set for a staged removal (StageRemove) of article ID;
	// Name is then its file.
	Remove bool
	ID     string

	data []byte
}

// staging holds a library's staged uploads, by token.
type staging struct {
	mu  sync.Mutex
	now func() time.Time // time.Now; replaced in tests
	by  map[string]Staged
}

func (s *staging) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// sweep drops expired uploads, then the oldest beyond room more. The
// caller holds s.mu.
func (s *staging) sweep(now time.Time, room int) {
	for t, st := range s.by {
		if !now.Before(st.Expires) {
			delete(s.by, t)
		}
	}
	for len(s.by) > maxStaged-room {
		oldest := ""
		for t, st := range s.by {
			if oldest == "" || st.Expires.Before(s.by[oldest].Expires) {
				oldest = t
			}
		}
		delete(s.by, oldest)
	}
}

// Stage holds an upload of data under name for owner (for example the
// admin and chat it came from) until StageTTL passes, and returns it with
// the token to confirm or discard it by. Nothing is written. The name
// and data are checked when confirmed, as Replace checks them.
func (l *Library) Stage(name string, data []byte, owner string) (Staged, error) {
	if l.dir == "" {
		return Staged{}, ErrEmbedded
	}
	safe, err := SafeName(name)
	if err != nil {
		return Staged{}, err
	}
	return l.staged.add(Staged{Name: safe, Owner: owner, data: append([]byte(nil), data...)}), nil
}

// add keeps st under a new token until StageTTL from now, making room
// first, and returns it with its token and expiry set.
func (s *staging) add(st Staged) Staged {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	s.sweep(now, 1)
	if s.by == nil {
		s.by = map[string]Staged{}
	}
	st.Token, st.Expires = rand.Text(), now.Add(StageTTL)
	s.by[st.Token] = st
	return st
}

// take removes and returns the upload staged under token, if owner may
// answer it; another owner's leaves it waiting.
func (l *Library) take(token, owner string) (Staged, error) {
	return l.find(token, owner, true)
}

// Check reports whether the upload staged under token is waiting for
// owner's answer: nil, ErrNotStaged or ErrNotOwner. It changes nothing,
// so a front end can acknowledge a confirmation before the reload that
// Confirm runs.
func (l *Library) Check(token, owner string) error {
	_, err := l.find(token, owner, false)
	return err
}

// find returns the upload staged under token if owner may answer it,
// removing it when remove is set.
func (l *Library) find(token, owner string, remove bool) (Staged, error) {
	s := &l.staged
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.clock(), 0)
	st, ok := s.by[token]
	switch {
	case !ok:
		return Staged{}, ErrNotStaged
	case st.Owner != owner:
		return st, ErrNotOwner
	}
	if remove {
		delete(s.by, token)
	}
	return st, nil
}

// Confirm replaces the articles in the way of the upload staged under
// token with it (see Replace), if owner staged it. It is answered once:
// the upload is no longer staged afterwards, whether the replacement
// worked or not.
func (l *Library) Confirm(ctx context.Context, token, owner string) (Staged, Report, error) {
	st, err := l.take(token, owner)
	if err != nil {
		return st, Report{}, fmt.Errorf("confirm upload: %w", err)
	}
	if st.Remove {
		rep, err := l.Remove(ctx, st.ID)
		return st, rep, err
	}
	rep, err := l.Replace(ctx, st.Name, st.data)
	return st, rep, err
}

// Discard drops the upload staged under token, if owner staged it, and
// returns it; nothing is written.
func (l *Library) Discard(token, owner string) (Staged, error) {
	st, err := l.take(token, owner)
	if err != nil {
		return st, fmt.Errorf("discard upload: %w", err)
	}
	return st, nil
}
