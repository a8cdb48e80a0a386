package catalog

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadStateFollowsRunsAndData: the last run the collection figure reads is the entry's newest
// run by start time, whatever order runs are recorded and finished in, and the same after a
// checkpoint restore (which builds the states afresh) and after a journal replay.
func TestLoadStateFollowsRunsAndData(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	e := validEntry("000001", "air_daily")
	e.Status = StatusPublished
	require.NoError(t, s.PutEntry(ctx, e))
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "other")))
	t0 := clock.Now()
	begin := func(id string, at time.Time) {
		require.NoError(t, s.BeginRun(ctx, Run{ID: id, Entry: e.ResourceCode, Status: RunRunning, StartedAt: at}))
	}
	fail := func(id, msg string) { require.NoError(t, s.FailRun(ctx, Run{ID: id, Error: msg})) }
	reason := func(s *Store) string {
		t.Helper()
		lags := s.View().Lagging(t0.Add(time.Hour), Operator(), 10, "").Lags
		require.Len(t, lags, 1)
		return lags[0].Reason + " " + lags[0].ReasonText
	}
	agrees := func(s *Store) {
		t.Helper()
		v := s.View()
		states := newLoadStates(v.txn, "")
		var loaded, walked []string
		for _, x := range v.Entries() {
			if x.CurrentSnapshot != "" {
				loaded = append(loaded, x.ResourceCode)
			}
		}
		v.EachLoaded(func(x *Entry) bool { walked = append(walked, x.ResourceCode); return true })
		assert.Equal(t, loaded, walked, "EachLoaded gives the entries with data")
		for _, x := range v.Entries() {
			st := states.of(x.ResourceCode)
			if x.CurrentSnapshot == "" {
				assert.Nil(t, st.Current, x.ResourceCode)
			} else {
				require.NotNil(t, st.Current, x.ResourceCode)
				assert.Equal(t, x.CurrentSnapshot, st.Current.ID)
			}
			// The lists against the tables themselves, sorted here.
			runs := newestFirst(t, v, runsByID, x.ResourceCode, func(r Run) (string, time.Time, string) { return r.Entry, r.StartedAt, r.ID })
			assert.Equal(t, runs, values(v.Runs(x.ResourceCode)), "%s: its runs, newest first", x.ResourceCode)
			snaps := newestFirst(t, v, snapshotsByID, x.ResourceCode, func(s Snapshot) (string, time.Time, string) { return s.Entry, s.CommittedAt, s.ID })
			assert.Equal(t, snaps, values(v.Snapshots(x.ResourceCode)), "%s: its snapshots, newest first", x.ResourceCode)
			if len(runs) == 0 {
				assert.Nil(t, st.last(), x.ResourceCode)
				continue
			}
			require.NotNil(t, st.last(), x.ResourceCode)
			assert.Equal(t, runs[0], *st.last(), "the newest run is the last")
		}
	}

	begin("r1", t0.Add(10*time.Minute))
	fail("r1", "连接超时")
	assert.Equal(t, LagLastLoadFailed+" 从未归集; 最近一次归集失败: 连接超时", reason(s))
	begin("r2", t0.Add(20*time.Minute))
	assert.Equal(t, LagNeverLoaded+" 从未归集", reason(s), "the newest run is still running")
	begin("r0", t0) // an older run recorded late does not become the last one
	fail("r0", "旧的失败")
	assert.Equal(t, LagNeverLoaded+" 从未归集", reason(s))
	agrees(s)
	fail("r2", "文件缺少表头")
	assert.Equal(t, LagLastLoadFailed+" 从未归集; 最近一次归集失败: 文件缺少表头", reason(s))
	agrees(s)

	dir := s.cfg.Dir
	require.NoError(t, s.Close()) // checkpoint
	s = openTest(t, testConfig(dir, clock))
	assert.Equal(t, LagLastLoadFailed+" 从未归集; 最近一次归集失败: 文件缺少表头", reason(s))
	agrees(s)
	begin("r3", t0.Add(30*time.Minute))
	s.crash() // replay
	s = openTest(t, testConfig(dir, clock))
	assert.Equal(t, LagNeverLoaded+" 从未归集", reason(s))
	agrees(s)

	// Data arrives: the entry is collected, its load state names the snapshot, after a restart too.
	fail("r3", "中断")
	loadEntry(t, s, e.ResourceCode, "r4", "s1", "", t0.Add(40*time.Minute))
	collected := func(s *Store) {
		t.Helper()
		v := s.View()
		f := v.CollectionRate(t0.Add(time.Hour))
		assert.Equal(t, 1, f.Numerator)
		assert.Equal(t, 1, f.Denominator)
		assert.Equal(t, walkFigure(t, v, t0.Add(time.Hour), nil).fig, f)
		assert.Empty(t, v.Lagging(t0.Add(time.Hour), Operator(), 10, "").Lags)
		agrees(s)
	}
	collected(s)
	require.NoError(t, s.PutEntry(ctx, validEntry("000003", "third")))
	loadEntry(t, s, "0101/000003", "r5", "s2", "", t0.Add(45*time.Minute))
	var first []string
	s.View().EachLoaded(func(x *Entry) bool { first = append(first, x.ResourceCode); return false })
	assert.Equal(t, []string{e.ResourceCode}, first, "fn returning false stops the walk")
	rows := func(s *Store) []loadState {
		var out []loadState
		c := loadStates.cursor(s.View().txn, "")
		for st := c.next(); st != nil; st = c.next() {
			out = append(out, *st)
		}
		return out
	}
	kept := rows(s)
	require.Len(t, kept, 2)
	require.NoError(t, s.Close())
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	collected(s) // the third entry, a draft, is not due
	assert.Equal(t, kept, rows(s), "the states a restore builds are those the writes kept")
}

// newestFirst is the objects of a table that belong to entry, read from the table itself and
// sorted newest first by (time, id): what the load state's lists must give.
func newestFirst[T any](t *testing.T, v *View, table codeBuckets[T], entry string, key func(T) (string, time.Time, string)) []T {
	t.Helper()
	var out []T
	table.each(v.txn, func(o *T) {
		if e, _, _ := key(*o); e == entry {
			out = append(out, *o)
		}
	})
	slices.SortFunc(out, func(a, b T) int {
		_, ta, ia := key(a)
		_, tb, ib := key(b)
		if c := ta.Compare(tb); c != 0 {
			return -c
		}
		return -strings.Compare(ia, ib)
	})
	return out
}

// values is the objects ps point at.
func values[T any](ps []*T) []T {
	var out []T
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}
