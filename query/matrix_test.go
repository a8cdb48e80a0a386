package query

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The authorization matrix over the output paths of the query layer: principals of every role
// (own department or not, district scope, scenes holding grants: rows, unmasked items,
// aggregates only, expired, revoked) × entries of every sharing
// type at two grades × paths (introspection, entry, rows, page, aggregate, group keys, max,
// filter and order, a filter on a personal item, asOf). The expected answer of every cell is
// computed from the catalogue's one decision (View.Decide) and the loaded rows; the cell fails
// when the path shows more, or less, than the decision allows. The decision itself is held to
// the rules by catalog's matrix (access_grant_test.go); this one holds every door to it.

type matrixRow struct {
	station, district, person string
	value                     int64
}

var matrixRows = []matrixRow{
	{"S1", "500103", "张三丰", 10},
	{"S2", "500112", "李小四", 20},
	{"S3", "500112", "王五", 30},
}

func matrixFixture(t *testing.T, opt func(*Config)) (*fixture, []*catalog.Entry, []string) {
	f := newFixtureWith(t, opt)
	var entries []*catalog.Entry
	n := 100
	for _, share := range []string{catalog.ShareUnconditional, catalog.ShareConditional, catalog.ShareNotShared} {
		for _, grade := range []schemas.Grade{schemas.General2, schemas.Important} {
			n++
			table := fmt.Sprintf("m_%s_%s", strings.ToLower(share[:1]), strings.ToLower(string(grade)))
			e := baseEntry(fmt.Sprintf("0101/%06d", n), table, "矩阵"+table, []catalog.Item{
				{Name: "站点", Field: "station", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1},
				{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, CodeList: "districts"},
				{Name: "联系人", Field: "person", Type: schemas.String, Grade: schemas.General2, PIType: "CN_NAME"},
				{Name: "数值", Field: "value", Type: schemas.Int, Grade: grade},
			})
			e.ShareType = share
			if share == catalog.ShareConditional {
				e.ShareCondition = "用于矩阵测试"
			}
			require.NoError(t, f.cat.PutEntry(f.ctx, e))
			var rows [][]any
			for _, r := range matrixRows {
				rows = append(rows, []any{r.station, r.district, r.person, r.value})
			}
			f.load(e.ResourceCode, rows)
			stored, err := f.cat.View().Entry(e.ResourceCode)
			require.NoError(t, err)
			entries = append(entries, stored)
		}
	}
	principals := []catalog.Principal{
		{ID: "m-steward", Name: "数据员", Role: catalog.RoleSteward, Clearance: schemas.Core, Department: "AIR_DIV"},
		{ID: "m-reviewer", Name: "执法审核", Role: catalog.RoleReviewer, Clearance: schemas.Important, Department: "LAW_CORPS"},
		{ID: "m-own", Name: "本处分析", Role: catalog.RoleAnalyst, Clearance: schemas.General2, Department: "AIR_DIV"},
		{ID: "m-other", Name: "他处分析", Role: catalog.RoleAnalyst, Clearance: schemas.General2, Department: "LAW_CORPS"},
		{ID: "m-scene", Name: "场景", Role: catalog.RoleScene, Clearance: schemas.Important},
		{ID: "m-manager", Name: "局领导", Role: catalog.RoleManager, Clearance: schemas.Core},
		{ID: "m-district", Name: "渝中区", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500103"}},
		{ID: "m-agg", Name: "统计场景", Role: catalog.RoleScene, Clearance: schemas.Important},
		{ID: "m-expired", Name: "过期场景", Role: catalog.RoleScene, Clearance: schemas.Important},
		{ID: "m-revoked", Name: "撤销场景", Role: catalog.RoleScene, Clearance: schemas.Important},
	}
	var ids []string
	for _, p := range principals {
		require.NoError(t, f.cat.PutPrincipal(f.ctx, p))
		ids = append(ids, p.ID)
	}
	// The scene holds a rows grant unmasking the person on the conditional entry of grade 2, and
	// a rows grant on the conditional entry of the important grade; its request on the not-shared
	// one is refused. On the conditional entry of grade 2, m-agg holds an aggregates-only grant,
	// m-expired a rows grant that has expired by the time the matrix reads, m-revoked one that
	// was revoked.
	approver := catalog.Principal{ID: "m-approver", Name: "大气处审核", Role: catalog.RoleReviewer, Clearance: schemas.Core, Department: "AIR_DIV"}
	require.NoError(t, f.cat.PutPrincipal(f.ctx, approver))
	for _, g := range []catalog.Grant{
		{Grantee: "m-scene", Entry: entries[2].ResourceCode, Mode: catalog.GrantRows, Unmasked: []string{"person"}},
		{Grantee: "m-scene", Entry: entries[3].ResourceCode, Mode: catalog.GrantRows},
		{Grantee: "m-scene", Entry: entries[4].ResourceCode, Mode: catalog.GrantRows},
		{Grantee: "m-agg", Entry: entries[2].ResourceCode, Mode: catalog.GrantAggregates},
		{Grantee: "m-expired", Entry: entries[2].ResourceCode, Mode: catalog.GrantRows, Expires: f.now.Add(time.Hour)},
		{Grantee: "m-revoked", Entry: entries[2].ResourceCode, Mode: catalog.GrantRows},
	} {
		g.Purpose = "矩阵"
		if g.Expires.IsZero() {
			g.Expires = f.now.Add(24 * time.Hour)
		}
		got, err := f.cat.RequestGrant(f.ctx, f.principal(g.Grantee), g)
		if err != nil {
			require.Equal(t, entries[4].ResourceCode, g.Entry, "only the request on the not-shared entry is refused: %v", err)
			continue
		}
		require.NoError(t, f.cat.ApproveGrant(f.ctx, &approver, got.ID, got.Revision, "同意"))
		if g.Grantee == "m-revoked" {
			got, err = f.cat.View().Grant(got.ID)
			require.NoError(t, err)
			require.NoError(t, f.cat.RevokeGrant(f.ctx, &approver, got.ID, got.Revision, "撤销"))
		}
	}
	f.now = f.now.Add(2 * time.Hour) // m-expired's grant has run out
	return f, entries, ids
}

// expectedRows are the rows p may read of the matrix table under a, ordered by station.
func expectedRows(t *testing.T, a catalog.Access, keep func(matrixRow) bool) []map[string]any {
	mask := ""
	for _, it := range a.Items {
		if it.Field == "person" {
			mask = it.Mask
		}
	}
	out := []map[string]any{}
	for _, r := range matrixRows {
		if a.Rows != nil && !slices.Contains(a.Rows.Districts, r.district) || !keep(r) {
			continue
		}
		person := r.person
		if mask != "" {
			var err error
			person, err = MaskValue(mask, r.person)
			require.NoError(t, err)
		}
		out = append(out, map[string]any{"station": r.station, "district": r.district, "person": person, "value": r.value})
	}
	return out
}

func TestAuthorizationMatrix(t *testing.T) {
	authorizationMatrix(matrixFixture(t, nil))
}

// TestAuthorizationMatrixOverNativeCopies: the same cells, with every snapshot read from its
// native copy after its first read: the copy sits below the policy, so no cell changes.
func TestAuthorizationMatrixOverNativeCopies(t *testing.T) {
	f, entries, principals := matrixFixture(t, withNativeCopies(t))
	var mu sync.Mutex
	copied, files := 0, 0
	f.svc.sqlHook = func(st Statement) {
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(st.SQL, " FROM "+nativeDB+".") {
			copied++
		} else {
			files++
		}
	}
	authorizationMatrix(f, entries, principals)
	mu.Lock()
	defer mu.Unlock()
	assert.LessOrEqual(t, files, len(entries), "a snapshot is read from its files once, then from its copy")
	assert.Greater(t, copied, 4*len(entries), "the cells' queries read the copies")
}

func authorizationMatrix(f *fixture, entries []*catalog.Entry, principals []string) {
	t := f.t
	all := func(matrixRow) bool { return true }
	cells := 0
	for _, id := range principals {
		p := f.principal(id)
		sdl := mustSDL(t, f, id)
		for _, e := range entries {
			a := f.cat.View().Decide(p, e, f.now)
			rowsField := a.Exists && a.Read && !a.AggregatesOnly
			cell := fmt.Sprintf("%s × %s", id, e.Table)
			cells++

			assert.Equal(t, rowsField, strings.Contains(sdl, e.Table+"("), "%s: rows field in the schema", cell)
			assert.Equal(t, a.Exists && a.Read, strings.Contains(sdl, e.Table+"_aggregate("), "%s: aggregate field in the schema", cell)

			data, errs := f.do(id, fmt.Sprintf(`{ entry(code: %q) { resourceCode } }`, e.ResourceCode), nil)
			assert.Equal(t, a.Exists, len(errs) == 0 && data["entry"] != nil, "%s: entry", cell)

			q := func(query string) (map[string]any, []string) { return f.do(id, query, nil) }
			rows, errs := q(`{ t: ` + e.Table + `(orderBy: [{field: station}]) { station district person value } }`)
			if !rowsField {
				assert.NotEmpty(t, errs, "%s: rows refused", cell)
			} else if assert.Empty(t, errs, cell) {
				assert.JSONEq(t, jsonOf(t, expectedRows(t, a, all)), jsonOf(t, rows["t"]), "%s: rows", cell)
				snap := e.CurrentSnapshot
				old, errs := q(`{ t: ` + e.Table + `(asOf: "` + snap + `", orderBy: [{field: station}]) { station district person value } }`)
				require.Empty(t, errs, cell)
				assert.JSONEq(t, jsonOf(t, expectedRows(t, a, all)), jsonOf(t, old["t"]), "%s: asOf", cell)
				page, errs := q(`{ t: ` + e.Table + `_page(first: 1) { totalCount } }`)
				require.Empty(t, errs, cell)
				assert.EqualValues(t, len(expectedRows(t, a, all)), page["t"].(map[string]any)["totalCount"], "%s: page total", cell)
				big, errs := q(`{ t: ` + e.Table + `(where: {value: {gt: 15}}, orderBy: [{field: value, direction: DESC}]) { station district person value } }`)
				require.Empty(t, errs, cell)
				want := expectedRows(t, a, func(r matrixRow) bool { return r.value > 15 })
				sort.Slice(want, func(i, j int) bool { return want[i]["value"].(int64) > want[j]["value"].(int64) })
				assert.JSONEq(t, jsonOf(t, want), jsonOf(t, big["t"]), "%s: filter and order", cell)
				_, errs = q(`{ t: ` + e.Table + `(where: {person: {eq: "张三丰"}}) { station } }`)
				masked := a.Items[2].Mask != ""
				assert.Equal(t, masked, len(errs) > 0, "%s: a filter on the personal item is refused exactly when it is masked", cell)
			}

			agg, errs := q(`{ t: ` + e.Table + `_aggregate { count max { value } } g: ` + e.Table + `_aggregate(groupBy: [district]) { group { district } count } }`)
			if !(a.Exists && a.Read) {
				assert.NotEmpty(t, errs, "%s: aggregates refused", cell)
				continue
			}
			require.Empty(t, errs, cell)
			visible := expectedRows(t, a, all)
			wantTotal := []map[string]any{}
			if len(visible) >= a.MinGroupSize {
				top := int64(0)
				for _, r := range visible {
					top = max(top, r["value"].(int64))
				}
				var maxV any = top
				if len(visible) == 0 {
					maxV = nil
				}
				wantTotal = append(wantTotal, map[string]any{"count": len(visible), "max": map[string]any{"value": maxV}})
			}
			assert.JSONEq(t, jsonOf(t, wantTotal), jsonOf(t, agg["t"]), "%s: total", cell)
			groups := map[string]int{}
			for _, r := range visible {
				groups[r["district"].(string)]++
			}
			wantGroups := []map[string]any{}
			for _, d := range []string{"500103", "500112"} {
				if n := groups[d]; n > 0 && n >= a.MinGroupSize {
					wantGroups = append(wantGroups, map[string]any{"group": map[string]any{"district": d}, "count": n})
				}
			}
			assert.JSONEq(t, jsonOf(t, wantGroups), jsonOf(t, agg["g"]), "%s: group keys", cell)
		}
	}
	assert.Equal(t, len(principals)*len(entries), cells)
	// The matrix is not trivially closed or open: each kind of outcome occurs.
	v := f.cat.View()
	kinds := map[string]bool{}
	for _, id := range principals {
		for _, e := range entries {
			a := v.Decide(f.principal(id), e, f.now)
			switch {
			case !a.Exists:
				kinds["hidden"] = true
			case !a.Read:
				kinds["listed only"] = true
			case a.AggregatesOnly:
				kinds["aggregates"] = true
			case a.Rows != nil:
				kinds["scoped rows"] = true
			case !a.Items[2].Visible || a.Items[2].Mask == "":
				kinds["unmasked"] = true
			default:
				kinds["rows"] = true
			}
		}
	}
	assert.Len(t, kinds, 6, "outcomes: %v", kinds)
	// The grant cells of the conditional entry of grade 2 are what their grants make them: an
	// aggregates-only grant opens counts only; an expired or revoked grant opens nothing; the
	// unmasking grant shows the person in clear.
	cond := entries[2]
	for id, want := range map[string]string{"m-agg": "aggregates", "m-expired": "listed only", "m-revoked": "listed only", "m-scene": "unmasked"} {
		a := v.Decide(f.principal(id), cond, f.now)
		got := "listed only"
		switch {
		case a.Read && a.AggregatesOnly:
			got = "aggregates"
		case a.Read && a.Items[2].Visible && a.Items[2].Mask == "":
			got = "unmasked"
		case a.Read:
			got = "rows"
		}
		assert.Equal(t, want, got, "%s on %s", id, cond.Table)
	}
}
