package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"default with dir", func() Config { c := DefaultConfig(); c.Dir = "x"; return c }(), true},
		{"empty dir", Config{}, false},
		{"negative checkpoint", Config{Dir: "x", CheckpointEvery: -1}, false},
		{"negative checkpoint bytes", Config{Dir: "x", CheckpointMinBytes: -1}, false},
		{"zero keeps default", Config{Dir: "x"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalid)
			}
		})
	}
	assert.Equal(t, int64(DefaultCheckpointMinBytes), Config{Dir: "x"}.withDefaults().CheckpointMinBytes)
	assert.Zero(t, Config{Dir: "x"}.withDefaults().CheckpointEvery, "checkpoints go by size unless asked")
}

func TestOpenSeedsDistrictsOnce(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	v := s.View()
	assert.Len(t, v.Districts(), len(schemas.AllDistricts()))
	assert.Equal(t, uint64(1), s.Index(), "seeding is one journaled command")
	d, err := v.District(schemas.CityCode)
	require.NoError(t, err)
	assert.Equal(t, "重庆市", d.Name)
	require.NoError(t, s.Close())

	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.Equal(t, uint64(1), s.Index(), "a second start does not seed again")
	assert.Len(t, s.View().Districts(), len(schemas.AllDistricts()))
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	_, err := Open(context.Background(), testConfig(dir, clock), nil)
	require.ErrorIs(t, err, ErrLocked)
	assert.Contains(t, err.Error(), dir)
	assert.Contains(t, err.Error(), "server")
	require.NoError(t, s.Close())

	s = openTest(t, testConfig(dir, clock)) // released by Close
	require.NoError(t, s.Close())
}

// populate writes one of every command kind and returns the store's view as JSON.
func populate(t *testing.T, s *Store, clock *testClock) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
	clock.Advance(time.Hour)
	require.NoError(t, s.SetEntryStatus(ctx, "0101/000001", StatusPublished))
	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "app-1", Name: "治气应用", Role: RoleScene, Clearance: schemas.General2, TokenHash: HashToken("secret-1"), Districts: []string{"500101"}}))
	clock.Advance(time.Hour)
	loadEntry(t, s, "0101/000001", "run-1", "snap-1", "", clock.Now())
	require.NoError(t, s.BeginRun(ctx, Run{ID: "run-2", Entry: "0101/000001", Status: RunRunning}))
	clock.Advance(time.Minute)
	require.NoError(t, s.FailRun(ctx, Run{ID: "run-2", Error: "连接超时"}))
	// An entry through the workflow, with its history and an open change request.
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("地表水水质月报"), "首次登记")
	require.NoError(t, err)
	require.NoError(t, s.SubmitEntry(ctx, wfSteward, d.ResourceCode, d.Revision, ""))
	sub, err := s.View().Entry(d.ResourceCode)
	require.NoError(t, err)
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, d.ResourceCode, sub.Revision, "同意"))
	pub, err := s.View().Entry(d.ResourceCode)
	require.NoError(t, err)
	pub.Abstract = "按月汇总的断面水质"
	require.NoError(t, s.EditEntry(ctx, wfSteward, pub, pub.Revision, "补充摘要"))
}

func TestReplayAfterCloseAndAfterCrash(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "close", true: "crash"}[crash]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			s := openTest(t, testConfig(dir, clock))
			populate(t, s, clock)
			before := stateJSON(t, s.View())
			idx := s.Index()
			if crash {
				s.crash()
				_, err := os.Stat(filepath.Join(dir, checkpointName))
				require.True(t, errors.Is(err, os.ErrNotExist), "a crash leaves no checkpoint")
			} else {
				require.NoError(t, s.Close())
			}
			clock.Advance(24 * time.Hour) // replay must not depend on the clock
			s = openTest(t, testConfig(dir, clock))
			defer s.Close()
			assert.Equal(t, idx, s.Index())
			assert.Equal(t, idx, s.View().Index())
			assert.JSONEq(t, before, stateJSON(t, s.View()))

			// and the store keeps working after recovery
			require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
			assert.Equal(t, idx+1, s.Index())
		})
	}
}

func TestCheckpointThenJournal(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := testConfig(dir, clock)
	cfg.CheckpointEvery = 3
	s := openTest(t, cfg)
	populate(t, s, clock) // 1 seed + 12 commands: checkpoints in the background along the way
	s.waitCheckpoint()
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	s.waitCheckpoint()
	idx := s.Index()
	require.Equal(t, uint64(14), idx)

	ckpt := checkpointIndex(t, dir)
	assert.GreaterOrEqual(t, ckpt, uint64(3))
	assert.Equal(t, s.ckptIndex, ckpt)
	segs, err := listSegments(dir)
	require.NoError(t, err)
	require.NotEmpty(t, segs)
	assert.Equal(t, ckpt+1, segs[0].first, "segments the checkpoint covers are removed, the others kept")
	assert.GreaterOrEqual(t, s.Stats().Checkpoints, int64(1))

	before := stateJSON(t, s.View())
	s.crash() // what follows the checkpoint lives only in the journal
	s = openTest(t, cfg)
	assert.Equal(t, idx, s.Index())
	assert.Equal(t, int(idx-ckpt), s.sinceCkpt, "only the journal after the checkpoint is replayed")
	assert.JSONEq(t, before, stateJSON(t, s.View()))
	require.NoError(t, s.Close())

	// Close checkpoints: the next start replays nothing and still has everything.
	s = openTest(t, cfg)
	defer s.Close()
	assert.Equal(t, 0, s.sinceCkpt)
	assert.JSONEq(t, before, stateJSON(t, s.View()))
}

