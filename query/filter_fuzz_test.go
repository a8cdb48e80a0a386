package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// fuzzEntry is the air table without code lists, so that no value changes the shape of a filter
// (a code-listed item's eq becomes an in over the code and the name).
func fuzzEntry() *catalog.Entry {
	items := airItems()
	for i := range items {
		items[i].CodeList = ""
	}
	return baseEntry(airCode, "air_station_hourly", "空气", items)
}

// renameStrings replaces every string value of a filter document (not the keys: those are
// items and comparisons) by another string, numbered in document order.
func renameStrings(v any, n *int) any {
	switch x := v.(type) {
	case string:
		*n++
		return fmt.Sprintf("v%d", *n)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = renameStrings(x[i], n)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = renameStrings(val, n)
		}
		return out
	}
	return v
}

// FuzzFilterToSQL: whatever the filter, the translation refuses it with a message for its
// author or gives SQL whose text does not depend on the values: they are all bound arguments,
// one per placeholder, so no value can become SQL.
func FuzzFilterToSQL(f *testing.F) {
	for _, seed := range []string{
		`{"station": {"eq": "S1"}}`,
		`{"station": {"like": "x' OR 1=1 --"}, "aqi": {"ne": 5}}`,
		`{"not": {"or": [{"pm25": {"gte": 1.5}}, {"valid": {"eq": true}}]}}`,
		`{"and": [{"observed_at": {"lt": "2025-05-31T01:30:00"}}, {"obs_date": {"eq": "2025-05-31"}}]}`,
		`{"station": {"in": ["a", "'; DROP TABLE t; --", "read_csv('/etc/passwd')"]}}`,
		`{"district": {"isNull": false}, "station": {"gt": "＇"}}`,
	} {
		f.Add(seed)
	}
	e := fuzzEntry()
	files := []string{"/lake/a.parquet"}
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		cond, err := whereCond(e, v, "where", 0)
		if err != nil {
			var ue *userError
			require.True(t, errors.As(err, &ue), "a refusal is worded for the author: %v", err)
			return
		}
		plan := &Plan{Table: e.Table, Source: columns(e), Columns: columns(e)[:1], Where: cond, Limit: 10}
		st, err := BuildSQL(plan, Files{Paths: files})
		if err != nil {
			return // a plan the builder refuses (a range over a type without order) never runs
		}
		require.Equal(t, strings.Count(st.SQL, "?"), len(st.Args), "one argument per placeholder")
		n := 0
		cond2, err := whereCond(e, renameStrings(v, &n), "where", 0)
		if err != nil {
			return // the new strings are not values of the column's type (dates, times)
		}
		st2, err := BuildSQL(&Plan{Table: e.Table, Source: columns(e), Columns: columns(e)[:1], Where: cond2, Limit: 10}, Files{Paths: files})
		if err != nil {
			return
		}
		require.Equal(t, st.SQL, st2.SQL, "the SQL text depends on a value")
	})
}
