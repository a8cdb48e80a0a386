package catalog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// journalSize is the size of the open journal segment's file.
func journalSize(t *testing.T, s *Store) int64 {
	t.Helper()
	s.mu.Lock()
	path := s.j.seg.path
	s.mu.Unlock()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Size()
}

func departmentCodes(v *View) []string {
	var out []string
	for _, d := range v.Departments() {
		out = append(out, d.Code)
	}
	sort.Strings(out)
	return out
}

// TestDiskFullRefusesGroupedBatchAndRecovers: 16 writers share a batch whose journal write runs
// out of space half-way through a record. Every one of them is refused with ErrDiskFull (the one
// whose record was being written and the 15 applied after it), nothing of them is visible or left
// in the journal, the store keeps serving reads, and once space returns the same store takes
// writes again without a restart; after a restart the journal replays exactly the acknowledged
// commands.
func TestDiskFullRefusesGroupedBatchAndRecovers(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	start, size := s.Index(), journalSize(t, s)
	before := stateJSON(t, s.View())

	gate := make(chan struct{})
	var once sync.Once
	var full atomic.Bool
	full.Store(true)
	s.syncHook = func() error {
		once.Do(func() {
			<-gate
			// The write the file system cut short: a header and part of a payload.
			_, err := s.j.f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, '{', '"'})
			require.NoError(t, err)
		})
		if full.Load() {
			return fmt.Errorf("write: %w", syscall.ENOSPC)
		}
		return nil
	}

	const writers = 16
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.PutDepartment(ctx, department(w))
		}()
	}
	waitWritten(t, s, start+writers)
	close(gate)
	wg.Wait()
	for w, err := range errs {
		require.Error(t, err, "writer %d", w)
		assert.ErrorIs(t, err, ErrDiskFull, "writer %d", w)
		assert.ErrorIs(t, err, syscall.ENOSPC, "writer %d", w)
		assert.Equal(t, schemas.CodeBusy, schemas.CodeOf(err), "writer %d: the same command may succeed later", w)
		msg, ok := schemas.UserMessage(err)
		assert.True(t, ok)
		assert.Contains(t, msg, "数据目录磁盘空间不足")
	}
	assert.Equal(t, start, s.Index())
	assert.Equal(t, start, s.writtenIndex(), "head rolled back to the durable state")
	assert.Equal(t, size, journalSize(t, s), "the half-written record is cut")
	assert.JSONEq(t, before, stateJSON(t, s.View()), "reads see what they saw before")

	// Still full: a lone writer is refused the same way, and nothing is poisoned.
	err := s.PutDepartment(ctx, department(40))
	assert.ErrorIs(t, err, ErrDiskFull)
	assert.Equal(t, size, journalSize(t, s))

	// Space returns: the same store takes writes, concurrently, with no restart.
	full.Store(false)
	var ok sync.WaitGroup
	for w := 20; w < 20+writers; w++ {
		ok.Add(1)
		go func() {
			defer ok.Done()
			assert.NoError(t, s.PutDepartment(ctx, department(w)))
		}()
	}
	ok.Wait()
	assert.Equal(t, start+writers, s.Index())
	want := []string{"AIR_DIV"}
	for w := 20; w < 20+writers; w++ {
		want = append(want, department(w).Code)
	}
	sort.Strings(want)
	assert.Equal(t, want, departmentCodes(s.View()))
	state := stateJSON(t, s.View())

	s.crash()
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()), "replay gives exactly the acknowledged commands")
	assert.Equal(t, want, departmentCodes(s.View()))
}

// TestDiskFullIntermittentKeepsAcknowledgedOnly: writers keep writing while every third fsync
// runs out of space. Whatever interleaving of appliers and syncs the refusals meet, the state
// shows exactly the commands that succeeded, before and after a restart.
func TestDiskFullIntermittentKeepsAcknowledgedOnly(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	ctx := context.Background()
	var syncs atomic.Int64
	s.syncHook = func() error {
		if syncs.Add(1)%3 == 0 {
			return syscall.ENOSPC
		}
		return nil
	}
	const writers, each = 8, 25
	var mu sync.Mutex
	var acked []string
	refused := 0
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				d := Department{Code: fmt.Sprintf("D_%d_%02d", w, i), Name: "处室", Kind: DepartmentDivision}
				err := s.PutDepartment(ctx, d)
				mu.Lock()
				if err == nil {
					acked = append(acked, d.Code)
				} else {
					assert.ErrorIs(t, err, ErrDiskFull)
					refused++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(acked)
	require.NotZero(t, refused, "some batches ran out of space")
	require.NotEmpty(t, acked, "the others were taken")
	assert.Equal(t, acked, departmentCodes(s.View()))

	s.crash()
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.Equal(t, acked, departmentCodes(s.View()))
}

// TestDiskFullCheckpointKeepsOldAndRetries: a checkpoint that cannot be written leaves the
// installed one and the journal it covers in place; the next attempt waits ckptRetryDelay and then
// installs a checkpoint covering everything.
func TestDiskFullCheckpointKeepsOldAndRetries(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	cfg := testConfig(dir, clock)
	cfg.CheckpointEvery = 3
	s := openTest(t, cfg)
	ctx := context.Background()
	for w := range 4 {
		require.NoError(t, s.PutDepartment(ctx, department(w)))
	}
	s.waitCheckpoint()
	first := checkpointIndex(t, dir)
	require.NotZero(t, first)

	// The temp file cannot be written (a directory that is not empty stands in its place).
	blocker := filepath.Join(dir, checkpointTmp)
	require.NoError(t, os.MkdirAll(filepath.Join(blocker, "x"), 0o750))
	for w := 10; w < 14; w++ {
		require.NoError(t, s.PutDepartment(ctx, department(w)))
	}
	s.waitCheckpoint()
	assert.Equal(t, first, checkpointIndex(t, dir), "the old checkpoint stays")

	// Space is back, but the retry waits.
	require.NoError(t, os.RemoveAll(blocker))
	require.NoError(t, s.PutDepartment(ctx, department(20)))
	s.waitCheckpoint()
	assert.Equal(t, first, checkpointIndex(t, dir), "no retry before ckptRetryDelay")

	clock.Advance(ckptRetryDelay + time.Second)
	require.NoError(t, s.PutDepartment(ctx, department(21)))
	s.waitCheckpoint()
	assert.Equal(t, s.Index(), checkpointIndex(t, dir), "the retry covers every command")
	state := stateJSON(t, s.View())
	s.crash()
	s = openTest(t, cfg)
	defer s.Close()
	assert.JSONEq(t, state, stateJSON(t, s.View()))
}
