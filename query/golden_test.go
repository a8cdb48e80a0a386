package query

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./query -update to create %s", path)
	assert.Equal(t, string(want), got, "golden file %s differs; run with -update after checking the change", path)
}

func statementText(st Statement) string {
	var b strings.Builder
	b.WriteString(st.SQL)
	b.WriteString("\n-- args:\n")
	for i, a := range st.Args {
		fmt.Fprintf(&b, "-- %d: %T %#v\n", i+1, a, a)
	}
	return b.String()
}

var (
	colStation = Column{Field: "station", Type: schemas.String}
	colAt      = Column{Field: "observed_at", Type: schemas.Timestamp}
	colDate    = Column{Field: "obs_date", Type: schemas.Date}
	colPM      = Column{Field: "pm25", Type: schemas.Float}
	colAQI     = Column{Field: "aqi", Type: schemas.Int}
	colValid   = Column{Field: "valid", Type: schemas.Bool}
	allCols    = []Column{colStation, colAt, colDate, colPM, colAQI, colValid}
)

func TestBuildSQLGolden(t *testing.T) {
	files := []string{"/var/lake/tables/air/data/a.parquet", "/var/lake/tables/air/data/b.parquet"}
	inject := "x'); DROP TABLE t; --"
	cases := []struct {
		name    string
		plan    Plan
		present map[string]bool
	}{
		{"rows_where_order", Plan{Table: "air", Source: allCols, Columns: []Column{colStation, colPM},
			Where: &Cond{And: []*Cond{
				{Column: colStation, Op: OpIn, Values: []any{"S1", inject}},
				{Column: colPM, Op: OpGte, Value: 35.5},
				{Column: colAt, Op: OpLt, Value: time.Date(2025, 5, 31, 1, 30, 0, 0, time.UTC)},
				{Column: colDate, Op: OpEq, Value: time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC)},
				{Column: colValid, Op: OpIsNull, IsNull: false},
				{Or: []*Cond{{Column: colAQI, Op: OpEq, Value: int64(5000000000)}, {Column: colStation, Op: OpEq, Value: inject}}},
			}},
			OrderBy: []Order{{Column: colPM, Desc: true}, {Column: colStation}}, Limit: 10, Offset: 20}, nil},
		{"rows_missing_column", Plan{Table: "air", Source: allCols, Columns: []Column{colStation, colValid}, Limit: 100},
			map[string]bool{"station": true, "observed_at": true, "obs_date": true, "pm25": true, "aqi": true}},
		{"aggregate_group", Plan{Table: "air", Source: allCols, Aggregate: true, GroupBy: []Column{colStation, colDate},
			Aggs:  []Agg{{AggSum, colPM}, {AggAvg, colAQI}, {AggMin, colAt}, {AggMax, colPM}},
			Where: &Cond{And: []*Cond{{Column: colStation, Op: OpEq, Value: inject}}}, Limit: 1001}, nil},
		{"aggregate_count_only", Plan{Table: "air", Source: allCols, Aggregate: true, Limit: 1001}, nil},
		{"rows_like_not_masked", Plan{Table: "air", Source: allCols, Columns: []Column{colStation, colAQI},
			Masks: map[string]string{"station": "ADDRESS"},
			Where: &Cond{And: []*Cond{
				{Not: true, And: []*Cond{{Column: colStation, Op: OpLike, Value: inject}}},
				{Column: colAQI, Op: OpNe, Value: int64(5)},
			}},
			OrderBy: []Order{{Column: colAQI}}, Limit: 11}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := BuildSQL(&c.plan, Files{Paths: files, Present: c.present})
			require.NoError(t, err)
			assert.NotContains(t, st.SQL, "DROP", "a user value reached the SQL text")
			assert.Equal(t, strings.Count(st.SQL, "?"), len(st.Args), "one argument per placeholder")
			golden(t, "sql_"+c.name+".sql", statementText(st))
		})
	}
}

func TestBuildSQLRejects(t *testing.T) {
	ok := []string{"/lake/a.parquet"}
	cases := []struct {
		name  string
		plan  Plan
		files []string
	}{
		{"relative path", Plan{Table: "air", Source: allCols, Columns: allCols}, []string{"lake/a.parquet"}},
		{"glob in path", Plan{Table: "air", Source: allCols, Columns: allCols}, []string{"/lake/*.parquet"}},
		{"quote in path", Plan{Table: "air", Source: allCols, Columns: allCols}, []string{"/lake/a'.parquet"}},
		{"unclean path", Plan{Table: "air", Source: allCols, Columns: allCols}, []string{"/lake/../etc/a.parquet"}},
		{"range on bool", Plan{Table: "air", Source: allCols, Columns: allCols, Where: &Cond{Column: colValid, Op: OpGt, Value: true}}, ok},
		{"value of wrong type", Plan{Table: "air", Source: allCols, Columns: allCols, Where: &Cond{Column: colAQI, Op: OpEq, Value: "1 OR 1=1"}}, ok},
		{"unknown op", Plan{Table: "air", Source: allCols, Columns: allCols, Where: &Cond{Column: colAQI, Op: Op("; DROP"), Value: int64(1)}}, ok},
		{"no projection", Plan{Table: "air", Source: allCols}, ok},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := BuildSQL(&c.plan, Files{Paths: c.files})
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestBuildSQLPanicsOnBadIdentifier(t *testing.T) {
	// Identifiers come only from the catalogue, validated; one that is not is a programming error.
	p := Plan{Table: "air", Source: []Column{{Field: `a" OR 1=1 --`, Type: schemas.String}}, Columns: []Column{{Field: "a", Type: schemas.String}}}
	assert.Panics(t, func() { _, _ = BuildSQL(&p, Files{}) })
}
