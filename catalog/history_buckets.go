package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// The history table holds buckets of rows, not a row per entry: a memdb row costs its radix
// leaf and node with their watch channels (about 330 bytes, more than a packed history, and
// half a million objects the collector marks at a province's 100,000 entries), and a
// checkpoint restore inserts rows one at a time. A bucket holds the rows of the entries whose
// resource codes differ only in their last two characters (the end of the sequence number: at
// most a hundred entries), sorted by code. Adding a version copies the bucket's slice of row
// pointers with the entry's new row in it and stores the new bucket; a stored bucket is never
// changed, so memdb snapshots keep reading their own. A restore fills buckets in place before
// anyone can read them (restoreHistory), one insert per bucket.

// historyBucket is the history rows of one bucket, sorted by entry code.
type historyBucket struct {
	Key  string // historyBucketOf the codes of its rows
	Rows []*historyRow
}

// historyBucketOf is the bucket of the history of code: "#" and the code less its last two
// characters (bytes), never empty as memdb's keys must not be.
func historyBucketOf(code string) string {
	return "#" + code[:max(0, len(code)-2)]
}

func bucketTxn(txn *memdb.Txn, key string) *historyBucket {
	return lookup[historyBucket](txn, tableHistory, key)
}

// find returns the position of code's row in b, and whether it is there.
func (b *historyBucket) find(code string) (int, bool) {
	if b == nil {
		return 0, false
	}
	return slices.BinarySearchFunc(b.Rows, code, func(r *historyRow, c string) int { return strings.Compare(r.Entry, c) })
}

// historyRowOf returns the history row of code, nil when it has none.
func historyRowOf(txn *memdb.Txn, code string) *historyRow {
	b := bucketTxn(txn, historyBucketOf(code))
	if i, ok := b.find(code); ok {
		return b.Rows[i]
	}
	return nil
}

// putHistoryRow stores a bucket holding row in place of the entry's row before, if any.
func putHistoryRow(txn *memdb.Txn, row *historyRow) error {
	key := historyBucketOf(row.Entry)
	old := bucketTxn(txn, key)
	i, found := old.find(row.Entry)
	n := &historyBucket{Key: key}
	if old != nil {
		n.Rows = make([]*historyRow, 0, len(old.Rows)+1)
		n.Rows = append(n.Rows, old.Rows[:i]...)
	}
	n.Rows = append(n.Rows, row)
	if old != nil {
		if found {
			i++
		}
		n.Rows = append(n.Rows, old.Rows[i:]...)
	}
	if err := txn.Insert(tableHistory, n); err != nil {
		return fmt.Errorf("insert history of %s: %w", row.Entry, err)
	}
	return nil
}

// restoreHistoryRow puts row into its bucket in place: only while a checkpoint loads, when the
// buckets are this load's own and nobody reads them. cur is the bucket the last row went to,
// which the next row of a checkpoint written in code order shares; it returns row's bucket.
func restoreHistoryRow(txn *memdb.Txn, cur *historyBucket, row *historyRow) (*historyBucket, error) {
	key := historyBucketOf(row.Entry)
	if cur == nil || cur.Key != key {
		if cur = bucketTxn(txn, key); cur == nil {
			cur = &historyBucket{Key: key}
			if err := txn.Insert(tableHistory, cur); err != nil {
				return nil, fmt.Errorf("insert history of %s: %w", row.Entry, err)
			}
		}
	}
	i, found := cur.find(row.Entry)
	if found {
		return nil, fmt.Errorf("history of %s appears twice", row.Entry)
	}
	cur.Rows = slices.Insert(cur.Rows, i, row)
	return cur, nil
}

// eachHistoryRow calls fn with every history row, bucket by bucket.
func eachHistoryRow(txn *memdb.Txn, fn func(*historyRow)) {
	each(txn, tableHistory, indexID, func(b *historyBucket) {
		for _, r := range b.Rows {
			fn(r)
		}
	})
}
