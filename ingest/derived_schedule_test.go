package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

const yearlyCode = "0101/000014"

// putYearly adds an entry derived from the monthly one: the worst month of each district.
func (e *env) putYearly(sql string) {
	e.t.Helper()
	e.putDerivedEntry(yearlyCode, "pm25_worst", "PM2.5最差月", &catalog.Transform{SQL: sql, Inputs: []string{monthlyCode},
		Columns: []catalog.DerivedColumn{
			{Field: "district", Sources: []catalog.ColumnSource{{Entry: monthlyCode, Field: "district", Via: catalog.ViaDirect}}},
			{Field: "worst", Sources: []catalog.ColumnSource{{Entry: monthlyCode, Field: "avg_pm25", Via: catalog.ViaAggregate}}},
		}}, []catalog.Item{
		{Name: "区县", Field: "district", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
		{Name: "最差月均值", Field: "worst", Type: schemas.Float, Grade: schemas.General1},
	}, nil)
}

// runsOf lists the statuses of an entry's runs, oldest first.
func (e *env) runsOf(code string) []string {
	var out []string
	for _, r := range e.cat.View().Runs(code) {
		out = append([]string{r.Status}, out...)
	}
	return out
}

func TestDerivedScheduler(t *testing.T) {
	e := derivedEnv(t)
	e.putYearly("SELECT district, max(avg_pm25) AS worst FROM pm25_monthly GROUP BY 1")
	e.loadInputs()
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	svc := e.svc.WithClock(func() time.Time { return time.Unix(0, clock.Load()) })
	sched := NewScheduler(svc, ScheduleConfig{Tick: time.Hour, RetryBase: time.Hour, RetryMax: 4 * time.Hour}, nil)
	ctx := context.Background()
	tick := func() {
		sched.Tick(ctx)
		sched.Wait()
	}

	tick() // the monthly entry; the yearly one waits for its input's data
	assert.Equal(t, []string{catalog.RunSucceeded}, e.runsOf(monthlyCode))
	assert.Empty(t, e.runsOf(yearlyCode))
	tick()
	assert.Equal(t, []string{catalog.RunSucceeded}, e.runsOf(yearlyCode))
	tick() // nothing stale, nothing run
	assert.Equal(t, []string{catalog.RunSucceeded}, e.runsOf(monthlyCode))
	assert.Equal(t, []string{catalog.RunSucceeded}, e.runsOf(yearlyCode))

	// Both stale at once: the yearly entry waits for the monthly one, not made from its old rows.
	e.load(hourlyCode, "district,measured_at,pm25\n江北区,2025-03-01 08:00:00,90\n")
	e.setYearlySQL("SELECT district, max(avg_pm25) + 0 AS worst FROM pm25_monthly GROUP BY 1")
	assert.Equal(t, []string{monthlyCode, yearlyCode}, e.svc.StaleDerived(e.cat.View()))
	tick()
	assert.Len(t, e.runsOf(monthlyCode), 2)
	assert.Len(t, e.runsOf(yearlyCode), 1)
	tick()
	assert.Equal(t, []string{catalog.RunSucceeded, catalog.RunSucceeded}, e.runsOf(yearlyCode))
	assert.Empty(t, e.svc.StaleDerived(e.cat.View()))

	// A failing transform is retried after its back-off, not at every tick.
	e.setSQL("SELECT 1 FROM nosuch", nil)
	tick()
	tick()
	assert.Equal(t, []string{catalog.RunSucceeded, catalog.RunSucceeded, catalog.RunFailed}, e.runsOf(monthlyCode))
	clock.Add(int64(time.Hour + time.Second))
	tick()
	assert.Len(t, e.runsOf(monthlyCode), 4, "retried after RetryBase")
	clock.Add(int64(time.Hour + time.Second))
	tick()
	assert.Len(t, e.runsOf(monthlyCode), 4, "the second back-off is twice the first")
	clock.Add(int64(time.Hour))
	tick()
	assert.Len(t, e.runsOf(monthlyCode), 5, "and then retried")
	// An edited SQL is tried at the next tick, whatever the back-off of the one before.
	e.setSQL("SELECT 1 AS district FROM nosuch_either", nil)
	tick()
	assert.Len(t, e.runsOf(monthlyCode), 6)
	// The SQL set back: the current rows were made by it from these inputs; nothing to run.
	e.setSQL(monthlySQL, nil)
	assert.Empty(t, e.svc.StaleDerived(e.cat.View()))
	clock.Add(int64(5 * time.Hour))
	tick()
	assert.Len(t, e.runsOf(monthlyCode), 6)
}

func (e *env) setYearlySQL(sql string) {
	e.t.Helper()
	en, err := e.cat.View().Entry(yearlyCode)
	require.NoError(e.t, err)
	en.Transform.SQL = sql
	require.NoError(e.t, e.cat.PutEntry(context.Background(), en))
}

func TestDerivedCancellation(t *testing.T) {
	e := derivedEnv(t)
	var b strings.Builder
	b.WriteString("district,measured_at,pm25\n")
	for i := range 400 {
		fmt.Fprintf(&b, "渝中区,2025-01-%02d %02d:%02d:00,%d\n", i%28+1, i%24, i%60, i)
	}
	e.load(hourlyCode, b.String())
	e.load(targetsCode, "district,target\n渝中区,35\n")
	// 400⁴ rows to count: minutes of work, unless the cancellation reaches DuckDB.
	e.setSQL(`SELECT a.district, date_trunc('month', a.measured_at) AS month, count(*)::DOUBLE AS avg_pm25, 1.0 AS target,
		true AS exceeded FROM air_hourly a, air_hourly b, air_hourly c, air_hourly d GROUP BY 1, 2`, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled atomic.Int64
	go func() {
		for len(e.cat.View().RunningRuns()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // into the query
		cancelled.Store(time.Now().UnixNano())
		cancel()
	}()
	res, err := e.svc.Materialise(ctx, catalog.Operator(), monthlyCode)
	took := time.Since(time.Unix(0, cancelled.Load()))
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	assert.Equal(t, "归集被中断（请求取消或超时），未提交任何数据", res.Run.Error)
	assert.Less(t, took, 5*time.Second, "stopped soon after the cancellation")
	assert.Equal(t, []string{catalog.RunFailed}, e.runsOf(monthlyCode))
	assert.Empty(t, e.cat.View().RunningRuns())
	t.Logf("stopped %s after the cancellation", took)
}

// Materialisations of different entries run at once, each with its own DuckDB and views of the
// same input tables.
func TestDerivedConcurrent(t *testing.T) {
	e := derivedEnv(t)
	e.putYearly("SELECT district, max(avg_pm25) AS worst FROM pm25_monthly GROUP BY 1")
	e.putDerivedEntry("0101/000017", "pm25_peaks", "PM2.5区县峰值", &catalog.Transform{
		SQL:    "SELECT h.district, max(h.pm25) AS worst FROM air_hourly h JOIN pm25_targets t USING (district) GROUP BY 1",
		Inputs: []string{hourlyCode, targetsCode}, Columns: []catalog.DerivedColumn{{Field: "district"}, {Field: "worst"}}},
		[]catalog.Item{
			{Name: "区县", Field: "district", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
			{Name: "峰值", Field: "worst", Type: schemas.Float, Grade: schemas.General1},
		}, nil)
	e.loadInputs()
	errs := make(chan error, 2)
	for _, code := range []string{monthlyCode, "0101/000017"} {
		go func() {
			_, err := e.svc.Materialise(context.Background(), catalog.Operator(), code)
			errs <- err
		}()
	}
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	assert.Equal(t, []string{yearlyCode}, e.svc.StaleDerived(e.cat.View()), "now that its input has data")
	res, err := e.svc.Materialise(context.Background(), catalog.Operator(), yearlyCode)
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Run.RowsAccepted)
}
