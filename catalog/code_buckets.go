package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// codeBuckets keeps one object per resource code in buckets, the leaves of a B+tree over the
// codes: the entries (entry_buckets.go) and their load states (loadstate.go). A memdb row per
// object would cost its radix leaf and node with their watch channels, about 450 bytes, and a
// restore would insert the rows one at a time. A bucket holds the objects from its First code up to the next
// bucket's, sorted by code, at most maxCodeBucket of them; an object whose code comes before
// every bucket joins the first one, which is then stored under its code; a bucket that outgrows
// the bound is split in halves. Stored buckets are never changed, so memdb snapshots keep
// reading their own: a write copies the bucket's slice of pointers. Walking the buckets in key
// order is walking the objects in code order, whatever the codes look like.
type codeBuckets[T any] struct {
	table string
	code  func(*T) string
}

// codeBucket is one leaf: never empty, sorted by code.
type codeBucket[T any] struct {
	First string // its memdb key: no object of a later bucket comes before it
	Items []*T
}

// maxCodeBucket bounds a bucket: a write copies up to this many pointers. A bulk build fills
// buckets to builtCodeBucket, leaving room for the codes added after.
const (
	maxCodeBucket   = 128
	builtCodeBucket = 100
)

func codeBucketsSchema(table string) *memdb.TableSchema {
	return &memdb.TableSchema{Name: table, Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("First")}}
}

// find returns the position of code in items (sorted by code), and whether it is there.
func (cb codeBuckets[T]) find(items []*T, code string) (int, bool) {
	return slices.BinarySearchFunc(items, code, func(x *T, c string) int { return strings.Compare(cb.code(x), c) })
}

// bucketFor returns the bucket that holds code, or would: the last one whose First is at or
// before code, else the first one; nil when there are none.
func (cb codeBuckets[T]) bucketFor(txn *memdb.Txn, code string) *codeBucket[T] {
	it, err := txn.ReverseLowerBound(cb.table, indexID, code)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", cb.table, err)) // schema bug, not input
	}
	if raw := it.Next(); raw != nil {
		return raw.(*codeBucket[T])
	}
	raw, err := txn.First(cb.table, indexID)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", cb.table, err))
	}
	if raw == nil {
		return nil
	}
	return raw.(*codeBucket[T])
}

// get returns the object of code, nil when there is none.
func (cb codeBuckets[T]) get(txn *memdb.Txn, code string) *T {
	if b := cb.bucketFor(txn, code); b != nil {
		if i, ok := cb.find(b.Items, code); ok {
			return b.Items[i]
		}
	}
	return nil
}

// put stores x in place of the object of its code, or adds it.
func (cb codeBuckets[T]) put(txn *memdb.Txn, x *T) error {
	_, err := cb.swap(txn, x)
	return err
}

// swap is put, returning the object x replaced (nil when it is new).
func (cb codeBuckets[T]) swap(txn *memdb.Txn, x *T) (*T, error) {
	code := cb.code(x)
	b := cb.bucketFor(txn, code)
	if b == nil {
		return nil, txn.Insert(cb.table, &codeBucket[T]{First: code, Items: []*T{x}})
	}
	i, found := cb.find(b.Items, code)
	n := &codeBucket[T]{First: b.First}
	if found {
		old := b.Items[i]
		n.Items = slices.Clone(b.Items)
		n.Items[i] = x
		return old, txn.Insert(cb.table, n)
	}
	n.Items = slices.Insert(slices.Clone(b.Items), i, x)
	if i == 0 && code < b.First {
		// Before every bucket: the first one covers it from now on, under its code.
		if err := txn.Delete(cb.table, b); err != nil {
			return nil, err
		}
		n.First = code
	}
	if len(n.Items) <= maxCodeBucket {
		return nil, txn.Insert(cb.table, n)
	}
	half := len(n.Items) / 2
	right := &codeBucket[T]{First: cb.code(n.Items[half]), Items: slices.Clone(n.Items[half:])}
	n.Items = slices.Clip(n.Items[:half])
	if err := txn.Insert(cb.table, n); err != nil {
		return nil, err
	}
	return nil, txn.Insert(cb.table, right)
}

// remove takes the object of code out and returns it, nil when there is none. A bucket left
// empty is deleted; one left short stays as it is, its First still the bound it was.
func (cb codeBuckets[T]) remove(txn *memdb.Txn, code string) (*T, error) {
	b := cb.bucketFor(txn, code)
	if b == nil {
		return nil, nil
	}
	i, found := cb.find(b.Items, code)
	if !found {
		return nil, nil
	}
	old := b.Items[i]
	if len(b.Items) == 1 {
		return old, txn.Delete(cb.table, b)
	}
	return old, txn.Insert(cb.table, &codeBucket[T]{First: b.First, Items: slices.Delete(slices.Clone(b.Items), i, i+1)})
}

// build stores xs, sorted by code with no code twice, into a table that holds none: a bucket per
// builtCodeBucket objects, one insert each.
func (cb codeBuckets[T]) build(txn *memdb.Txn, xs []*T) error {
	for len(xs) > 0 {
		n := min(len(xs), builtCodeBucket)
		b := &codeBucket[T]{First: cb.code(xs[0]), Items: slices.Clip(xs[:n])}
		if err := txn.Insert(cb.table, b); err != nil {
			return fmt.Errorf("insert %s %s: %w", cb.table, b.First, err)
		}
		xs = xs[n:]
	}
	return nil
}

// bucketCursor walks the objects in code order, one at a time.
type bucketCursor[T any] struct {
	buckets memdb.ResultIterator
	cur     *codeBucket[T]
	i       int
}

