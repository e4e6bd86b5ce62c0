package retrieval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/talkbot/talkbot/corpus"
)

// The on-disk form of an index's lexical part: a header, the sections
// (the dictionary, then each field), and a CRC-32C of everything before
// it. Integers are little-endian.
const (
	fileMagic   = "TBINDEX\x00"
	fileVersion = 1
)

// ErrIndexFile is what ReadIndex's errors wrap when the file is not an
// index of this version for this corpus, or is damaged: the caller should
// rebuild, never serve it.
var ErrIndexFile = errors.New("unusable index file")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary returns the index's lexical part (not the dense one) in
// the versioned on-disk form, for the corpus it was built from.
func (ix *Index) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.bytes([]byte(fileMagic))
	e.u32(fileVersion)
	e.str(ix.corpus.Version)
	e.u64(uint64(len(ix.corpus.Passages)))
	e.str(ix.terms.text)
	e.u32s(ix.terms.ends)
	for _, f := range []*field{&ix.body, &ix.title} {
		e.u64(math.Float64bits(f.avgLen))
		e.u32s(f.lens)
		e.u32s(f.terms)
		e.u64(uint64(len(f.lists)))
		for _, l := range f.lists {
			e.u32(l.off)
			e.u32(l.blk)
			e.u32(l.df)
			e.u32(math.Float32bits(l.maxW))
		}
		e.u64(uint64(len(f.blocks)))
		for _, bl := range f.blocks {
			e.u32(bl.last)
			e.u32(bl.off)
			e.u32(math.Float32bits(bl.max))
		}
		e.u64(uint64(len(f.data)))
		e.bytes(f.data)
	}
	e.u32(crc32.Checksum(e.b, castagnoli))
	return e.b, nil
}

// ReadIndex returns the index that data (from MarshalBinary) holds for
// corpus c, without dense retrieval. It fails with an error wrapping
// ErrIndexFile if data is damaged (checksum), of another format version,
// or made for another corpus (its version or passage count).
func ReadIndex(data []byte, c *corpus.Corpus) (*Index, error) {
	if len(data) < len(fileMagic)+8 || string(data[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("%w: not an index file", ErrIndexFile)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrIndexFile)
	}
	d := decoder{b: body[len(fileMagic):]}
	if v := d.u32(); v != fileVersion {
		return nil, fmt.Errorf("%w: format version %d, want %d", ErrIndexFile, v, fileVersion)
	}
	if v := d.str(); v != c.Version {
		return nil, fmt.Errorf("%w: made for corpus version %q, not %q", ErrIndexFile, v, c.Version)
	}
	n := d.u64()
	if n != uint64(len(c.Passages)) {
		return nil, fmt.Errorf("%w: %d passages, the corpus has %d", ErrIndexFile, n, len(c.Passages))
	}
	ix := &Index{corpus: c}
	ix.terms.text = d.str()
	ix.terms.ends = d.u32s()
	for _, f := range []*field{&ix.body, &ix.title} {
		f.avgLen = math.Float64frombits(d.u64())
		f.lens = d.u32s()
		f.terms = d.u32s()
		f.lists = make([]list, d.count(16))
		for i := range f.lists {
			f.lists[i] = list{off: d.u32(), blk: d.u32(), df: d.u32(), maxW: math.Float32frombits(d.u32())}
		}
		f.blocks = make([]block, d.count(12))
		for i := range f.blocks {
			f.blocks[i] = block{last: d.u32(), off: d.u32(), max: math.Float32frombits(d.u32())}
		}
		f.data = append([]byte(nil), d.take(d.count(1))...)
		f.wtab = weightTable(f.avgLen)
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIndexFile, d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes left over", ErrIndexFile, len(d.b))
	}
	if err := ix.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIndexFile, err)
	}
	return ix, nil
}

// check verifies that the sections fit together, so that a file that
// passed its checksum but was written wrong cannot make a search read out
// of bounds.
func (ix *Index) check() error {
	n := len(ix.corpus.Passages)
	terms := len(ix.terms.ends)
	prev := uint32(0)
	for _, e := range ix.terms.ends {
		if e < prev || int(e) > len(ix.terms.text) {
			return errors.New("dictionary out of order")
		}
		prev = e
	}
	for _, f := range []*field{&ix.body, &ix.title} {
		if len(f.lens) != n || len(f.terms) != terms+1 || len(f.lists) == 0 {
			return errors.New("field sizes do not match")
		}
		if f.terms[0] != 0 || int(f.terms[terms]) != len(f.lists)-1 {
			return errors.New("term lists do not match")
		}
		for t := range terms {
			if f.terms[t] > f.terms[t+1] {
				return errors.New("term lists out of order")
			}
		}
		for i := range len(f.lists) - 1 {
			l, next := f.lists[i], f.lists[i+1]
			if l.off > next.off || l.blk > next.blk || int(next.off) > len(f.data) || int(next.blk) > len(f.blocks) {
				return errors.New("posting lists out of order")
			}
			nb := next.blk - l.blk
			if l.df > blockSize && nb != (l.df+blockSize-1)/blockSize || l.df <= blockSize && nb != 0 {
				return errors.New("blocks do not match their lists")
			}
		}
		if last := f.lists[len(f.lists)-1]; int(last.off) != len(f.data) || int(last.blk) != len(f.blocks) {
			return errors.New("posting lists do not fill the data")
		}
	}
	return nil
}

type encoder struct{ b []byte }

func (e *encoder) bytes(p []byte) { e.b = append(e.b, p...) }
func (e *encoder) u32(v uint32)   { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64)   { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) u32s(vs []uint32) {
	e.u64(uint64(len(vs)))
	for _, v := range vs {
		e.u32(v)
	}
}

// decoder reads what encoder wrote; past the end it records an error and
// returns zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		if d.err == nil {
			d.err = errors.New("truncated")
		}
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// count reads a length of items of size bytes each, refusing one longer
// than what is left.
func (d *decoder) count(size int) int {
	n := d.u64()
	if n > uint64(len(d.b)/size) {
		if d.err == nil {
			d.err = errors.New("length past the end")
		}
		return 0
	}
	return int(n)
}

func (d *decoder) str() string { return string(d.take(d.count(1))) }

func (d *decoder) u32s() []uint32 {
	vs := make([]uint32, d.count(4))
	for i := range vs {
		vs[i] = d.u32()
	}
	return vs
}
