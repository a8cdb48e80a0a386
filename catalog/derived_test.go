package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// derivedFixture: two published entries (hourly readings A, targets B) and a derived entry D,
// monthly PM2.5 by district against the target, whose items were registered too low.
func derivedFixture(t *testing.T) (s *Store, a, b, d string) {
	t.Helper()
	s = newWorkflowStore(t)
	ctx := context.Background()
	ea := validEntry("000001", "air_hourly")
	ea.Status = StatusPublished
	eb := validEntry("000002", "pm25_targets")
	eb.Status = StatusPublished
	eb.Items = ItemsOf(
		Item{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, Required: true, IsKey: true},
		Item{Name: "目标值", Field: "target", Type: schemas.Float, Grade: schemas.General2})
	require.NoError(t, s.PutEntry(ctx, ea))
	require.NoError(t, s.PutEntry(ctx, eb))
	ed := validEntry("000003", "pm25_monthly")
	ed.Status = StatusPublished
	ed.SharingBasis = "《重庆市生态环境数据共享管理办法》" // opened beyond what its grade proposes
	ed.Items = ItemsOf(
		Item{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, Required: true, IsKey: true},
		Item{Name: "月均PM2.5", Field: "avg_pm25", Type: schemas.Float, Grade: schemas.General1},
		Item{Name: "目标值", Field: "target", Type: schemas.Float, Grade: schemas.General1})
	ed.Transform = &Transform{
		SQL:    "SELECT a.district, avg(a.pm25) AS avg_pm25, any_value(b.target) AS target FROM air_hourly a JOIN pm25_targets b USING (district) GROUP BY a.district",
		Inputs: []string{"0101/000001", "0101/000002"},
		Columns: []DerivedColumn{
			{Field: "district", Sources: []ColumnSource{{Entry: "0101/000001", Field: "district", Via: ViaDirect}}},
			{Field: "avg_pm25", Sources: []ColumnSource{{Entry: "0101/000001", Field: "pm25", Via: ViaAggregate}}},
			{Field: "target", Sources: []ColumnSource{{Entry: "0101/000002", Field: "target", Via: ViaAggregate}}},
		},
		Filters: []ColumnSource{{Entry: "0101/000001", Field: "district", Via: ViaGroup}, {Entry: "0101/000002", Field: "district", Via: ViaFilter}},
	}
	require.NoError(t, s.PutEntry(ctx, ed))
	return s, "0101/000001", "0101/000002", "0101/000003"
}

func itemGrade(t *testing.T, s *Store, code, field string) schemas.Grade {
	t.Helper()
	it, ok := current(t, s, code).Item(field)
	require.True(t, ok, field)
	return it.Grade
}

func TestDerivedEntryIsGradedAtLeastItsInputs(t *testing.T) {
	s, _, _, d := derivedFixture(t)
	// Registered at 一般1级, the outputs computed from 一般2级 items are raised on the write.
	assert.Equal(t, schemas.General1, itemGrade(t, s, d, "district"))
	assert.Equal(t, schemas.General2, itemGrade(t, s, d, "avg_pm25"))
	assert.Equal(t, schemas.General2, itemGrade(t, s, d, "target"))
	assert.Equal(t, []string{d}, s.View().DerivedFrom("0101/000001"))
	assert.Equal(t, []string{d}, s.View().DerivedFrom("0101/000002"))
	assert.Empty(t, s.View().DerivedFrom(d))
}

