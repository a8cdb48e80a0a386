package query

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestSnapshotFilesReadByPositionOnlyWhenOneSchema: files written with one schema are read by
// position (plain read_parquet, cheaper per query); a snapshot holding files from before and
// after an item was added is read by column name, and the older rows answer null for the new
// item.
func TestSnapshotFilesReadByPositionOnlyWhenOneSchema(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var seen []string
	f.svc.sqlHook = func(st Statement) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, st.SQL)
	}
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		require.NotEmpty(t, seen)
		return seen[len(seen)-1]
	}
	const q = `{ enterprise_penalty(orderBy: [{field: amount}]) { company amount } }`
	f.mustDo(hiPrincipal, q)
	assert.NotContains(t, last(), "union_by_name", "one schema: read by position")

	e, err := f.cat.View().Entry(penaltyCode)
	require.NoError(t, err)
	c := e.Copy()
	c.Items = catalog.ItemsOf(append(e.Items.Slice(), catalog.Item{Name: "处罚事由", Field: "reason", Type: schemas.String, Grade: schemas.General2})...)
	require.NoError(t, f.cat.PutEntry(f.ctx, c))
	f.loadOnto(penaltyCode, [][]any{{"某印染有限公司", int64(80000), "超标排放"}}, true)

	got := jsonOf(t, f.mustDo(hiPrincipal, `{ enterprise_penalty(orderBy: [{field: amount}]) { company amount reason } }`))
	assert.Equal(t, `{"enterprise_penalty":[{"amount":50000,"company":"某建材有限公司","reason":null},`+
		`{"amount":80000,"company":"某印染有限公司","reason":"超标排放"},{"amount":200000,"company":"某化工有限公司","reason":null}]}`, got)
	assert.True(t, strings.Contains(last(), "union_by_name = true"), "two schemas: read by column name")
}
