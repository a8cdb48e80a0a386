package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestHistoryHidesAChangeAboveTheReadersClearance: a change request that adds an item graded
// above a reader's clearance is not shown to that reader, nor are its differences in the history.
func TestHistoryHidesAChangeAboveTheReadersClearance(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("企业名录"), "")
	require.NoError(t, err)
	live := publish(t, s, d.ResourceCode)
	edit := live.Copy()
	addItems(edit, Item{Name: "法定代表人身份证号", Field: "legal_id", Type: schemas.String, Grade: schemas.General4, PIType: "ID_CARD"})
	require.NoError(t, s.EditEntry(ctx, wfSteward, edit, live.Revision, "补充法定代表人"))

	low := &Principal{ID: "a2", Name: "分析员", Role: RoleAnalyst, Clearance: schemas.General2}
	_, err = s.View().ChangeFor(low, d.ResourceCode)
	require.ErrorIs(t, err, ErrNotFound)
	hist, err := s.View().HistoryFor(low, d.ResourceCode, 10)
	require.NoError(t, err)
	require.Equal(t, HistEdit, hist[0].Action)
	assert.Empty(t, hist[0].Changes, "the hidden change's differences")
	all, err := s.View().HistoryFor(wfAdmin, d.ResourceCode, 10)
	require.NoError(t, err)
	assert.NotEmpty(t, all[0].Changes)
}

// TestTableOfALoadedEntryIsKept: the lake's files, the manifests and the clients' queries name
// an entry's table, so an entry holding data keeps it.
func TestTableOfALoadedEntryIsKept(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("空气质量日报"), "")
	require.NoError(t, err)
	live := publish(t, s, d.ResourceCode)
	loadEntry(t, s, d.ResourceCode, "run-1", "snap-1", "", live.UpdatedAt)
	live = current(t, s, d.ResourceCode)
	edit := live.Copy()
	edit.Table = "air_daily_renamed"
	err = s.EditEntry(ctx, wfSteward, edit, live.Revision, "")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "数据表名 res_0101_000001 不能更改")
	edit.Table = live.Table
	edit.Name = "空气质量日报（新）"
	require.NoError(t, s.EditEntry(ctx, wfSteward, edit, live.Revision, ""))
}

func TestRestoringARetiredDraftMakesADraft(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	e := draftEntry("未完成")
	e.Abstract = "" // incomplete: it could not be published
	d, err := s.CreateEntry(ctx, wfSteward, e, "")
	require.NoError(t, err)
	require.NoError(t, s.RetireEntry(ctx, wfSteward, d.ResourceCode, d.Revision, "暂不登记"))
	require.NoError(t, s.RestoreEntry(ctx, wfSteward, d.ResourceCode, current(t, s, d.ResourceCode).Revision, "重新登记"))
	assert.Equal(t, StatusDraft, current(t, s, d.ResourceCode).Status)
}
