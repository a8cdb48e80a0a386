package query

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// secondLoad replaces the air table an hour later with two rows and returns the first snapshot.
func secondLoad(t *testing.T, f *fixture) (first string, loadedAt time.Time) {
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	first, loadedAt = e.CurrentSnapshot, f.now
	f.now = f.now.Add(time.Hour)
	f.load(airCode, [][]any{
		{"S9", "500112", ts("2025-06-01 01:00:00"), day("2025-06-01"), 1.0, int64(1), true},
		{"S9", "500112", ts("2025-06-01 02:00:00"), day("2025-06-01"), 2.0, int64(2), true},
	})
	return first, loadedAt
}

func TestAsOfReadsTheTableAsItStood(t *testing.T) {
	f := newFixture(t)
	first, loadedAt := secondLoad(t, f)
	count := func(q string) string {
		return jsonOf(t, f.mustDo(hiPrincipal, q)["air_station_hourly_aggregate"])
	}
	assert.Equal(t, `[{"count":2}]`, count(`{ air_station_hourly_aggregate { count } }`))
	assert.Equal(t, `[{"count":5}]`, count(`{ air_station_hourly_aggregate(asOf: "`+first+`") { count } }`), "by snapshot id")
	assert.Equal(t, `[{"count":5}]`, count(`{ air_station_hourly_aggregate(asOf: "`+loadedAt.Add(30*time.Minute).Format(time.RFC3339)+`") { count } }`), "by time")
	assert.Equal(t, `[{"count":5}]`, count(`{ air_station_hourly_aggregate(asOf: "`+loadedAt.Format(time.RFC3339)+`") { count } }`), "at the commit itself")
	assert.Equal(t, `[{"count":0}]`, count(`{ air_station_hourly_aggregate(asOf: "2020-01-01") { count } }`), "before the first load: no data")
	assert.Equal(t, `[{"count":2}]`, count(`{ air_station_hourly_aggregate(asOf: "2099-01-01") { count } }`), "a date is the end of that day")

	data := f.mustDo(hiPrincipal, `{ air_station_hourly(asOf: "`+first+`", where: {station: {eq: "S2"}}) { station } }`)
	assert.JSONEq(t, `[{"station":"S2"},{"station":"S2"}]`, jsonOf(t, data["air_station_hourly"]))

	// Another entry's snapshot is not this entry's: refused without saying whose it is.
	other := f.load(penaltyCode, [][]any{{"某公司", int64(1)}})
	_, errs := f.do(hiPrincipal, `{ air_station_hourly(asOf: "`+other+`") { station } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "既不是目录 0101/000001 的快照编号")
	assert.NotContains(t, errs[0], penaltyCode)

	// Today's policy on yesterday's data: a district account sees its own rows only.
	second, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	f.now = f.now.Add(time.Hour)
	f.load(airCode, [][]any{{"S7", "500103", ts("2025-06-02 01:00:00"), day("2025-06-02"), 3.0, int64(3), true}})
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "yb", Name: "渝北区应用", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500112"}}))
	data = f.mustDo("yb", `{ now: air_station_hourly { station } then: air_station_hourly(asOf: "`+second.CurrentSnapshot+`") { station district } }`)
	assert.JSONEq(t, `[]`, jsonOf(t, data["now"]), "today's table holds only 渝中区's row")
	assert.JSONEq(t, `[{"station":"S9","district":"500112"},{"station":"S9","district":"500112"}]`, jsonOf(t, data["then"]))
	data = f.mustDo("yb", `{ air_station_hourly_aggregate(asOf: "`+first+`") { count } }`)
	assert.JSONEq(t, `[{"count":0}]`, jsonOf(t, data["air_station_hourly_aggregate"]), "the first load had no row of its district")
}

func TestPagesWalkOneSnapshot(t *testing.T) {
	f := newFixture(t)
	const q = `query($after: String) { air_station_hourly_page(first: 2, after: $after, orderBy: [{field: aqi, direction: DESC}]) {
		totalCount nodes { station observed_at aqi } pageInfo { endCursor hasNextPage } } }`
	var seen []string
	var after any
	for i := 0; ; i++ {
		data, errs := f.do(hiPrincipal, q, map[string]any{"after": after})
		require.Empty(t, errs)
		page := data["air_station_hourly_page"].(map[string]any)
		assert.EqualValues(t, 5, page["totalCount"])
		for _, n := range page["nodes"].([]any) {
			row := n.(map[string]any)
			seen = append(seen, row["station"].(string)+" "+row["observed_at"].(string))
		}
		info := page["pageInfo"].(map[string]any)
		if i == 0 {
			secondLoad(t, f) // a load between pages: the walk stays on the snapshot it began with
		}
		if !info["hasNextPage"].(bool) {
			break
		}
		after = info["endCursor"]
	}
	require.Len(t, seen, 5, "every row once: %v", seen)
	assert.Equal(t, "x' OR '1'='1 2025-05-30T23:00:00", seen[0], "aqi 5000000000 first")
	uniq := map[string]bool{}
	for _, s := range seen {
		uniq[s] = true
	}
	assert.Len(t, uniq, 5)

	// A cursor belongs to its query, and names only this entry's snapshots.
	data := f.mustDo(hiPrincipal, `{ air_station_hourly_page(first: 1) { pageInfo { endCursor } } }`)
	cursor := data["air_station_hourly_page"].(map[string]any)["pageInfo"].(map[string]any)["endCursor"].(string)
	_, errs := f.do(hiPrincipal, `query($a: String) { air_station_hourly_page(first: 1, after: $a, where: {aqi: {gt: 0}}) { nodes { station } } }`,
		map[string]any{"a": cursor})
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "endCursor")
	other := f.load(penaltyCode, [][]any{{"某公司", int64(1)}})
	c, ok := decodePageCursor(cursor)
	require.True(t, ok)
	c.Snapshot = other
	_, errs = f.do(hiPrincipal, `query($a: String) { air_station_hourly_page(first: 1, after: $a) { nodes { station } } }`,
		map[string]any{"a": c.encode()})
	require.Len(t, errs, 1, "a forged cursor cannot read another entry's snapshot")
	_, errs = f.do(hiPrincipal, `query($a: String) { air_station_hourly_page(after: $a) { nodes { station } } }`,
		map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte(`{"o":-5}`))})
	require.Len(t, errs, 1)
}

// TestPagesNeverOrderByAMaskedItem: the order that makes pages total leaves masked items out.
func TestPagesNeverOrderByAMaskedItem(t *testing.T) {
	f := contactsFixture(t)
	data := f.mustDo(hiPrincipal, `{ complaint_contacts_page(first: 5) { totalCount nodes { case_no phone } } }`)
	assert.JSONEq(t, `{"totalCount": 2, "nodes": [{"case_no": "C1", "phone": "139****4321"}, {"case_no": "C2", "phone": "137****5678"}]}`,
		jsonOf(t, data["complaint_contacts_page"]))
	plan := &Plan{Source: []Column{{Field: "case_no"}, {Field: "phone"}, {Field: "fine"}}}
	totalOrder(plan, catalog.Access{Items: []catalog.ItemAccess{{Field: "case_no"}, {Field: "phone", Mask: "MOBILE"}, {Field: "fine"}}})
	var order []string
	for _, o := range plan.OrderBy {
		order = append(order, o.Column.Field)
	}
	assert.Equal(t, []string{"case_no", "fine"}, order)
}

func TestACutListSaysSo(t *testing.T) {
	f := newFixture(t)
	res := f.svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: `{ a: air_station_hourly(limit: 2) { station } b: air_station_hourly(limit: 5) { station } }`})
	require.Empty(t, res.Errors)
	cut, ok := res.Extensions["truncated"].([]map[string]any)
	require.True(t, ok, "extensions: %v", res.Extensions)
	require.Len(t, cut, 1, "b holds every row: not cut")
	assert.Equal(t, []any{"a"}, cut[0]["path"])
	assert.Equal(t, 2, cut[0]["limit"])
	assert.Contains(t, cut[0]["message"], "只返回了前 2 行")
	assert.Len(t, res.Data.(map[string]any)["a"], 2)
}

// TestCodedItemsAnswerWithNames: an item coded with a code list answers with the name beside the
// code, in rows and group keys, and a filter takes the code or the name.
func TestCodedItemsAnswerWithNames(t *testing.T) {
	f := newFixture(t)
	f.now = f.now.Add(time.Hour)
	f.load(airCode, [][]any{
		{"S1", "500103", ts("2025-06-01 01:00:00"), day("2025-06-01"), 1.0, int64(1), true},
		{"S2", "500112", ts("2025-06-01 01:00:00"), day("2025-06-01"), 2.0, int64(2), true},
		{"S3", "500112", ts("2025-06-01 01:00:00"), day("2025-06-01"), 3.0, int64(3), true},
	})
	for _, filter := range []string{`{district: {eq: "500112"}}`, `{district: {eq: "渝北区"}}`, `{district: {in: ["渝北区"]}}`, `{district: {ne: "渝中区"}}`} {
		data := f.mustDo(hiPrincipal, `{ air_station_hourly(where: `+filter+`) { station districtName } }`)
		assert.JSONEq(t, `[{"station":"S2","districtName":"渝北区"},{"station":"S3","districtName":"渝北区"}]`,
			jsonOf(t, data["air_station_hourly"]), filter)
	}
	data := f.mustDo(hiPrincipal, `{ air_station_hourly_aggregate(groupBy: [district]) { group { district districtName } count } }`)
	assert.JSONEq(t, `[{"group":{"district":"500103","districtName":"渝中区"},"count":1},{"group":{"district":"500112","districtName":"渝北区"},"count":2}]`,
		jsonOf(t, data["air_station_hourly_aggregate"]))
}

// TestAsOfBeforeThePurgedHistory: once the record of loads before a horizon is purged
// (catalog/history_purge.go), a read as of a moment before it that finds no snapshot says the
// record was purged rather than answering as if the table had been empty; after it, reads are
// answered as before.
func TestAsOfBeforeThePurgedHistory(t *testing.T) {
	f := newFixture(t)
	first, loadedAt := secondLoad(t, f)
	_, err := f.cat.ExpireSnapshots(f.ctx, []string{first})
	require.NoError(t, err)
	f.now = f.now.Add(24 * time.Hour)
	horizon := f.now.Add(-time.Hour)
	done, err := f.cat.PurgeHistory(f.ctx, horizon)
	require.NoError(t, err)
	assert.Equal(t, 1, done.Snapshots, "the expired first load")

	_, errs := f.do(hiPrincipal, `{ air_station_hourly_aggregate(asOf: "`+loadedAt.Add(30*time.Minute).Format(time.RFC3339)+`") { count } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "目录 0101/000001 在 "+horizon.In(audit.Zone).Format("2006-01-02 15:04")+" 之前的快照记录已按历史保留期清理")
	data := f.mustDo(hiPrincipal, `{ air_station_hourly_aggregate(asOf: "`+f.now.Format(time.RFC3339)+`") { count } }`)
	assert.Equal(t, `[{"count":2}]`, jsonOf(t, data["air_station_hourly_aggregate"]))
}
