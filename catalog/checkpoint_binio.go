package catalog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// The reading and writing of the binary checkpoint chunks (checkpoint_binary.go): varints,
// strings, string lists and times, and the arena of each object's unshared strings.

// Versions of the 'b' chunk body: a table writes its newest and reads every older one.
const (
	binVersion = 1 // history; entries with their items one field after another
	// binVersionPackedItems: entries with their items packed as ItemList holds them, restored
	// in one copy.
	binVersionPackedItems = 2
	// binVersionLoadSettings: entries with their load settings (Rules, WriteMode,
	// MaxRejectedPercent, Partitions) after the review, and items that may carry a range.
	binVersionLoadSettings = 3
	// binVersionTransform: entries with a derived entry's transform (JSON) at their end.
	binVersionTransform = 4
	// binVersionRetention: entries with their snapshot retention (RetainSnapshots, RetainDays)
	// after the transform.
	binVersionRetention = 5
	// binVersionShapes: entries with their items as the shape and the descriptions ItemList
	// holds, each as it is.
	binVersionShapes = 6
)

var errBinShort = errors.New("chunk ends inside an object")

type binWriter struct{ b []byte }

func (w *binWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *binWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *binWriter) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }

func (w *binWriter) boolean(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// optFloat writes a float that may be absent: a flag byte, then its IEEE 754 bits in 8 bytes.
func (w *binWriter) optFloat(f *float64) {
	w.boolean(f != nil)
	if f != nil {
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(*f))
	}
}

// optInt writes an int that may be absent: a flag byte, then a signed varint.
func (w *binWriter) optInt(v *int) {
	w.boolean(v != nil)
	if v != nil {
		w.varint(int64(*v))
	}
}

func (w *binWriter) strs(ss []string) {
	w.uvarint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

func (w *binWriter) time(t time.Time) error {
	start := len(w.b)
	w.b = append(w.b, 0)
	b, err := t.AppendBinary(w.b)
	if err != nil {
		return err
	}
	if n := len(b) - start - 1; n > 127 {
		return fmt.Errorf("time encodes in %d bytes", n)
	}
	b[start] = byte(len(b) - start - 1)
	w.b = b
	return nil
}

// binReader reads one chunk body; the first error sticks and every later read returns zero.
type binReader struct {
	b       []byte
	off     int
	err     error
	arena   []byte // the current object's unshared strings
	version uint64 // of the chunk
	shapes  shapeCache
}

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(errBinShort)
		return 0
	}
	r.off += n
	return v
}

// varint reads a zig-zag signed varint, as binary.AppendVarint writes it.
func (r *binReader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *binReader) boolean() bool {
	if r.err != nil || r.off >= len(r.b) {
		r.fail(errBinShort)
		return false
	}
	r.off++
	return r.b[r.off-1] != 0
}

// optFloat reads what binWriter.optFloat wrote; nil when absent.
func (r *binReader) optFloat() *float64 {
	if !r.boolean() {
		return nil
	}
	if r.err != nil || len(r.b)-r.off < 8 {
		r.fail(errBinShort)
		return nil
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
	r.off += 8
	return &f
}

// optInt reads what binWriter.optInt wrote; nil when absent.
func (r *binReader) optInt() *int {
	if !r.boolean() {
		return nil
	}
	v := int(r.varint())
	if r.err != nil {
		return nil
	}
	return &v
}

func (r *binReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(errBinShort)
		return nil
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

// own reads a string no other object shares into the object's arena.
func (r *binReader) own() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(r.arena)-len(r.arena) {
		r.fail(fmt.Errorf("strings exceed the %d bytes the object announced", cap(r.arena)))
		return ""
	}
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	// The arena is never written again below start+len(b) and never grows: the string stays
	// as decoded.
	return unsafe.String(&r.arena[start], len(b))
}

// shared reads a string the directory repeats: the shared one when there is one.
func (r *binReader) shared() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	interned.RLock()
	s, ok := interned.m[string(b)]
	interned.RUnlock()
	if ok {
		return s
	}
	return string(b)
}

func (r *binReader) sharedAll() []string { return r.strings(r.shared) }

func (r *binReader) ownAll() []string { return r.strings(r.own) }

// strings reads a list of strings, each by read; an empty list decodes as nil.
func (r *binReader) strings(read func() string) []string {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(errBinShort)
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = read()
	}
	return out
}

func (r *binReader) time() time.Time {
	if r.err != nil || r.off >= len(r.b) {
		r.fail(errBinShort)
		return time.Time{}
	}
	n := int(r.b[r.off])
	r.off++
	if n > len(r.b)-r.off {
		r.fail(errBinShort)
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(r.b[r.off : r.off+n]); err != nil {
		r.fail(err)
	}
	r.off += n
	return t
}

// begin starts an object: its arena of unshared strings.
func (r *binReader) begin() { r.beginExcept(0) }

// beginExcept starts an object of which elsewhere bytes of the strings it announces are kept
// elsewhere, not in its arena.
func (r *binReader) beginExcept(elsewhere int) {
	n := r.uvarint()
	if n > uint64(len(r.b)) || uint64(elsewhere) > n {
		r.fail(fmt.Errorf("object announces %d bytes of strings in a chunk of %d", n, len(r.b)))
		return
	}
	r.arena = make([]byte, 0, n-uint64(elsewhere))
}

// ownLen is the byte count of the strings of ss.
func ownLen(ss ...string) int {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	return n
}
