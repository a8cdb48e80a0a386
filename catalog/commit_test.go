package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// publishHead makes what was written straight into head visible (benchmarks that fill the
// state without the journal).
func (s *Store) publishHead() { s.durable.Store(s.head.Snapshot()) }

// waitCheckpoint waits for a background checkpoint to end.
func (s *Store) waitCheckpoint() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitCheckpointLocked()
}

// writtenIndex is the index of the last record written, durable or not.
func (s *Store) writtenIndex() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// checkpointIndex reads the index in the header of dir's checkpoint.
func checkpointIndex(t *testing.T, dir string) uint64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, checkpointName))
	require.NoError(t, err)
	defer f.Close()
	data := make([]byte, 4096)
	n, _ := f.Read(data)
	var idx uint64
	_, err = scanFrames("checkpoint", data[:n], func(_ int64, i int, p []byte) error {
		if i == 0 {
			var rec record
			var h ckptHeaderBody
			require.NoError(t, json.Unmarshal(p, &rec))
			require.NoError(t, json.Unmarshal(rec.Payload, &h))
			idx = h.Index
		}
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	return idx
}

var errStop = errors.New("stop")

// gateFirstSync holds the first journal fsync until the returned release is called, then lets
// every fsync through or, with fail, fails it.
func gateFirstSync(s *Store, fail error) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	s.syncHook = func() error {
		once.Do(func() { <-gate })
		return fail
	}
	return func() { close(gate) }
}

// waitWritten waits until n records after start are written to the journal (not a timed
// assertion: the writers are blocked behind the gated fsync, this only waits for them to queue).
func waitWritten(t *testing.T, s *Store, idx uint64) {
	t.Helper()
	for s.writtenIndex() < idx {
		time.Sleep(time.Millisecond)
	}
}

func department(w int) Department {
	return Department{Code: fmt.Sprintf("D_%02d", w), Name: "处室", Kind: DepartmentDivision}
}

// TestGroupCommitSharesFsyncAndHidesUntilDurable: 16 writers queue behind one held fsync; none of
// their commands is visible or returns before it, and then all of them need at most two fsyncs.
func TestGroupCommitSharesFsyncAndHidesUntilDurable(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	defer s.Close()
	ctx := context.Background()
	start, before := s.Index(), s.Stats()
	release := gateFirstSync(s, nil)

	const writers = 16
	errs := make(chan error, writers)
	var returned sync.WaitGroup
	for w := range writers {
		returned.Add(1)
		go func() {
			defer returned.Done()
			errs <- s.PutDepartment(ctx, department(w))
		}()
	}
	waitWritten(t, s, start+writers)
	assert.Equal(t, start, s.Index(), "nothing is durable yet")
	assert.Empty(t, s.View().Departments(), "nothing is visible before its fsync")
	assert.Empty(t, errs, "no writer has returned")

	release()
	returned.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, start+writers, s.Index())
	assert.Len(t, s.View().Departments(), writers)
	after := s.Stats()
	assert.Equal(t, int64(writers), after.Commands-before.Commands)
	assert.LessOrEqual(t, after.Syncs-before.Syncs, int64(2), "the held batch, then one for all who queued behind it")

	// The journal holds them in the order they were applied: replay gives the same state.
	state := stateJSON(t, s.View())
	s.crash()
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
}

