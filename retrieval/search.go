package retrieval

import (
	"math"
	"math/bits"
	"slices"
	"sync"
)

// slack widens every score bound a little, so that bounds summed in
// another order than the scores they bound stay above them despite
// rounding: pruning may then keep a passage it could have skipped, never
// the reverse.
const slack = 1 + 1e-9

// search is the state of one lexical search, pooled: it grows with the
// number of query terms and k, never with the corpus.
type search struct {
	cursors []cursor // one per query term and field, in query order
	order   []int    // cursors by bound, smallest first
	bounds  []float64
	scores  []float64 // runDAAT: each cursor's contribution to the current passage
	hit     []bool

	// run: per passage of the window, the sum of the contributions found
	// so far, which cursors contributed, and their weights (window
	// entries per cursor); which passages were touched.
	partial  [window]float64
	mask     [window]uint64
	slotMask [window]uint64 // which slots contributed
	weights  []float32
	touched  [window / 64]uint64
	maxes    []float64
	slots    int       // term-field pairs; a cursor's slot says which
	slotMax  []float64 // prefixBounds: the largest bound of each slot so far
}

// window is how many passages run scores at a time; maxWindowLists how
// many term-field lists it handles (one bit each).
const (
	window         = 4096
	maxWindowLists = 64
)

var searches = sync.Pool{New: func() any { return &search{} }}

// SearchBM25 returns the k best passages for q by BM25 alone, best first,
// ties to the earlier passage: the first stage of SearchLexical.
//
// It finds the k best passages without scoring every passage that holds a
// query term, by MaxScore dynamic pruning (Turtle and Flood, 1995; as in
// Lucene and PISA): once k passages are held, the query terms whose
// bounds add up to no more than the k-th best score cannot put a passage
// in the top k alone, so their lists are only looked up, block by block,
// for passages the other terms bring; and a passage whose bound falls
// below the k-th score is dropped before its scoring is finished. Scores
// are summed in the query's order, exactly as an exhaustive search sums
// them, so the results are the same to the last bit.
func (ix *Index) SearchBM25(q Query, k int) []Hit {
	n := len(ix.corpus.Passages)
	if n == 0 || k <= 0 {
		return nil
	}
	s := searches.Get().(*search)
	defer searches.Put(s)
	s.cursors = s.cursors[:0]
	s.slots = 0
	for _, t := range q.Terms {
		id, ok := ix.terms.lookup(t.Term)
		if !ok {
			continue
		}
		s.add(&ix.body, id, n, 1*t.Weight)
		s.add(&ix.title, id, n, titleBoost*t.Weight)
	}
	if len(s.cursors) > maxWindowLists {
		return s.runDAAT(k)
	}
	return s.run(k)
}

// add puts term t of field f in the search, a cursor for each of its
// lists, unless it is in no passage of the field or counts for nothing.
func (s *search) add(f *field, t, n int, weight float64) {
	df := f.df(t)
	if df == 0 {
		return
	}
	w := idf(n, df) * weight
	if !(w > 0) {
		return
	}
	for l := f.terms[t]; l < f.terms[t+1]; l++ {
		if f.lists[l].df > 0 {
			s.cursors = append(s.cursors, cursor{slot: s.slots})
			s.cursors[len(s.cursors)-1].init(f, int(l), w)
		}
	}
	s.slots++
}

// prefixBounds sets bounds[j] to the most the lists order[0..j] can add
// to a passage, given each list's bound in bound: the layers of one term
// in one field are disjoint, so they add only their largest. The order
// must be by bound, smallest first.
func (s *search) prefixBounds(bound func(o int) float64) {
	s.slotMax = slices.Grow(s.slotMax[:0], s.slots)[:s.slots]
	clear(s.slotMax)
	sum := 0.0
	for j, o := range s.order {
		v, sl := bound(o), s.cursors[o].slot
		if v > s.slotMax[sl] {
			sum += v - s.slotMax[sl]
			s.slotMax[sl] = v
		}
		s.bounds[j] = sum * slack
	}
}

