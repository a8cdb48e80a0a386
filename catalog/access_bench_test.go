package catalog

import (
	"context"
	"fmt"
	"testing"

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
	for b.Loop() {
		if got := len(v.Visible(p)); got != n {
			b.Fatalf("visible %d of %d", got, n)
		}
	}
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
		each(v.txn, tableEntries, indexID, func(e *Entry) {
			if Decide(p, e).Exists {
				n++
			}
		})
	}
}
