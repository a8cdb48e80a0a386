package search

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestBoundedVerification: a phrase whose grams every entry holds is verified in a bounded
// number of entries per search. The total then counts the verified matches and says it is a
// lower bound, with how many there may be at most; every page still holds only true matches, in
// order, and following the pages finds every match exactly once. Without the bound the same
// search is exact.
func TestBoundedVerification(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	var want []string
	for i := range 60 {
		e := handEntry(fmt.Sprintf("%06d", i+1), fmt.Sprintf("监测数据集%03d", i))
		// Every entry's own description holds the phrase's grams; the even ones the phrase.
		desc := fmt.Sprintf("第%d号站点的读数，的逐项校核，逐时上报", i)
		if i%2 == 0 {
			desc = fmt.Sprintf("第%d号监测站点的逐时读数", i)
			want = append(want, e.ResourceCode)
		}
		its := e.Items.Slice()
		its = append(its, catalog.Item{Name: "读数", Field: "reading", Type: schemas.Float, Grade: schemas.General1, Description: desc})
		e.Items = catalog.ItemsOf(its...)
		require.NoError(t, s.PutEntry(ctx, e))
	}
	ix := openIndex(t, s, t.TempDir())
	v := s.View()
	const phrase = "站点的逐时"

	exact, err := ix.Search(ctx, v, admin, Query{Text: phrase, Limit: 100, Facets: true})
	require.NoError(t, err)
	assert.True(t, exact.TotalExact)
	assert.Equal(t, len(want), exact.Total)
	assert.Equal(t, want, handCodes(exact))

	oldVerify, oldPage := verifyBudget, pageBudget
	verifyBudget, pageBudget = 1000, 700 // bytes: a handful of entries each
	t.Cleanup(func() { verifyBudget, pageBudget = oldVerify, oldPage })

	var got []string
	cursor := ""
	for page := 0; ; page++ {
		require.Less(t, page, 100, "the pages come to an end")
		r, err := ix.Search(ctx, v, admin, Query{Text: phrase, Limit: 5, Cursor: cursor, Facets: page == 0})
		require.NoError(t, err)
		if page == 0 {
			assert.False(t, r.TotalExact, "a lower bound")
			assert.Positive(t, r.Total)
			assert.Less(t, r.Total, len(want), "only the verified ones counted")
			assert.GreaterOrEqual(t, r.TotalAtMost, len(want))
			assert.LessOrEqual(t, r.TotalAtMost, 60)
			sum := 0
			for _, c := range r.Facets[FacetGrade] {
				sum += c.Count
			}
			assert.Equal(t, r.Total, sum, "facets count the verified matches")
		}
		assert.LessOrEqual(t, len(r.Hits), 5)
		got = append(got, handCodes(r)...)
		if r.NextCursor == "" {
			break
		}
		cursor = r.NextCursor
	}
	assert.Equal(t, want, got, "every match once, in order, and nothing else")
}
