package catalog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/hashicorp/go-memdb"
)

// A history row keeps its entry's versions packed into one string and decodes them only when
// someone reads the history: a province's directory holds hundreds of thousands of versions that
// are written once and rarely read, and a decoded version costs its struct, its strings and its
// slice of changes, ten times its packed size. The row is immutable, so a version is added by
// storing a new row whose string is the old one with the new version appended; memdb snapshots
// may still hold the old row.
//
// A version is packed field by field in a fixed order, every field but Entry (the row's):
// the index, the time as unix seconds (zig-zag varint) and nanoseconds, in UTC as addHistory
// records it, the actor's id and name, action, status, note, then the count of changes and
// each change's field, label, old and new. Numbers are uvarints, strings a uvarint length and
// the bytes. A field added to History or FieldChange must be added here too
// (TestBinaryCodecCarriesEveryField fails until it is).

// historyRow holds the versions of one entry, oldest first. One row per entry, not per version:
// a memdb row costs its radix leaf and node (about 500 bytes), more than a packed version.
type historyRow struct {
	Entry  string
	Count  int    // versions in Packed
	Packed string // never changed once stored
}

// with returns a new row holding the versions of r, if any, followed by h.
func (r *historyRow) with(entry string, h *History) *historyRow {
	var scratch [256]byte
	enc := packVersion(scratch[:0], h)
	out := &historyRow{Entry: entry, Count: 1}
	var sb strings.Builder
	if r != nil {
		out.Entry, out.Count = r.Entry, r.Count+1
		sb.Grow(len(r.Packed) + len(enc))
		sb.WriteString(r.Packed)
	} else {
		sb.Grow(len(enc))
	}
	sb.Write(enc)
	out.Packed = sb.String()
	return out
}

