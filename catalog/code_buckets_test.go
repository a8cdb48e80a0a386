package catalog

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type codedThing struct {
	Code string
	N    int
}

// TestCodeBuckets: objects put in random order, codes of any shape and several versions of one,
// come back by code and in code order from any code, through splits and a first bucket that
// moves; a bulk build takes later puts as well; a read transaction taken before keeps what it
// saw. A seeker finds them by codes in order and out of it.
func TestCodeBuckets(t *testing.T) {
	const table = "things"
	db, err := memdb.NewMemDB(&memdb.DBSchema{Tables: map[string]*memdb.TableSchema{table: codeBucketsSchema(table)}})
	require.NoError(t, err)
	cb := codeBuckets[codedThing]{table: table, code: func(x *codedThing) string { return x.Code }}
	r := rand.New(rand.NewPCG(1, 2))
	var codes []string
	for i := range 700 {
		switch i % 4 {
		case 0:
			codes = append(codes, fmt.Sprintf("0101/%06d", i))
		case 1:
			codes = append(codes, fmt.Sprintf("0101/%d", i)) // shorter sequences sort among the others
		case 2:
			codes = append(codes, fmt.Sprintf("05/%03d", i))
		default:
			codes = append(codes, fmt.Sprintf("%c%d", 'a'+rune(i%26), i))
		}
	}
	want := map[string]int{}
	txn := db.Txn(true)
	for i, j := range r.Perm(len(codes)) {
		old, err := cb.swap(txn, &codedThing{Code: codes[j], N: i})
		require.NoError(t, err)
		assert.Nil(t, old, "%s is new", codes[j])
		want[codes[j]] = i
	}
	for _, j := range r.Perm(len(codes))[:100] { // new versions of some
		before := want[codes[j]]
		want[codes[j]] += 1000
		old, err := cb.swap(txn, &codedThing{Code: codes[j], N: want[codes[j]]})
		require.NoError(t, err)
		require.NotNil(t, old, codes[j])
		assert.Equal(t, before, old.N, "swap returns the version it replaced")
	}
	txn.Commit()

	before := db.Txn(false)
	sorted := slices.Sorted(maps.Keys(want))
	check := func(txn *memdb.Txn, want map[string]int, sorted []string) {
		t.Helper()
		for c, n := range want {
			got := cb.get(txn, c)
			require.NotNil(t, got, c)
			assert.Equal(t, n, got.N, c)
		}
		assert.Nil(t, cb.get(txn, "0101/0000005x"))
		assert.Nil(t, cb.get(txn, ""))
		// A seeker asked in code order, with absent codes between, and then out of order.
		seek := cb.seeker(txn)
		for _, c := range sorted {
			got := seek.get(c)
			require.NotNil(t, got, c)
			assert.Equal(t, want[c], got.N, c)
			assert.Nil(t, seek.get(c+"\x00"), "%s followed by nothing stored", c)
		}
		assert.Nil(t, seek.get("zzz"))
		for _, j := range r.Perm(len(sorted))[:50] {
			got := seek.get(sorted[j])
			require.NotNil(t, got, sorted[j])
			assert.Equal(t, want[sorted[j]], got.N, sorted[j])
		}
		for _, from := range []string{"", sorted[0], sorted[len(sorted)/3], "0101/0000005x", sorted[len(sorted)-1], "zzz"} {
			var walked []string
			c := cb.cursor(txn, from)
			for x := c.next(); x != nil; x = c.next() {
				walked = append(walked, x.Code)
			}
			var expect []string
			for _, s := range sorted {
				if s >= from {
					expect = append(expect, s)
				}
			}
			assert.Equal(t, expect, walked, "from %q", from)
		}
		buckets := 0
		it, err := txn.Get(table, indexID)
		require.NoError(t, err)
		for raw := it.Next(); raw != nil; raw = it.Next() {
			b := raw.(*codeBucket[codedThing])
			assert.LessOrEqual(t, len(b.Items), maxCodeBucket)
			assert.NotEmpty(t, b.Items)
			buckets++
		}
		assert.Greater(t, buckets, len(sorted)/maxCodeBucket, "split into buckets")
	}
	check(before, want, sorted)

	// A code before every other moves the first bucket; the read taken before sees none of it.
	txn = db.Txn(true)
	require.NoError(t, cb.put(txn, &codedThing{Code: "!first", N: -1}))
	txn.Commit()
	after := maps.Clone(want)
	after["!first"] = -1
	check(db.Txn(false), after, append([]string{"!first"}, sorted...))
	check(before, want, sorted)

	// A bulk build, then puts among the built buckets.
	db2, err := memdb.NewMemDB(&memdb.DBSchema{Tables: map[string]*memdb.TableSchema{table: codeBucketsSchema(table)}})
	require.NoError(t, err)
	built := make([]*codedThing, len(sorted))
	for i, c := range sorted {
		built[i] = &codedThing{Code: c, N: want[c]}
	}
	txn = db2.Txn(true)
	require.NoError(t, cb.build(txn, built))
	more := maps.Clone(want)
	for i := range 300 {
		c := fmt.Sprintf("0101/%06d", 2*i+1)
		more[c] = i
		require.NoError(t, cb.put(txn, &codedThing{Code: c, N: i}))
	}
	txn.Commit()
	check(db2.Txn(false), more, slices.Sorted(maps.Keys(more)))

	// Removals: the first codes whole (their buckets go), then every other code; the codes left
	// are found, walked and sought as before, and the read taken before sees every code.
	prior := db2.Txn(false)
	keys := slices.Sorted(maps.Keys(more))
	txn = db2.Txn(true)
	left := maps.Clone(more)
	for i, c := range keys {
		if i >= 3*maxCodeBucket && i%2 == 0 {
			continue
		}
		got, err := cb.remove(txn, c)
		require.NoError(t, err)
		require.NotNil(t, got, c)
		assert.Equal(t, more[c], got.N, "remove returns the object it took out")
		delete(left, c)
		if i == len(keys)-1 {
			break
		}
	}
	got, err := cb.remove(txn, "0101/0000005x")
	require.NoError(t, err)
	assert.Nil(t, got, "an absent code removes nothing")
	txn.Commit()
	require.NotEmpty(t, left)
	check(db2.Txn(false), left, slices.Sorted(maps.Keys(left)))
	check(prior, more, keys)
}
