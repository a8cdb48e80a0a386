package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// The entries table holds buckets of entries, not a row per entry: a memdb row costs its radix
// leaf and node with their watch channels (about 400 bytes, 40 MB and four hundred thousand
// objects the collector marks at a province's 100,000 entries), and a checkpoint restore would
// insert the rows one at a time. The buckets are the leaves of a B+tree over the resource codes:
// a bucket holds the entries from its First code up to the next bucket's, sorted by code, at most
// maxEntryBucket of them. An entry whose code comes before every bucket joins the first one,
// which is then stored under its code; a bucket that outgrows the bound is split in halves.
// Stored buckets are never changed, so memdb snapshots keep reading their own: a write copies
// the bucket's slice of entry pointers. Iterating the buckets in key order is iterating the
// entries in code order, whatever the codes look like.
//
// The entries under way (by status) and the links to scenes and business items are indexed in
// a table of their own, entry_marks, which holds the same entries, only those one of its indexes
// has (entryMarked): a province's published, unlinked bulk has no row there.

// entryBucket is one leaf of the entries: never empty, sorted by resource code.
type entryBucket struct {
	First   string // its memdb key: no entry of a later bucket comes before it
	Entries []*Entry
}

// maxEntryBucket bounds a bucket: a write copies up to this many pointers. A checkpoint restore
// fills buckets to restoredEntryBucket, leaving room for the entries registered after.
const (
	maxEntryBucket      = 128
	restoredEntryBucket = 100
)

// find returns the position of code in b, and whether it is there.
func (b *entryBucket) find(code string) (int, bool) {
	return slices.BinarySearchFunc(b.Entries, code, func(e *Entry, c string) int { return strings.Compare(e.ResourceCode, c) })
}

// bucketFor returns the bucket that holds code, or would: the last one whose First is at or
// before code, else the first one; nil when there are none.
func bucketFor(txn *memdb.Txn, code string) *entryBucket {
	it, err := txn.ReverseLowerBound(tableEntries, indexID, code)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tableEntries, err)) // schema bug, not input
	}
	if raw := it.Next(); raw != nil {
		return raw.(*entryBucket)
	}
	raw, err := txn.First(tableEntries, indexID)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tableEntries, err))
	}
	if raw == nil {
		return nil
	}
	return raw.(*entryBucket)
}

// storedEntry returns the stored entry of code, nil when there is none.
func storedEntry(txn *memdb.Txn, code string) *Entry {
	if b := bucketFor(txn, code); b != nil {
		if i, ok := b.find(code); ok {
			return b.Entries[i]
		}
	}
	return nil
}

// putEntryRow stores e in place of old, the stored entry of its code (nil for a new one): in a
// new bucket, and in entry_marks as entryMarked says.
func putEntryRow(txn *memdb.Txn, old, e *Entry) error {
	if err := putInBucket(txn, e); err != nil {
		return fmt.Errorf("insert entry %s: %w", e.ResourceCode, err)
	}
	return markEntry(txn, old, e)
}

func putInBucket(txn *memdb.Txn, e *Entry) error {
	b := bucketFor(txn, e.ResourceCode)
	if b == nil {
		return txn.Insert(tableEntries, &entryBucket{First: e.ResourceCode, Entries: []*Entry{e}})
	}
	i, found := b.find(e.ResourceCode)
	n := &entryBucket{First: b.First}
	if found {
		n.Entries = slices.Clone(b.Entries)
		n.Entries[i] = e
		return txn.Insert(tableEntries, n)
	}
	n.Entries = slices.Insert(slices.Clone(b.Entries), i, e)
	if i == 0 && e.ResourceCode < b.First {
		// Before every bucket: the first one covers it from now on, under its code.
		if err := txn.Delete(tableEntries, b); err != nil {
			return err
		}
		n.First = e.ResourceCode
	}
	if len(n.Entries) <= maxEntryBucket {
		return txn.Insert(tableEntries, n)
	}
	half := len(n.Entries) / 2
	right := &entryBucket{First: n.Entries[half].ResourceCode, Entries: slices.Clone(n.Entries[half:])}
	n.Entries = slices.Clip(n.Entries[:half])
	if err := txn.Insert(tableEntries, n); err != nil {
		return err
	}
	return txn.Insert(tableEntries, right)
}

