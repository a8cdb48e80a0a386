package catalog

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// benchStore fills a store straight into the state (the journal is not what is measured) with n
// entries of items items each; vary changes entry i before it is inserted.
func benchStore(b *testing.B, n, items int, vary func(i int, e *Entry)) *Store {
	b.Helper()
	s, err := Open(context.Background(), testConfig(b.TempDir(), newClock()), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	txn := s.head.Txn(true)
	for i := range n {
		e := validEntry(fmt.Sprintf("%06d", i), fmt.Sprintf("t_%06d", i))
		for j := e.Items.Len(); j < items; j++ {
			addItems(e, Item{Name: fmt.Sprintf("指标%d", j), Field: fmt.Sprintf("f%d", j), Type: schemas.Float, Grade: schemas.General1})
		}
		if vary != nil {
			vary(i, e)
		}
		require.NoError(b, insertEntry(txn, e))
	}
	txn.Commit()
	s.publishHead()
	return s
}

// BenchmarkOrphans100k is the start-up check of the code lists over a province-size directory
// of 20-item entries.
func BenchmarkOrphans100k(b *testing.B) {
	s := benchStore(b, 100_000, 20, nil)
	set, err := schemas.LoadCodeLists("")
	require.NoError(b, err)
	v := s.View()
	for b.Loop() {
		if err := v.CheckCodeLists(set); err != nil {
			b.Fatal(err)
		}
	}
}
