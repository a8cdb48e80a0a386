package catalog

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func historyDB(t *testing.T) *memdb.MemDB {
	t.Helper()
	db, err := memdb.NewMemDB(&memdb.DBSchema{Tables: map[string]*memdb.TableSchema{tableHistory: historyTableSchema()}})
	require.NoError(t, err)
	return db
}

// Rows put one at a time, in any order, replacing earlier rows of the same entry, are found by
// code and walked bucket by bucket in code order; a restore in place gives the same buckets,
// whatever order the rows come in, and refuses an entry twice; a bucket once stored is never
// changed.
func TestHistoryBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	codes := []string{"a", "ab", "abc"} // shorter than a bucket's cut
	for range 400 {
		codes = append(codes, fmt.Sprintf("%02d01/%06d", r.IntN(3), r.IntN(1000)))
	}
	want := map[string]*historyRow{}
	txn := historyDB(t).Txn(true)
	var kept *historyBucket
	for i, c := range codes {
		h := History{Entry: c, Index: uint64(i + 1), Action: HistEdit}
		row, err := appendHistory(txn, &h)
		require.NoError(t, err)
		if want[c] != nil {
			assert.Equal(t, want[c].Count+1, row.Count)
		}
		want[c] = row
		if i == 200 {
			kept = bucketTxn(txn, historyBucketOf(codes[0]))
		}
	}
	keptRows := append([]*historyRow(nil), kept.Rows...)

	var walked []string
	eachHistoryRow(txn, func(row *historyRow) {
		assert.Same(t, want[row.Entry], row)
		assert.Same(t, row, historyRowOf(txn, row.Entry))
		walked = append(walked, row.Entry)
	})
	assert.Len(t, walked, len(want), "every entry once")
	buckets := 0
	each(txn, tableHistory, indexID, func(b *historyBucket) {
		buckets++
		for i, row := range b.Rows {
			assert.Equal(t, b.Key, historyBucketOf(row.Entry))
			if i > 0 {
				assert.Less(t, b.Rows[i-1].Entry, row.Entry)
			}
		}
	})
	assert.Less(t, buckets, len(want)/2, "entries share buckets")
	assert.Nil(t, historyRowOf(txn, "0001/999999"))
	assert.Equal(t, keptRows, kept.Rows, "a stored bucket is never changed")

	for _, order := range []string{"sorted", "shuffled"} {
		var rows []*historyRow
		eachHistoryRow(txn, func(row *historyRow) { rows = append(rows, row) })
		if order == "shuffled" {
			r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		}
		load := historyDB(t).Txn(true)
		var cur *historyBucket
		for _, row := range rows {
			var err error
			cur, err = restoreHistoryRow(load, cur, row)
			require.NoError(t, err)
		}
		_, err := restoreHistoryRow(load, cur, rows[0])
		assert.ErrorContains(t, err, "appears twice")
		var got []string
		eachHistoryRow(load, func(row *historyRow) { got = append(got, row.Entry) })
		assert.Equal(t, walked, got, order)
	}
}

// The history of 150 entries (two buckets) reads the same after a restart, which writes the
// buckets' rows to the checkpoint and restores them in place.
func TestHistoryBucketsSurviveARestart(t *testing.T) {
	dir, clock := t.TempDir(), newClock()
	s := openTest(t, testConfig(dir, clock))
	ctx := t.Context()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	var codes []string
	for i := range 150 {
		d, err := s.CreateEntry(ctx, wfSteward, draftEntry(fmt.Sprintf("地表水水质月报%03d", i)), "首次登记")
		require.NoError(t, err)
		if i%3 == 0 {
			require.NoError(t, s.SubmitEntry(ctx, wfSteward, d.ResourceCode, d.Revision, "请审核"))
		}
		codes = append(codes, d.ResourceCode)
	}
	histories := func(s *Store) map[string][]*History {
		out := map[string][]*History{}
		for _, c := range codes {
			h, err := s.View().HistoryFor(wfAdmin, c, 10)
			require.NoError(t, err)
			out[c] = h
		}
		return out
	}
	before := histories(s)
	assert.Len(t, before[codes[0]], 2)
	assert.Len(t, before[codes[1]], 1)
	require.NoError(t, s.Close())
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.Equal(t, before, histories(s))
	buckets := 0
	each(s.View().txn, tableHistory, indexID, func(*historyBucket) { buckets++ })
	assert.Equal(t, 2, buckets, "codes 000001-000099 and 000100-000150")
}
