package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/proctest"
	"github.com/cqeco/ecolake/lake"
)

// fakeTicks drives a gcSchedule: each wait the schedule asks for is recorded, and the test lets
// it pass by sending on the channel handed out.
type fakeTicks struct {
	mu    sync.Mutex
	waits []time.Duration
	ch    chan time.Time
}

func (f *fakeTicks) after(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return f.ch
}

func (f *fakeTicks) asked() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// snapshotFiles is every object of snapshot s: its manifest and data files.
func snapshotFiles(t *testing.T, a *App, s *catalog.Snapshot) []string {
	t.Helper()
	m, err := lake.ReadManifest(context.Background(), a.Bucket, s.ManifestKey)
	require.NoError(t, err)
	keys := []string{s.ManifestKey}
	for _, f := range m.Files {
		keys = append(keys, f.Key)
	}
	return keys
}

func present(a *App, key string) (bool, error) {
	_, err := a.Bucket.Attributes(context.Background(), key)
	if errors.Is(err, lake.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TestScheduledGC runs serve's collection on a fixed clock: the first run comes soon after start
// (10 minutes, not a whole interval), then one per interval. With a retention of two snapshots,
// the first run expires the two oldest of four and keeps their files for the grace of MinAge
// (reads begun on them), the next, a day later, deletes those files and nothing of the kept
// snapshots, unless a backup of the service is copying (then they wait for the run after it);
// each run's result is kept for the metrics (LastGC) and logged; stopping the
// schedule ends it.
func TestScheduledGC(t *testing.T) {
	ctx := context.Background()
	cfg := grantSetup(t)
	cfg.GC = GCConfig{Interval: 24 * time.Hour, MinAge: time.Hour, Retention: catalog.Retention{Snapshots: 2}}
	var logs proctest.Output // the schedule logs from its goroutine while the test reads
	a, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), false)
	require.NoError(t, err)
	defer a.Close()
	for i := range 4 {
		_, err := a.Ingest.Submit(ctx, ingestAsOperator(grantEntryCode, "", fmt.Sprintf("排污口,联系电话\nK%d,13800138000\n", i)))
		require.NoError(t, err)
	}
	snaps := a.Cat.View().Snapshots(grantEntryCode)
	require.Len(t, snaps, 4)
	files := map[string][]string{}
	for _, s := range snaps {
		files[s.ID] = snapshotFiles(t, a, s)
	}
	byAge := append([]*catalog.Snapshot(nil), snaps...)
	if byAge[0].CommittedAt.After(byAge[3].CommittedAt) { // Snapshots lists the newest first
		for i, j := 0, 3; i < j; i, j = i+1, j-1 {
			byAge[i], byAge[j] = byAge[j], byAge[i]
		}
	}
	old, kept := byAge[:2], byAge[2:]
	// An appending load's snapshot lists the files of the one before it: what expiry frees is
	// what no kept snapshot lists (the old manifests, at least).
	inKept := map[string]bool{}
	for _, s := range kept {
		for _, k := range files[s.ID] {
			inKept[k] = true
		}
	}
	var freed []string
	for _, s := range old {
		for _, k := range files[s.ID] {
			if !inKept[k] {
				freed = append(freed, k)
			}
		}
	}
	require.NotEmpty(t, freed)

	start := time.Now()
	clock := start
	var clockMu sync.Mutex
	ticks := &fakeTicks{ch: make(chan time.Time)}
	stop := a.startGCWith(ctx, gcSchedule{a: a, cfg: cfg.GC, after: ticks.after, now: func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return clock
	}})
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	assert.Zero(t, a.LastGC().Started, "nothing has run before the first tick")

	// tick lets the schedule's wait pass at now and waits for the collection it starts.
	tick := func(now time.Time) GCStatus {
		clockMu.Lock()
		clock = now
		clockMu.Unlock()
		ticks.ch <- now
		require.Eventually(t, func() bool { return a.LastGC().Started.Equal(now) }, 30*time.Second, 10*time.Millisecond)
		return a.LastGC()
	}

	// Two hours on, every object is older than MinAge: only the grace keeps the expired files.
	st := tick(start.Add(2 * time.Hour))
	require.NoError(t, st.Err)
	assert.Equal(t, 2, st.Expired, "the two oldest of four snapshots are past a retention of two")
	assert.Zero(t, st.Deleted, "the files of snapshots expired now are kept for MinAge")
	v := a.Cat.View()
	for _, s := range old {
		got, err := v.Snapshot(s.ID)
		require.NoError(t, err)
		assert.True(t, got.Expired(), "snapshot %s expired", s.ID)
		for _, k := range files[s.ID] {
			ok, err := present(a, k)
			require.NoError(t, err)
			assert.True(t, ok, "%s of the just expired %s is kept for reads begun on it", k, s.ID)
		}
	}
	for _, s := range kept {
		got, err := v.Snapshot(s.ID)
		require.NoError(t, err)
		assert.False(t, got.Expired(), "snapshot %s is within the retention", s.ID)
	}
	assert.Contains(t, logs.String(), "msg=gc expired=2")

	// A backup of the service copying meanwhile holds the deletions back.
	release := a.holdGC()
	st = tick(start.Add(26 * time.Hour))
	require.NoError(t, st.Err)
	assert.True(t, st.Postponed, "a backup is copying")
	assert.Zero(t, st.Deleted)
	for _, k := range freed {
		ok, err := present(a, k)
		require.NoError(t, err)
		assert.True(t, ok, "%s is kept while a backup copies", k)
	}
	assert.Contains(t, logs.String(), "postponed=true")
	release()
	release() // a second release changes nothing

	st = tick(start.Add(50 * time.Hour))
	require.NoError(t, st.Err)
	assert.Zero(t, st.Expired, "nothing more is past the retention")
	assert.GreaterOrEqual(t, st.Deleted, len(freed), "the grace is over: the expired snapshots' own files go")
	assert.Positive(t, st.Bytes)
	for _, k := range freed {
		ok, err := present(a, k)
		require.NoError(t, err)
		assert.False(t, ok, "%s, listed only by snapshots expired a day ago, is deleted", k)
	}
	for _, s := range kept {
		for _, k := range files[s.ID] {
			ok, err := present(a, k)
			require.NoError(t, err)
			assert.True(t, ok, "%s of the kept snapshot %s is untouched", k, s.ID)
		}
	}
	assert.Contains(t, logs.String(), fmt.Sprintf("deleted=%d", st.Deleted))

	assert.False(t, st.Postponed)
	require.Eventually(t, func() bool { return len(ticks.asked()) == 4 }, 10*time.Second, time.Millisecond, "the schedule waits for the next run")
	assert.Equal(t, []time.Duration{gcFirstDelay, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour}, ticks.asked(),
		"the first run 10 minutes after start, then one per interval")
	stop()
	stopped = true
	select {
	case ticks.ch <- time.Now():
		t.Fatal("the schedule still waits for ticks after it was stopped")
	case <-time.After(50 * time.Millisecond):
	}
}

// TestScheduledGCOff: an interval of 0 starts no schedule (ecolake gc is then run by hand).
func TestScheduledGCOff(t *testing.T) {
	cfg := grantSetup(t)
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	ticks := &fakeTicks{ch: make(chan time.Time)}
	stop := a.startGCWith(context.Background(), gcSchedule{a: a, cfg: GCConfig{Interval: 0, MinAge: time.Hour}, after: ticks.after, now: time.Now})
	stop()
	assert.Empty(t, ticks.asked())
	assert.Zero(t, a.LastGC().Started)
}
