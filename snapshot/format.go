package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unsafe"

	"github.com/talkbot/talkbot/corpus"
)

// The snapshot file, integers little-endian:
//
//	magic "TBSNAP\x00\x00", u32 format version, u64 manifest length M
//	manifest (M bytes), u32 CRC-32C of everything before it
//	u64 length, meta: per document its file, its strings' lengths and
//	    its passages' spans
//	u64 length, text: every document's strings, one after the other
//	u64 length, index: the lexical index (retrieval.Index.MarshalBinary)
//	u32 CRC-32C of everything before it
//
// The manifest comes first with a checksum of its own, so that Version
// can read it alone; the trailer covers the whole file.
const (
	magic         = "TBSNAP\x00\x00"
	formatVersion = 1
	headerSize    = len(magic) + 4 + 8
)

// ErrUnusable is what the errors of a snapshot that must not be served
// wrap: damaged, of another format or build, or for another directory.
var ErrUnusable = errors.New("unusable snapshot")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// manifest lists the files a snapshot was made from.
type manifest struct {
	build    string // the code that parsed them (buildID)
	dir      string // the corpus directory, absolute
	version  string // corpus.Corpus.Version
	scanned  int64  // when the files were stat'ed, Unix nanoseconds
	passages uint64
	files    []fileEntry
}

// fileEntry is one article file as a load found it.
type fileEntry struct {
	path  string // inside the corpus directory, '/'-separated
	size  int64
	mtime int64 // Unix nanoseconds
	sum   [32]byte
	err   string // why a lenient load left it out; "" for an article
}

// snap is a snapshot read back: its manifest and, unless only the
// manifest was read, the corpus it holds and its index's bytes.
type snap struct {
	manifest
	docs     []corpus.Document
	warnings [][]string // each document's parse warnings, without its path
	spans    [][2]uint32
	perDoc   []uint32 // passages of each document
	index    []byte
}

// encode writes s's manifest, c and index to w.
func encode(w io.Writer, m manifest, c *corpus.Corpus, warnings [][]string, index []byte) error {
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<20)
	e := &encoder{w: bw}

	var mb encoder
	mb.buf = &strings.Builder{}
	mb.str(m.build)
	mb.str(m.dir)
	mb.str(m.version)
	mb.u64(uint64(m.scanned))
	mb.u64(m.passages)
	mb.u64(uint64(len(m.files)))
	for _, f := range m.files {
		mb.str(f.path)
		mb.u64(uint64(f.size))
		mb.u64(uint64(f.mtime))
		mb.raw(f.sum[:])
		mb.str(f.err)
	}
	man := mb.buf.String()
	e.raw([]byte(magic))
	e.u32(formatVersion)
	e.u64(uint64(len(man)))
	e.raw([]byte(man))
	if err := e.flush(); err != nil {
		return err
	}
	e.u32(crc.Sum32())

	fileOf := map[string]uint32{}
	for i, f := range m.files {
		fileOf[f.path] = uint32(i)
	}
	perDoc := make([]uint32, len(c.Docs))
	for _, p := range c.Passages {
		perDoc[p.Doc]++
	}
	var meta encoder
	meta.buf = &strings.Builder{}
	meta.u64(uint64(len(c.Docs)))
	textLen := 0
	for i, d := range c.Docs {
		meta.u32(fileOf[d.Path])
		for _, s := range docStrings(d) {
			meta.u32(uint32(len(s)))
			textLen += len(s)
		}
		meta.u64(uint64(len(warnings[i])))
		for _, w := range warnings[i] {
			meta.u32(uint32(len(w)))
			textLen += len(w)
		}
		meta.u32(perDoc[i])
	}
	meta.u64(uint64(len(c.Passages)))
	for _, p := range c.Passages {
		meta.u32(uint32(p.Start))
		meta.u32(uint32(p.End))
	}
	e.u64(uint64(meta.buf.Len()))
	e.raw([]byte(meta.buf.String()))
	e.u64(uint64(textLen))
	for i, d := range c.Docs {
		for _, s := range docStrings(d) {
			e.str0(s)
		}
		for _, w := range warnings[i] {
			e.str0(w)
		}
	}
	e.u64(uint64(len(index)))
	e.raw(index)
	if err := e.flush(); err != nil {
		return err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := w.Write(sum[:]); err != nil {
		return err
	}
	return nil
}

// docStrings are the strings of a document the snapshot keeps, in their
// order in the file.
func docStrings(d corpus.Document) [6]string {
	return [6]string{d.ID, d.Title, d.Source, d.URL, d.Date, d.Text}
}

