package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// A value DuckDB returns is written as text the item's parser reads back to the same value.
func TestDerivedCellRoundTrip(t *testing.T) {
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	at := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	for _, tc := range []struct {
		v    any
		kind duckKind
		item schemas.DataType
		want any
	}{
		{0.1, duckPlain, schemas.Float, 0.1},
		{0.1 + 0.2, duckPlain, schemas.Float, 0.1 + 0.2},
		{1e21, duckPlain, schemas.Float, 1e21},
		{5e-324, duckPlain, schemas.Float, 5e-324},
		{-123456789.125, duckPlain, schemas.Float, -123456789.125},
		{math.MaxFloat64, duckPlain, schemas.Float, math.MaxFloat64},
		{float32(0.1), duckPlain, schemas.Float, 0.1},
		{duckdb.Decimal{Width: 5, Scale: 2, Value: big.NewInt(-12345)}, duckPlain, schemas.Float, -123.45},
		{int64(math.MaxInt64), duckPlain, schemas.Int, int64(math.MaxInt64)},
		{int64(math.MinInt64), duckPlain, schemas.Int, int64(math.MinInt64)},
		{int8(-7), duckPlain, schemas.Int, int64(-7)},
		{uint64(7), duckPlain, schemas.Int, int64(7)},
		{big.NewInt(42), duckPlain, schemas.Int, int64(42)},
		{3.0, duckPlain, schemas.Int, int64(3)},
		{true, duckPlain, schemas.Bool, true},
		{false, duckPlain, schemas.Bool, false},
		{"重庆·渝中", duckPlain, schemas.String, "重庆·渝中"},
		{day, duckDate, schemas.Date, day},
		{day, duckTimestamp, schemas.Date, day}, // date_trunc gives a midnight timestamp
		{day, duckDate, schemas.Timestamp, day},
		{at, duckTimestamp, schemas.Timestamp, at},
		{at.Truncate(time.Second), duckTimestamp, schemas.Timestamp, at.Truncate(time.Second)},
		{at, duckTimestampTZ, schemas.Timestamp, at.Add(8 * time.Hour)}, // the bureau's wall clock
		{day, duckDate, schemas.String, "2024-02-29"},
		{at, duckTimestamp, schemas.String, "2024-02-29 23:59:58.123456"},
		{[]byte{0x94, 0x3d, 0xaa, 0x9c, 0x83, 0x0b, 0x4a, 0x2f, 0x95, 0x6b, 0xb5, 0x6e, 0x73, 0x40, 0x1c, 0x84}, duckUUID,
			schemas.String, "943daa9c-830b-4a2f-956b-b56e73401c84"},
	} {
		cell, ok := derivedCell(tc.v, tc.kind, tc.item)
		require.True(t, ok, "%T %v", tc.v, tc.v)
		got, err := tc.item.Parse(cell)
		require.NoError(t, err, "%T %v as %q", tc.v, tc.v, cell)
		assert.Equal(t, tc.want, got, "%T %v as %q", tc.v, tc.v, cell)
	}
	// What an item cannot hold is written whole, and the parser refuses it with its reason.
	for _, tc := range []struct {
		v    any
		kind duckKind
		item schemas.DataType
	}{
		{3.5, duckPlain, schemas.Int},
		{new(big.Int).Lsh(big.NewInt(1), 64), duckPlain, schemas.Int},
		{math.NaN(), duckPlain, schemas.Float},
		{math.Inf(1), duckPlain, schemas.Float},
		{at, duckTimestamp, schemas.Date},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), duckDate, schemas.Date},
	} {
		cell, ok := derivedCell(tc.v, tc.kind, tc.item)
		require.True(t, ok)
		_, err := tc.item.Parse(cell)
		assert.Error(t, err, "%v as %q", tc.v, cell)
	}
	cell, ok := derivedCell(nil, duckPlain, schemas.Int)
	assert.True(t, ok)
	assert.Empty(t, cell, "NULL is an empty cell")
	_, ok = derivedCell(struct{}{}, duckPlain, schemas.String)
	assert.False(t, ok)
}

// Through the whole path: DuckDB's values, written and parsed, stored as Parquet and read back,
// equal what DuckDB computed.
func TestDerivedValuesRoundTripThroughTheLake(t *testing.T) {
	e := derivedEnv(t)
	e.loadInputs()
	const exprs = `'重庆·渝中' AS s, 9223372036854775807::BIGINT AS i, sum(1) AS h, 0.1::DOUBLE + 0.2 AS f, 1.25 AS dec,
		false AS b, DATE '2024-02-29' AS d, date_trunc('month', TIMESTAMP '2024-02-29 23:00:00') AS dm,
		TIMESTAMP '2024-02-29 23:59:59.123456' AS ts, TIMESTAMPTZ '2024-02-29 16:00:00+00' AS tz, NULL AS n`
	items := []catalog.Item{
		{Name: "文本", Field: "s", Type: schemas.String}, {Name: "整数", Field: "i", Type: schemas.Int},
		{Name: "合计", Field: "h", Type: schemas.Int}, {Name: "小数", Field: "f", Type: schemas.Float},
		{Name: "定点数", Field: "dec", Type: schemas.Float}, {Name: "布尔", Field: "b", Type: schemas.Bool},
		{Name: "日期", Field: "d", Type: schemas.Date}, {Name: "月份", Field: "dm", Type: schemas.Date},
		{Name: "时间", Field: "ts", Type: schemas.Timestamp}, {Name: "带时区时间", Field: "tz", Type: schemas.Timestamp},
		{Name: "空值", Field: "n", Type: schemas.Float},
	}
	tr := &catalog.Transform{SQL: "SELECT " + exprs + " FROM pm25_targets", Inputs: []string{targetsCode}}
	for i := range items {
		items[i].Grade = schemas.General1
		tr.Columns = append(tr.Columns, catalog.DerivedColumn{Field: items[i].Field})
	}
	e.putDerivedEntry("0101/000015", "all_types", "类型往返", tr, items, nil)
	res, err := e.svc.Materialise(context.Background(), catalog.Operator(), "0101/000015")
	require.NoError(t, err)
	require.Equal(t, catalog.RunSucceeded, res.Run.Status, res.Summary())

	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	var same, nulls int
	// want computes the same expressions over as many rows as the input has.
	q := fmt.Sprintf(`WITH want AS (SELECT %s FROM (VALUES (1), (2)) x)
		SELECT count(*) FILTER (WHERE p.s = w.s AND p.i = w.i AND p.h = w.h AND p.f = w.f AND p.dec = w.dec AND p.b = w.b
			AND p.d = w.d AND p.dm = w.dm AND p.ts = w.ts AND p.tz = TIMESTAMP '2024-03-01 00:00:00'), count(*) FILTER (WHERE p.n IS NULL)
		FROM read_parquet([%s]) p, want w`, exprs, strings.Join(e.snapshotPaths("0101/000015"), ","))
	require.NoError(t, db.QueryRow(q).Scan(&same, &nulls))
	assert.Equal(t, 1, same, "every value equal to DuckDB's own")
	assert.Equal(t, 1, nulls)
}