// runDAAT is run for queries of more than 64 term-field lists: passage
// by passage, MaxScore over the lists' global bounds.
func (s *search) runDAAT(k int) []Hit {
	cs := s.cursors
	m := len(cs)
	if m == 0 {
		return nil
	}
	s.order = s.order[:0]
	for i := range cs {
		s.order = append(s.order, i)
	}
	// Insertion sort by bound: a query has a handful of terms.
	for i := 1; i < m; i++ {
		for j := i; j > 0 && cs[s.order[j]].bound < cs[s.order[j-1]].bound; j-- {
			s.order[j], s.order[j-1] = s.order[j-1], s.order[j]
		}
	}
	// bounds[j]: the most the cursors order[0..j] can add up to.
	s.bounds = slices.Grow(s.bounds[:0], m)[:m]
	s.prefixBounds(func(o int) float64 { return cs[o].bound })
	s.scores = slices.Grow(s.scores[:0], m)[:m]
	s.hit = slices.Grow(s.hit[:0], m)[:m]
	clear(s.hit)

	h := make([]Hit, 0, min(k, 1024)+1)
	threshold := math.Inf(-1) // the k-th best score once k are held
	essential := 0            // order[essential:] can bring a passage into the top k
	cur := uint32(done)
	for _, c := range cs {
		cur = min(cur, c.doc)
	}
	for cur != done {
		partial := 0.0
		for _, o := range s.order[essential:] {
			c := &cs[o]
			if c.doc == cur {
				s.scores[o] = c.score()
				s.hit[o] = true
				partial += s.scores[o]
				c.next()
			}
		}
		alive := true
		for j := essential - 1; j >= 0; j-- {
			if (partial+s.bounds[j])*slack <= threshold {
				alive = false
				break
			}
			o := s.order[j]
			c := &cs[o]
			c.advance(cur)
			if c.doc == cur {
				s.scores[o] = c.score()
				s.hit[o] = true
				partial += s.scores[o]
			}
		}
		if alive {
			score := 0.0
			for o := range cs {
				if s.hit[o] {
					score += s.scores[o]
				}
			}
			// Passages come in order, so one tying the k-th best comes
			// after it and loses the tie.
			if len(h) < k || score > threshold {
				h = pushHit(h, Hit{Passage: int(cur), Score: score}, k)
				if len(h) == k {
					threshold = h[0].Score
					for essential < m && s.bounds[essential] <= threshold {
						essential++
					}
				}
			}
		}
		clear(s.hit)
		cur = done
		for _, o := range s.order[essential:] {
			cur = min(cur, cs[o].doc)
		}
	}
	sortHits(h)
	return h
}

// worse orders hits from worst to best: lower score, then later passage.
func worse(a, b Hit) bool { return a.Score < b.Score || a.Score == b.Score && a.Passage > b.Passage }

