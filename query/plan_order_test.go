package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// TestImplicitOrderSkippedForPointQueries: without orderBy, rows come in key order, except when
// the filter fixes every key item (a point query), where that order is no order at all; a key
// item fixed only under NOT or OR, or one left free, keeps the key order.
func TestImplicitOrderSkippedForPointQueries(t *testing.T) {
	e := &catalog.Entry{ResourceCode: airCode, Table: "air_station_hourly", Items: catalog.ItemsOf(airItems()...)}
	station := map[string]any{"eq": "S1"}
	at := map[string]any{"eq": "2025-05-31T01:00:00"}
	cases := map[string]struct {
		where   map[string]any
		ordered bool
	}{
		"no filter":             {nil, true},
		"one key item":          {map[string]any{"station": station}, true},
		"every key item":        {map[string]any{"station": station, "observed_at": at}, false},
		"every key item in and": {map[string]any{"and": []any{map[string]any{"station": station}, map[string]any{"observed_at": at}}}, false},
		"one under not":         {map[string]any{"station": station, "not": map[string]any{"observed_at": at}}, true},
		"one under or":          {map[string]any{"station": station, "or": []any{map[string]any{"observed_at": at}}}, true},
		"a range on a key item": {map[string]any{"station": station, "observed_at": map[string]any{"gte": "2025-05-31T01:00:00"}}, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := map[string]any{}
			if c.where != nil {
				args["where"] = c.where
			}
			p, err := rowsPlan(DefaultConfig(), e, args, selection{"station": nil})
			require.NoError(t, err)
			if c.ordered {
				require.Len(t, p.OrderBy, 2)
				assert.Equal(t, "station", p.OrderBy[0].Column.Field)
				assert.Equal(t, "observed_at", p.OrderBy[1].Column.Field)
			} else {
				assert.Empty(t, p.OrderBy)
			}
		})
	}
}
