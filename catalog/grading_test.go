package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestGradingMatrixProposesTheGrade(t *testing.T) {
	for _, c := range []struct {
		object, degree string
		want           schemas.Grade
		ok             bool
	}{
		{"NATIONAL_SECURITY", "CRITICAL", schemas.Core, true},
		{"NATIONAL_SECURITY", "MODERATE", schemas.Important, true},
		{"国家安全", "严重危害", schemas.Core, true}, // Chinese names are accepted too
		{"PUBLIC_INTEREST", "SERIOUS", schemas.Important, true},
		{"ECONOMY", "CRITICAL", schemas.Core, true},
		{"PERSONAL", "CRITICAL", schemas.General4, true},
		{"ORGANISATION", "SERIOUS", schemas.General3, true},
		{"PERSONAL", "NONE", schemas.General1, true},
		{"NATIONAL_SECURITY", "NONE", "", false}, // the matrix's "—"
		{"MARS", "CRITICAL", "", false},
	} {
		got, ok := schemas.ProposeGrade(c.object, c.degree)
		assert.Equal(t, c.ok, ok, "%s/%s", c.object, c.degree)
		assert.Equal(t, c.want, got, "%s/%s", c.object, c.degree)
	}
}

func TestUpgradeAppliesAtOnceDowngradeNeedsReview(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("企业排污明细"), "")
	require.NoError(t, err)
	code := d.ResourceCode
	live := publish(t, s, code)
	require.Equal(t, schemas.General2, live.Grade())

	// Upgrade: the published entry changes at once; the evidence is kept with the matrix's proposal.
	pending, err := s.GradeEntry(ctx, wfSteward, Grading{Code: code, Base: live.Revision,
		Items:    map[string]schemas.Grade{"pm25": schemas.General3},
		Evidence: &Evidence{ImpactObject: "ORGANISATION", ImpactDegree: "SERIOUS", Factors: []string{"PRECISION", "SCALE"}, Basis: "含企业排放明细"}})
	require.NoError(t, err)
	assert.False(t, pending)
	up := current(t, s, code)
	assert.Equal(t, schemas.General3, up.Grade())
	assert.Equal(t, StatusPublished, up.Status)
	ev, err := s.View().EvidenceFor(wfAdmin, code)
	require.NoError(t, err)
	assert.Equal(t, schemas.General3, ev.Proposed)
	assert.Equal(t, "数据员甲", ev.GradedBy.Name)
	assert.Equal(t, []string{"PRECISION", "SCALE"}, ev.Factors)

	// A grade below the matrix's proposal needs a reason (就高从严).
	_, err = s.GradeEntry(ctx, wfSteward, Grading{Code: code, Base: up.Revision,
		Evidence: &Evidence{ImpactObject: "ORGANISATION", ImpactDegree: "CRITICAL", Basis: "涉及企业核心信息"}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "定级矩阵建议一般数据4级")

	// Downgrade: needs a reason, then waits for a reviewer; the published grade stays.
	down := Grading{Code: code, Base: up.Revision, Items: map[string]schemas.Grade{"pm25": schemas.General1}}
	_, err = s.GradeEntry(ctx, wfSteward, down)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "降低已发布目录的分级须填写原因")
	down.Reason = "已脱敏汇总，不含企业明细"
	pending, err = s.GradeEntry(ctx, wfSteward, down)
	require.NoError(t, err)
	assert.True(t, pending)
	assert.Equal(t, schemas.General3, current(t, s, code).Grade(), "the published grade stays until review")
	cr, err := s.View().Change(code)
	require.NoError(t, err)
	assert.Equal(t, ChangeDowngrade, cr.Kind)
	assert.Equal(t, StatusPendingReview, cr.Status)
	assert.Equal(t, down.Reason, cr.Reason)
	require.ErrorIs(t, s.ApproveEntry(ctx, wfSteward, code, cr.Revision, ""), schemas.ErrForbidden)
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, code, cr.Revision, "同意降级"))
	assert.Equal(t, schemas.General1, current(t, s, code).Grade())

	hist, err := s.View().HistoryFor(wfAdmin, code, 3)
	require.NoError(t, err)
	assert.Equal(t, HistApprove, hist[0].Action)
	assert.Equal(t, HistGrade, hist[1].Action)
	assert.Equal(t, down.Reason, hist[1].Note)
}

func TestSharingDefaultsFollowTheGrade(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	e := draftEntry("一般3级数据")
	setItem(e, 1, func(it *Item) { it.Grade = schemas.General3 })
	d, err := s.CreateEntry(ctx, wfSteward, e, "")
	require.NoError(t, err)
	assert.Equal(t, "CONDITIONAL", d.ShareType, "proposed from the grade")
	assert.Equal(t, "CONDITIONAL", d.OpenType)

	// Sharing more widely than the grade proposes needs a legal basis.
	d.ShareType = "UNCONDITIONAL"
	require.NoError(t, s.EditEntry(ctx, wfSteward, d, d.Revision, ""))
	err = s.SubmitEntry(ctx, wfSteward, d.ResourceCode, current(t, s, d.ResourceCode).Revision, "")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "sharing_basis")
	assert.Contains(t, err.Error(), "须填写法律依据")
	d = current(t, s, d.ResourceCode)
	d.SharingBasis = "《重庆市公共数据管理办法》第十二条"
	require.NoError(t, s.EditEntry(ctx, wfSteward, d, d.Revision, ""))
	require.NoError(t, s.SubmitEntry(ctx, wfSteward, d.ResourceCode, current(t, s, d.ResourceCode).Revision, ""))

	// Important data is never opened, whatever the basis.
	imp := draftEntry("重要数据")
	setItem(imp, 1, func(it *Item) { it.Grade = schemas.Important })
	imp.OpenType, imp.SharingBasis = "CONDITIONAL", "某依据"
	admin := wfAdmin
	d2, err := s.CreateEntry(ctx, admin, imp, "")
	require.NoError(t, err)
	err = s.SubmitEntry(ctx, admin, d2.ResourceCode, d2.Revision, "")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "重要数据不予开放")
}
