package retrieval

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// blockSize is how many postings a posting list keeps together: a search
// skips whole blocks by their last passage, and bounds a block's scores
// by its largest weight.
const blockSize = 32

// Sizes of the table of precomputed BM25 weights: term frequencies below
// wtabTF in fields shorter than wtabLen terms, nearly every posting.
const (
	wtabTF  = 8
	wtabLen = 512
)

// done is a cursor's passage once its list is used up; no corpus has
// that many passages.
const done = math.MaxUint32

// dictionary maps every term of the index to its number: the terms,
// sorted, laid end to end in one string, found by binary search. It costs
// the terms' bytes and four more each, far less than a map.
type dictionary struct {
	text string
	ends []uint32 // term i is text[ends[i-1]:ends[i]] (from 0 for i = 0)
}

func (d *dictionary) term(i int) string {
	start := uint32(0)
	if i > 0 {
		start = d.ends[i-1]
	}
	return d.text[start:d.ends[i]]
}

// lookup returns the number of term, if the index has it.
func (d *dictionary) lookup(term string) (int, bool) {
	lo, hi := 0, len(d.ends)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if d.term(mid) < term {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < len(d.ends) && d.term(lo) == term
}

// block is what a posting list longer than one block keeps about each of
// its blocks.
type block struct {
	last uint32  // the block's last passage
	off  uint32  // where its first posting starts in the list's bytes
	max  float32 // the largest term weight in it
}

// field holds the inverted index of one text field of every passage.
//
// A posting list is a run of bytes in data: for each passage holding the
// term, in passage order, the gap from the previous one and whether the
// term occurs more than once, in one variable-length integer (gap−1)·2 +
// flag, followed by the term frequency − 2 when the flag is set. The BM25
// weight of a posting, tf·(k1+1) / (tf + k1·(1−b+b·len/avgLen)), is
// computed from the frequency and the passage's length exactly as it was
// when postings stored it, so scores are the same to the last bit.
//
// A term's postings in a field of layerMin passages or more are split by
// weight into layers, each its own list in passage order (impact layers):
// the few postings of high weight, then the middle, then the many of low
// weight, which a search can then bound apart and mostly skip.
type field struct {
	data   []byte
	lists  []list   // and one more, so that list l ends where l+1 starts
	terms  []uint32 // term t's lists are lists[terms[t]:terms[t+1]]
	blocks []block
	lens   []uint32 // terms in each passage's field
	avgLen float64
	wtab   []float32 // weight by len·wtabTF + tf, for small ones
}

// list is where a posting list lies and what bounds it.
type list struct {
	off  uint32  // its bytes are data[off:] up to the next list's
	blk  uint32  // its blocks are blocks[blk:] up to the next list's; none for one block
	df   uint32  // its postings
	maxW float32 // its largest term weight
}

// Impact layers: lists of at least layerMin postings are split by weight
// (see layerCuts).
const layerMin = 512

const layers = uint32(len(layerCuts)) + 1

// df returns the passages holding term t.
func (f *field) df(t int) int {
	n := 0
	for _, l := range f.lists[f.terms[t]:f.terms[t+1]] {
		n += int(l.df)
	}
	return n
}

// weight returns the BM25 weight of a term occurring tf times in a field
// of l terms.
func (f *field) weight(tf, l uint32) float32 {
	if tf < wtabTF && l < wtabLen {
		return f.wtab[l*wtabTF+tf]
	}
	return tfWeight(tf, l, f.avgLen)
}

// weightTable returns the weights of small frequencies in short fields.
func weightTable(avgLen float64) []float32 {
	t := make([]float32, wtabLen*wtabTF)
	for l := range uint32(wtabLen) {
		for tf := uint32(1); tf < wtabTF; tf++ {
			t[l*wtabTF+tf] = tfWeight(tf, l, avgLen)
		}
	}
	return t
}

func tfWeight(tf, l uint32, avgLen float64) float32 {
	t := float64(tf)
	norm := k1 * (1 - b + b*float64(l)/avgLen)
	return float32(t * (k1 + 1) / (t + norm))
}

func uvarintLen(v uint32) uint32 {
	n := uint32(1)
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func putUvarint(b []byte, v uint32) int {
	i := 0
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
	return i + 1
}

// uvarint decodes a variable-length integer at b[pos:] and returns it and
// the position after it.
func uvarint(b []byte, pos int) (uint32, int) {
	c := b[pos]
	if c < 0x80 {
		return uint32(c), pos + 1
	}
	v := uint32(c & 0x7f)
	for shift := 7; ; shift += 7 {
		pos++
		c = b[pos]
		if c < 0x80 {
			return v | uint32(c)<<shift, pos + 1
		}
		v |= uint32(c&0x7f) << shift
	}
}

// postingLen is the number of bytes of a posting gap passages after the
// previous one, with frequency tf.
func postingLen(gap, tf uint32) uint32 {
	if tf > 1 {
		return uvarintLen((gap-1)<<1|1) + uvarintLen(tf-2)
	}
	return uvarintLen((gap - 1) << 1)
}

// fieldBuilder lays out the posting lists of one field in two passes
// over the passages: the first counts each list's postings and bytes, the
// second writes them into one array of the exact size.
//
// Which layer a posting goes to is decided from its tf and length with a
// weight estimated from the average length of a sample of the first
// passages (the exact average is known only after the first pass): any
// split is as correct as another, since each layer's bound is its largest
// exact weight, and this one is known in the first pass. Whether a term is
// split at all is known only after it, so the first pass sizes both ways.
type fieldBuilder struct {
	f         field
	total     int
	sampleAvg float64
	// per term, in the numbering of the first pass
	df, size, last []uint32
	// per term and layer
	lsize, llast, lcount []uint32
	base                 []uint32 // the term's first list
}

// layerCuts are the estimated weights where the layers of a long list
// split: postings of weight 1.45 and more (a term two or three times in a
// passage, or once in a very short one), from 1.1, and below (once in a
// passage of average length or longer: most of them).
var layerCuts = [...]float32{1.45, 1.1}

func newFieldBuilder(n int, sampleAvg float64) *fieldBuilder {
	return &fieldBuilder{f: field{lens: make([]uint32, n)}, sampleAvg: sampleAvg}
}

// layerOf returns the layer a posting of a long list goes to.
func (fb *fieldBuilder) layerOf(tf, l uint32) uint32 {
	w := tfWeight(tf, l, fb.sampleAvg)
	for j, c := range layerCuts {
		if w >= c {
			return uint32(j)
		}
	}
	return layers - 1
}

func (fb *fieldBuilder) grow(id uint32) {
	for int(id) >= len(fb.df) {
		fb.df = append(fb.df, 0)
		fb.size = append(fb.size, 0)
		fb.last = append(fb.last, done)
		for range layers {
			fb.lsize = append(fb.lsize, 0)
			fb.llast = append(fb.llast, done)
			fb.lcount = append(fb.lcount, 0)
		}
	}
}

// count records, in the first pass, that passage i holds term id tf times.
func (fb *fieldBuilder) count(id, i, tf uint32) {
	fb.grow(id)
	fb.df[id]++
	fb.size[id] += postingLen(i-fb.last[id], tf) // from done, i+1 wraps to the gap
	fb.last[id] = i
	k := id*layers + fb.layerOf(tf, fb.f.lens[i])
	fb.lsize[k] += postingLen(i-fb.llast[k], tf)
	fb.llast[k] = i
	fb.lcount[k]++
}

// layered reports whether term id's lists are split by weight.
func (fb *fieldBuilder) layered(id uint32) bool { return fb.df[id] >= layerMin }

// layout ends the first pass: it sets the average length, carves the
// lists out of one array in the order of the sorted terms (rank gives each
// first-pass id its place), and readies the second pass. It fails if the
// lists do not fit in 4 GiB.
func (fb *fieldBuilder) layout(rank []uint32, n int) error {
	f := &fb.f
	terms := len(rank)
	if terms > 0 {
		fb.grow(uint32(terms - 1))
	}
	f.avgLen = 1
	if n > 0 && fb.total > 0 {
		f.avgLen = float64(fb.total) / float64(n)
	}
	f.wtab = weightTable(f.avgLen)
	order := make([]uint32, terms)
	for id, r := range rank {
		order[r] = uint32(id)
	}
	f.terms = make([]uint32, terms+1)
	fb.base = make([]uint32, terms)
	var off, blk uint64
	add := func(size, count uint32) uint32 {
		f.lists = append(f.lists, list{off: uint32(off), blk: uint32(blk), df: count})
		off += uint64(size)
		if count > blockSize {
			blk += uint64((count + blockSize - 1) / blockSize)
		}
		return uint32(off) - size // where the second pass writes next
	}
	for r, id := range order {
		f.terms[r] = uint32(len(f.lists))
		fb.base[id] = uint32(len(f.lists))
		switch {
		case fb.layered(id):
			for layer := range layers {
				k := id*layers + layer
				fb.lsize[k] = add(fb.lsize[k], fb.lcount[k])
				fb.lcount[k], fb.llast[k] = 0, done
			}
		case fb.df[id] > 0:
			k := id * layers
			fb.lsize[k] = add(fb.size[id], fb.df[id])
			fb.lcount[k], fb.llast[k] = 0, done
		}
		if off > math.MaxUint32 {
			return fmt.Errorf("posting lists over 4 GiB")
		}
	}
	f.terms[terms] = uint32(len(f.lists))
	f.lists = append(f.lists, list{off: uint32(off), blk: uint32(blk)})
	f.lists = slices.Clip(f.lists)
	f.data = make([]byte, off)
	f.blocks = make([]block, blk)
	fb.size, fb.last = nil, nil
	return nil
}

// write records, in the second pass, that passage i holds term id tf
// times.
func (fb *fieldBuilder) write(id, i, tf uint32) {
	f := &fb.f
	w := f.weight(tf, f.lens[i])
	layer := uint32(0)
	if fb.layered(id) {
		layer = fb.layerOf(tf, f.lens[i])
	}
	k := id*layers + layer
	l := &f.lists[fb.base[id]+layer]
	gap := i - fb.llast[k]
	fb.llast[k] = i
	at := fb.lsize[k]
	if next := f.lists[fb.base[id]+layer+1].blk; next > l.blk {
		bl := &f.blocks[l.blk+fb.lcount[k]/blockSize]
		if fb.lcount[k]%blockSize == 0 {
			bl.off = at - l.off
		}
		bl.last = i
		bl.max = max(bl.max, w)
	}
	fb.lcount[k]++
	l.maxW = max(l.maxW, w)
	if tf > 1 {
		at += uint32(putUvarint(f.data[at:], (gap-1)<<1|1))
		at += uint32(putUvarint(f.data[at:], tf-2))
	} else {
		at += uint32(putUvarint(f.data[at:], (gap-1)<<1))
	}
	fb.lsize[k] = at
}

// finish returns the field, dropping what only building needed.
func (fb *fieldBuilder) finish() field {
	f := fb.f
	*fb = fieldBuilder{}
	return f
}

// newDictionary returns the dictionary of terms (numbered as given) and
// the rank of each term's number in it.
func newDictionary(terms []string) (dictionary, []uint32) {
	order := make([]uint32, len(terms))
	size := 0
	for i, t := range terms {
		order[i] = uint32(i)
		size += len(t)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(terms[a], terms[b]) })
	rank := make([]uint32, len(terms))
	var sb strings.Builder
	sb.Grow(size)
	d := dictionary{ends: make([]uint32, len(terms))}
	for r, id := range order {
		rank[id] = uint32(r)
		sb.WriteString(terms[id])
		d.ends[r] = uint32(sb.Len())
	}
	d.text = sb.String()
	return d, rank
}

// cursor walks one posting list of a search.
type cursor struct {
	f       *field
	data    []byte
	blocks  []block
	df      uint32
	i       uint32 // postings read
	pos     int
	doc     uint32 // the current posting's passage, or done
	tf      uint32
	weight  float64 // idf · field boost · query weight
	bound   float64 // weight · the list's largest term weight
	shallow int     // a block at or before the one holding the postings still to be looked at
	slot    int     // the term and field it is a layer of, in query order
}

func (c *cursor) init(f *field, l int, weight float64) {
	c.f = f
	li, next := f.lists[l], f.lists[l+1]
	c.data = f.data[li.off:next.off]
	c.blocks = nil
	if next.blk > li.blk {
		c.blocks = f.blocks[li.blk:next.blk]
	}
	c.df = li.df
	c.i, c.pos, c.doc, c.shallow = 0, 0, done, 0 // done+gap wraps to the first passage
	c.weight = weight
	c.bound = weight * float64(li.maxW)
	c.next()
}

// next moves to the next posting.
func (c *cursor) next() {
	if c.i == c.df {
		c.doc = done
		return
	}
	var v uint32
	v, c.pos = uvarint(c.data, c.pos)
	c.doc += v>>1 + 1
	c.tf = 1
	if v&1 != 0 {
		c.tf, c.pos = uvarint(c.data, c.pos)
		c.tf += 2
	}
	c.i++
}

// advance moves to the first posting at or after passage target,
// skipping whole blocks that end before it.
func (c *cursor) advance(target uint32) {
	if c.doc >= target {
		return
	}
	if c.blocks != nil {
		bl := int(c.i-1) / blockSize
		if c.blocks[bl].last < target {
			for bl++; bl < len(c.blocks) && c.blocks[bl].last < target; bl++ {
			}
			if bl == len(c.blocks) {
				c.i, c.doc = c.df, done
				return
			}
			c.pos = int(c.blocks[bl].off)
			c.i = uint32(bl * blockSize)
			c.doc = c.blocks[bl-1].last
		}
	}
	for c.next(); c.doc < target; c.next() {
	}
}

// score returns the cursor's contribution to the score of its passage.
func (c *cursor) score() float64 {
	return c.weight * float64(c.f.weight(c.tf, c.f.lens[c.doc]))
}

// windowMax bounds what the list adds to any passage in [lo, hi]: its
// weight times the largest term weight of its blocks that overlap the
// window; nothing if its next posting is known to lie past it.
func (c *cursor) windowMax(lo, hi uint32) float64 {
	if c.doc == done || c.doc > hi {
		return 0
	}
	if c.blocks == nil {
		return c.bound
	}
	bl := max(c.shallow, int(c.i-1)/blockSize)
	for bl < len(c.blocks) && c.blocks[bl].last < lo {
		bl++
	}
	c.shallow = bl
	if bl == len(c.blocks) {
		return 0
	}
	m := c.blocks[bl].max
	for ; c.blocks[bl].last < hi && bl+1 < len(c.blocks); bl++ {
		m = max(m, c.blocks[bl+1].max)
	}
	return c.weight * float64(m)
}

// advanceShallow moves the cursor's block pointer, without decoding, to
// the block holding the first posting at or after target.
func (c *cursor) advanceShallow(target uint32) {
	if c.blocks == nil {
		return
	}
	bl := max(c.shallow, int(c.i-1)/blockSize)
	for bl < len(c.blocks) && c.blocks[bl].last < target {
		bl++
	}
	c.shallow = bl
}

// nextAtLeast returns a passage at or after target that no posting of
// the list at or after target comes before: the current posting's if it
// is there, else the first passage after the block before the shallow
// block, else target; done if the list has nothing from target on. A list
// of one block is simply advanced.
func (c *cursor) nextAtLeast(target uint32) uint32 {
	if c.doc >= target {
		return c.doc
	}
	if c.blocks == nil {
		c.advance(target) // one block at most: cheap to decode
		return c.doc
	}
	if c.shallow == len(c.blocks) {
		return done
	}
	if c.shallow > 0 {
		return max(target, c.blocks[c.shallow-1].last+1)
	}
	return target
}