// pushHit adds hit to the min-heap h (h[0] is the worst kept), keeping at
// most k.
func pushHit(h []Hit, hit Hit, k int) []Hit {
	if len(h) == k && !worse(h[0], hit) {
		return h
	}
	h = append(h, hit)
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !worse(h[i], h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
	if len(h) > k {
		h[0] = h[len(h)-1]
		h = h[:len(h)-1]
		for i := 0; ; {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(h) && worse(h[l], h[m]) {
				m = l
			}
			if r < len(h) && worse(h[r], h[m]) {
				m = r
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	return h
}

// run finds the k best passages window by window of passages, as
// Lucene's MaxScore bulk scorer does. For each window it bounds what each
// list can add there by the largest weight of its blocks that overlap the
// window, and splits the lists: those whose bounds add up to no more than
// the k-th best score so far cannot bring a passage into the top k alone,
// so they are only looked up for the passages the others bring (skipping
// whole blocks), and only while the passage can still make it. The other
// lists are scored into per-window arrays, so a search's memory grows
// with the window and the query, never with the corpus.
func (s *search) run(k int) []Hit {
	cs := s.cursors
	m := len(cs)
	if m == 0 {
		return nil
	}
	s.order = slices.Grow(s.order[:0], m)[:m]
	s.bounds = slices.Grow(s.bounds[:0], m)[:m]
	s.maxes = slices.Grow(s.maxes[:0], m)[:m]
	s.weights = slices.Grow(s.weights[:0], m*window)[:m*window]
	h := make([]Hit, 0, min(k, 1024)+1)
	threshold := math.Inf(-1) // the k-th best score once k are held
	lo := uint32(done)
	for i := range cs {
		lo = min(lo, cs[i].doc)
	}
	for lo != done {
		hi := lo + window - 1
		if hi < lo { // wrapped past the last passage number
			hi = done - 1
		}
		// Bound each list in the window, and order the lists by bound.
		for i := range cs {
			s.maxes[i] = cs[i].windowMax(lo, hi)
			s.order[i] = i
		}
		for i := 1; i < m; i++ {
			for j := i; j > 0 && s.maxes[s.order[j]] < s.maxes[s.order[j-1]]; j-- {
				s.order[j], s.order[j-1] = s.order[j-1], s.order[j]
			}
		}
		s.prefixBounds(func(o int) float64 { return s.maxes[o] })
		essential := 0 // order[essential:] are scored in full
		for j := range s.order {
			if s.bounds[j] <= threshold {
				essential = j + 1
			}
		}
		if essential < m {
			s.scoreWindow(lo, hi, essential)
			h, threshold = s.collect(h, k, lo, essential, threshold)
		}
		// The next window starts at the next passage of any list.
		next := uint32(done)
		for i := range cs {
			c := &cs[i]
			if c.doc <= hi {
				c.advanceShallow(hi + 1)
			}
			next = min(next, c.nextAtLeast(hi+1))
		}
		lo = next
	}
	sortHits(h)
	return h
}

// scoreWindow scores the essential lists' postings in [lo, hi].
func (s *search) scoreWindow(lo, hi uint32, essential int) {
	cs := s.cursors
	for _, o := range s.order[essential:] {
		c := &cs[o]
		c.advance(lo)
		bit, slotBit := uint64(1)<<o, uint64(1)<<c.slot
		ws := s.weights[o*window : (o+1)*window]
		for c.doc <= hi {
			d := c.doc - lo
			w := c.f.weight(c.tf, c.f.lens[c.doc])
			if s.mask[d] == 0 {
				s.touched[d/64] |= 1 << (d % 64)
			}
			s.mask[d] |= bit
			s.slotMask[d] |= slotBit
			ws[d] = w
			s.partial[d] += c.weight * float64(w)
			c.next()
		}
	}
}

// collect completes the touched passages of the window in passage order,
// looking up the other lists while a passage can still make the top k,
// and keeps the best in h. It returns h and the new k-th best score.
func (s *search) collect(h []Hit, k int, lo uint32, essential int, threshold float64) ([]Hit, float64) {
	cs := s.cursors
	for wi, word := range s.touched {
		for word != 0 {
			d := uint32(wi*64 + bits.TrailingZeros64(word))
			word &= word - 1
			p := s.partial[d]
			alive := true
			for j := essential - 1; j >= 0; j-- {
				if (p+s.bounds[j])*slack <= threshold {
					alive = false
					break
				}
				o := s.order[j]
				c := &cs[o]
				if s.slotMask[d]&(1<<c.slot) != 0 {
					continue // another layer of the term has the passage
				}
				c.advance(lo + d)
				if c.doc == lo+d {
					w := c.f.weight(c.tf, c.f.lens[c.doc])
					s.mask[d] |= 1 << o
					s.slotMask[d] |= 1 << c.slot
					s.weights[o*window+int(d)] = w
					p += c.weight * float64(w)
				}
			}
			if alive {
				// The exact score: contributions summed in query order.
				score := 0.0
				for mask := s.mask[d]; mask != 0; mask &= mask - 1 {
					o := bits.TrailingZeros64(mask)
					score += cs[o].weight * float64(s.weights[o*window+int(d)])
				}
				// Passages come in order, so one tying the k-th best
				// comes after it and loses the tie.
				if len(h) < k || score > threshold {
					h = pushHit(h, Hit{Passage: int(lo + d), Score: score}, k)
					if len(h) == k {
						threshold = h[0].Score
					}
				}
			}
			s.mask[d] = 0
			s.slotMask[d] = 0
			s.partial[d] = 0
		}
		s.touched[wi] = 0
	}
	return h, threshold
}
