package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

const piCode = "0101/000001"

// piStore is a store holding a published 有条件共享 entry of 大气环境处 with two text items no
// pi_type marks yet: a contact phone and a licence holder's ID number.
func piStore(t *testing.T) *Store {
	t.Helper()
	s := newWorkflowStore(t)
	e := validEntry("000001", "outfall_contacts")
	addItems(e,
		Item{Name: "联系电话", Field: "phone", Type: schemas.String, Length: 20, Grade: schemas.General1},
		Item{Name: "身份证号", Field: "id_no", Type: schemas.String, Length: 18, Grade: schemas.General2})
	e.Status, e.ShareType, e.ShareCondition, e.OpenType = StatusPublished, ShareConditional, "用于排污口监管", "NOT_OPEN"
	require.NoError(t, s.PutEntry(context.Background(), e))
	return s
}

func propose(t *testing.T, s *Store, run string, props ...PIProposal) {
	t.Helper()
	require.NoError(t, s.ProposePI(context.Background(), run, piCode, props))
}

func proposalOf(t *testing.T, s *Store, field string) *PIProposal {
	t.Helper()
	list, err := s.View().PIProposals(wfSteward, piCode)
	require.NoError(t, err)
	for _, pr := range list {
		if pr.Field == field {
			return pr
		}
	}
	return nil
}

var (
	mobile = PIProposal{Field: "phone", PIType: "MOBILE", Matched: 30, Sampled: 30}
	fixed  = PIProposal{Field: "phone", PIType: "FIXED_PHONE", Matched: 28, Sampled: 30}
	idCard = PIProposal{Field: "id_no", PIType: "ID_CARD", Matched: 30, Sampled: 30}
)

// TestProposePIRaisesRefreshesAndRemembersDismissals: each load's findings after the steps
// before, and what the item's proposal is then.
func TestProposePIRaisesRefreshesAndRemembersDismissals(t *testing.T) {
	ctx := context.Background()
	dismiss := func(s *Store) {
		require.NoError(t, s.DismissPI(ctx, wfSteward, piCode, "phone", "值班室座机，非个人号码", proposalOf(t, s, "phone").Revision))
	}
	cases := []struct {
		name       string
		before     func(s *Store)
		find       PIProposal
		wantType   string
		wantStatus string
		wantRun    string
	}{
		{"first load raises", nil, mobile, "MOBILE", PIProposed, "r2"},
		{"a later load refreshes", func(s *Store) { propose(t, s, "r1", mobile) }, mobile, "MOBILE", PIProposed, "r2"},
		{"a dismissal sticks for the same pi_type", func(s *Store) { propose(t, s, "r1", mobile); dismiss(s) }, mobile, "MOBILE", PIDismissed, "r1"},
		{"another pi_type raises anew", func(s *Store) { propose(t, s, "r1", mobile); dismiss(s) }, fixed, "FIXED_PHONE", PIProposed, "r2"},
		{"an acceptance whose change was dropped raises anew", func(s *Store) {
			propose(t, s, "r1", mobile)
			require.NoError(t, s.AcceptPI(ctx, wfSteward, piCode, "phone", proposalOf(t, s, "phone").Revision, ""))
			require.NoError(t, s.RetireEntry(ctx, wfSteward, piCode, Revision(current(t, s, piCode), mustChange(t, s)), "停止报送"))
			require.NoError(t, s.RestoreEntry(ctx, wfSteward, piCode, current(t, s, piCode).Revision, "恢复报送"))
		}, mobile, "MOBILE", PIProposed, "r2"},
		{"an accepted proposal under review stays", func(s *Store) {
			propose(t, s, "r1", mobile)
			require.NoError(t, s.AcceptPI(ctx, wfSteward, piCode, "phone", proposalOf(t, s, "phone").Revision, ""))
		}, mobile, "MOBILE", PIAccepted, "r1"},
		{"an item with a pi_type gets none", func(s *Store) {
			e := current(t, s, piCode)
			setItem(e, 2, func(it *Item) { it.PIType, it.Grade = "MOBILE", schemas.General3 })
			require.NoError(t, s.PutEntry(ctx, e))
		}, mobile, "", "", ""},
		{"an item no longer in the entry gets none", nil, PIProposal{Field: "gone", PIType: "MOBILE", Matched: 30, Sampled: 30}, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := piStore(t)
			if tc.before != nil {
				tc.before(s)
			}
			propose(t, s, "r2", tc.find)
			pr := proposalOf(t, s, tc.find.Field)
			if tc.wantStatus == "" {
				assert.Nil(t, pr)
				return
			}
			require.NotNil(t, pr)
			assert.Equal(t, tc.wantType, pr.PIType)
			assert.Equal(t, tc.wantStatus, pr.Status)
			assert.Equal(t, tc.wantRun, pr.Run)
			assert.Equal(t, schemas.PIGrade(tc.wantType), pr.Grade)
		})
	}
}

