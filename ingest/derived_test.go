package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// The derived fixture: hourly PM2.5 readings and district targets, and the monthly average by
// district derived from them.
const (
	hourlyCode  = "0101/000011"
	targetsCode = "0101/000012"
	monthlyCode = "0101/000013"
)

const monthlySQL = `SELECT h.district, date_trunc('month', h.measured_at) AS month, avg(h.pm25) AS avg_pm25,
	any_value(t.target) AS target, avg(h.pm25) > any_value(t.target) AS exceeded
FROM air_hourly h JOIN pm25_targets t ON t.district = h.district
GROUP BY 1, 2 ORDER BY 1, 2`

// derivedEnv is an env with the two input entries, the derived one (partitioned by district,
// as a large derived table would be), a steward, an analyst and a district account.
func derivedEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, DefaultConfig())
	e.putDerivedEntry(hourlyCode, "air_hourly", "空气质量小时数据", nil, []catalog.Item{
		{Name: "区县", Field: "district", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
		{Name: "监测时间", Field: "measured_at", Type: schemas.Timestamp, Required: true, Grade: schemas.General1},
		{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General1},
	}, nil)
	e.putDerivedEntry(targetsCode, "pm25_targets", "PM2.5年度目标", nil, []catalog.Item{
		{Name: "区县", Field: "district", Type: schemas.String, Required: true, IsKey: true, CodeList: "districts", Grade: schemas.General1},
		{Name: "目标值", Field: "target", Type: schemas.Float, Grade: schemas.General1},
	}, nil)
	e.putDerivedEntry(monthlyCode, "pm25_monthly", "PM2.5月均值", monthlyTransform(monthlySQL), []catalog.Item{
		{Name: "区县", Field: "district", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
		{Name: "月份", Field: "month", Type: schemas.Date, Required: true, Grade: schemas.General1},
		{Name: "月均PM2.5", Field: "avg_pm25", Type: schemas.Float, Grade: schemas.General1},
		{Name: "目标值", Field: "target", Type: schemas.Float, Grade: schemas.General1},
		{Name: "是否超标", Field: "exceeded", Type: schemas.Bool, Grade: schemas.General1},
	}, func(en *catalog.Entry) { en.Partitions = []string{"district"} })
	for _, p := range []catalog.Principal{
		{ID: "air_steward", Name: "大气处数据管理员", Role: catalog.RoleSteward, Department: "AIR_DIV", Clearance: schemas.General3},
		{ID: "analyst", Name: "分析人员", Role: catalog.RoleAnalyst, Clearance: schemas.Core},
		{ID: "yz_district", Name: "渝中区报送员", Role: catalog.RoleDistrict, Districts: []string{"500103"}, Clearance: schemas.General3},
	} {
		require.NoError(t, e.cat.PutPrincipal(context.Background(), p))
	}
	return e
}

// putDerivedEntry stores an entry of the fixture; t makes it derived.
func (e *env) putDerivedEntry(code, table, name string, t *catalog.Transform, items []catalog.Item, mut func(*catalog.Entry)) {
	e.t.Helper()
	en := testEntry()
	en.ResourceCode, en.Table, en.Name, en.Transform = code, table, name, t
	en.Items = catalog.ItemsOf(items...)
	if mut != nil {
		mut(en)
	}
	require.NoError(e.t, e.cat.PutEntry(context.Background(), en))
}

// monthlyTransform is the monthly entry's transform with sql, its column sources as lineage
// would attribute them.
func monthlyTransform(sql string) *catalog.Transform {
	src := func(entry, field, via string) []catalog.ColumnSource {
		return []catalog.ColumnSource{{Entry: entry, Field: field, Via: via}}
	}
	return &catalog.Transform{
		SQL:    sql,
		Inputs: []string{hourlyCode, targetsCode},
		Columns: []catalog.DerivedColumn{
			{Field: "district", Sources: src(hourlyCode, "district", catalog.ViaDirect)},
			{Field: "month", Sources: src(hourlyCode, "measured_at", catalog.ViaDirect)},
			{Field: "avg_pm25", Sources: src(hourlyCode, "pm25", catalog.ViaAggregate)},
			{Field: "target", Sources: src(targetsCode, "target", catalog.ViaAggregate)},
			{Field: "exceeded", Sources: append(src(hourlyCode, "pm25", catalog.ViaAggregate), src(targetsCode, "target", catalog.ViaAggregate)...)},
		},
		Filters: []catalog.ColumnSource{{Entry: hourlyCode, Field: "district", Via: catalog.ViaGroup},
			{Entry: targetsCode, Field: "district", Via: catalog.ViaFilter}},
	}
}

// setSQL changes the monthly entry's transform SQL (and mut its items, when given).
func (e *env) setSQL(sql string, mut func(*catalog.Entry)) {
	e.t.Helper()
	en, err := e.cat.View().Entry(monthlyCode)
	require.NoError(e.t, err)
	en.Transform.SQL = sql
	if mut != nil {
		mut(en)
	}
	require.NoError(e.t, e.cat.PutEntry(context.Background(), en))
}

// monthlySQLNow is the monthly entry's SQL as it stands.
func (e *env) monthlySQLNow() string {
	e.t.Helper()
	en, err := e.cat.View().Entry(monthlyCode)
	require.NoError(e.t, err)
	return en.Transform.SQL
}

func (e *env) load(code, body string) *Result {
	e.t.Helper()
	res, err := e.submit("data.csv", body, func(s *Submission) { s.Entry = code })
	require.NoError(e.t, err)
	require.NotNil(e.t, res.Snapshot, res.Summary())
	return res
}

const hourlyJan = "district,measured_at,pm25\n渝中区,2025-01-01 08:00:00,40\n渝中区,2025-01-15 09:00:00,50\n" +
	"渝中区,2025-02-03 10:00:00,20\n江北区,2025-01-02 08:00:00,30\n江北区,2025-01-20 12:30:00,34\n沙坪坝区,2025-01-05 08:00:00,60\n"

// loadInputs loads both inputs and returns their snapshots.
func (e *env) loadInputs() (hourly, targets string) {
	e.t.Helper()
	return e.load(hourlyCode, hourlyJan).Snapshot.ID, e.load(targetsCode, "district,target\n渝中区,35\n江北区,30\n").Snapshot.ID
}

// monthlyRows reads the monthly entry's committed Parquet back with DuckDB, in order.
func (e *env) monthlyRows() [][]string {
	e.t.Helper()
	db, err := sql.Open("duckdb", "")
	require.NoError(e.t, err)
	defer db.Close()
	rs, err := db.Query(fmt.Sprintf(`SELECT district, CAST(month AS VARCHAR), avg_pm25, target, exceeded
		FROM read_parquet([%s], hive_partitioning = false) ORDER BY 1, 2`, strings.Join(e.snapshotPaths(monthlyCode), ",")))
	require.NoError(e.t, err)
	defer rs.Close()
	var out [][]string
	for rs.Next() {
		var v [5]any
		require.NoError(e.t, rs.Scan(&v[0], &v[1], &v[2], &v[3], &v[4]))
		out = append(out, []string{fmt.Sprint(v[0]), fmt.Sprint(v[1]), fmt.Sprint(v[2]), fmt.Sprint(v[3]), fmt.Sprint(v[4])})
	}
	require.NoError(e.t, rs.Err())
	return out
}

// remoteOnly hides a local bucket's paths: the files are fetched through the cache, as from S3.
type remoteOnly struct{ lake.Bucket }

func TestDerivedMaterialise(t *testing.T) {
	e := derivedEnv(t)
	ctx := context.Background()
	hourly, targets := e.loadInputs()
	assert.Equal(t, []string{monthlyCode}, e.svc.StaleDerived(e.cat.View()), "never materialised")

	// Through a bucket without local paths: the inputs' files come through the read-through cache.
	remote := New(e.cat, remoteOnly{e.bucket}, DefaultConfig(), nil)
	res, err := remote.Materialise(ctx, e.principal("air_steward"), monthlyCode)
	require.NoError(t, err, res.Summary())
	require.NotNil(t, res.Snapshot)
	assert.Equal(t, catalog.RunSucceeded, res.Run.Status)
	assert.Equal(t, KindDerived, res.Run.Kind)
	assert.Equal(t, "加工：PM2.5月均值", res.Run.Source)
	assert.Equal(t, []catalog.RunInput{{Entry: hourlyCode, Snapshot: hourly}, {Entry: targetsCode, Snapshot: targets}}, res.Run.Inputs)
	assert.Equal(t, int64(3), res.Run.RowsAccepted)
	assert.Equal(t, [][]string{
		{"500103", "2025-01-01", "45", "35", "true"},
		{"500103", "2025-02-01", "20", "35", "false"},
		{"500105", "2025-01-01", "32", "30", "true"},
	}, e.monthlyRows())
	stored, err := e.cat.View().Run(res.Run.ID)
	require.NoError(t, err)
	assert.Equal(t, res.Run.Inputs, stored.Inputs, "the inputs are committed with the snapshot")
	assert.Equal(t, 2, res.Snapshot.Files, "one file per district partition")
	assert.Empty(t, e.svc.StaleDerived(e.cat.View()))

	// Unchanged inputs: not repeated, and no run.
	again, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	assert.True(t, again.Unchanged)
	assert.Nil(t, again.Snapshot)
	assert.Empty(t, again.Run.ID)
	assert.Equal(t, ReasonInputsUnchanged, again.Run.Error)
	assert.Len(t, e.cat.View().Runs(monthlyCode), 1)

	// A new load of an input makes it stale; the next materialisation replaces the rows.
	newer := e.load(hourlyCode, "district,measured_at,pm25\n渝中区,2025-02-10 08:00:00,30\n江北区,2025-03-01 00:00:00,28\n").Snapshot.ID
	assert.Equal(t, []string{monthlyCode}, e.svc.StaleDerived(e.cat.View()))
	third, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	require.NotNil(t, third.Snapshot)
	assert.Equal(t, res.Snapshot.ID, third.Snapshot.Parent)
	assert.Equal(t, []catalog.RunInput{{Entry: hourlyCode, Snapshot: newer}, {Entry: targetsCode, Snapshot: targets}}, third.Run.Inputs)
	assert.Equal(t, [][]string{
		{"500103", "2025-01-01", "45", "35", "true"},
		{"500103", "2025-02-01", "25", "35", "false"},
		{"500105", "2025-01-01", "32", "30", "true"},
		{"500105", "2025-03-01", "28", "30", "false"},
	}, e.monthlyRows())
	assert.Equal(t, int64(4), third.Snapshot.Rows, "replaced, not appended")
	assert.Empty(t, e.svc.StaleDerived(e.cat.View()))
}

func TestDerivedSameResultFromNewInputsIsUnchanged(t *testing.T) {
	e := derivedEnv(t)
	ctx := context.Background()
	e.loadInputs()
	first, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	// A district without a target: the join leaves the result as it was.
	newer := e.load(hourlyCode, "district,measured_at,pm25\n沙坪坝区,2025-01-09 08:00:00,70\n").Snapshot.ID
	require.Equal(t, []string{monthlyCode}, e.svc.StaleDerived(e.cat.View()))
	res, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	assert.True(t, res.Duplicate, "the same rows as the current snapshot")
	assert.Equal(t, catalog.RunUnchanged, res.Run.Status)
	assert.NotEmpty(t, res.Run.ID, "recorded as a duplicate load is")
	assert.Contains(t, res.Run.Error, "加工结果与当前数据完全相同")
	assert.Equal(t, newer, res.Run.Inputs[0].Snapshot)
	cur, err := e.cat.View().Entry(monthlyCode)
	require.NoError(t, err)
	assert.Equal(t, first.Snapshot.ID, cur.CurrentSnapshot)
	assert.Empty(t, e.svc.StaleDerived(e.cat.View()), "made from these inputs: the run says so")
	again, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	assert.Empty(t, again.Run.ID, "not repeated")

	// An edited SQL makes it stale although no input moved.
	e.setSQL(strings.Replace(monthlySQL, "avg(h.pm25) AS avg_pm25", "round(avg(h.pm25) / 10) * 10 AS avg_pm25", 1), nil)
	require.Equal(t, []string{monthlyCode}, e.svc.StaleDerived(e.cat.View()))
	edited, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	require.NotNil(t, edited.Snapshot)
	assert.Equal(t, "50", e.monthlyRows()[0][2])
}

func TestDerivedInputWithoutData(t *testing.T) {
	e := derivedEnv(t)
	e.load(hourlyCode, hourlyJan)
	assert.Empty(t, e.svc.StaleDerived(e.cat.View()), "not ready: an input has no data")
	res, err := e.svc.Materialise(context.Background(), catalog.Operator(), monthlyCode)
	require.ErrorIs(t, err, ErrInputNotReady)
	assert.Nil(t, res, "no run begins")
	msg, _ := schemas.UserMessage(err)
	assert.Equal(t, "输入目录 0101/000012（表 pm25_targets）尚无数据，不能加工", msg)
	assert.Empty(t, e.cat.View().Runs(monthlyCode))
}

func TestDerivedRefusedBeforeAnyRun(t *testing.T) {
	e := derivedEnv(t)
	e.loadInputs()
	ctx := context.Background()
	// The targets gain an item graded 一般2级 that the transform does not read: the derived
	// entry stays at 一般1级, where a steward cleared for 一般1级 may load it, but the targets as a
	// whole are beyond that steward, and the transform would read them on its behalf.
	en, err := e.cat.View().Entry(targetsCode)
	require.NoError(t, err)
	en.Items = catalog.ItemsOf(append(en.Items.Slice(), catalog.Item{Name: "备注", Field: "note", Type: schemas.String, Grade: schemas.General2})...)
	require.NoError(t, e.cat.PutEntry(ctx, en))
	require.NoError(t, e.cat.PutPrincipal(ctx, catalog.Principal{ID: "low_steward", Name: "一般1级数据管理员",
		Role: catalog.RoleSteward, Department: "AIR_DIV", Clearance: schemas.General1}))
	_, a, err := e.cat.View().EntryFor(e.principal("low_steward"), monthlyCode, time.Now())
	require.NoError(t, err)
	require.True(t, a.Load && a.MayReplace(), "may load the derived entry itself")
	for _, who := range []string{"analyst", "yz_district", "low_steward"} {
		res, err := e.svc.Materialise(ctx, e.principal(who), monthlyCode)
		require.ErrorIs(t, err, ErrLoadForbidden, who)
		assert.Nil(t, res, who)
	}
	res, err := e.svc.Materialise(ctx, catalog.Operator(), hourlyCode)
	require.ErrorIs(t, err, ErrNotDerived)
	assert.Nil(t, res)
	_, err = e.svc.Materialise(ctx, nil, monthlyCode)
	require.ErrorIs(t, err, ErrLoadForbidden)
	assert.Empty(t, e.cat.View().Runs(monthlyCode))
}

func TestDerivedSQLFailureIsAFailedRun(t *testing.T) {
	for name, tc := range map[string]struct{ sql, want string }{
		"cast":     {"SELECT h.district, CAST('第' || h.district AS DATE) AS month, 1.0 AS avg_pm25, 1.0 AS target, true AS exceeded FROM air_hourly h", "Conversion Error"},
		"overflow": {"SELECT h.district, h.measured_at AS month, CAST(h.pm25 AS BIGINT) * 9223372036854775807 AS avg_pm25, 1.0 AS target, true AS exceeded FROM air_hourly h", "Out of Range Error"},
		"file":     {"SELECT * FROM read_csv('/etc/hostname')", "disabled by configuration"},
		"type":     {"SELECT h.district, h.measured_at AS month, [h.pm25] AS avg_pm25, 1.0 AS target, true AS exceeded FROM air_hourly h", "类型为 DOUBLE[]"},
		"empty":    {"SELECT h.district, h.measured_at AS month, h.pm25 AS avg_pm25, 1.0 AS target, true AS exceeded FROM air_hourly h WHERE false", "没有任何行"},
	} {
		t.Run(name, func(t *testing.T) {
			e := derivedEnv(t)
			e.loadInputs()
			e.setSQL(tc.sql, nil)
			res, err := e.svc.Materialise(context.Background(), catalog.Operator(), monthlyCode)
			require.Error(t, err)
			require.NotNil(t, res)
			assert.Equal(t, catalog.RunFailed, res.Run.Status)
			assert.Contains(t, res.Run.Error, tc.want)
			assert.NotContains(t, res.Run.Error, "/tmp", "no local path")
			runs := e.cat.View().Runs(monthlyCode)
			require.Len(t, runs, 1)
			assert.Equal(t, catalog.RunFailed, runs[0].Status)
			assert.Equal(t, res.Run.Error, runs[0].Error)
			assert.Equal(t, []string{monthlyCode}, e.svc.StaleDerived(e.cat.View()), "still to be made")
		})
	}
}

func TestDerivedInvalidValuesAreRejectedRows(t *testing.T) {
	e := derivedEnv(t)
	e.loadInputs()
	// 江北区 has no month: a NULL in a required item. 渝中区's February is a time of day, which a
	// DATE item does not hold.
	e.setSQL(`SELECT h.district,
		CASE WHEN h.district = '500105' THEN NULL WHEN month(h.measured_at) = 2 THEN max(h.measured_at) ELSE date_trunc('month', h.measured_at) END AS month,
		avg(h.pm25) AS avg_pm25, any_value(t.target) AS target, avg(h.pm25) > any_value(t.target) AS exceeded
		FROM air_hourly h JOIN pm25_targets t ON t.district = h.district
		GROUP BY h.district, date_trunc('month', h.measured_at), month(h.measured_at) ORDER BY 1, 2`, nil)
	// Beyond the service's 5%: nothing is loaded, and the run says why.
	res, err := e.svc.Materialise(context.Background(), catalog.Operator(), monthlyCode)
	require.ErrorIs(t, err, ErrTransformFailed)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	assert.Contains(t, res.Run.Error, "2 行数据有误")
	assert.NotEmpty(t, res.Run.RejectedKey, "the rejected rows are kept all the same")

	e.setSQL(e.monthlySQLNow(), func(en *catalog.Entry) { share := 80.0; en.MaxRejectedPercent = &share })
	res, err = e.svc.Materialise(context.Background(), catalog.Operator(), monthlyCode)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status)
	assert.Equal(t, int64(3), res.Run.RowsRead)
	assert.Equal(t, int64(1), res.Run.RowsAccepted)
	assert.Equal(t, int64(2), res.Run.RowsRejected)
	rejects := e.rejectsFile(res.Run.RejectedKey)
	require.Len(t, rejects, 2)
	byValue := map[string][]string{}
	for _, r := range rejects {
		byValue[r[3]] = r
	}
	assert.Equal(t, []string{"month", "必填项为空"}, []string{byValue[""][2], byValue[""][4]})
	assert.Equal(t, "month", byValue["2025-02-03 10:00:00"][2])
	assert.Contains(t, byValue["2025-02-03 10:00:00"][4], "不是有效的日期")
	assert.Equal(t, [][]string{{"500103", "2025-01-01", "45", "35", "true"}}, e.monthlyRows())
}
