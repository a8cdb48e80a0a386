package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestItemsFollowTheirEntry(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := validEntry("000001", "air_daily")
	a.Items = append(a.Items, Item{Name: "联系人", Field: "contact", Type: schemas.String, Grade: schemas.General3, PIType: "CN_NAME"})
	require.NoError(t, s.PutEntry(ctx, a))
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "air_hourly")))

	v := s.View()
	fields := func(rs []ItemRef) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Entry+"."+r.Field)
		}
		return out
	}
	assert.Equal(t, []string{"0101/000001.contact", "0101/000001.district", "0101/000001.pm25",
		"0101/000002.district", "0101/000002.pm25"}, fields(v.Items()))
	assert.Equal(t, []string{"0101/000001.contact"}, fields(v.ItemsByPIType("CN_NAME")))
	assert.Empty(t, v.ItemsByPIType("MOBILE"))

	// Dropping an item from the entry drops it from the items table in the same change.
	a = validEntry("000001", "air_daily")
	require.NoError(t, s.PutEntry(ctx, a))
	v = s.View()
	assert.Empty(t, v.ItemsByPIType("CN_NAME"))
	assert.Len(t, v.Items(), 4)
}
