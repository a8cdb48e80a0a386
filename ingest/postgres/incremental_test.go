package postgres_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWatermarkTypes reads incrementally by columns of several types, with neighbouring values
// that a lossy watermark (a float, a time cut to milliseconds or moved to another zone) would
// not tell apart: the second read gets exactly the row added after the first.
func TestWatermarkTypes(t *testing.T) {
	cases := []struct {
		typ        string
		v1, v2, v3 string // SQL literals in increasing order
		mark       string // the watermark after reading v1 and v2
	}{
		{"bigint", "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740993"},
		{"integer", "1", "2", "3", "2"},
		{"numeric", "1.0000000000000000001", "1.0000000000000000002", "1.0000000000000000003", "1.0000000000000000002"},
		{"timestamptz", "'2025-03-01 08:00:00.000001+08'", "'2025-03-01 08:00:00.000002+08'", "'2025-03-01 08:00:00.000003+08'", "2025-03-01 08:00:00.000002+08"},
		{"timestamp", "'2025-03-01 08:00:00'", "'2025-03-01 08:00:00.5'", "'2025-03-01 08:00:01'", "2025-03-01 08:00:00.5"},
		{"date", "'2025-03-01'", "'2025-03-02'", "'2025-03-03'", "2025-03-02"},
		{"text", "'A-001'", "'A-002'", "'A-003'", "A-002"},
	}
	srv := server(t)
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			table := newTable("wm")
			c := admin(t)
			exec(t, c, fmt.Sprintf("CREATE TABLE %s (k %s, code text)", table, tc.typ))
			// Inserted out of order, with a NULL watermark that no read returns.
			exec(t, c, fmt.Sprintf("INSERT INTO %s VALUES (%s, 'second'), (NULL, 'no watermark'), (%s, 'first')", table, tc.v2, tc.v1))
			src := open(t, config(srv, table, "key=k; code=code", "k", nil))

			_, recs, mark := readAll(t, src, "")
			require.Len(t, recs, 2)
			assert.Equal(t, []string{"first", "second"}, []string{recs[0][1], recs[1][1]}, "rows come in watermark order")
			assert.Equal(t, tc.mark, mark)

			exec(t, c, fmt.Sprintf("INSERT INTO %s VALUES (%s, 'third')", table, tc.v3))
			_, recs, mark2 := readAll(t, src, mark)
			require.Len(t, recs, 1, "only the row after the watermark")
			assert.Equal(t, "third", recs[0][1])
			assert.NotEqual(t, mark, mark2)

			_, recs, mark3 := readAll(t, src, mark2)
			assert.Empty(t, recs)
			assert.Equal(t, mark2, mark3, "a read of nothing keeps the watermark")
		})
	}
}

// TestBatchBoundaries reads tables of 0 to 7 rows in batches of 3: a last batch that is full is
// followed by an empty one, and every row is read once, in order.
func TestBatchBoundaries(t *testing.T) {
	srv := server(t)
	for n := range 8 {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			table := newTable("batch")
			c := admin(t)
			exec(t, c, fmt.Sprintf("CREATE TABLE %s (id int)", table))
			exec(t, c, fmt.Sprintf("INSERT INTO %s SELECT g FROM generate_series(1, %d) g", table, n))
			_, recs, mark := readAll(t, open(t, config(srv, table, "id=id", "id", map[string]string{"batch_rows": "3"})), "")
			require.Len(t, recs, n)
			for i, r := range recs {
				assert.Equal(t, strconv.Itoa(i+1), r[0])
			}
			if n > 0 {
				assert.Equal(t, strconv.Itoa(n), mark)
			} else {
				assert.Empty(t, mark)
			}
		})
	}
}

// TestSameColumnTwice maps one column to two item fields; the watermark is the column's.
func TestSameColumnTwice(t *testing.T) {
	table := newTable("twice")
	c := admin(t)
	exec(t, c, fmt.Sprintf("CREATE TABLE %s (id int, code text)", table))
	exec(t, c, fmt.Sprintf("INSERT INTO %s VALUES (7, 'a')", table))
	head, recs, mark := readAll(t, open(t, config(server(t), table, "code=code; id=id; id_copy=id", "id", nil)), "")
	assert.Equal(t, []string{"code", "id", "id_copy"}, head)
	assert.Equal(t, [][]string{{"a", "7", "7"}}, recs)
	assert.Equal(t, "7", mark)
}