func TestCheckpointCrashBeforeRotationKeepsJournal(t *testing.T) {
	// A checkpoint installed while the old segments are still present (crash between rename and
	// removal): replay must skip what the checkpoint holds and apply only what follows.
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	populate(t, s, clock)
	s.mu.Lock()
	_, err := writeCheckpoint(filepath.Join(dir, checkpointName), s.View().txn, s.Index(), clock.Now())
	s.mu.Unlock()
	require.NoError(t, err)
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	before := stateJSON(t, s.View())
	s.crash()

	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, before, stateJSON(t, s.View()))
}

func TestIndexAndChanged(t *testing.T) {
	s, _ := newTestStore(t)
	ch := s.Changed()
	v := s.View()
	idx := s.Index()
	select {
	case <-ch:
		t.Fatal("closed before any change")
	default:
	}
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatal("not closed after a change")
	}
	assert.Equal(t, idx+1, s.Index())
	assert.Equal(t, idx, v.Index(), "an older view keeps its point in time")
	assert.Len(t, v.Departments(), 1)
	assert.Len(t, s.View().Departments(), 2)

	// a rejected command changes nothing
	ch = s.Changed()
	require.Error(t, s.PutDepartment(context.Background(), Department{Code: "bad code"}))
	assert.Equal(t, idx+1, s.Index())
	select {
	case <-ch:
		t.Fatal("closed by a rejected command")
	default:
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	s, _ := newTestStore(t)
	require.NoError(t, s.Close())
	err := s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水", Kind: DepartmentDivision})
	assert.ErrorIs(t, err, ErrClosed)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, s.PutDepartment(ctx, Department{}), context.Canceled)
}

func TestPrincipalByToken(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "u1", Name: "张三", Role: RoleSteward, Clearance: schemas.Important, TokenHash: HashToken("tok-1"), Department: "AIR_DIV"}))
	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "u2", Name: "李四", Role: RoleManager, Clearance: schemas.General1, TokenHash: HashToken("tok-2"), Disabled: true}))
	v := s.View()
	p, err := v.PrincipalByToken("tok-1", clock.Now())
	require.NoError(t, err)
	assert.Equal(t, "u1", p.ID)
	for _, tok := range []string{"tok-2", "tok-3", ""} {
		_, err := v.PrincipalByToken(tok, clock.Now())
		assert.ErrorIs(t, err, ErrNotFound, tok)
	}
	assert.Len(t, HashToken("x"), 64)
	_, err = v.Principal("nobody")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestViewListsAndCopies(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	for _, c := range []struct{ seq, table string }{{"000010", "b_table"}, {"000002", "a_table"}, {"000001", "c_table"}} {
		require.NoError(t, s.PutEntry(ctx, validEntry(c.seq, c.table)))
	}
	// "0101/000001" and "0101/0000010" must not mix in per-entry listings
	require.NoError(t, s.PutEntry(ctx, validEntry("0000010", "d_table")))
	t0 := clock.Now()
	loadEntry(t, s, "0101/000001", "r1", "s1", "", t0)
	loadEntry(t, s, "0101/000001", "r2", "s2", "s1", t0.Add(2*time.Hour))
	loadEntry(t, s, "0101/000001", "r3", "s3", "s2", t0.Add(time.Hour)) // committed timestamp earlier than s2
	loadEntry(t, s, "0101/0000010", "r4", "s4", "", t0.Add(5*time.Hour))

	v := s.View()
	var codes []string
	for _, e := range v.Entries() {
		codes = append(codes, e.ResourceCode)
	}
	assert.Equal(t, []string{"0101/000001", "0101/0000010", "0101/000002", "0101/000010"}, codes)
	var ids []string
	for _, sn := range v.Snapshots("0101/000001") {
		ids = append(ids, sn.ID)
	}
	assert.Equal(t, []string{"s2", "s3", "s1"}, ids, "newest committed first")
	ids = nil
	for _, r := range v.Runs("0101/000001") {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{"r2", "r3", "r1"}, ids, "newest started first")
	assert.Empty(t, v.Snapshots("0101/00000"))

	e, err := v.EntryByTable("a_table")
	require.NoError(t, err)
	assert.Equal(t, "0101/000002", e.ResourceCode)
	_, err = v.EntryByTable("nope")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = v.Entry("0101/999999")
	assert.ErrorIs(t, err, ErrNotFound)

	// modifying a returned object does not reach the store
	setItem(e, 0, func(it *Item) { it.Field = "changed" })
	e.Name = "changed"
	again, err := v.Entry("0101/000002")
	require.NoError(t, err)
	assert.Equal(t, "district", again.Items.Slice()[0].Field)
	assert.NotEqual(t, "changed", again.Name)
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	start := s.Index()
	const writers, each = 4, 10
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				if err := s.PutDepartment(ctx, Department{Code: fmt.Sprintf("D_%d_%d", w, i), Name: "处室", Kind: DepartmentDivision}); err != nil {
					done <- err
					return
				}
				v := s.View()
				if uint64(len(v.Departments())) != v.Index()-start+1 {
					done <- fmt.Errorf("view at %d shows %d departments", v.Index(), len(v.Departments()))
					return
				}
			}
			done <- nil
		}()
	}
	for range writers {
		require.NoError(t, <-done)
	}
	assert.Equal(t, start+writers*each, s.Index())
	assert.Len(t, s.View().Departments(), writers*each+1)
}
