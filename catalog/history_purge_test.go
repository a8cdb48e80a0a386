package catalog

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ids lists the ids of snapshots or runs.
func snapshotIDs(ss []*Snapshot) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func runIDs(rs []*Run) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// TestHistoryPurge: an entry loaded six days running, with a failed run early, a run that never
// ended and a failed run just before the horizon; four of its past snapshots expired, the third
// not. The purge removes the expired snapshots before the first one kept (a prefix), their runs
// and the early failed run; it keeps the current snapshot, the snapshots after the one kept,
// their runs, the running run and the last run started before the horizon. The same holds after
// a restart from the journal and from a checkpoint; a read as of a purged moment finds nothing
// rather than an older snapshot; figures are not back-filled across the horizon, which only
// moves forward.
func TestHistoryPurge(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	const code = "0101/000001"
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_a")))
	day := func(d float64) time.Time { return retentionDay0.Add(time.Duration(d * 24 * float64(time.Hour))) }
	at := func(d float64) { clock.Set(day(d)) }

	parent := ""
	for i := 1; i <= 6; i++ {
		at(float64(i - 1))
		id := fmt.Sprintf("a%d", i)
		loadEntry(t, s, code, "run-"+id, id, parent, day(float64(i-1)))
		parent = id
	}
	at(0.5)
	require.NoError(t, s.BeginRun(ctx, Run{ID: "f1", Entry: code, Kind: "connector", Status: RunRunning, StartedAt: day(0.5)}))
	require.NoError(t, s.FailRun(ctx, Run{ID: "f1", Status: RunFailed, Error: "源系统不可用"}))
	at(1.2)
	require.NoError(t, s.BeginRun(ctx, Run{ID: "stuck", Entry: code, Kind: "connector", Status: RunRunning, StartedAt: day(1.2)}))
	at(6.5)
	require.NoError(t, s.BeginRun(ctx, Run{ID: "f2", Entry: code, Kind: "connector", Status: RunRunning, StartedAt: day(6.5)}))
	require.NoError(t, s.FailRun(ctx, Run{ID: "f2", Status: RunFailed, Error: "源系统不可用"}))
	at(6.6)
	_, err := s.ExpireSnapshots(ctx, []string{"a1", "a2", "a4", "a5"})
	require.NoError(t, err)
	at(9)
	horizon := day(7)

	plan := s.View().PlanHistoryPurge(horizon)
	assert.Equal(t, []string{"a1", "a2"}, plan.Snapshots, "expired, before the first snapshot kept")
	assert.ElementsMatch(t, []string{"run-a1", "run-a2", "f1"}, plan.Runs)
	assert.Equal(t, 1, plan.Entries)

	// A command naming records no longer due passes them over: a4 is expired but not first,
	// a3 is not expired, run-a3 is its snapshot's, f2 the last run started before the horizon,
	// stuck still runs.
	require.NoError(t, s.submit(ctx, cmdPurgeHistory, purgeHistoryCmd{Before: horizon,
		Snapshots: []string{"a4", "a3"}, Runs: []string{"run-a3", "f2", "stuck"}}, nil))
	assert.Len(t, s.View().Snapshots(code), 6)
	assert.Len(t, s.View().Runs(code), 9)

	done, err := s.PurgeHistory(ctx, horizon)
	require.NoError(t, err)
	assert.Equal(t, HistoryPurge{Snapshots: 2, Runs: 3}, done)
	check := func(s *Store) {
		t.Helper()
		v := s.View()
		assert.Equal(t, []string{"a6", "a5", "a4", "a3"}, snapshotIDs(v.Snapshots(code)))
		assert.Equal(t, []string{"f2", "run-a6", "run-a5", "run-a4", "run-a3", "stuck"}, runIDs(v.Runs(code)))
		for _, id := range []string{"a1", "a2"} {
			_, err := v.Snapshot(id)
			assert.ErrorIs(t, err, ErrNotFound, id)
		}
		for _, id := range []string{"run-a1", "f1"} {
			_, err := v.Run(id)
			assert.ErrorIs(t, err, ErrNotFound, id)
		}
		assert.True(t, v.HistoryPurgedBefore().Equal(horizon))
		assert.Equal(t, int64(2), v.PurgedSnapshots(code), "a3 is still the entry's third snapshot")
		assert.Zero(t, v.PurgedSnapshots("0101/000002"))
		snaps, number := v.NumberedSnapshots(code)
		var numbers []int64
		for i := range snaps {
			numbers = append(numbers, number(i))
		}
		assert.Equal(t, []int64{6, 5, 4, 3}, numbers, "a6 … a3 keep their numbers")
		assert.Nil(t, v.SnapshotAt(code, day(1.5)), "a purged moment has no snapshot, not an older one")
		assert.Equal(t, "a3", v.SnapshotAt(code, day(2.5)).ID)
		e, err := v.Entry(code)
		require.NoError(t, err)
		assert.Equal(t, "a6", e.CurrentSnapshot)
		fd, detail := v.BackfillFigures("2026-03-06", day(6), nil)
		assert.Nil(t, fd, "a day before the horizon is not back-filled")
		assert.Nil(t, detail)
		fd, _ = v.BackfillFigures("2026-03-08", day(8), nil)
		assert.NotNil(t, fd, "a day after it is")
	}
	check(s)

	// Nothing more is due at the same horizon; an earlier one leaves the horizon where it was;
	// one in the future is refused.
	done, err = s.PurgeHistory(ctx, horizon)
	require.NoError(t, err)
	assert.Equal(t, HistoryPurge{}, done)
	_, err = s.PurgeHistory(ctx, day(3))
	require.NoError(t, err)
	assert.True(t, s.View().HistoryPurgedBefore().Equal(horizon))
	_, err = s.PurgeHistory(ctx, day(10))
	assert.ErrorIs(t, err, ErrInvalid)

	// The same after a restart from the journal, then from the checkpoint alone.
	state := stateJSON(t, s.View())
	dir := s.cfg.Dir
	s.crash()
	clock.Advance(time.Hour) // replay must not depend on the clock
	s = openTest(t, testConfig(dir, clock))
	check(s)
	assert.JSONEq(t, state, stateJSON(t, s.View()))
	require.NoError(t, s.Close())
	for _, seg := range mustSegments(t, dir) {
		require.NoError(t, os.Remove(seg.path))
	}
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	check(s)
	assert.JSONEq(t, state, stateJSON(t, s.View()))
}