// readManifest reads the header and manifest of the snapshot in f,
// checked against their checksum, and returns the running checksum.
func readManifest(f *os.File) (manifest, hash.Hash32, error) {
	crc := crc32.New(castagnoli)
	head := make([]byte, headerSize)
	if _, err := io.ReadFull(f, head); err != nil {
		return manifest{}, nil, fmt.Errorf("%w: header: %w", ErrUnusable, err)
	}
	if string(head[:len(magic)]) != magic {
		return manifest{}, nil, fmt.Errorf("%w: not a snapshot file", ErrUnusable)
	}
	if v := binary.LittleEndian.Uint32(head[len(magic):]); v != formatVersion {
		return manifest{}, nil, fmt.Errorf("%w: format version %d, want %d", ErrUnusable, v, formatVersion)
	}
	n := binary.LittleEndian.Uint64(head[len(magic)+4:])
	st, err := f.Stat()
	if err != nil {
		return manifest{}, nil, err
	}
	if n > uint64(st.Size()) {
		return manifest{}, nil, fmt.Errorf("%w: manifest length past the end", ErrUnusable)
	}
	body := make([]byte, n+4)
	if _, err := io.ReadFull(f, body); err != nil {
		return manifest{}, nil, fmt.Errorf("%w: manifest: %w", ErrUnusable, err)
	}
	crc.Write(head)
	crc.Write(body[:n])
	if crc.Sum32() != binary.LittleEndian.Uint32(body[n:]) {
		return manifest{}, nil, fmt.Errorf("%w: manifest checksum mismatch", ErrUnusable)
	}
	crc.Write(body[n:])
	d := decoder{b: body[:n]}
	m := manifest{build: d.str(), dir: d.str(), version: d.str(), scanned: int64(d.u64()), passages: d.u64()}
	m.files = make([]fileEntry, d.count(8+8+8+32+8))
	for i := range m.files {
		f := &m.files[i]
		f.path = d.str()
		f.size = int64(d.u64())
		f.mtime = int64(d.u64())
		copy(f.sum[:], d.take(32))
		f.err = d.str()
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("bytes left over")
	}
	if d.err != nil {
		return manifest{}, nil, fmt.Errorf("%w: manifest: %w", ErrUnusable, d.err)
	}
	return m, crc, nil
}

// readSnapshot reads the whole snapshot at path: its manifest, then its
// sections, each in one read, checked against the file's checksum.
func readSnapshot(path string) (*snap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, crc, err := readManifest(f)
	if err != nil {
		return nil, err
	}
	return readBody(f, m, crc)
}

// readBody reads the sections that follow the manifest m in f, each in
// one read, and checks them against the file's checksum, which crc has
// run over the header and manifest.
func readBody(f *os.File, m manifest, crc hash.Hash32) (*snap, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	left := st.Size()
	if pos, err := f.Seek(0, io.SeekCurrent); err == nil {
		left -= pos
	}
	section := func(what string) ([]byte, error) {
		var n [8]byte
		if _, err := io.ReadFull(f, n[:]); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnusable, what, err)
		}
		left -= 8
		size := binary.LittleEndian.Uint64(n[:])
		if size > uint64(left) {
			return nil, fmt.Errorf("%w: %s length past the end", ErrUnusable, what)
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnusable, what, err)
		}
		left -= int64(size)
		crc.Write(n[:])
		crc.Write(b)
		return b, nil
	}
	meta, err := section("meta")
	if err != nil {
		return nil, err
	}
	text, err := section("text")
	if err != nil {
		return nil, err
	}
	index, err := section("index")
	if err != nil {
		return nil, err
	}
	var sum [4]byte
	if _, err := io.ReadFull(f, sum[:]); err != nil {
		return nil, fmt.Errorf("%w: checksum: %w", ErrUnusable, err)
	}
	if extra, _ := f.Read(make([]byte, 1)); extra != 0 {
		return nil, fmt.Errorf("%w: bytes past the checksum", ErrUnusable)
	}
	if crc.Sum32() != binary.LittleEndian.Uint32(sum[:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrUnusable)
	}
	s := &snap{manifest: m, index: index}
	if err := s.decodeCorpus(meta, text); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	return s, nil
}

