package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// An entry's snapshot retention travels through the directory document: written when set (0
// included, a bound of its own), left out when the service's default applies, and read back
// to the same entry.
func TestDirectoryRetentionRoundTrip(t *testing.T) {
	five, zero := 5, 0
	for _, tc := range []struct {
		name        string
		count, days *int
		has, hasNot []string
	}{
		{"both set", &five, &zero, []string{`"retain_snapshots": 5`, `"retain_days": 0`}, nil},
		{"days only", nil, &five, []string{`"retain_days": 5`}, []string{`"retain_snapshots"`}},
		{"default", nil, nil, nil, []string{`"retain_snapshots"`, `"retain_days"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &catalog.Entry{ResourceCode: "0102/000001", Table: "wq", Name: "水质月报", CategoryCode: "0102",
				Items:           catalog.ItemsOf(catalog.Item{ID: 1, Name: "区县", Field: "district_code", Type: schemas.String, Grade: schemas.General1}),
				RetainSnapshots: tc.count, RetainDays: tc.days}
			b, err := EncodeEntry(e)
			require.NoError(t, err)
			for _, s := range tc.has {
				assert.Contains(t, string(b), s)
			}
			for _, s := range tc.hasNot {
				assert.NotContains(t, string(b), s)
			}
			doc, err := DecodeDirectory(bytes.NewReader(b))
			require.NoError(t, err)
			require.Len(t, doc.Entries, 1)
			got := doc.Entries[0]
			assert.Empty(t, catalog.Diff(e, got))
			assert.Equal(t, tc.count, got.RetainSnapshots)
			assert.Equal(t, tc.days, got.RetainDays)
		})
	}

	doc, err := DecodeDirectory(strings.NewReader(`{"name":"水质","retain_snapshots":3,"retain_days":90}`))
	require.NoError(t, err)
	got := doc.Entries[0]
	require.NotNil(t, got.RetainSnapshots)
	require.NotNil(t, got.RetainDays)
	assert.Equal(t, [2]int{3, 90}, [2]int{*got.RetainSnapshots, *got.RetainDays})

	_, err = DecodeDirectory(strings.NewReader(`{"name":"水质","retain_days":"三十"}`))
	require.Error(t, err)
	assert.ErrorIs(t, err, schemas.ErrInvalid)
	assert.Contains(t, err.Error(), "retain_days 的值类型不对")
}