// TestHistoryPurgeBatches: a purge of more records than one command may name is written as
// several, and a command naming too many is refused whole.
func TestHistoryPurgeBatches(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	const code = "0101/000001"
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_a")))
	clock.Set(retentionDay0)
	n := MaxPurgeBatch + 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				id := fmt.Sprintf("f%05d", i)
				if err := s.BeginRun(ctx, Run{ID: id, Entry: code, Kind: "connector", Status: RunRunning,
					StartedAt: retentionDay0.Add(time.Duration(i) * time.Second)}); err != nil {
					errs <- err
					return
				}
				errs <- s.FailRun(ctx, Run{ID: id, Status: RunFailed, Error: "源系统不可用"})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	clock.Set(retentionDay0.AddDate(0, 0, 3))
	horizon := retentionDay0.AddDate(0, 0, 2)

	var ids []string
	for i := range MaxPurgeBatch + 1 {
		ids = append(ids, fmt.Sprintf("f%05d", i))
	}
	err := s.submit(ctx, cmdPurgeHistory, purgeHistoryCmd{Before: horizon, Runs: ids}, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Len(t, s.View().Runs(code), n, "refused whole")

	before := s.Stats().Commands
	done, err := s.PurgeHistory(ctx, horizon)
	require.NoError(t, err)
	assert.Equal(t, HistoryPurge{Runs: n - 1}, done, "all but the last run started before the horizon")
	assert.Equal(t, int64(2), s.Stats().Commands-before, "two commands")
	assert.Equal(t, []string{fmt.Sprintf("f%05d", n-1)}, runIDs(s.View().Runs(code)))
}

// BenchmarkHistoryPurge100k purges the same history (10,000 entries with ten loads each, nine of
// them expired: 180,000 records) from directories of 10k and 100k entries, through the real
// commands: the cost per record purged must not grow with the directory, and the plan walks the
// entries that have loads, not the directory.
func BenchmarkHistoryPurge100k(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", size), func(b *testing.B) {
			s := prefilledStore(b, size)
			defer s.Close()
			ctx := context.Background()
			t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			horizon := t0.AddDate(0, 4, 0)
			var records int
			var plan time.Duration
			for it := range b.N {
				b.StopTimer()
				txn := s.head.Txn(true)
				for i := range 10_000 {
					old := storedEntry(txn, wideEntry(i).ResourceCode)
					if cur := snapshotsByID.get(txn, old.CurrentSnapshot); cur != nil { // the last iteration's, replaced now
						c := *cur
						c.ExpiredAt = t0.Add(time.Duration(it*10) * time.Hour)
						require.NoError(b, insertSnapshot(txn, &c))
					}
					var last *Snapshot
					for k := range 10 {
						at := t0.Add(time.Duration(it*10+k) * time.Hour)
						id := fmt.Sprintf("%07d-%03d-%02d", i, it, k)
						r := &Run{ID: "run-" + id, Entry: old.ResourceCode, Kind: "connector", Status: RunSucceeded,
							StartedAt: at, FinishedAt: at.Add(time.Minute), Snapshot: "snap-" + id}
						sn := &Snapshot{ID: "snap-" + id, Entry: old.ResourceCode, Run: r.ID, ManifestKey: "m/" + id, CommittedAt: at.Add(time.Minute)}
						if k < 9 {
							sn.ExpiredAt = at.Add(time.Hour)
						}
						require.NoError(b, insertRun(txn, r))
						require.NoError(b, insertSnapshot(txn, sn))
						last = sn
					}
					require.NoError(b, noteCurrentSnapshot(txn, last))
					e := old.Copy()
					e.CurrentSnapshot = last.ID
					require.NoError(b, insertEntryData(txn, old, e))
				}
				txn.Commit()
				s.publishHead()
				b.StartTimer()
				began := time.Now()
				p := s.View().PlanHistoryPurge(horizon)
				plan += time.Since(began)
				done, err := s.PurgeHistory(ctx, horizon)
				require.NoError(b, err)
				require.Equal(b, len(p.Snapshots)+len(p.Runs), done.Snapshots+done.Runs)
				require.Equal(b, min(it+9, 10)*10_000, done.Snapshots, "iteration %d", it)
				records += done.Snapshots + done.Runs
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(records), "µs/record")
			b.ReportMetric(plan.Seconds()*1e3/float64(b.N), "plan-ms")
		})
	}
}