func TestUpstreamRiseRegradesDownstreamInTheSameCommand(t *testing.T) {
	s, a, _, d := derivedFixture(t)
	ctx := context.Background()
	// A second level: E derived from D.
	ee := validEntry("000004", "pm25_report")
	ee.Status = StatusPublished
	ee.Items = ItemsOf(Item{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, IsKey: true})
	ee.Transform = &Transform{SQL: "SELECT district FROM pm25_monthly", Inputs: []string{d},
		Columns: []DerivedColumn{{Field: "district", Sources: []ColumnSource{{Entry: d, Field: "district", Via: ViaDirect}}}}}
	require.NoError(t, s.PutEntry(ctx, ee))
	reader := &Principal{ID: "analyst-2", Name: "分析员乙", Role: RoleAnalyst, Clearance: schemas.General2}
	require.True(t, s.View().Decide(reader, current(t, s, ee.ResourceCode), time.Now()).Read, "readable before the rise")

	// The district item of A rises to 一般3级: it reaches D's district directly and every output
	// of D through the GROUP BY, and E's district through D.
	live := current(t, s, a)
	pending, err := s.GradeEntry(ctx, wfSteward, Grading{Code: a, Base: live.Revision,
		Items: map[string]schemas.Grade{"district": schemas.General3}})
	require.NoError(t, err)
	require.False(t, pending)
	idx := current(t, s, a).ModifyIndex
	for _, f := range []string{"district", "avg_pm25", "target"} {
		assert.Equal(t, schemas.General3, itemGrade(t, s, d, f), f)
	}
	assert.Equal(t, schemas.General3, itemGrade(t, s, ee.ResourceCode, "district"))
	assert.Equal(t, idx, current(t, s, d).ModifyIndex, "in the command of the rise")
	assert.Equal(t, idx, current(t, s, ee.ResourceCode).ModifyIndex, "in the command of the rise")
	assert.False(t, s.View().Decide(reader, current(t, s, ee.ResourceCode), time.Now()).Read, "access follows at once")

	hist, err := s.View().HistoryFor(wfAdmin, d, 1)
	require.NoError(t, err)
	assert.Equal(t, HistGrade, hist[0].Action)
	assert.Equal(t, propagationActor.Name, hist[0].Actor.Name)
	assert.Contains(t, hist[0].Note, a)
	assert.NotEmpty(t, hist[0].Changes)

	// The state restored from the checkpoint written at Close is the same.
	before := stateJSON(t, s.View())
	require.NoError(t, s.Close())
	s2 := openTest(t, s.cfg)
	defer s2.Close()
	assert.Equal(t, before, stateJSON(t, s2.View()))
	assert.Equal(t, []string{d}, s2.View().DerivedFrom(a), "the index is rebuilt from the restored entries")
	assert.Equal(t, schemas.General3, itemGrade(t, s2, d, "avg_pm25"))
	assert.NotNil(t, current(t, s2, d).Transform)
}

func TestReviewedDowngradeIsAWaiverUntilTheInputsRise(t *testing.T) {
	s, a, _, d := derivedFixture(t)
	ctx := context.Background()
	// An anonymising aggregate: the reviewer accepts 一般1级 for the monthly average.
	pending, err := s.GradeEntry(ctx, wfSteward, Grading{Code: d, Base: current(t, s, d).Revision,
		Items: map[string]schemas.Grade{"avg_pm25": schemas.General1}, Reason: "按区县月均汇总，不含站点明细"})
	require.NoError(t, err)
	require.True(t, pending)
	cr, err := s.View().Change(d)
	require.NoError(t, err)
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, d, cr.Revision, "同意降级"))
	assert.Equal(t, schemas.General1, itemGrade(t, s, d, "avg_pm25"), "the waiver holds")
	w := current(t, s, d).Transform.Waivers
	require.Len(t, w, 1)
	assert.Equal(t, GradeWaiver{Field: "avg_pm25", Grade: schemas.General1, Floor: schemas.General2, Index: w[0].Index}, w[0])

	// An edit elsewhere keeps it.
	pending, err = s.GradeEntry(ctx, wfSteward, Grading{Code: a, Base: current(t, s, a).Revision,
		Items: map[string]schemas.Grade{"pm25": schemas.General2}, Reason: "不变"})
	require.NoError(t, err)
	assert.False(t, pending)
	assert.Equal(t, schemas.General1, itemGrade(t, s, d, "avg_pm25"))

	// The input rises above what the review saw: the waiver ends and the item is re-graded.
	_, err = s.GradeEntry(ctx, wfSteward, Grading{Code: a, Base: current(t, s, a).Revision,
		Items: map[string]schemas.Grade{"pm25": schemas.General4}})
	require.NoError(t, err)
	assert.Equal(t, schemas.General4, itemGrade(t, s, d, "avg_pm25"))
	assert.Empty(t, current(t, s, d).Transform.Waivers)
}