// decodeCorpus fills s's documents and spans from the meta and text
// sections. The documents' strings share the text section's memory: it
// is never written after being read, so it can be one string.
func (s *snap) decodeCorpus(meta, textBytes []byte) error {
	text := unsafe.String(unsafe.SliceData(textBytes), len(textBytes))
	d := decoder{b: meta}
	off := 0
	next := func() string {
		n := int(d.u32())
		if d.err != nil || n > len(text)-off {
			if d.err == nil {
				d.err = errors.New("text past the end")
			}
			return ""
		}
		str := text[off : off+n]
		off += n
		return str
	}
	s.docs = make([]corpus.Document, d.count(4+6*4+8+4))
	s.warnings = make([][]string, len(s.docs))
	s.perDoc = make([]uint32, len(s.docs))
	for i := range s.docs {
		file := d.u32()
		if int(file) >= len(s.files) {
			return errors.New("document of no file")
		}
		doc := &s.docs[i]
		doc.Path = s.files[file].path
		doc.ID, doc.Title, doc.Source, doc.URL, doc.Date, doc.Text = next(), next(), next(), next(), next(), next()
		if nw := d.count(4); nw > 0 {
			s.warnings[i] = make([]string, nw)
			for k := range s.warnings[i] {
				s.warnings[i][k] = next()
			}
		}
		s.perDoc[i] = d.u32()
	}
	s.spans = make([][2]uint32, d.count(8))
	for i := range s.spans {
		s.spans[i] = [2]uint32{d.u32(), d.u32()}
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 || off != len(text) {
		return errors.New("sections do not match")
	}
	if uint64(len(s.spans)) != s.passages {
		return fmt.Errorf("%d passages, the manifest says %d", len(s.spans), s.passages)
	}
	return nil
}

// corpus returns the corpus the snapshot holds, with warnings (those of
// the walk first, as corpus.LoadFS orders them).
func (s *snap) corpus(walkWarnings []string) (*corpus.Corpus, error) {
	c := &corpus.Corpus{Docs: s.docs, Version: s.version, Warnings: append([]string(nil), walkWarnings...)}
	// The parse warnings come in the order the walk finds the files, as
	// corpus.LoadFS gives them, not in document order.
	var warned []int
	for i := range s.docs {
		if len(s.warnings[i]) > 0 {
			warned = append(warned, i)
		}
	}
	slices.SortFunc(warned, func(a, b int) int { return walkOrder(s.docs[a].Path, s.docs[b].Path) })
	for _, i := range warned {
		for _, w := range s.warnings[i] {
			c.Warnings = append(c.Warnings, s.docs[i].Path+": "+w)
		}
	}
	// Passage ids, "<doc>#<n>", all in one string.
	size := 0
	for i, d := range s.docs {
		for n := 1; n <= int(s.perDoc[i]); n++ {
			size += len(d.ID) + 1 + digits(n)
		}
	}
	var ids strings.Builder
	ids.Grow(size)
	ends := make([]int, 0, len(s.spans))
	c.Passages = make([]corpus.Passage, 0, len(s.spans))
	for i, d := range s.docs {
		for n := 1; n <= int(s.perDoc[i]); n++ {
			k := len(c.Passages)
			if k >= len(s.spans) {
				return nil, errors.New("more passages than spans")
			}
			sp := s.spans[k]
			if sp[0] > sp[1] || int(sp[1]) > len(d.Text) {
				return nil, fmt.Errorf("passage %d out of its document", k)
			}
			ids.WriteString(d.ID)
			ids.WriteByte('#')
			writeInt(&ids, n)
			ends = append(ends, ids.Len())
			c.Passages = append(c.Passages, corpus.Passage{Doc: i, Start: int(sp[0]), End: int(sp[1]), Text: d.Text[sp[0]:sp[1]]})
		}
	}
	if len(c.Passages) != len(s.spans) {
		return nil, errors.New("fewer passages than spans")
	}
	all, start := ids.String(), 0
	for i, end := range ends {
		c.Passages[i].ID = all[start:end]
		start = end
	}
	return c, nil
}

// walkOrder compares two paths in the order fs.WalkDir visits them:
// name by name, each directory's entries in lexical order.
func walkOrder(a, b string) int {
	return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

func writeInt(b *strings.Builder, n int) {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	b.Write(buf[i:])
}

// tempPattern names the temporary files snapshots are written to.
const tempPattern = ".snapshot-*"

// writeAtomic writes a file through a temporary file in the same
// directory, synced, then renamed over path: a reader sees the old file
// or the new one, never a part, and of concurrent writers one whole file
// is left.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// encoder appends little-endian values to a buffer or a writer.
type encoder struct {
	buf *strings.Builder
	w   *bufio.Writer
	err error
}

func (e *encoder) raw(p []byte) {
	if e.buf != nil {
		e.buf.Write(p)
		return
	}
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}

func (e *encoder) str0(s string) { // a string without its length
	if e.buf != nil {
		e.buf.WriteString(s)
		return
	}
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *encoder) u32(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	e.raw(b[:])
}

func (e *encoder) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	e.raw(b[:])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.str0(s)
}

func (e *encoder) flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
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
		return make([]byte, max(n, 0))
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }

// count reads a number of items of at least size bytes each, refusing
// one that could not fit in what is left.
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