func TestProposePIWritesNothingWhenNothingChanges(t *testing.T) {
	s := piStore(t)
	propose(t, s, "r1", mobile)
	require.NoError(t, s.DismissPI(context.Background(), wfSteward, piCode, "phone", "", proposalOf(t, s, "phone").Revision))
	idx := s.Index()
	propose(t, s, "r2", mobile)
	assert.Equal(t, idx, s.Index(), "a dismissed proposal found again is no write")
	err := s.ProposePI(context.Background(), "r3", piCode, []PIProposal{{Field: "phone", PIType: "QQ", Matched: 30, Sampled: 30}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorIs(t, s.ProposePI(context.Background(), "r3", "0101/999999", []PIProposal{mobile}), ErrNotFound)
}

// TestAcceptPIGoesThroughReview: accepting makes a change request sent for review; reads are as
// they were until a reviewer approves it, then the item is masked and graded as its pi_type.
func TestAcceptPIGoesThroughReview(t *testing.T) {
	s := piStore(t)
	ctx := context.Background()
	propose(t, s, "r1", mobile, idCard)
	masks := func() map[string]string {
		e := current(t, s, piCode)
		out := map[string]string{}
		for _, it := range s.View().Decide(wfAdmin, e, time.Now()).Items {
			out[it.Field] = it.Mask
		}
		return out
	}
	require.Equal(t, "", masks()["phone"])

	require.NoError(t, s.AcceptPI(ctx, wfSteward, piCode, "phone", proposalOf(t, s, "phone").Revision, "核实为联系人手机"))
	c, err := s.View().Change(piCode)
	require.NoError(t, err)
	assert.Equal(t, StatusPendingReview, c.Status)
	it, _ := c.Proposed.Item("phone")
	assert.Equal(t, "MOBILE", it.PIType)
	assert.Equal(t, schemas.General3, it.Grade, "raised to the grade the pi_type implies")
	assert.Equal(t, "", masks()["phone"], "nothing changes before the review")
	pr := proposalOf(t, s, "phone")
	assert.Equal(t, PIAccepted, pr.Status)
	assert.Equal(t, c.Revision, pr.Change)
	assert.Equal(t, "数据员甲", pr.DecidedBy.Name)

	// The second acceptance joins the change under review; the accepter cannot approve it.
	require.NoError(t, s.AcceptPI(ctx, wfSteward2, piCode, "id_no", proposalOf(t, s, "id_no").Revision, ""))
	base := Revision(current(t, s, piCode), mustChange(t, s))
	require.ErrorIs(t, s.ApproveEntry(ctx, wfSteward, piCode, base, "同意"), schemas.ErrForbidden)
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, piCode, base, "同意"))

	e := current(t, s, piCode)
	phone, _ := e.Item("phone")
	id, _ := e.Item("id_no")
	assert.Equal(t, "MOBILE", phone.PIType)
	assert.Equal(t, schemas.General4, id.Grade)
	assert.Equal(t, schemas.General4, e.Grade())
	assert.Equal(t, map[string]string{"district": "", "pm25": "", "phone": "MOBILE", "id_no": "ID_CARD"}, masks())

	hist, err := s.View().HistoryFor(wfAdmin, piCode, 10)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(hist), 3)
	assert.Equal(t, HistApprove, hist[0].Action)
	assert.Equal(t, HistEdit, hist[2].Action)
	assert.Contains(t, hist[2].Note, "接受个人信息类型建议")
	assert.Contains(t, hist[2].Note, "核实为联系人手机")

	// A later load proposes nothing for items that now have a pi_type.
	idx := s.Index()
	propose(t, s, "r2", mobile, idCard)
	assert.Equal(t, idx, s.Index())
}

func mustChange(t *testing.T, s *Store) *ChangeRequest {
	t.Helper()
	c, err := s.View().Change(piCode)
	require.NoError(t, err)
	return c
}

