package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSnapshotReadsReadEachEventOnce: the snapshots read within the window with their last read,
// older days left out, and a second call reading only what was written after the first.
func TestSnapshotReadsReadEachEventOnce(t *testing.T) {
	dir := t.TempDir()
	c := &clock{now: at("2026-03-01 10:00")}
	l, err := Open(dir, 0, c.Now)
	require.NoError(t, err)
	defer l.Close()
	rec := func(when string, snaps ...string) {
		t.Helper()
		c.set(at(when))
		require.NoError(t, l.Record(Event{ID: when, Principal: "p", Outcome: OutcomeOK, Snapshots: snaps}))
	}
	rec("2026-03-01 10:00", "s-old")
	rec("2026-03-05 09:00", "s1", "s2")
	rec("2026-03-05 11:00") // a read of no snapshot
	rec("2026-03-06 08:00", "s1")
	reads := l.SnapshotReads()
	ctx := context.Background()

	got, n, err := reads.Since(ctx, at("2026-03-04 00:00"))
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{"s1": at("2026-03-06 08:00").UTC(), "s2": at("2026-03-05 09:00").UTC()}, utcAll(got))
	assert.Positive(t, n)

	// Nothing new: nothing read again.
	_, n, err = reads.Since(ctx, at("2026-03-04 00:00"))
	require.NoError(t, err)
	assert.Zero(t, n)

	// A new event is read alone; a line still being written waits for the next call.
	rec("2026-03-06 09:00", "s3")
	f, err := os.OpenFile(filepath.Join(dir, "2026-03-06"+suffix), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"id":"torn","at":"2026-03-06T10:00:00+08:00","snapshots":["s4"`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	got, n, err = reads.Since(ctx, at("2026-03-05 10:00"))
	require.NoError(t, err)
	assert.Less(t, n, int64(200), "only the new line")
	assert.Equal(t, map[string]time.Time{"s1": at("2026-03-06 08:00").UTC(), "s3": at("2026-03-06 09:00").UTC()}, utcAll(got),
		"s2's read is older than the window now")
}

func utcAll(m map[string]time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for k, v := range m {
		out[k] = v.UTC()
	}
	return out
}
