package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkLoadAfterHistory loads an entry (a run begun, a snapshot committed: two commands)
// whose past loads number 10 and 20,000 (an hourly load for more than two years): what a load
// costs must not grow with the entry's history.
func BenchmarkLoadAfterHistory(b *testing.B) {
	for _, past := range []int{10, 20_000} {
		b.Run(fmt.Sprintf("past=%d", past), func(b *testing.B) { benchmarkLoadAfterHistory(b, past) })
	}
}

func benchmarkLoadAfterHistory(b *testing.B, past int) {
	clock := newClock()
	s, err := Open(context.Background(), testConfig(b.TempDir(), clock), nil)
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	require.NoError(b, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	e := validEntry("0000001", "t_history")
	require.NoError(b, s.PutEntry(ctx, e))
	code := e.ResourceCode
	// The past loads, written straight into the state in one transaction.
	t0 := clock.Now().Add(-time.Duration(past+1) * time.Hour)
	txn := s.head.Txn(true)
	parent := ""
	for i := range past {
		at := t0.Add(time.Duration(i) * time.Hour)
		run := &Run{ID: fmt.Sprintf("r%08d", i), Entry: code, Kind: "connector", Status: RunSucceeded, StartedAt: at.Add(-time.Minute), FinishedAt: at}
		snap := &Snapshot{ID: fmt.Sprintf("s%08d", i), Entry: code, Parent: parent, Run: run.ID, ManifestKey: "m/" + run.ID, CommittedAt: at}
		run.Snapshot = snap.ID
		require.NoError(b, insertRun(txn, run))
		require.NoError(b, insertSnapshot(txn, snap))
		require.NoError(b, noteCurrentSnapshot(txn, snap))
		parent = snap.ID
	}
	cur, err := entryTxn(txn, code)
	require.NoError(b, err)
	n := cur.Copy()
	n.CurrentSnapshot = parent
	require.NoError(b, insertEntry(txn, n))
	txn.Commit()
	s.publishHead()

	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("x%08d", i)
		require.NoError(b, s.BeginRun(ctx, Run{ID: "r" + id, Entry: code, Kind: "connector", Status: RunRunning}))
		require.NoError(b, s.CommitSnapshot(ctx,
			Snapshot{ID: "s" + id, Entry: code, Parent: parent, ManifestKey: "m/" + id, Rows: 10, Files: 1, Bytes: 100},
			Run{ID: "r" + id, Status: RunSucceeded, RowsRead: 10, RowsAccepted: 10}, parent))
		parent = "s" + id
	}
}