// versions decodes the versions of r, oldest first. The strings of the versions are substrings
// of the packed string, which never changes.
func (r *historyRow) versions() ([]History, error) {
	out := make([]History, r.Count)
	err := walkVersions(r.Packed, r.Count, func(i int) *History {
		out[i].Entry = r.Entry
		return &out[i]
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", r.Entry, err)
	}
	return out, nil
}

// checkPacked verifies that packed holds exactly n versions, without keeping them.
func checkPacked(packed string, n int) error {
	var h History // reused: its Changes keep their capacity from one version to the next
	return walkVersions(packed, n, func(int) *History { return &h })
}

func packVersion(b []byte, h *History) []byte {
	b = binary.AppendUvarint(b, h.Index)
	b = binary.AppendVarint(b, h.At.Unix())
	b = binary.AppendUvarint(b, uint64(h.At.Nanosecond()))
	b = packString(b, h.Actor.ID)
	b = packString(b, h.Actor.Name)
	b = packString(b, h.Action)
	b = packString(b, h.Status)
	b = packString(b, h.Note)
	b = binary.AppendUvarint(b, uint64(len(h.Changes)))
	for _, c := range h.Changes {
		b = packString(b, c.Field)
		b = packString(b, c.Label)
		b = packString(b, c.Old)
		b = packString(b, c.New)
	}
	return b
}

func packString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errPackedCount = errors.New("packed history does not hold the versions it counts")

// walkVersions decodes the n versions of packed in order, each into the History at(i) gives,
// and fails unless they end exactly at the end of packed.
func walkVersions(packed string, n int, at func(i int) *History) error {
	if n < 0 || n > len(packed) { // a version takes several bytes
		return errPackedCount
	}
	// The reader only reads: a byte view of the string is never written.
	r := packReader{binReader: binReader{b: unsafe.Slice(unsafe.StringData(packed), len(packed))}, s: packed}
	for i := range n {
		r.version(at(i))
		if r.err != nil {
			return r.err
		}
	}
	if r.off != len(packed) {
		return errPackedCount
	}
	return nil
}

// packReader reads a packed string: its strings are substrings of it, never copies.
type packReader struct {
	binReader
	s string
}

func (r *packReader) str() string {
	n := len(r.bytes())
	if r.err != nil || n == 0 {
		return ""
	}
	return r.s[r.off-n : r.off]
}

func (r *packReader) version(h *History) {
	h.Index = r.uvarint()
	sec, nsec := r.varint(), r.uvarint()
	if nsec >= uint64(time.Second) {
		r.fail(fmt.Errorf("packed history: %d nanoseconds", nsec))
		return
	}
	h.At = time.Unix(sec, int64(nsec)).UTC()
	h.Actor.ID = r.str()
	h.Actor.Name = r.str()
	h.Action = r.str()
	h.Status = r.str()
	h.Note = r.str()
	n := r.uvarint()
	if n > uint64(len(r.b)-r.off) {
		r.fail(errBinShort)
		return
	}
	h.Changes = h.Changes[:0]
	if n > 0 && cap(h.Changes) == 0 {
		h.Changes = make([]FieldChange, 0, n)
	}
	for range n {
		h.Changes = append(h.Changes, FieldChange{Field: r.str(), Label: r.str(), Old: r.str(), New: r.str()})
	}
}

// historyRowsVersion is the version of a binary history chunk of packed rows; version 1
// (binVersion) held one object per version (decodeHistory) and is still read.
const historyRowsVersion = 2

// historyCodec writes the history in checkpoints as its rows, each with its packed string as
// it is, so that restoring a row is one copy and one insert. Checkpoints written before hold
// one object per version, in binary (version 1), gob, JSON or version 1 records; they still
// load, each version packed onto the row of its entry. Rows are written only in the binary
// format, so the codec has no gob encoder.
func historyCodec() ckptCodec {
	c := objectsOf[History](tableHistory)
	c.encodeGob = nil
	c.insert = func(txn *memdb.Txn, obj any) error {
		if row, ok := obj.(*historyRow); ok {
			return putHistoryRow(txn, row)
		}
		_, err := appendHistory(txn, obj.(*History))
		return err
	}
	c.restore = restoreHistory
	c.encodeBin = encodeHistoryRows
	c.decodeBin = func(body []byte) ([]any, error) {
		r := &binReader{b: body}
		switch v := r.uvarint(); {
		case r.err != nil:
			return nil, r.err
		case v == binVersion:
			return decodeBinary(body, binVersion, decodeHistory)
		case v == historyRowsVersion:
			return decodeHistoryRows(r)
		default:
			return nil, fmt.Errorf("binary history chunk version %d is not supported", v)
		}
	}
	return c
}

// restoreHistory returns the insert of one checkpoint load: rows go into their buckets in place
// (restoreHistoryRow), one memdb insert per bucket. Older checkpoints hold the versions of an
// entry one after another: the first makes a new row, and the others are packed onto that row
// in place (nobody reads it before the load ends).
func restoreHistory() func(*memdb.Txn, any) error {
	var (
		last *historyRow
		cur  *historyBucket
	)
	return func(txn *memdb.Txn, obj any) error {
		h, ok := obj.(*History)
		if !ok {
			last = nil
			var err error
			cur, err = restoreHistoryRow(txn, cur, obj.(*historyRow))
			return err
		}
		if last != nil && h.Entry == last.Entry {
			*last = *last.with(last.Entry, h)
			return nil
		}
		if row := historyRowOf(txn, h.Entry); row != nil { // versions apart were never written, yet load
			*row = *row.with(row.Entry, h)
			last = row
			return nil
		}
		last = (*historyRow)(nil).with(h.Entry, h)
		var err error
		cur, err = restoreHistoryRow(txn, cur, last)
		return err
	}
}

// encodeHistoryRows writes rows: each its entry code, count and packed string.
func encodeHistoryRows(w *binWriter, objs []any) error {
	w.uvarint(historyRowsVersion)
	w.uvarint(uint64(len(objs)))
	for _, o := range objs {
		row := o.(*historyRow)
		w.str(row.Entry)
		w.uvarint(uint64(row.Count))
		w.str(row.Packed)
	}
	return nil
}

// decodeHistoryRows reads the rows after the version, checking that each packed string holds
// the versions it counts: a read of the history never meets a damaged row.
func decodeHistoryRows(r *binReader) ([]any, error) {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, fmt.Errorf("binary history chunk: bad row count")
	}
	out := make([]any, 0, n)
	for range n {
		row := &historyRow{Entry: string(r.bytes())}
		count := r.uvarint()
		packed := r.bytes()
		if r.err != nil {
			return nil, r.err
		}
		if count > uint64(len(packed)) {
			return nil, fmt.Errorf("history of %s: %w", row.Entry, errPackedCount)
		}
		row.Count, row.Packed = int(count), string(packed)
		if err := checkPacked(row.Packed, row.Count); err != nil {
			return nil, fmt.Errorf("history of %s: %w", row.Entry, err)
		}
		out = append(out, row)
	}
	if r.off != len(r.b) {
		return nil, fmt.Errorf("%d bytes after the last row", len(r.b)-r.off)
	}
	return out, nil
}
