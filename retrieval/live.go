package retrieval

import "sync/atomic"

// Live holds the index being served. Readers take the current index with
// Index and keep using it for a whole answer, even if a reload swaps in a
// new one meanwhile.
type Live struct {
	cur atomic.Pointer[Index]
}

// NewLive returns a Live serving ix.
func NewLive(ix *Index) *Live {
	l := &Live{}
	l.cur.Store(ix)
	return l
}

// Index returns the index in use.
func (l *Live) Index() *Index { return l.cur.Load() }

// Swap makes ix the index in use and returns the previous one.
func (l *Live) Swap(ix *Index) *Index { return l.cur.Swap(ix) }