func TestTransformValidation(t *testing.T) {
	s, a, _, d := derivedFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"unknown input", func(e *Entry) { e.Transform.Inputs = append(e.Transform.Inputs, "0101/999999") }, "目录“0101/999999”不存在"},
		{"cycle", func(e *Entry) {
			e.ResourceCode, e.Table = a, "air_hourly"
			e.Transform.Inputs = []string{d}
			e.Transform.Columns = []DerivedColumn{{Field: "district", Sources: []ColumnSource{{Entry: d, Field: "district", Via: ViaDirect}}},
				{Field: "pm25", Sources: []ColumnSource{{Entry: d, Field: "avg_pm25", Via: ViaDirect}}}}
			e.Transform.Filters = nil
			e.Items = ItemsOf(Item{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General3, Required: true, IsKey: true},
				Item{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General3})
		}, "形成循环加工"},
		{"output that is no item", func(e *Entry) { e.Transform.Columns[2].Field = "goal" }, "输出列“goal”不是本目录的信息项"},
		{"item that is no output", func(e *Entry) { e.Transform.Columns = e.Transform.Columns[:2] }, "信息项“target”不是加工结果的输出列"},
		{"source outside the inputs", func(e *Entry) { e.Transform.Inputs = e.Transform.Inputs[:1] }, "来源目录“0101/000002”不在加工的输入之中"},
		{"source item missing", func(e *Entry) { e.Transform.Columns[1].Sources[0].Field = "pm10" }, "来源目录 0101/000001 没有信息项“pm10”"},
		{"empty SQL", func(e *Entry) { e.Transform.SQL = " " }, "transform.sql"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := current(t, s, d)
			c.edit(e)
			err := s.PutEntry(ctx, e)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestDerivedRunRecordsItsInputSnapshots(t *testing.T) {
	s, a, b, d := derivedFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	loadEntry(t, s, a, "run-a", "snap-a", "", at)
	loadEntry(t, s, b, "run-b", "snap-b", "", at)
	require.NoError(t, s.BeginRun(ctx, Run{ID: "run-d", Entry: d, Kind: "derived", Status: RunRunning}))
	snap := Snapshot{ID: "snap-d", Entry: d, ManifestKey: "m/d.json", Rows: 3, Files: 1, Bytes: 10}
	bad := Run{ID: "run-d", Status: RunSucceeded, RowsRead: 3, RowsAccepted: 3,
		Inputs: []RunInput{{Entry: a, Snapshot: "snap-b"}, {Entry: "0101/000009", Snapshot: "snap-a"}}}
	err := s.CommitSnapshot(ctx, snap, bad, "")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "快照“snap-b”不是目录 0101/000001 的快照")
	assert.Contains(t, err.Error(), "目录“0101/000009”不是加工的输入")

	good := bad
	good.Inputs = []RunInput{{Entry: a, Snapshot: "snap-a"}, {Entry: b, Snapshot: "snap-b"}}
	require.NoError(t, s.CommitSnapshot(ctx, snap, good, ""))
	r, err := s.View().Run("run-d")
	require.NoError(t, err)
	assert.Equal(t, good.Inputs, r.Inputs)

	// A load of an entry that is not derived records no inputs.
	require.NoError(t, s.BeginRun(ctx, Run{ID: "run-a2", Entry: a, Kind: "connector", Status: RunRunning}))
	err = s.CommitSnapshot(ctx, Snapshot{ID: "snap-a2", Entry: a, Parent: "snap-a", ManifestKey: "m/a2.json"},
		Run{ID: "run-a2", Status: RunSucceeded, Inputs: []RunInput{{Entry: b, Snapshot: "snap-b"}}}, "snap-a")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "不是加工目录")
}