// TestGroupCommitValidationIsPerCommand: in one batch, refused commands fail at once without
// touching the others, and a command may build on one before it that is not yet durable.
func TestGroupCommitValidationIsPerCommand(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	defer s.Close()
	ctx := context.Background()
	start := s.Index()
	release := gateFirstSync(s, nil)

	done := make(chan error, 1)
	go func() {
		done <- s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision})
	}()
	waitWritten(t, s, start+1)
	// Validated against the accepted state: the department above exists for what follows.
	entryDone := make(chan error, 1)
	go func() { entryDone <- s.PutEntry(ctx, validEntry("000001", "air_daily")) }()
	waitWritten(t, s, start+2)

	bad := validEntry("000002", "air_daily") // the table of the entry above
	err := s.PutEntry(ctx, bad)
	require.ErrorIs(t, err, ErrInvalid, "refused while the batch before it is still unsynced")
	assert.Contains(t, err.Error(), "air_daily")
	require.ErrorIs(t, s.SetEntryStatus(ctx, "0101/999999", StatusPublished), ErrNotFound)
	assert.Equal(t, start+2, s.writtenIndex(), "refused commands write nothing")

	release()
	require.NoError(t, <-done)
	require.NoError(t, <-entryDone)
	assert.Equal(t, start+2, s.Index())
	_, err = s.View().Entry("0101/000001")
	assert.NoError(t, err)
	_, err = s.View().Entry("0101/000002")
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestGroupCommitFsyncFailureFailsTheBatch: when the fsync fails, every command waiting for it
// fails, none becomes visible, the store refuses writes, and a restart does not bring them back.
func TestGroupCommitFsyncFailureFailsTheBatch(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	start := s.Index()
	state := stateJSON(t, s.View())
	release := gateFirstSync(s, errors.New("磁盘故障"))

	const writers = 8
	errs := make(chan error, writers)
	for w := range writers {
		go func() { errs <- s.PutDepartment(ctx, department(w)) }()
	}
	waitWritten(t, s, start+writers)
	release()
	for range writers {
		err := <-errs
		require.ErrorIs(t, err, ErrClosed)
		assert.Contains(t, err.Error(), "磁盘故障")
	}
	assert.Equal(t, start, s.Index())
	assert.JSONEq(t, state, stateJSON(t, s.View()), "nothing of the failed batch is visible")
	require.ErrorIs(t, s.PutDepartment(ctx, department(99)), ErrClosed, "the store refuses writes")

	s.crash()
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.Equal(t, start, s.Index(), "the unsynced records were cut from the journal")
	assert.JSONEq(t, state, stateJSON(t, s.View()))
	require.NoError(t, s.PutDepartment(ctx, department(1)), "a restart takes writes again")
}

// TestConcurrentWritersReplay: 16 writers with checkpoints running in the background; the state
// after a crash equals the state before it.
func TestConcurrentWritersReplay(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := testConfig(dir, clock)
	cfg.CheckpointMinBytes = 1 // a checkpoint whenever the journal outgrows the last one
	s := openTest(t, cfg)
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	const writers, each = 16, 10
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				e := validEntry(fmt.Sprintf("%02d%04d", w, i), fmt.Sprintf("t_%02d_%04d", w, i))
				if err := s.PutEntry(ctx, e); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		require.NoError(t, <-errs)
	}
	s.waitCheckpoint()
	assert.Len(t, s.View().Entries(), writers*each)
	st := s.Stats()
	assert.Greater(t, st.Checkpoints, int64(1))
	assert.LessOrEqual(t, st.CheckpointBytes, st.JournalBytes+s.lastCkpt,
		"every checkpoint but the last was paid for by as many journal bytes")

	state := stateJSON(t, s.View())
	s.crash()
	s = openTest(t, cfg)
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
}

// TestCrashBetweenRotationAndCheckpoint: the journal was rotated for a checkpoint that was never
// installed (a temp file is all that was written): replay crosses the segments.
func TestCrashBetweenRotationAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	populate(t, s, clock)
	s.mu.Lock()
	j, err := s.newSegment(s.written + 1)
	require.NoError(t, err)
	require.NoError(t, s.j.close())
	s.j = j
	s.mu.Unlock()
	require.NoError(t, os.WriteFile(filepath.Join(dir, checkpointTmp), []byte("half a checkpoint"), 0o640))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "backup-123.tmp"), []byte("a backup's spool"), 0o640))
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	state := stateJSON(t, s.View())
	s.crash()
	segs, err := listSegments(dir)
	require.NoError(t, err)
	require.Len(t, segs, 2)

	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
	_, err = os.Stat(filepath.Join(dir, checkpointTmp))
	assert.ErrorIs(t, err, os.ErrNotExist, "the half-written checkpoint is removed")
	_, err = os.Stat(filepath.Join(dir, "backup-123.tmp"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the spool of a backup cut short is removed")
}

// TestAppendRecordIsJSONMarshal: the hand-made encoding of a record is byte for byte what
// json.Marshal gives, so that journals written before and after read the same.
func TestAppendRecordIsJSONMarshal(t *testing.T) {
	body, err := json.Marshal(putEntryCmd{Entry: *jsonEntry(wideEntry(7))})
	require.NoError(t, err)
	html, err := json.Marshal(map[string]string{"a": "<重庆>"}) // payloads come from json.Marshal
	require.NoError(t, err)
	for _, rec := range []record{
		{Index: 1, Type: cmdPutEntry, Version: 1, At: time.Date(2025, 6, 1, 4, 0, 0, 123456789, time.UTC), Payload: body},
		{Index: 1 << 60, Type: "quote\"and<html>", Version: 12, At: time.Date(1969, 1, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600)), Payload: html},
	} {
		want, err := json.Marshal(&rec)
		require.NoError(t, err)
		got, err := appendRecord([]byte("prefix"), &rec)
		require.NoError(t, err)
		assert.Equal(t, "prefix"+string(want), string(got))
		framed, err := appendFramed([]byte("x"), func(b []byte) ([]byte, error) { return appendRecord(b, &rec) })
		require.NoError(t, err)
		assert.Equal(t, "x"+string(frame(want)), string(framed))
	}
}

