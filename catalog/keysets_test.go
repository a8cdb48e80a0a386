package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A key set's cursor gives, from any target, exactly the codes at or after it in order, through
// random additions and removals, and an older tree is untouched by the changes after it.
func TestKeySetCursorAgainstASortedList(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	var tree *loadNode
	held := map[string]bool{}
	var cur codeCursor
	for step := range 3000 {
		code := fmt.Sprintf("0101/%06d", r.IntN(500))
		before, beforeCodes := tree, sortedCodes(held)
		if held[code] {
			var ok bool
			tree, ok = treeDelete(tree, stamp{}, code)
			require.True(t, ok)
			delete(held, code)
		} else {
			tree = treeInsert(tree, stamp{}, code, 0)
			held[code] = true
		}
		if step%50 != 0 {
			continue
		}
		want := sortedCodes(held)
		require.Equal(t, len(want), setLen(tree))
		for _, target := range []string{"", "0101/000250", fmt.Sprintf("0101/%06d", r.IntN(520)), code, code + "\x00", "0102"} {
			i, _ := slices.BinarySearch(want, target)
			cur.seek(tree, target)
			var got []string
			for c, ok := cur.next(); ok; c, ok = cur.next() {
				got = append(got, c)
			}
			require.Equal(t, want[i:], nonNil(got), "from %q", target)
		}
		cur.seek(before, "")
		var old []string
		for c, ok := cur.next(); ok; c, ok = cur.next() {
			old = append(old, c)
		}
		require.Equal(t, beforeCodes, nonNil(old), "the tree before the change is unchanged")
	}
}

func sortedCodes(held map[string]bool) []string {
	out := []string{}
	for c := range held {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// The sets, counts and feed a restore builds in one pass are those the writes kept one change at
// a time: the same values, the same codes, trees of the same shape, the same counts.
func TestKeySetsBuiltEqualKept(t *testing.T) {
	s := directoryStore(t, 300, randomEntry(rand.New(rand.NewPCG(8, 1))))
	kept := map[string]*loadNode{}
	each(s.View().txn, tableKeySets, indexID, func(k *keySet) { kept[k.Key] = k.codes })
	require.NotEmpty(t, kept)
	keptCounts := map[string]entryCount{}
	each(s.View().txn, tableEntryCounts, indexID, func(c *entryCount) { keptCounts[c.Key] = *c })
	require.NotEmpty(t, keptCounts)
	keptFeed := feedOf(s.View().txn)
	require.Equal(t, 300, setLen(keptFeed))

	txn := s.head.Txn(true)
	defer txn.Abort()
	for _, table := range []string{tableKeySets, tableEntryCounts, tableFeed} {
		_, err := txn.DeleteAll(table, indexID)
		require.NoError(t, err)
	}
	require.NoError(t, buildKeySets(txn))
	built := map[string]*loadNode{}
	each(txn, tableKeySets, indexID, func(k *keySet) { built[k.Key] = k.codes })
	assert.Equal(t, kept, built)
	builtCounts := map[string]entryCount{}
	each(txn, tableEntryCounts, indexID, func(c *entryCount) { builtCounts[c.Key] = *c })
	assert.Equal(t, keptCounts, builtCounts)
	assert.Equal(t, keptFeed, feedOf(txn), "the feed too")
}
