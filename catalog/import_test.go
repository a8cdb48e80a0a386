package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImportIsAtomicAndUnchangedIsANoOp(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	a, b := draftEntry("甲"), draftEntry("乙")
	res, err := s.ImportEntries(ctx, wfSteward, []*Entry{a, b}, "首次导入")
	require.NoError(t, err)
	assert.Equal(t, []string{"0101/000001", "0101/000002"}, res.Created)
	publish(t, s, "0101/000002")

	idx := s.Index()
	again := []*Entry{current(t, s, "0101/000001"), current(t, s, "0101/000002")}
	res, err = s.ImportEntries(ctx, wfSteward, again, "")
	require.NoError(t, err)
	assert.Empty(t, res.Created)
	assert.Empty(t, res.Changed)
	assert.Len(t, res.Unchanged, 2)
	assert.Equal(t, idx, s.Index(), "unchanged entries write no command")

	// One changed published entry becomes a change request; with a bad row, nothing changes.
	changed := current(t, s, "0101/000002")
	changed.Abstract = "导入修改"
	bad := draftEntry("丙")
	bad.UpdateCycle = "HOURLY"
	idx = s.Index()
	_, err = s.ImportEntries(ctx, wfSteward, []*Entry{changed, bad}, "")
	var ie *ImportError
	require.ErrorAs(t, err, &ie)
	require.Len(t, ie.Problems, 1)
	assert.Equal(t, 1, ie.Problems[0].Index)
	assert.Equal(t, "update_cycle", ie.Problems[0].Field)
	assert.Equal(t, idx, s.Index(), "a refused import writes nothing")
	res, err = s.ImportEntries(ctx, wfSteward, []*Entry{changed}, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"0101/000002"}, res.Changed)
	cr, err := s.View().Change("0101/000002")
	require.NoError(t, err)
	assert.Equal(t, "导入修改", cr.Proposed.Abstract)
	assert.NotEqual(t, "导入修改", current(t, s, "0101/000002").Abstract)
}

func TestImportRefusesRowsExportedBeforeALaterChange(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("甲"), "")
	require.NoError(t, err)
	exported := d.Copy() // carries the revision it was exported at
	later := d.Copy()
	later.Abstract = "他人修改"
	require.NoError(t, s.EditEntry(ctx, wfSteward2, later, d.Revision, ""))
	exported.Abstract = "导入修改"
	_, err = s.ImportEntries(ctx, wfSteward, []*Entry{exported}, "")
	var ie *ImportError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, ie.Problems[0].Message, "已被数据员乙于")
	idx := s.Index()
	res, err := s.ImportEntries(ctx, wfSteward, []*Entry{current(t, s, d.ResourceCode)}, "")
	require.NoError(t, err)
	assert.Len(t, res.Unchanged, 1)
	assert.Equal(t, idx, s.Index(), "an import that changes nothing writes no command")
}
