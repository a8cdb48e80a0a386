package catalog

import (
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"
)

// The feed of changed entries: every entry by the journal index of its last change
// (ModifyIndex), for followers such as the search index that catch up with what changed since
// the index they have seen. It is one row holding a persistent treap of (index, resource code)
// nodes (figure_tree.go's loadNode, the index in place of a time), kept with every entry write
// (noteEntryChange) and rebuilt once at restore (buildKeySets): an index of the entries table would
// cost a radix leaf and node per entry, about 500 bytes each.

const tableFeed = "feed"

// feedRow is the feed; its tree is never changed in place.
type feedRow struct {
	Key     string // feedKey: the table has one row
	changed *loadNode
}

const feedKey = "entries"

func feedTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableFeed,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

// feedStamp places a journal index in a feed node's time.
func feedStamp(idx uint64) stamp { return stamp{sec: int64(idx)} }

func feedOf(txn *memdb.Txn) *loadNode {
	if f := lookup[feedRow](txn, tableFeed, feedKey); f != nil {
		return f.changed
	}
	return nil
}

func putFeed(txn *memdb.Txn, t *loadNode) error {
	if err := txn.Insert(tableFeed, &feedRow{Key: feedKey, changed: t}); err != nil {
		return fmt.Errorf("feed of changed entries: %w", err)
	}
	return nil
}

// noteEntryChange moves e in the feed from old's index to its own (old is nil for a new entry).
func noteEntryChange(txn *memdb.Txn, old, e *Entry) error {
	if old != nil && old.ModifyIndex == e.ModifyIndex {
		return nil
	}
	t := feedOf(txn)
	if old != nil {
		t, _ = treeDelete(t, feedStamp(old.ModifyIndex), old.ResourceCode)
	}
	return putFeed(txn, treeInsert(t, feedStamp(e.ModifyIndex), e.ResourceCode, 0))
}

// feedTree computes the feed of the entries, in one O(n log n) sort and O(n) build.
func feedTree(entries []*Entry) *loadNode {
	nodes := make([]*loadNode, len(entries))
	for i, e := range entries {
		nodes[i] = newLoadNode(feedStamp(e.ModifyIndex), e.ResourceCode, 0)
	}
	slices.SortFunc(nodes, func(x, y *loadNode) int { return x.cmpKey(y.when(), y.code) })
	return buildTree(nodes)
}

// EntriesChangedSince calls fn with a copy of every entry changed after journal index idx, in
// the order of their ModifyIndex (entries changed by one command in resource-code order), until fn
// returns false. Every command that changes an entry stamps its ModifyIndex, so a follower that
// has seen the catalogue up to idx catches up with the entries this returns; entries are never
// deleted (retirement is a status), so nothing else can have changed. idx 0 lists every entry.
func (v *View) EntriesChangedSince(idx uint64, fn func(*Entry) bool) {
	v.EachChangedSince(idx, func(e *Entry) bool { return fn(e.Copy()) })
}

// EachChangedSince is EntriesChangedSince with the stored entries, as EachLoaded: for followers
// inside the service (the query layer's generations), which read e and never change it. A
// follower may keep e after a later write replaced it: stored entries are never edited.
func (v *View) EachChangedSince(idx uint64, fn func(e *Entry) bool) {
	from := idx + 1
	if idx == 0 {
		from = 0
	}
	var c codeCursor
	c.seekKey(feedOf(v.txn), feedStamp(from), "")
	for n := c.nextNode(); n != nil; n = c.nextNode() {
		e, err := entryTxn(v.txn, n.code)
		if err != nil {
			panic(fmt.Sprintf("catalog: the feed names %s, which is no entry", n.code)) // kept in the same transaction as the entries
		}
		if !fn(e) {
			return
		}
	}
}