// cursor starts at the first object whose code is at or after from ("" for the first).
func (cb codeBuckets[T]) cursor(txn *memdb.Txn, from string) *bucketCursor[T] {
	c := &bucketCursor[T]{}
	start := cb.bucketFor(txn, from)
	if start == nil {
		return c
	}
	it, err := txn.LowerBound(cb.table, indexID, start.First)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", cb.table, err)) // schema bug, not input
	}
	c.buckets = it
	if raw := it.Next(); raw != nil {
		c.cur = raw.(*codeBucket[T])
		c.i, _ = cb.find(c.cur.Items, from)
	}
	return c
}

// watch is the watch channel of the buckets walked, nil when there are none.
func (c *bucketCursor[T]) watch() <-chan struct{} {
	if c.buckets == nil {
		return nil
	}
	return c.buckets.WatchCh()
}

// next returns the next object, nil past the last.
func (c *bucketCursor[T]) next() *T {
	for c.cur != nil && c.i >= len(c.cur.Items) {
		c.cur, c.i = nil, 0
		if raw := c.buckets.Next(); raw != nil {
			c.cur = raw.(*codeBucket[T])
		}
	}
	if c.cur == nil {
		return nil
	}
	x := c.cur.Items[c.i]
	c.i++
	return x
}

// restored puts x into the buckets while a checkpoint loads, when the buckets are this load's
// own and nobody reads them: a checkpoint is written in code order, so x usually comes after
// every object so far and is appended in place to cur, the last bucket (nil: look it up), or
// starts a new one after it. It returns the last bucket. An object out of order is stored as any
// write is, and the last bucket is looked up again for the next; one whose code is stored
// already is an error.
func (cb codeBuckets[T]) restored(txn *memdb.Txn, cur *codeBucket[T], x *T) (*codeBucket[T], error) {
	code := cb.code(x)
	if cur == nil {
		raw, err := txn.Last(cb.table, indexID)
		if err != nil {
			return nil, fmt.Errorf("insert %s %s: %w", cb.table, code, err)
		}
		if raw != nil {
			cur = raw.(*codeBucket[T])
		}
	}
	if cur != nil && code <= cb.code(cur.Items[len(cur.Items)-1]) {
		if cb.get(txn, code) != nil {
			return nil, fmt.Errorf("%s %s appears twice", cb.table, code)
		}
		if err := cb.put(txn, x); err != nil {
			return nil, fmt.Errorf("insert %s %s: %w", cb.table, code, err)
		}
		return nil, nil
	}
	if cur != nil && len(cur.Items) < builtCodeBucket {
		cur.Items = append(cur.Items, x)
		return cur, nil
	}
	cur = &codeBucket[T]{First: code, Items: make([]*T, 1, builtCodeBucket)}
	cur.Items[0] = x
	if err := txn.Insert(cb.table, cur); err != nil {
		return nil, fmt.Errorf("insert %s %s: %w", cb.table, code, err)
	}
	return cur, nil
}

// restorer is the insert of one checkpoint load into the buckets (restored), with after called
// for each object stored.
func (cb codeBuckets[T]) restorer(after func(*memdb.Txn, *T) error) func() func(*memdb.Txn, *T) error {
	return func() func(*memdb.Txn, *T) error {
		var last *codeBucket[T]
		return func(txn *memdb.Txn, x *T) error {
			var err error
			if last, err = cb.restored(txn, last, x); err != nil {
				return err
			}
			if after != nil {
				return after(txn, x)
			}
			return nil
		}
	}
}

// each calls fn with every stored object in code order.
func (cb codeBuckets[T]) each(txn *memdb.Txn, fn func(*T)) {
	each(txn, cb.table, indexID, func(b *codeBucket[T]) {
		for _, x := range b.Items {
			fn(x)
		}
	})
}

// bucketRows is the objects of a bucket as the checkpoint writes them, one object each.
func bucketRows[T any](row any) []any {
	b := row.(*codeBucket[T])
	out := make([]any, len(b.Items))
	for i, x := range b.Items {
		out[i] = x
	}
	return out
}

// bucketSeeker gets objects by codes asked in increasing order: a code inside the bucket of the
// one before is found there, without a lookup of its bucket, and first at the place after the
// one before (the next object, when every code is asked).
type bucketSeeker[T any] struct {
	cb  codeBuckets[T]
	txn *memdb.Txn
	cur *codeBucket[T]
	i   int // the place in cur after the object found last
}

func (cb codeBuckets[T]) seeker(txn *memdb.Txn) *bucketSeeker[T] {
	return &bucketSeeker[T]{cb: cb, txn: txn}
}

// get returns the object of code, nil when there is none. Codes asked out of order are found
// all the same, at the cost of a lookup.
func (s *bucketSeeker[T]) get(code string) *T {
	if s.cur == nil || code < s.cur.First || code > s.cb.code(s.cur.Items[len(s.cur.Items)-1]) {
		if s.cur, s.i = s.cb.bucketFor(s.txn, code), 0; s.cur == nil {
			return nil
		}
	}
	items := s.cur.Items
	if s.i < len(items) && s.cb.code(items[s.i]) == code {
		s.i++
		return items[s.i-1]
	}
	from := 0
	if s.i < len(items) && s.cb.code(items[s.i]) < code {
		from = s.i // asked in order: only the objects after the last one found
	}
	if i, ok := s.cb.find(items[from:], code); ok {
		s.i = from + i + 1
		return items[from+i]
	}
	return nil
}
