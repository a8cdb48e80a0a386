package catalog

import (
	"cmp"
	"strings"
	"time"
)

// loadNode is a node of a persistent treap of the loaded entries of one figure cell, ordered by
// (commit time of the current data, resource code), each node counting the entries and items of
// its subtree: "how many of the cell's entries, and items, were committed at or after t" is one
// descent, O(log n). Nodes are never changed once in a tree: an insert or delete copies the
// nodes on its path (O(log n) allocations), so a memdb snapshot that holds the old cell keeps
// the old tree. Priorities are a hash of the resource code, so a set of entries has one shape
// whatever order it was built in, and the sorted build of a restore gives the tree the inserts
// of a replay would.
type loadNode struct {
	sec   int64 // the commit time, as a stamp (when): flat, so that the node packs in 64 bytes
	nsec  int32
	items int32
	prio  uint32 // treapPriority of code, kept: a descent compares it at every level
	n     int32  // entries in the subtree
	code  string
	sum   int64 // items in the subtree
	l, r  *loadNode
}

// when is the node's commit time.
func (n *loadNode) when() stamp { return stamp{sec: n.sec, nsec: n.nsec} }

// stamp is a time as wall-clock seconds and nanoseconds: the comparison of time.Time values
// without monotonic readings, which committed times never carry.
type stamp struct {
	sec  int64
	nsec int32
}

func stampOf(t time.Time) stamp { return stamp{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

func (a stamp) cmp(b stamp) int {
	if a.sec != b.sec {
		return cmp.Compare(a.sec, b.sec)
	}
	return cmp.Compare(a.nsec, b.nsec)
}

// cmpKey orders n against the key (at, code).
func (n *loadNode) cmpKey(at stamp, code string) int {
	if c := n.when().cmp(at); c != 0 {
		return c
	}
	return strings.Compare(n.code, code)
}

// newLoadNode is a node of no subtree yet.
func newLoadNode(at stamp, code string, items int) *loadNode {
	return &loadNode{sec: at.sec, nsec: at.nsec, code: code, items: int32(items), prio: uint32(treapPriority(code) >> 32)}
}

// treapPriority mixes an FNV-1a hash of the code (splitmix64's finaliser), without allocating.
func treapPriority(code string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(code); i++ {
		h = (h ^ uint64(code[i])) * 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// above reports whether a belongs above b: higher priority, ties broken by key, so that the
// order is total and the shape unique.
func above(a, b *loadNode) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	return a.cmpKey(b.when(), b.code) < 0
}

func (n *loadNode) count() (entries, items int) {
	if n == nil {
		return 0, 0
	}
	return int(n.n), int(n.sum)
}

// fix recomputes the counts of a node whose children are final.
func (n *loadNode) fix() *loadNode {
	ln, li := n.l.count()
	rn, ri := n.r.count()
	n.n = int32(1 + ln + rn)
	n.sum = int64(int(n.items) + li + ri)
	return n
}

func (n *loadNode) clone() *loadNode {
	c := *n
	return &c
}

// treeInsert returns t with the entry (at, code) of the given items added; t is unchanged.
func treeInsert(t *loadNode, at stamp, code string, items int) *loadNode {
	return insertNode(t, newLoadNode(at, code, items))
}

func insertNode(t, x *loadNode) *loadNode {
	if t == nil || above(x, t) {
		x.l, x.r = splitTree(t, x.when(), x.code)
		return x.fix()
	}
	c := t.clone()
	if x.cmpKey(t.when(), t.code) < 0 {
		c.l = insertNode(t.l, x)
	} else {
		c.r = insertNode(t.r, x)
	}
	return c.fix()
}

// splitTree returns the nodes of t ordered before (at, code) and the others, as new trees.
func splitTree(t *loadNode, at stamp, code string) (*loadNode, *loadNode) {
	if t == nil {
		return nil, nil
	}
	c := t.clone()
	if t.cmpKey(at, code) < 0 {
		var r *loadNode
		c.r, r = splitTree(t.r, at, code)
		return c.fix(), r
	}
	var l *loadNode
	l, c.l = splitTree(t.l, at, code)
	return l, c.fix()
}

// mergeTrees joins two trees whose every node of a is ordered before every node of b.
func mergeTrees(a, b *loadNode) *loadNode {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case above(a, b):
		c := a.clone()
		c.r = mergeTrees(a.r, b)
		return c.fix()
	default:
		c := b.clone()
		c.l = mergeTrees(a, b.l)
		return c.fix()
	}
}

// treeDelete returns t without the entry (at, code), and whether it held it; t is unchanged.
func treeDelete(t *loadNode, at stamp, code string) (*loadNode, bool) {
	if t == nil {
		return nil, false
	}
	switch c := t.cmpKey(at, code); {
	case c == 0:
		return mergeTrees(t.l, t.r), true
	case c > 0:
		l, ok := treeDelete(t.l, at, code)
		if !ok {
			return t, false
		}
		n := t.clone()
		n.l = l
		return n.fix(), true
	default:
		r, ok := treeDelete(t.r, at, code)
		if !ok {
			return t, false
		}
		n := t.clone()
		n.r = r
		return n.fix(), true
	}
}

// countSince counts the entries of t, and their items, committed at or after since.
func countSince(t *loadNode, since stamp) (entries, items int) {
	for t != nil {
		if t.when().cmp(since) >= 0 {
			rn, ri := t.r.count()
			entries += 1 + rn
			items += int(t.items) + ri
			t = t.l
		} else {
			t = t.r
		}
	}
	return entries, items
}

// buildTree makes one tree of fresh nodes sorted by key, in O(n): the nodes are linked in place
// (a Cartesian tree built with a stack of the right spine).
func buildTree(sorted []*loadNode) *loadNode {
	var spine []*loadNode
	for _, x := range sorted {
		var last *loadNode
		for len(spine) > 0 && above(x, spine[len(spine)-1]) {
			last = spine[len(spine)-1]
			spine = spine[:len(spine)-1]
		}
		x.l = last
		if len(spine) > 0 {
			spine[len(spine)-1].r = x
		}
		spine = append(spine, x)
	}
	if len(spine) == 0 {
		return nil
	}
	fixAll(spine[0])
	return spine[0]
}

func fixAll(n *loadNode) {
	if n == nil {
		return
	}
	fixAll(n.l)
	fixAll(n.r)
	n.fix()
}
