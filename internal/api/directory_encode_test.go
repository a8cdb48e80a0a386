package api

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestEncodeEntryRoundTrip: the document `ecolake catalog show --json` writes decodes to the same
// entry, item ids included, so that an edit made from it changes only what the steward changed.
func TestEncodeEntryRoundTrip(t *testing.T) {
	half := 50.0
	e := &catalog.Entry{
		ResourceCode: "0102/000001", Table: "wq", Name: "水质月报", CategoryCode: "0102", ProviderName: "重庆市生态环境局",
		ProviderCode: "11500000MB1534567X", Abstract: "断面水质", FormatType: "DATABASE", ShareType: "CONDITIONAL",
		ShareCondition: "用于水环境管理", ShareMode: "TABLE", OpenType: "NOT_OPEN", OpenCondition: "", SharingBasis: "《条例》第十条",
		UpdateCycle: schemas.Monthly, RelatedCodes: []string{"0102/000002"}, Department: "DIV_WATER", District: schemas.CityCode,
		SourceKind: "DISTRICT_SUBMISSION", Domains: []string{"WATER"}, BusinessItems: []string{"YW_WATER_REPORT"},
		Scenes: []string{"YJS_OUTFALL"}, Exempt: true, ExemptReason: "理由", GradeOverride: schemas.General3,
		Items: catalog.ItemsOf([]catalog.Item{
			{ID: 1, Name: "区县", Field: "district_code", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1, CodeList: "districts"},
			{ID: 4, Name: "化学需氧量", Field: "cod", Type: schemas.Float, Length: 0, Grade: schemas.General2, PIType: "", Description: "mg/L",
				Min: "0", Max: "500"},
			{ID: 5, Name: "氨氮", Field: "nh3n", Type: schemas.Float, Grade: schemas.General2},
		}...),
		Rules: []string{"cod >= nh3n", "cod < 400"}, WriteMode: catalog.WriteModeUpsert, MaxRejectedPercent: &half,
		Partitions: []string{"district_code"},
		// Owned by the workflow: not in the document.
		Status: catalog.StatusPublished, PublishDate: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Revision: 9,
	}
	b, err := EncodeEntry(e)
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"status"`)
	assert.NotContains(t, string(b), `"publish_date"`)
	doc, err := DecodeDirectory(bytes.NewReader(b))
	require.NoError(t, err)
	require.Len(t, doc.Entries, 1)
	got := doc.Entries[0]
	assert.Empty(t, catalog.Diff(e, got), "every field the document carries comes back")
	items := got.Items.Slice()
	assert.Equal(t, []int{1, 4, 5}, []int{items[0].ID, items[1].ID, items[2].ID})
	assert.Equal(t, [2]string{"0", "500"}, [2]string{items[1].Min, items[1].Max})
	assert.Equal(t, e.Rules, got.Rules)
	assert.Equal(t, 50.0, *got.MaxRejectedPercent)
	assert.NotContains(t, string(b[bytes.Index(b, []byte(`"nh3n"`)):]), `"min"`, "an item without a range writes none")
	assert.Equal(t, e.SharingBasis, got.SharingBasis)
	assert.Equal(t, catalog.StatusDraft, got.Status)
}