// TestDerivedStale: never made, made from the current inputs by the current SQL, an input with
// newer data, an edited SQL, and an UNCHANGED materialisation after the current snapshot.
func TestDerivedStale(t *testing.T) {
	s, a, b, d := derivedFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	stale := func(want string) {
		t.Helper()
		reason, ok := s.View().DerivedStale(d)
		assert.Equal(t, want != "", ok, reason)
		assert.Equal(t, want, reason)
	}
	var codes []string
	s.View().EachDerived(func(code string) bool { codes = append(codes, code); return true })
	assert.Equal(t, []string{d}, codes, "once, although it has two inputs")
	_, ok := s.View().DerivedStale(a)
	assert.False(t, ok, "an entry that is not derived")

	stale("尚未加工生成")
	loadEntry(t, s, a, "run-a", "snap-a", "", at)
	loadEntry(t, s, b, "run-b", "snap-b", "", at)
	fp := current(t, s, d).Transform.Fingerprint()
	made := func(run, snap, parent string, status string, inputs ...RunInput) {
		t.Helper()
		require.NoError(t, s.BeginRun(ctx, Run{ID: run, Entry: d, Kind: "derived_transform", Status: RunRunning, Transform: fp, Inputs: inputs}))
		if status == RunUnchanged {
			require.NoError(t, s.FinishUnchanged(ctx, Run{ID: run, Inputs: inputs}))
			return
		}
		require.NoError(t, s.CommitSnapshot(ctx, Snapshot{ID: snap, Entry: d, Parent: parent, ManifestKey: "m/" + snap},
			Run{ID: run, Status: RunSucceeded, Inputs: inputs}, parent))
	}
	made("run-d1", "snap-d1", "", RunSucceeded, RunInput{Entry: a, Snapshot: "snap-a"}, RunInput{Entry: b, Snapshot: "snap-b"})
	stale("")

	loadEntry(t, s, a, "run-a2", "snap-a2", "snap-a", at)
	stale("输入 0101/000001 已有更新的数据，尚未重新加工")
	// The rows came out the same: the run is UNCHANGED, and the entry is up to date.
	made("run-d2", "", "", RunUnchanged, RunInput{Entry: a, Snapshot: "snap-a2"}, RunInput{Entry: b, Snapshot: "snap-b"})
	stale("")

	e := current(t, s, d)
	e.Transform.SQL += " HAVING count(*) > 1"
	require.NoError(t, s.PutEntry(ctx, e))
	stale("加工 SQL 已修改，尚未重新加工")
}

// TestDerivedFromFollowsTransformEdits: the entries derived from an input follow every edit of a
// transform's inputs, in resource-code order, and a view taken before an edit keeps its answer.
func TestDerivedFromFollowsTransformEdits(t *testing.T) {
	s, a, b, d := derivedFixture(t)
	ctx := context.Background()
	before := s.View()
	e := current(t, s, d).Copy()
	e.Transform.Inputs = []string{b}
	e.Transform.Columns = []DerivedColumn{
		{Field: "district", Sources: []ColumnSource{{Entry: b, Field: "district", Via: ViaDirect}}},
		{Field: "avg_pm25", Sources: []ColumnSource{{Entry: b, Field: "target", Via: ViaAggregate}}},
		{Field: "target", Sources: []ColumnSource{{Entry: b, Field: "target", Via: ViaDirect}}},
	}
	e.Transform.Filters = nil
	require.NoError(t, s.PutEntry(ctx, e))
	assert.Empty(t, s.View().DerivedFrom(a), "no longer read")
	assert.Equal(t, []string{d}, s.View().DerivedFrom(b))
	assert.Equal(t, []string{d}, before.DerivedFrom(a), "the earlier view is unchanged")

	// A second entry derived from b comes before d in resource-code order.
	early := validEntry("000000", "b_copy")
	early.Status = StatusPublished
	early.Items = ItemsOf(Item{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, Required: true, IsKey: true})
	early.Transform = &Transform{SQL: "SELECT district FROM pm25_targets", Inputs: []string{b},
		Columns: []DerivedColumn{{Field: "district", Sources: []ColumnSource{{Entry: b, Field: "district", Via: ViaDirect}}}}}
	require.NoError(t, s.PutEntry(ctx, early))
	assert.Equal(t, []string{"0101/000000", d}, s.View().DerivedFrom(b))
	var all []string
	s.View().EachDerived(func(code string) bool { all = append(all, code); return true })
	assert.ElementsMatch(t, []string{"0101/000000", d}, all)
}
