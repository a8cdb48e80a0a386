package catalog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// BenchmarkVisible100k measures the access decision over a province-size directory: every
// entries list and figure asks it once per entry.
func BenchmarkVisible100k(b *testing.B) {
	s, err := Open(context.Background(), testConfig(b.TempDir(), newClock()), nil)
	require.NoError(b, err)
	defer s.Close()
	const n = 100_000
	batch := make([]*Entry, 0, n)
	for i := range n {
		e := validEntry(fmt.Sprintf("%06d", i), fmt.Sprintf("t_%06d", i))
		if i%3 == 0 {
			e.District = "500101"
		}
		batch = append(batch, e)
	}
	// Straight into the state: the journal is not what is measured here.
	txn := s.head.Txn(true)
	for _, e := range batch {
		require.NoError(b, insertEntry(txn, e))
	}
	txn.Commit()
	s.publishHead()
	p := &Principal{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	v := s.View()
	b.ResetTimer()
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			if got := len(v.Visible(p)); got != n {
				b.Fatalf("visible %d of %d", got, n)
			}
		}
	})
	// A page of 100 after a code in the middle: EachVisible reads and copies only the page.
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			var page []*Entry
			v.EachVisible(p, "0101/050000", func(e *Entry) bool {
				page = append(page, e.Copy())
				return len(page) < 100
			})
			if len(page) != 100 {
				b.Fatalf("page of %d", len(page))
			}
		}
	})
}

func BenchmarkDecideOnly100k(b *testing.B) {
	s, err := Open(context.Background(), testConfig(b.TempDir(), newClock()), nil)
	require.NoError(b, err)
	defer s.Close()
	txn := s.head.Txn(true)
	for i := range 100_000 {
		require.NoError(b, insertEntry(txn, validEntry(fmt.Sprintf("%06d", i), fmt.Sprintf("t_%06d", i))))
	}
	txn.Commit()
	s.publishHead()
	p := &Principal{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	v := s.View()
	for b.Loop() {
		n := 0
		eachEntry(v.txn, func(e *Entry) {
			if Exists(p, e) {
				n++
			}
		})
	}
}

// BenchmarkCollectionRate100k measures 数据归集率 over a province-size directory of entries of
// 20 items, a third of it loaded (one snapshot and run each), one in ten of the rest with a
// failed load, as a steward and as a district account.
func BenchmarkCollectionRate100k(b *testing.B) {
	s, err := Open(context.Background(), testConfig(b.TempDir(), newClock()), nil)
	require.NoError(b, err)
	defer s.Close()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	txn := s.head.Txn(true)
	for i := range 100_000 {
		e := wideEntry(i)
		e.Status = StatusPublished
		if i%3 == 0 {
			sn := &Snapshot{ID: fmt.Sprintf("s%06d", i), Entry: e.ResourceCode, CommittedAt: now.Add(-time.Hour), ManifestKey: "k"}
			require.NoError(b, insertSnapshot(txn, sn))
			require.NoError(b, noteCurrentSnapshot(txn, sn))
			require.NoError(b, insertRun(txn, &Run{ID: fmt.Sprintf("r%06d", i), Entry: e.ResourceCode, Status: RunSucceeded, StartedAt: now.Add(-2 * time.Hour)}))
			e.CurrentSnapshot = sn.ID
		} else if i%10 == 1 {
			require.NoError(b, insertRun(txn, &Run{ID: fmt.Sprintf("r%06d", i), Entry: e.ResourceCode, Status: RunFailed, StartedAt: now.Add(-2 * time.Hour), Error: "连接超时"}))
		}
		require.NoError(b, insertEntry(txn, e))
	}
	txn.Commit()
	s.publishHead()
	v := s.View()
	for _, p := range []*Principal{
		{ID: "st", Role: RoleSteward, Clearance: schemas.Core},
		{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}},
	} {
		b.Run(p.Role, func(b *testing.B) {
			for b.Loop() {
				if f := v.CollectionRateFor(now, p); f.Denominator != 100_000 || f.Numerator == 0 {
					b.Fatalf("figure %d/%d", f.Numerator, f.Denominator)
				}
			}
		})
	}
}