// entryMarked reports whether an entry has a row in entry_marks: it is under way (statusIndexed)
// or serves a scene or business item.
func entryMarked(e *Entry) bool {
	return statusIndexed(e.Status) || len(e.Scenes) > 0 || len(e.BusinessItems) > 0
}

// markEntry keeps e's row in entry_marks, old being the version it replaces (nil for none).
func markEntry(txn *memdb.Txn, old, e *Entry) error {
	var err error
	switch {
	case entryMarked(e):
		err = txn.Insert(tableEntryMarks, e)
	case old != nil && entryMarked(old):
		err = txn.Delete(tableEntryMarks, old)
	}
	if err != nil {
		return fmt.Errorf("index entry %s: %w", e.ResourceCode, err)
	}
	return nil
}

// restoreEntryRow puts e into the buckets while a checkpoint loads, when the buckets are this
// load's own and nobody reads them: a checkpoint is written in code order, so e usually comes
// after every entry so far and is appended in place to cur, the last bucket (nil: look it up),
// or starts a new one after it. It returns the last bucket. An entry out of order is stored as
// any write is, and the last bucket is looked up again for the next.
func restoreEntryRow(txn *memdb.Txn, cur *entryBucket, e *Entry) (*entryBucket, error) {
	if cur == nil {
		raw, err := txn.Last(tableEntries, indexID)
		if err != nil {
			return nil, fmt.Errorf("insert entry %s: %w", e.ResourceCode, err)
		}
		if raw != nil {
			cur = raw.(*entryBucket)
		}
	}
	if cur != nil && e.ResourceCode <= cur.Entries[len(cur.Entries)-1].ResourceCode {
		if storedEntry(txn, e.ResourceCode) != nil {
			return nil, fmt.Errorf("entry %s appears twice", e.ResourceCode)
		}
		return nil, putEntryRow(txn, nil, e)
	}
	if cur != nil && len(cur.Entries) < restoredEntryBucket {
		cur.Entries = append(cur.Entries, e)
	} else {
		cur = &entryBucket{First: e.ResourceCode, Entries: make([]*Entry, 1, restoredEntryBucket)}
		cur.Entries[0] = e
		if err := txn.Insert(tableEntries, cur); err != nil {
			return nil, fmt.Errorf("insert entry %s: %w", e.ResourceCode, err)
		}
	}
	if entryMarked(e) {
		if err := txn.Insert(tableEntryMarks, e); err != nil {
			return nil, fmt.Errorf("index entry %s: %w", e.ResourceCode, err)
		}
	}
	return cur, nil
}

// entriesFrom iterates the stored entries in code order from the first whose code is at or
// after from ("" for all), as a memdb iterator of *Entry.
func entriesFrom(txn *memdb.Txn, from string) memdb.ResultIterator {
	it := &entryIterator{}
	start := bucketFor(txn, from)
	if start == nil {
		return it
	}
	buckets, err := txn.LowerBound(tableEntries, indexID, start.First)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tableEntries, err)) // schema bug, not input
	}
	it.buckets = buckets
	it.next()
	it.i, _ = it.cur.find(from)
	return it
}

// entryIterator walks the entries of the buckets an iterator of buckets yields.
type entryIterator struct {
	buckets memdb.ResultIterator
	cur     *entryBucket
	i       int
}

func (it *entryIterator) next() {
	it.cur, it.i = nil, 0
	if raw := it.buckets.Next(); raw != nil {
		it.cur = raw.(*entryBucket)
	}
}

// WatchCh is that of the buckets.
func (it *entryIterator) WatchCh() <-chan struct{} {
	if it.buckets == nil {
		return nil
	}
	return it.buckets.WatchCh()
}

// Next returns the next entry, nil past the last.
func (it *entryIterator) Next() any {
	for it.cur != nil && it.i >= len(it.cur.Entries) {
		it.next()
	}
	if it.cur == nil {
		return nil
	}
	e := it.cur.Entries[it.i]
	it.i++
	return e
}

// eachEntry calls fn with every stored entry in code order.
func eachEntry(txn *memdb.Txn, fn func(*Entry)) {
	each(txn, tableEntries, indexID, func(b *entryBucket) {
		for _, e := range b.Entries {
			fn(e)
		}
	})
}

// entryRows is the entries of a bucket as the checkpoint writes them, one object each.
func entryRows(row any) []any {
	b := row.(*entryBucket)
	out := make([]any, len(b.Entries))
	for i, e := range b.Entries {
		out[i] = e
	}
	return out
}
