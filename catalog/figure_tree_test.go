package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// treeKey is one entry of a tree as the test keeps it.
type treeKey struct {
	at    stamp
	code  string
	items int
}

func cmpTreeKey(a, b treeKey) int {
	if c := a.at.cmp(b.at); c != 0 {
		return c
	}
	return strings.Compare(a.code, b.code)
}

// checkTree verifies order, heap order and counts, and returns the keys in order.
func checkTree(t *testing.T, n *loadNode) []treeKey {
	t.Helper()
	var out []treeKey
	var walk func(n *loadNode) (int, int)
	walk = func(n *loadNode) (int, int) {
		if n == nil {
			return 0, 0
		}
		require.Equal(t, uint32(treapPriority(n.code)>>32), n.prio, "priority of %s", n.code)
		for _, child := range []*loadNode{n.l, n.r} {
			if child != nil {
				require.True(t, above(n, child), "heap order at %s", n.code)
			}
		}
		ln, li := walk(n.l)
		out = append(out, treeKey{n.when(), n.code, int(n.items)})
		rn, ri := walk(n.r)
		require.Equal(t, 1+ln+rn, int(n.n), "count at %s", n.code)
		require.Equal(t, int(n.items)+li+ri, int(n.sum), "items at %s", n.code)
		return int(n.n), int(n.sum)
	}
	walk(n)
	require.True(t, slices.IsSortedFunc(out, cmpTreeKey), "in order")
	return out
}

// sameShape reports whether two trees are node for node equal.
func sameShape(a, b *loadNode) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.when() == b.when() && a.code == b.code && a.items == b.items && a.n == b.n && a.sum == b.sum &&
		sameShape(a.l, b.l) && sameShape(a.r, b.r)
}

func TestLoadTreeAgainstAList(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			var (
				root *loadNode
				keys []treeKey // what root holds, sorted
			)
			type version struct {
				root *loadNode
				keys []treeKey
			}
			var versions []version
			for step := range 600 {
				if len(keys) > 0 && rng.IntN(3) == 0 {
					k := keys[rng.IntN(len(keys))]
					next, ok := treeDelete(root, k.at, k.code)
					require.True(t, ok)
					root = next
					keys = slices.DeleteFunc(slices.Clone(keys), func(x treeKey) bool { return x == k })
				} else {
					// Few distinct times, so that many entries share one and the code decides.
					k := treeKey{at: stamp{sec: int64(rng.IntN(40)), nsec: int32(rng.IntN(3))}, code: fmt.Sprintf("0101/%06d", step), items: 1 + rng.IntN(30)}
					root = treeInsert(root, k.at, k.code, k.items)
					keys = append(slices.Clone(keys), k)
					slices.SortFunc(keys, cmpTreeKey)
				}
				_, ok := treeDelete(root, stamp{sec: 1000}, "absent")
				require.False(t, ok, "deleting what is not there")
				require.Equal(t, keys, nonNilKeys(checkTree(t, root)))
				// The count at or after a time against a scan of the list.
				since := stamp{sec: int64(rng.IntN(42)) - 1, nsec: int32(rng.IntN(3))}
				wantN, wantItems := 0, 0
				for _, k := range keys {
					if k.at.cmp(since) >= 0 {
						wantN++
						wantItems += k.items
					}
				}
				gotN, gotItems := countSince(root, since)
				require.Equal(t, wantN, gotN, "count since %v", since)
				require.Equal(t, wantItems, gotItems, "items since %v", since)
				if step%50 == 0 {
					versions = append(versions, version{root, keys})
				}
			}
			// Persistence: every older root still holds what it held.
			for i, v := range versions {
				assert.Equal(t, v.keys, nonNilKeys(checkTree(t, v.root)), "version %d", i)
			}
			// One shape per set: the sorted build equals the tree the inserts and deletes made.
			nodes := make([]*loadNode, len(keys))
			for i, k := range keys {
				nodes[i] = newLoadNode(k.at, k.code, k.items)
			}
			assert.True(t, sameShape(root, buildTree(nodes)), "sorted build and updates give the same tree")
		})
	}
}

func nonNilKeys(k []treeKey) []treeKey {
	if k == nil {
		return []treeKey{}
	}
	return k
}

func TestLoadTreeEmpty(t *testing.T) {
	assert.Nil(t, buildTree(nil))
	n, items := countSince(nil, stamp{})
	assert.Zero(t, n)
	assert.Zero(t, items)
	root := treeInsert(nil, stamp{sec: 5}, "a", 3)
	root, ok := treeDelete(root, stamp{sec: 5}, "a")
	assert.True(t, ok)
	assert.Nil(t, root)
}
