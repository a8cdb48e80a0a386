package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEntriesChangedSince: the feed lists exactly the entries changed after an index, in journal
// order, whichever command changed them, and the same after a restart (checkpoint and replay).
func TestEntriesChangedSince(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	cfg := testConfig(t.TempDir(), clock)
	s := openTest(t, cfg)
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	for _, seq := range []string{"000001", "000002", "000003"} {
		require.NoError(t, s.PutEntry(ctx, validEntry(seq, "t"+seq)))
	}
	first, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	mark := first.ModifyIndex
	require.NoError(t, s.SetEntryStatus(ctx, "0101/000001", StatusPublished))

	codes := func(v *View, since uint64) []string {
		var out []string
		v.EntriesChangedSince(since, func(e *Entry) bool {
			require.Greater(t, e.ModifyIndex, since)
			out = append(out, e.ResourceCode)
			return true
		})
		return out
	}
	want := []string{"0101/000002", "0101/000003", "0101/000001"}
	require.Equal(t, want, codes(s.View(), mark))
	require.Empty(t, codes(s.View(), s.Index()))

	var stopped []string
	s.View().EntriesChangedSince(0, func(e *Entry) bool { stopped = append(stopped, e.ResourceCode); return len(stopped) < 2 })
	require.Len(t, stopped, 2, "fn returning false stops the walk")

	require.NoError(t, s.Close())
	s = openTest(t, cfg)
	defer s.Close()
	require.Equal(t, want, codes(s.View(), mark))
}
