package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestBusinessItemsAndScenesAreLinkedObjects(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	e := draftEntry("入河排污口排查整治台账")
	e.BusinessItems, e.Scenes = []string{"YW_OUTFALL"}, []string{"YJS_OUTFALL"}
	_, err := s.CreateEntry(ctx, wfSteward, e, "")
	var inv *schemas.InvalidError
	require.ErrorAs(t, err, &inv)
	assert.Contains(t, inv.Error(), "business_items[0]")
	assert.Contains(t, inv.Error(), "scenes[0]")

	require.ErrorIs(t, s.PutBusinessItem(ctx, wfWater, BusinessItem{Code: "YW_OUTFALL", Name: "入河排污口监督管理", Department: "AIR_DIV"}, 0), schemas.ErrForbidden)
	require.NoError(t, s.PutBusinessItem(ctx, wfSteward, BusinessItem{Code: "YW_OUTFALL", Name: "入河排污口监督管理", Department: "AIR_DIV"}, 0))
	require.NoError(t, s.PutScene(ctx, wfSteward, Scene{Code: "YJS_OUTFALL", Name: "入河排污口问题处置", Kind: SceneOneThing, Department: "AIR_DIV"}, 0))
	err = s.PutScene(ctx, wfSteward, Scene{Code: "YJS_OUTFALL", Name: "入河排污口问题处置（改）", Kind: SceneOneThing, Department: "AIR_DIV"}, 0)
	require.ErrorIs(t, err, ErrConflict, "a stale scene change")
	d, err := s.CreateEntry(ctx, wfSteward, e, "")
	require.NoError(t, err)
	got := s.View().EntriesServing(wfAdmin, "scene", "YJS_OUTFALL")
	require.Len(t, got, 1)
	assert.Equal(t, d.ResourceCode, got[0].ResourceCode)
	assert.Len(t, s.View().EntriesServing(wfAdmin, "business_item", "YW_OUTFALL"), 1)
	sc, err := s.View().Scene("YJS_OUTFALL")
	require.NoError(t, err)
	assert.Equal(t, "数据员甲", sc.UpdatedBy)
}