// TestDecidePIRefusals: who may decide, on which version, and what the directory's rules say.
func TestDecidePIRefusals(t *testing.T) {
	low := &Principal{ID: "steward-low", Name: "数据员丁", Role: RoleSteward, Clearance: schemas.General1, Department: "AIR_DIV"}
	cases := []struct {
		name   string
		p      *Principal
		accept bool
		base   func(pr *PIProposal) uint64
		setup  func(t *testing.T, s *Store)
		want   error
	}{
		{"another department's steward", wfWater, true, nil, nil, schemas.ErrForbidden},
		{"a reviewer", wfReviewer, false, nil, nil, schemas.ErrForbidden},
		{"an analyst", wfAnalyst, false, nil, nil, schemas.ErrForbidden},
		{"a steward who cannot see the entry", low, true, nil, nil, ErrNotFound},
		{"a stale version", wfSteward, true, func(pr *PIProposal) uint64 { return pr.Revision - 1 }, nil, ErrConflict},
		{"already dismissed", wfSteward, true, nil, func(t *testing.T, s *Store) {
			require.NoError(t, s.DismissPI(context.Background(), wfAdmin, piCode, "phone", "", proposalOf(t, s, "phone").Revision))
		}, ErrConflict},
		{"sharing wider than the raised grade allows", wfSteward, true, nil, func(t *testing.T, s *Store) {
			e := current(t, s, piCode)
			e.ShareType, e.OpenType = ShareUnconditional, "UNCONDITIONAL"
			require.NoError(t, s.PutEntry(context.Background(), e))
		}, ErrInvalid},
		{"the entry retired", wfSteward, true, nil, func(t *testing.T, s *Store) {
			require.NoError(t, s.RetireEntry(context.Background(), wfSteward, piCode, current(t, s, piCode).Revision, "停止报送"))
		}, ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := piStore(t)
			ctx := context.Background()
			propose(t, s, "r1", mobile)
			if tc.setup != nil {
				tc.setup(t, s)
			}
			pr := proposalOf(t, s, "phone")
			base := pr.Revision
			if tc.base != nil {
				base = tc.base(pr)
			}
			idx := s.Index()
			var err error
			if tc.accept {
				err = s.AcceptPI(ctx, tc.p, piCode, "phone", base, "")
			} else {
				err = s.DismissPI(ctx, tc.p, piCode, "phone", "", base)
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, idx, s.Index(), "a refused decision writes nothing")
			_, err = s.View().PIProposals(tc.p, piCode)
			if tc.want == schemas.ErrForbidden || tc.want == ErrNotFound {
				assert.ErrorIs(t, err, tc.want, "the list answers as the decision")
			}
		})
	}
}

// TestPIProposalsSurviveRestart: after a checkpoint and after a crash (the journal alone).
func TestPIProposalsSurviveRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "close", true: "crash"}[crash], func(t *testing.T) {
			s := piStore(t)
			ctx := context.Background()
			propose(t, s, "r1", mobile, idCard)
			require.NoError(t, s.AcceptPI(ctx, wfSteward, piCode, "phone", proposalOf(t, s, "phone").Revision, "手机号"))
			require.NoError(t, s.DismissPI(ctx, wfSteward, piCode, "id_no", "测试数据", proposalOf(t, s, "id_no").Revision))
			before, err := s.View().PIProposals(wfSteward, piCode)
			require.NoError(t, err)
			require.Len(t, before, 2)
			dir := s.cfg.Dir
			if crash {
				s.crash()
			} else {
				require.NoError(t, s.Close())
			}
			s2 := openTest(t, testConfig(dir, newClock()))
			defer s2.Close()
			after, err := s2.View().PIProposals(wfSteward, piCode)
			require.NoError(t, err)
			assert.Equal(t, before, after)
			propose(t, s2, "r2", idCard) // the dismissal holds after the restart
			assert.Equal(t, PIDismissed, proposalOf(t, s2, "id_no").Status)
		})
	}
}

// TestAcceptPIJoinsADraftChange: an acceptance while the steward's own change is a draft adds
// the pi_type to it and leaves it a draft, for its editors to submit when done.
func TestAcceptPIJoinsADraftChange(t *testing.T) {
	s := piStore(t)
	ctx := context.Background()
	propose(t, s, "r1", mobile)
	edit := current(t, s, piCode)
	edit.Abstract = "修改中的摘要"
	require.NoError(t, s.EditEntry(ctx, wfSteward, edit, edit.Revision, "补充摘要"))
	require.NoError(t, s.AcceptPI(ctx, wfSteward, piCode, "phone", proposalOf(t, s, "phone").Revision, ""))
	c := mustChange(t, s)
	assert.Equal(t, StatusDraft, c.Status)
	assert.Equal(t, "修改中的摘要", c.Proposed.Abstract)
	it, _ := c.Proposed.Item("phone")
	assert.Equal(t, "MOBILE", it.PIType)
	assert.Equal(t, c.Revision, proposalOf(t, s, "phone").Change)
	live, _ := current(t, s, piCode).Item("phone")
	assert.Equal(t, "", live.PIType, "the published entry is as it was")
}
