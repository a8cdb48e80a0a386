package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestGenerationMovesWithEntriesOnly: the metadata generation moves with every command that
// changes a stored entry, and with an entry's first data; not with change requests (the
// published version stays), later loads, runs or accounts.
func TestGenerationMovesWithEntriesOnly(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	gen := func() uint64 { return s.View().Generation() }
	moved := func(what string, fn func()) {
		t.Helper()
		before := gen()
		fn()
		assert.Greater(t, gen(), before, "%s must move the generation", what)
	}
	kept := func(what string, fn func()) {
		t.Helper()
		before := gen()
		fn()
		assert.Equal(t, before, gen(), "%s must not move the generation", what)
	}

	var code string
	moved("create", func() {
		e, err := s.CreateEntry(ctx, wfSteward, draftEntry("地表水水质"), "")
		require.NoError(t, err)
		code = e.ResourceCode
	})
	moved("submit and approve", func() { publish(t, s, code) })
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	moved("the first data", func() { loadEntry(t, s, code, "r1", "s1", "", now) })
	kept("a later load", func() { loadEntry(t, s, code, "r2", "s2", "s1", now.Add(time.Hour)) })
	kept("a failed run", func() {
		require.NoError(t, s.BeginRun(ctx, Run{ID: "r3", Entry: code, Kind: "connector", Status: RunRunning}))
		require.NoError(t, s.FailRun(ctx, Run{ID: "r3", Error: "连接超时"}))
	})
	kept("an account", func() {
		require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "a1", Name: "分析员", Role: RoleAnalyst, Clearance: schemas.General2}))
	})
	kept("an edit of the published entry: a change request, the published version stays", func() {
		e := current(t, s, code)
		e.Abstract = "改过的摘要"
		require.NoError(t, s.EditEntry(ctx, wfSteward, e, e.Revision, "补充摘要"))
	})
	moved("retire", func() {
		c, err := s.View().Change(code)
		require.NoError(t, err)
		require.NoError(t, s.RetireEntry(ctx, wfSteward, code, c.Revision, "停止维护"))
	})

	// Restarting starts the count afresh, from the same entries.
	dir := s.cfg.Dir
	require.NoError(t, s.Close())
	s2 := openTest(t, testConfig(dir, newClock()))
	defer s2.Close()
	e, err := s2.View().Entry(code)
	require.NoError(t, err)
	assert.Equal(t, StatusRetired, e.Status)
}

// TestEachVisible pages through the entries that exist for a principal: in code order, after a
// given code, stopping when asked, never showing an entry the decision hides.
func TestEachVisible(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for i := range 6 {
		e := validEntry(fmt.Sprintf("%06d", i+1), fmt.Sprintf("t_%d", i+1))
		if i%2 == 1 {
			setItem(e, 1, func(it *Item) { it.Grade = schemas.Important }) // above the reader's clearance
		}
		require.NoError(t, s.PutEntry(ctx, e))
	}
	reader := &Principal{ID: "r", Role: RoleAnalyst, Clearance: schemas.General2}
	page := func(after string, n int) []string {
		var out []string
		s.View().EachVisible(reader, after, func(e *Entry) bool {
			out = append(out, e.ResourceCode)
			return len(out) < n
		})
		return out
	}
	assert.Equal(t, []string{"0101/000001", "0101/000003"}, page("", 2))
	assert.Equal(t, []string{"0101/000005"}, page("0101/000003", 2))
	assert.Equal(t, []string{"0101/000003", "0101/000005"}, page("0101/000002", 10), "after a code it cannot see")
	assert.Empty(t, page("0101/000005", 10))
	assert.Len(t, s.View().Visible(reader), 3)
	assert.Equal(t, []string{"0101/000001"}, page("", 1), "fn returning false stops at once")
	var none []string
	s.View().EachVisible(&Principal{ID: "x", Role: "nobody"}, "", func(e *Entry) bool { none = append(none, e.ResourceCode); return true })
	assert.Empty(t, none, "an unknown principal sees nothing")
}

// TestRunningRuns lists the runs still running, across a restart, without a walk of the entries.
func TestRunningRuns(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
	for _, id := range []string{"r1", "r2", "r3"} {
		require.NoError(t, s.BeginRun(ctx, Run{ID: id, Entry: "0101/000001", Status: RunRunning}))
	}
	require.NoError(t, s.FailRun(ctx, Run{ID: "r1", Error: "中断"}))
	loadEntry(t, s, "0101/000001", "r4", "s1", "", clock.Now())
	ids := func(s *Store) []string {
		var out []string
		for _, r := range s.View().RunningRuns() {
			out = append(out, r.ID)
		}
		return out
	}
	assert.Equal(t, []string{"r2", "r3"}, ids(s))
	dir := s.cfg.Dir
	require.NoError(t, s.Close())
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.Equal(t, []string{"r2", "r3"}, ids(s))
}

// TestSnapshotAt: the snapshot current at a time is the last committed at or before it, an
// entry's history never answers for another's, and before the first there is none.
func TestSnapshotAt(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "air_hourly")))
	t0 := clock.Now()
	var ids []string
	prev := map[string]string{}
	for i := range 3 {
		clock.Advance(time.Hour)
		for _, code := range []string{"0101/000001", "0101/000002"} {
			id := fmt.Sprintf("s%d-%s", i, code[5:])
			run := Run{ID: "r" + id, Entry: code, Kind: "district_submission", Status: RunRunning}
			require.NoError(t, s.BeginRun(ctx, run))
			run.Status = RunSucceeded
			require.NoError(t, s.CommitSnapshot(ctx, Snapshot{ID: id, Entry: code, Parent: prev[code], Run: run.ID, ManifestKey: "m/" + id}, run, prev[code]))
			prev[code] = id
			if code == "0101/000001" {
				ids = append(ids, id)
			}
		}
	}
	v := s.View()
	assert.Nil(t, v.SnapshotAt("0101/000001", t0), "before the first load")
	for i, id := range ids {
		at := t0.Add(time.Duration(i+1) * time.Hour)
		got := v.SnapshotAt("0101/000001", at)
		require.NotNil(t, got, "at its commit time")
		assert.Equal(t, id, got.ID)
		got = v.SnapshotAt("0101/000001", at.Add(59*time.Minute))
		require.NotNil(t, got)
		assert.Equal(t, id, got.ID, "until the next one")
	}
	assert.Nil(t, v.SnapshotAt("0101/000003", t0.Add(10*time.Hour)), "an entry without snapshots borrows none")
}