// holdApplier makes the next command's writer the applier and holds it at the store's lock, so
// that the commands after it queue up; it returns once n more are queued, and release lets the
// applier go on.
func holdApplier(t *testing.T, s *Store, first func() error, n int) (firstDone <-chan error, release func()) {
	t.Helper()
	s.mu.Lock()
	done := make(chan error, 1)
	go func() { done <- first() }()
	queued := func() int {
		s.qmu.Lock()
		defer s.qmu.Unlock()
		if !s.applying {
			return -1
		}
		return len(s.queue)
	}
	// The applier takes its own command off the queue before it blocks on s.mu.
	for queued() != 0 {
		time.Sleep(time.Millisecond)
	}
	return done, func() {
		for queued() < n {
			time.Sleep(time.Millisecond)
		}
		s.mu.Unlock()
	}
}

// TestGroupCommitAppliesQueueInOneTransaction: commands that queued behind the applier are applied
// together; one refused in the middle (because of a command before it in the same transaction)
// fails alone, the others are applied once, in order, and replay gives the same state.
func TestGroupCommitAppliesQueueInOneTransaction(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	defer s.Close()
	ctx := context.Background()
	start, before := s.Index(), s.Stats()

	firstDone, release := holdApplier(t, s, func() error {
		return s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision})
	}, 4)
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 4)
	run := func(name string, f func() error) {
		// One at a time, so the queue holds them in this order: counted before the writer starts,
		// or a writer quicker than the count would be waited for forever.
		n := len(s.queueSnapshot())
		go func() { results <- result{name, f()} }()
		for len(s.queueSnapshot()) == n {
			time.Sleep(time.Millisecond)
		}
	}
	run("water", func() error { return s.PutDepartment(ctx, department(1)) })
	run("entry", func() error { return s.PutEntry(ctx, validEntry("000001", "air_daily")) })
	run("same table", func() error { return s.PutEntry(ctx, validEntry("000002", "air_daily")) })
	run("soil", func() error { return s.PutDepartment(ctx, department(2)) })
	release()

	require.NoError(t, <-firstDone)
	errs := map[string]error{}
	for range 4 {
		r := <-results
		errs[r.name] = r.err
	}
	require.NoError(t, errs["water"])
	require.NoError(t, errs["entry"], "it builds on the department of the held command, not yet durable")
	require.NoError(t, errs["soil"])
	require.ErrorIs(t, errs["same table"], ErrInvalid)
	assert.Contains(t, errs["same table"].Error(), "air_daily")

	assert.Equal(t, start+4, s.Index(), "four commands, the refused one wrote nothing")
	after := s.Stats()
	assert.Equal(t, int64(4), after.Commands-before.Commands)
	// The held command alone; then the queued four: the two before the refused one again
	// without it, and the one after it.
	assert.Equal(t, int64(3), after.Transactions-before.Transactions)
	_, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	_, err = s.View().Entry("0101/000002")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Len(t, s.View().Departments(), 3)

	state := stateJSON(t, s.View())
	s.crash()
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
}

// queueSnapshot returns the commands waiting to be applied.
func (s *Store) queueSnapshot() []*queued {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return append([]*queued(nil), s.queue...)
}
