package catalog

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// The entries table holds buckets of entries, not a row per entry (code_buckets.go): a memdb
// row costs its radix leaf and node with their watch channels (about 400 bytes, 40 MB and four
// hundred thousand objects the collector marks at a province's 100,000 entries), and a
// checkpoint restore would insert the rows one at a time. Walking the buckets in key order is
// walking the entries in code order, whatever the codes look like.
//
// The entries under way (by status) and the links to scenes and business items are indexed in
// a table of their own, entry_marks, which holds the same entries, only those one of its indexes
// has (entryMarked): a province's published, unlinked bulk has no row there.

// entryBucket is one leaf of the entries: never empty, sorted by resource code.
type entryBucket = codeBucket[Entry]

var entryBuckets = codeBuckets[Entry]{table: tableEntries, code: func(e *Entry) string { return e.ResourceCode }}

// storedEntry returns the stored entry of code, nil when there is none.
func storedEntry(txn *memdb.Txn, code string) *Entry { return entryBuckets.get(txn, code) }

// putEntryRow stores e in place of old, the stored entry of its code (nil for a new one): in a
// new bucket, and in entry_marks as entryMarked says.
func putEntryRow(txn *memdb.Txn, old, e *Entry) error {
	if err := entryBuckets.put(txn, e); err != nil {
		return fmt.Errorf("insert entry %s: %w", e.ResourceCode, err)
	}
	return markEntry(txn, old, e)
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

// restoreEntryRow puts e into the buckets while a checkpoint loads (codeBuckets.restored), and
// into entry_marks as entryMarked says. It returns the last bucket.
func restoreEntryRow(txn *memdb.Txn, cur *entryBucket, e *Entry) (*entryBucket, error) {
	cur, err := entryBuckets.restored(txn, cur, e)
	if err != nil {
		return nil, err
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
	return entryIterator{entryBuckets.cursor(txn, from)}
}

// entryIterator is a cursor over the entries' buckets as a memdb iterator.
type entryIterator struct{ c *bucketCursor[Entry] }

// WatchCh is that of the buckets.
func (it entryIterator) WatchCh() <-chan struct{} { return it.c.watch() }

// Next returns the next entry, nil past the last.
func (it entryIterator) Next() any {
	if e := it.c.next(); e != nil {
		return e
	}
	return nil // an untyped nil, as memdb's iterators end
}

// eachEntry calls fn with every stored entry in code order.
func eachEntry(txn *memdb.Txn, fn func(*Entry)) { entryBuckets.each(txn, fn) }

// entryRows is the entries of a bucket as the checkpoint writes them, one object each.
var entryRows = bucketRows[Entry]
