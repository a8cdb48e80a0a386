package catalog

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatsForOperators: the journal's fsync count and time, the bytes a restart would replay,
// a failed journal and a closed store are what the store's Stats and Closed say.
func TestStatsForOperators(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, newClock())
	s := openTest(t, cfg)
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	before := s.Stats()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "t_one")))
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "t_two")))
	st := s.Stats()
	assert.Equal(t, before.Syncs+2, st.Syncs, "one writer at a time: one fsync per command")
	assert.Greater(t, st.SyncTime, before.SyncTime, "each fsync adds its time")
	assert.Equal(t, before.JournalPendingBytes+st.JournalBytes-before.JournalBytes, st.JournalPendingBytes,
		"what is written since the checkpoint is what a restart replays")
	assert.False(t, st.JournalFailed)
	assert.False(t, s.Closed())

	require.NoError(t, s.Close())
	assert.True(t, s.Closed())
	s = openTest(t, cfg)
	assert.Zero(t, s.Stats().JournalPendingBytes, "Close wrote a final checkpoint: nothing to replay")
	require.NoError(t, s.PutEntry(ctx, validEntry("000003", "t_three")))
	assert.Positive(t, s.Stats().JournalPendingBytes)

	s.syncHook = func() error { return errors.New("disk full") }
	require.Error(t, s.PutEntry(ctx, validEntry("000004", "t_four")))
	assert.True(t, s.Stats().JournalFailed, "a failed fsync leaves the journal refusing writes")
	assert.False(t, s.Closed(), "reads go on")
	s.crash()
}
