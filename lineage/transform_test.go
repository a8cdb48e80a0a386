package lineage

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestTransformFor: a transform is attributed over the tables its author may read whole, and
// becomes what the catalogue stores; a table above the author's clearance is unknown to it.
func TestTransformFor(t *testing.T) {
	f := newFixture(t)
	an, err := NewAnalyzer()
	require.NoError(t, err)
	defer an.Close()
	ctx := context.Background()
	v := f.cat.View()
	tr, err := TransformFor(ctx, an, v, analyst, f.now,
		"SELECT a.district, avg(a.pm25) AS pm25_avg FROM air_hourly a JOIN targets b ON a.district = b.district GROUP BY a.district")
	require.NoError(t, err)
	assert.Equal(t, []string{codeA, codeB}, tr.Inputs)
	assert.Equal(t, []catalog.DerivedColumn{
		{Field: "district", Sources: []catalog.ColumnSource{{Entry: codeA, Field: "district", Via: catalog.ViaDirect}}},
		{Field: "pm25_avg", Sources: []catalog.ColumnSource{{Entry: codeA, Field: "pm25", Via: catalog.ViaAggregate}}},
	}, tr.Columns)
	assert.Contains(t, tr.Filters, catalog.ColumnSource{Entry: codeB, Field: "district", Via: catalog.ViaFilter})

	items := ItemsFor(v, tr, map[string]schemas.DataType{"pm25_avg": schemas.Float})
	assert.Equal(t, "区县", items[0].Name, "copied from the input item")
	assert.Equal(t, schemas.Float, items[1].Type)
	e := entry("0101/000009", "district_monthly", "区县月均", items...)
	e.Transform = tr
	require.NoError(t, f.cat.PutEntry(ctx, e))
	got, err := f.cat.View().Entry("0101/000009")
	require.NoError(t, err)
	it, _ := got.Item("pm25_avg")
	assert.Equal(t, schemas.General2, it.Grade, "graded at least as its input")

	// H is important: for the analyst it does not exist, so the SQL cannot name it.
	_, err = TransformFor(ctx, an, v, analyst, f.now, "SELECT pm25 FROM important")
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorIs(t, err, ErrInvalid)
	msg, _ := schemas.UserMessage(err)
	assert.Contains(t, msg, "加工 SQL 无法确定来源")
	assert.Contains(t, msg, "important")
	_, err = TransformFor(ctx, an, v, admin, f.now, "SELECT pm25 FROM important")
	require.NoError(t, err, "the operator reads it whole")
}
