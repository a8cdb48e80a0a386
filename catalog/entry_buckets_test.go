package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bucketCodes are resource codes of every shape the buckets must order: both category lengths,
// codes that are prefixes of others, and codes of no generated shape at all.
func bucketCodes(r *rand.Rand, n int) []string {
	codes := map[string]bool{}
	for len(codes) < n {
		switch r.IntN(6) {
		case 0:
			codes[fmt.Sprintf("01/%06d", r.IntN(5000))] = true
		case 1, 2, 3:
			codes[fmt.Sprintf("0101/%06d", r.IntN(5000))] = true
		case 4:
			codes[fmt.Sprintf("0101/%d", r.IntN(5000))] = true // prefixes of the above
		default:
			codes[fmt.Sprintf("%c%d", 'a'+r.IntN(3), r.IntN(100))] = true
		}
	}
	out := make([]string, 0, n)
	for c := range codes {
		out = append(out, c)
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// checkBuckets asserts the buckets' invariants and that codes, and nothing else, are stored,
// each found by lookup and every iteration starting point giving the codes from it in order.
func checkBuckets(t *testing.T, txn *memdb.Txn, codes []string) {
	t.Helper()
	sorted := slices.Sorted(slices.Values(codes))
	var seen []string
	var prev *entryBucket
	each(txn, tableEntries, indexID, func(b *entryBucket) {
		require.NotEmpty(t, b.Items)
		require.LessOrEqual(t, len(b.Items), maxCodeBucket)
		require.Equal(t, b.First, b.Items[0].ResourceCode, "a bucket is keyed by its first code")
		require.True(t, slices.IsSortedFunc(b.Items, func(x, y *Entry) int { return compareCodes(x, y) }))
		if prev != nil {
			require.Less(t, prev.Items[len(prev.Items)-1].ResourceCode, b.First, "buckets do not overlap")
		}
		prev = b
		for _, e := range b.Items {
			seen = append(seen, e.ResourceCode)
		}
	})
	require.Equal(t, sorted, seen, "the buckets hold the codes in order")
	for _, c := range codes {
		e := storedEntry(txn, c)
		require.NotNil(t, e, c)
		assert.Equal(t, c, e.ResourceCode)
	}
	assert.Nil(t, storedEntry(txn, "0101/999999x"), "a code never stored")
	for _, from := range []string{"", "0", "01/", "0101/", "0101/0025", "0101/002500", "a", "b5", "zz", sorted[len(sorted)/2]} {
		var got []string
		it := entriesFrom(txn, from)
		for raw := it.Next(); raw != nil; raw = it.Next() {
			got = append(got, raw.(*Entry).ResourceCode)
		}
		i, _ := slices.BinarySearch(sorted, from)
		require.Equal(t, slices.Clip(sorted[i:]), append([]string{}, got...), "entries from %q", from)
	}
}

func compareCodes(x, y *Entry) int {
	switch {
	case x.ResourceCode < y.ResourceCode:
		return -1
	case x.ResourceCode > y.ResourceCode:
		return 1
	}
	return 0
}

// TestEntryBuckets: entries written in any order, replaced, and restored in code order (with
// some out of order) are all found and listed in code order, in buckets that split past their
// bound; a snapshot taken before the writes keeps reading its own entries.
func TestEntryBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	codes := bucketCodes(r, 3000)
	db, err := memdb.NewMemDB(dbSchema())
	require.NoError(t, err)

	txn := db.Txn(true)
	for _, c := range codes[:1000] {
		require.NoError(t, putEntryRow(txn, nil, &Entry{ResourceCode: c, Status: StatusPublished}))
	}
	txn.Commit()
	before := db.Txn(false)

	txn = db.Txn(true)
	for _, c := range codes[1000:] {
		require.NoError(t, putEntryRow(txn, nil, &Entry{ResourceCode: c, Status: StatusPublished}))
	}
	for _, c := range codes[:300] { // replacements keep one entry per code
		old := storedEntry(txn, c)
		require.NoError(t, putEntryRow(txn, old, &Entry{ResourceCode: c, Status: StatusPublished, Name: "revised"}))
	}
	checkBuckets(t, txn, codes)
	assert.Equal(t, "revised", storedEntry(txn, codes[0]).Name)
	txn.Commit()
	checkBuckets(t, before, codes[:1000])
	assert.Empty(t, storedEntry(before, codes[0]).Name, "the snapshot reads its own version")

	// A restore in code order, with a few entries out of order, ends as the writes did.
	rdb, err := memdb.NewMemDB(dbSchema())
	require.NoError(t, err)
	rtxn := rdb.Txn(true)
	order := slices.Sorted(slices.Values(codes))
	for i := 0; i+1 < len(order); i += 97 {
		order[i], order[i+1] = order[i+1], order[i]
	}
	var last *entryBucket
	for _, c := range order {
		last, err = restoreEntryRow(rtxn, last, &Entry{ResourceCode: c, Status: StatusPublished})
		require.NoError(t, err)
	}
	_, err = restoreEntryRow(rtxn, last, &Entry{ResourceCode: order[5], Status: StatusPublished})
	require.Error(t, err, "an entry twice in a checkpoint")
	checkBuckets(t, rtxn, codes)
}

// TestEntryMarks: entry_marks holds the entries under way and those linked to a scene or a
// business item, and only those; a published entry leaves it, a link brings it back.
func TestEntryMarks(t *testing.T) {
	db, err := memdb.NewMemDB(dbSchema())
	require.NoError(t, err)
	txn := db.Txn(true)
	marked := func(code string) bool {
		raw, err := txn.First(tableEntryMarks, indexID, code)
		require.NoError(t, err)
		return raw != nil
	}
	draft := &Entry{ResourceCode: "0101/000001", Status: StatusDraft}
	require.NoError(t, putEntryRow(txn, nil, draft))
	assert.True(t, marked(draft.ResourceCode), "a draft is under way")
	published := &Entry{ResourceCode: draft.ResourceCode, Status: StatusPublished}
	require.NoError(t, putEntryRow(txn, draft, published))
	assert.False(t, marked(draft.ResourceCode), "published and unlinked")
	linked := &Entry{ResourceCode: draft.ResourceCode, Status: StatusPublished, Scenes: []string{"S1"}}
	require.NoError(t, putEntryRow(txn, published, linked))
	assert.True(t, marked(draft.ResourceCode), "serves a scene")
	var byScene []string
	each(txn, tableEntryMarks, indexScene, func(e *Entry) { byScene = append(byScene, e.ResourceCode) }, "S1")
	assert.Equal(t, []string{draft.ResourceCode}, byScene)
}
