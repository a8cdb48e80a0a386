package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// checkData reads entry e's data through every data path as p and compares with DuckDB's own
// answer over the snapshot's files under the decision's row scope. It returns the rows p saw.
func (env *matrixEnv) checkData(t *testing.T, p *catalog.Principal, e *catalog.Entry, a catalog.Access) (int, bool) {
	t.Helper()
	ctx := context.Background()
	v := env.a.Cat.View()
	snap, err := v.Snapshot(e.CurrentSnapshot)
	require.NoError(t, err)
	m, err := lake.ReadManifest(ctx, env.a.Bucket, snap.ManifestKey)
	require.NoError(t, err)
	paths, release, err := env.a.Cache.Acquire(ctx, m.Files)
	require.NoError(t, err)
	defer release()
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	where := "TRUE"
	if a.Rows != nil {
		var ors []string
		for _, f := range a.Rows.Fields {
			ors = append(ors, fmt.Sprintf("%s IN ('%s')", f, strings.Join(a.Rows.Districts, "','")))
		}
		where = strings.Join(ors, " OR ")
	}
	var want int
	require.NoError(t, env.db.QueryRow(fmt.Sprintf("SELECT count(*) FROM read_parquet([%s], union_by_name=true) WHERE %s",
		strings.Join(quoted, ","), where)).Scan(&want))

	// count
	var cnt map[string][]struct{ Count int }
	env.gql(t, p, fmt.Sprintf(`{ %s_aggregate { count } }`, e.Table), &cnt)
	if a.MinGroupSize > 0 && want < a.MinGroupSize {
		// A total of fewer rows than the minimum group is withheld from aggregates-only readers.
		assert.Empty(t, cnt[e.Table+"_aggregate"], "count of %s below the minimum group", e.Table)
	} else {
		require.Len(t, cnt[e.Table+"_aggregate"], 1)
		assert.Equal(t, want, cnt[e.Table+"_aggregate"][0].Count, "count of %s", e.Table)
	}

	fields := catalog.DistrictFields(e)
	sel := fields
	if len(sel) == 0 {
		sel = []string{e.Items.Slice()[0].Field}
	}
	inScope := func(row map[string]any) bool {
		if a.Rows == nil {
			return true
		}
		for _, f := range a.Rows.Fields {
			if s, ok := row[f].(string); ok && slices.Contains(a.Rows.Districts, s) {
				return true
			}
		}
		return false
	}

	// aggregates with groupBy on the district item: every group is in scope, counts add up.
	if len(fields) > 0 {
		var groups map[string][]struct {
			Group map[string]any
			Count int
		}
		env.gql(t, p, fmt.Sprintf(`{ %s_aggregate(groupBy: [%s]) { group { %s } count } }`, e.Table, fields[0], strings.Join(fields, " ")), &groups)
		total := 0
		for _, g := range groups[e.Table+"_aggregate"] {
			total += g.Count
			assert.True(t, inScope(g.Group), "group %v of %s is outside the row scope", g.Group, e.Table)
			assert.GreaterOrEqual(t, g.Count, a.MinGroupSize, "a group below the minimum of %s", e.Table)
		}
		// DuckDB's own answer: the rows of groups at least as large as the minimum.
		var wantGrouped, wantGroups int
		require.NoError(t, env.db.QueryRow(fmt.Sprintf(`SELECT coalesce(sum(n), 0), count(*) FROM (SELECT count(*) AS n
			FROM read_parquet([%s], union_by_name=true) WHERE %s GROUP BY %s HAVING count(*) >= %d)`,
			strings.Join(quoted, ","), where, fields[0], max(a.MinGroupSize, 1))).Scan(&wantGrouped, &wantGroups))
		assert.Equal(t, wantGrouped, total, "grouped counts of %s", e.Table)
		assert.Len(t, groups[e.Table+"_aggregate"], wantGroups, "groups of %s", e.Table)
	}

	// rows
	var rows map[string][]map[string]any
	q := fmt.Sprintf(`{ %s(limit: 10000) { %s } }`, e.Table, strings.Join(sel, " "))
	errs := env.gqlErr(t, p, q, &rows)
	if a.AggregatesOnly {
		require.NotEmpty(t, errs, "rows of %s for an aggregates-only reader", e.Table)
		assert.Empty(t, rows[e.Table])
		return 0, a.Rows != nil
	}
	require.Empty(t, errs, q)
	got := rows[e.Table]
	assert.Equal(t, min(want, 10000), len(got), "rows of %s", e.Table)
	for _, row := range got {
		if !inScope(row) {
			t.Errorf("row %v of %s is outside the row scope %v", row, e.Table, a.Rows)
			break
		}
	}
	if p.Role == catalog.RoleDistrict && len(fields) > 0 {
		seen := map[string]bool{}
		for _, row := range got {
			for _, f := range fields {
				if s, ok := row[f].(string); ok {
					seen[s] = true
				}
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(p.Districts, k) && len(fields) == 1 {
				t.Errorf("%s read a row of district %s in %s", p.ID, k, e.Table)
			}
		}
	}
	return len(got), a.Rows != nil
}
