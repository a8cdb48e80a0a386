package catalog

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// wideEntry is entry number i with 20 items, the size of a province's typical table.
func wideEntry(i int) *Entry {
	e := validEntry(fmt.Sprintf("%07d", i), fmt.Sprintf("t_%07d", i))
	items := make([]Item, 0, 20)
	for j := range 20 {
		items = append(items, Item{Name: fmt.Sprintf("指标%02d", j), Field: fmt.Sprintf("f%02d", j),
			Type: schemas.Float, Grade: schemas.General1, Description: fmt.Sprintf("数据集%07d的第%d项", i, j)})
	}
	e.Items = ItemsOf(items...)
	return e
}

// prefilledStore opens a store holding n wide entries and a checkpoint of them, as a directory
// of that size would be after a restart.
func prefilledStore(b *testing.B, n int) *Store {
	s, err := Open(context.Background(), testConfig(b.TempDir(), newClock()), nil)
	require.NoError(b, err)
	require.NoError(b, s.PutDepartment(context.Background(), Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	txn := s.head.Txn(true)
	for i := range n {
		require.NoError(b, insertEntry(txn, wideEntry(i)))
	}
	txn.Commit()
	s.publishHead()
	s.mu.Lock()
	size, err := s.installCheckpoint(s.View().txn, s.Index(), false)
	s.lastCkpt, s.ckptIndex = size, s.Index()
	s.mu.Unlock()
	require.NoError(b, err)
	return s
}

// BenchmarkPutEntry writes entries of 20 items through PutEntry into directories that already
// hold 1k, 10k and 100k entries, with one writer and with 16. The time per command must not grow
// with the directory, and the 16 writers share fsyncs (commands/fsync). Each directory starts with
// a checkpoint of its entries, so the next is due only once as many journal bytes are written:
// checkpoints are paid for by the journal, and the bench program's province-size run shows them
// spread over its slices.
func BenchmarkPutEntry(b *testing.B) {
	for _, size := range []int{1_000, 10_000, 100_000} {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("entries=%d/writers=%d", size, writers), func(b *testing.B) {
				s := prefilledStore(b, size)
				defer s.Close()
				ctx := context.Background()
				var next atomic.Int64
				next.Store(int64(size))
				before := s.Stats()
				b.ResetTimer()
				if writers == 1 {
					for b.Loop() {
						if err := s.PutEntry(ctx, wideEntry(int(next.Add(1)))); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism((writers + 1) / 2)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := s.PutEntry(ctx, wideEntry(int(next.Add(1)))); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
				b.StopTimer()
				st := s.Stats()
				b.ReportMetric(float64(st.Commands-before.Commands)/float64(max(st.Syncs-before.Syncs, 1)), "commands/fsync")
				b.ReportMetric(float64(st.CheckpointBytes-before.CheckpointBytes)/float64(st.Commands-before.Commands), "ckpt-B/command")
			})
		}
	}
}

// BenchmarkRegister takes entries of 20 items through the workflow as stewards do (create,
// submit, approve: three commands per entry) with 16 writers, on directories that already hold
// 10k and 100k entries: the time per command must not grow with the directory. Its allocations
// are most of the catalogue's garbage collection cost.
func BenchmarkRegister(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", size), func(b *testing.B) { benchmarkRegister(b, size) })
	}
}

func benchmarkRegister(b *testing.B, size int) {
	s := prefilledStore(b, size)
	defer s.Close()
	ctx := context.Background()
	steward := &Principal{ID: "st", Name: "数据员", Role: RoleSteward, Clearance: schemas.Core, Department: "AIR_DIV"}
	reviewer := &Principal{ID: "rv", Name: "审核员", Role: RoleReviewer, Clearance: schemas.Core}
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := wideEntry(int(next.Add(1)))
			e.ResourceCode, e.Table, e.ShareType, e.OpenType = "", "", "", ""
			created, err := s.CreateEntry(ctx, steward, e, "登记")
			if err != nil {
				b.Fatal(err)
			}
			if err := s.SubmitEntry(ctx, steward, created.ResourceCode, created.Revision, ""); err != nil {
				b.Fatal(err)
			}
			sub, err := s.View().Entry(created.ResourceCode)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.ApproveEntry(ctx, reviewer, created.ResourceCode, sub.Revision, "同意"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N*3)/b.Elapsed().Seconds(), "commands/s")
}
