package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// Principals of the grant tests. The conditional entries are the air division's.
var (
	gAdmin       = &Principal{ID: "g-admin", Name: "管理员", Role: RoleAdmin, Clearance: schemas.Core}
	gSteward     = &Principal{ID: "g-steward", Name: "数据员", Role: RoleSteward, Clearance: schemas.General4, Department: "WATER_DIV"}
	gReviewer    = &Principal{ID: "g-reviewer", Name: "大气处审核员", Role: RoleReviewer, Clearance: schemas.General4, Department: "AIR_DIV"}
	gReviewerH2O = &Principal{ID: "g-reviewer-water", Name: "水处审核员", Role: RoleReviewer, Clearance: schemas.General4, Department: "WATER_DIV"}
	gAnalyst     = &Principal{ID: "g-analyst", Name: "分析员", Role: RoleAnalyst, Clearance: schemas.General2, Department: "WATER_DIV"}
	gScene       = &Principal{ID: "g-scene", Name: "入河排污口一件事", Role: RoleScene, Clearance: schemas.General2}
)

// Entries of the grant tests.
const (
	gCond   = "0101/000001" // 有条件共享, with a mobile number item
	gHigh   = "0101/000002" // 有条件共享, graded above the analyst's clearance
	gNever  = "0101/000003" // 不予共享
	gDraft  = "0101/000004" // 有条件共享, never published
	gPublic = "0101/000005" // 无条件共享, with a mobile number item
)

// grantEntry is a published entry of the air division with a personal-information item.
func grantEntry(seq, table, share string) *Entry {
	e := validEntry(seq, table)
	addItems(e, Item{Name: "联系电话", Field: "phone", Type: schemas.String, Length: 20, Grade: schemas.General2, PIType: "MOBILE"})
	e.ShareType, e.Status = share, StatusPublished
	switch share {
	case ShareConditional:
		e.ShareCondition = "用于生态环境执法与监测分析"
	case ShareNotShared:
		e.SharingBasis = "《数据安全法》第二十一条"
	}
	return e
}

// newGrantStore is a store with the grant tests' principals and entries.
func newGrantStore(t *testing.T) (*Store, *testClock) {
	t.Helper()
	ctx := context.Background()
	s, clock := newTestStore(t)
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	for _, p := range []*Principal{gAdmin, gSteward, gReviewer, gReviewerH2O, gAnalyst, gScene} {
		require.NoError(t, s.PutPrincipal(ctx, *p))
	}
	high := grantEntry("000002", "grant_high", ShareConditional)
	setItem(high, 1, func(it *Item) { it.Grade = schemas.General3 })
	draft := grantEntry("000004", "grant_draft", ShareConditional)
	draft.Status = StatusDraft
	for _, e := range []*Entry{
		grantEntry("000001", "grant_cond", ShareConditional), high,
		grantEntry("000003", "grant_never", ShareNotShared), draft,
		grantEntry("000005", "grant_public", ShareUnconditional),
	} {
		require.NoError(t, s.PutEntry(ctx, e))
	}
	return s, clock
}

// request is a valid request of the analyst for the conditional entry, expiring in 30 days.
func request(clock *testClock) Grant {
	return Grant{Entry: gCond, Grantee: gAnalyst.ID, Purpose: "水环境质量与大气污染源关联分析",
		Expires: clock.Now().Add(30 * 24 * time.Hour), Mode: GrantRows}
}

func TestGrantRequestApproveAndDecide(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)
	e, err := s.View().Entry(gCond)
	require.NoError(t, err)
	before := s.View().Decide(gAnalyst, e, clock.Now())
	require.True(t, before.Exists, "metadata is visible within clearance")
	require.False(t, before.Read, "有条件共享 without a grant")

	req := request(clock)
	req.Unmasked = []string{"phone"}
	g, err := s.RequestGrant(ctx, gAnalyst, req)
	require.NoError(t, err)
	assert.Equal(t, "G000001", g.ID)
	assert.Equal(t, GrantRequested, g.Status)
	assert.Equal(t, gAnalyst.ID, g.RequestedBy)
	assert.Equal(t, clock.Now(), g.CreatedAt)
	require.Len(t, g.Events, 1)
	assert.False(t, s.View().Decide(gAnalyst, e, clock.Now()).Read, "a request opens nothing")

	clock.Advance(time.Hour)
	require.NoError(t, s.ApproveGrant(ctx, gReviewer, g.ID, g.Revision, "同意"))
	g, err = s.View().Grant(g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantApproved, g.Status)
	assert.Equal(t, gReviewer.ID, g.DecidedBy)
	assert.Equal(t, "同意", g.DecisionNote)
	assert.Equal(t, []string{GrantRequested, GrantApproved}, []string{g.Events[0].Action, g.Events[1].Action})
	a := s.View().Decide(gAnalyst, e, clock.Now())
	assert.True(t, a.Read)
	assert.False(t, a.AggregatesOnly)
	phone := a.Items[len(a.Items)-1]
	assert.Equal(t, ItemAccess{Field: "phone", Visible: true, Unmasked: true}, phone)

	// Another principal with the same role and department gets nothing of it.
	other := *gAnalyst
	other.ID = "g-analyst-2"
	assert.False(t, s.View().Decide(&other, e, clock.Now()).Read)
	assert.NotEqual(t, s.View().AccessKey(&other, clock.Now()), s.View().AccessKey(gAnalyst, clock.Now()))

	// Expiry ends it on the next request, without any command.
	assert.True(t, s.View().Decide(gAnalyst, e, g.Expires.Add(-time.Second)).Read)
	assert.False(t, s.View().Decide(gAnalyst, e, g.Expires).Read)
	assert.Equal(t, s.View().AccessKey(&other, g.Expires), s.View().AccessKey(gAnalyst, g.Expires), "an expired grant leaves the key")

	// The grantee revokes its own grant; the decision follows at once.
	require.NoError(t, s.RevokeGrant(ctx, gAnalyst, g.ID, g.Revision, "项目结束"))
	assert.False(t, s.View().Decide(gAnalyst, e, clock.Now()).Read)
	g, err = s.View().Grant(g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantRevoked, g.Status)
	assert.Equal(t, gReviewer.ID, g.DecidedBy, "the decision's author stays")
	assert.Equal(t, "项目结束", g.Events[2].Note)

	// Ids are never given twice.
	g2, err := s.RequestGrant(ctx, gAnalyst, request(clock))
	require.NoError(t, err)
	assert.Equal(t, "G000002", g2.ID)
}

func TestGrantDecisionRights(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)
	// The steward asks on the analyst's behalf.
	g, err := s.RequestGrant(ctx, gSteward, request(clock))
	require.NoError(t, err)
	assert.Equal(t, gSteward.ID, g.RequestedBy)
	assert.Equal(t, gAnalyst.ID, g.Grantee)

	// Nobody else asks for someone else.
	_, err = s.RequestGrant(ctx, gScene, request(clock))
	require.ErrorIs(t, err, schemas.ErrForbidden)

	for _, c := range []struct {
		who *Principal
		msg string
	}{
		{gReviewerH2O, "只有目录责任部门（AIR_DIV）的审核员或系统管理员可以审批授权 G000001"},
		{gSteward, "只有目录责任部门（AIR_DIV）的审核员或系统管理员可以审批授权 G000001"},
		{gAnalyst, "只有目录责任部门（AIR_DIV）的审核员或系统管理员可以审批授权 G000001"},
	} {
		err := s.ApproveGrant(ctx, c.who, g.ID, g.Revision, "")
		require.ErrorIs(t, err, schemas.ErrForbidden, c.who.ID)
		assert.Equal(t, c.msg, err.Error(), c.who.ID)
	}

	// Self-approval: a reviewer of the owning department (or an admin) who asked for the grant,
	// or who receives it, is refused.
	selfReq := request(clock)
	selfReq.Grantee = gReviewer.ID
	own, err := s.RequestGrant(ctx, gReviewer, selfReq)
	require.NoError(t, err)
	err = s.ApproveGrant(ctx, gReviewer, own.ID, own.Revision, "")
	require.ErrorIs(t, err, schemas.ErrForbidden)
	assert.Equal(t, "不能审批本人申请或授予本人的授权 G000002", err.Error())
	adminReq := request(clock)
	byAdmin, err := s.RequestGrant(ctx, gAdmin, adminReq)
	require.NoError(t, err)
	err = s.RefuseGrant(ctx, gAdmin, byAdmin.ID, byAdmin.Revision, "不需要")
	require.ErrorIs(t, err, schemas.ErrForbidden, "an admin does not decide its own request either")

	// A refusal needs its reason; then it holds, and a refused grant is approved by nobody.
	err = s.RefuseGrant(ctx, gReviewer, g.ID, g.Revision, " ")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "note: 必填")
	require.NoError(t, s.RefuseGrant(ctx, gReviewer, g.ID, g.Revision, "用途不明确"))
	g, err = s.View().Grant(g.ID)
	require.NoError(t, err)
	err = s.ApproveGrant(ctx, gAdmin, g.ID, g.Revision, "")
	require.ErrorIs(t, err, ErrConflict)
	assert.Equal(t, "授权 G000001 当前为已驳回，不能批准", err.Error())

	// Revocation: not by a reviewer of another department, nor by a third party.
	require.NoError(t, s.ApproveGrant(ctx, gAdmin, own.ID, own.Revision, ""))
	own, err = s.View().Grant(own.ID)
	require.NoError(t, err)
	for _, p := range []*Principal{gReviewerH2O, gScene, gSteward} {
		require.ErrorIs(t, s.RevokeGrant(ctx, p, own.ID, own.Revision, ""), schemas.ErrForbidden, p.ID)
	}
	require.NoError(t, s.RevokeGrant(ctx, gReviewer, own.ID, own.Revision, "岗位调整"))
}

func TestGrantStaleBaseNamesWhoChangedIt(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)
	g, err := s.RequestGrant(ctx, gAnalyst, request(clock))
	require.NoError(t, err)
	clock.Advance(time.Hour)
	require.NoError(t, s.ApproveGrant(ctx, gReviewer, g.ID, g.Revision, "同意"))
	cur, err := s.View().Grant(g.ID)
	require.NoError(t, err)
	err = s.RevokeGrant(ctx, gAdmin, g.ID, g.Revision, "")
	require.ErrorIs(t, err, ErrConflict)
	assert.Equal(t, "授权 G000001 已被大气处审核员于 2025-06-01 13:00:00 修改（当前版本 "+
		itoa(cur.Revision)+"，您的操作基于版本 "+itoa(g.Revision)+"），请刷新后重新操作", err.Error())
	again, err := s.View().Grant(g.ID)
	require.NoError(t, err)
	assert.Equal(t, GrantApproved, again.Status, "a stale step changes nothing")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestGrantRequestValidation: what a request is refused for, in words naming the field.
func TestGrantRequestValidation(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)

	// An entry above the grantee's clearance answers exactly as one that does not exist, for the
	// grantee and for a steward asking on its behalf.
	missing := request(clock)
	missing.Entry = "0101/000099"
	_, errMissing := s.RequestGrant(ctx, gAnalyst, missing)
	require.ErrorIs(t, errMissing, ErrNotFound)
	for _, p := range []*Principal{gAnalyst, gSteward} {
		high := request(clock)
		high.Entry = gHigh
		_, err := s.RequestGrant(ctx, p, high)
		require.ErrorIs(t, err, ErrNotFound, p.ID)
		assert.Equal(t, `entry "0101/000002": not found`, err.Error())
	}
	assert.Equal(t, `entry "0101/000099": not found`, errMissing.Error())

	for _, c := range []struct {
		name  string
		edit  func(g *Grant)
		field string
		msg   string
	}{
		{"unmasked item that is no personal information", func(g *Grant) { g.Unmasked = []string{"pm25"} },
			"unmasked[0]", "信息项“pm25”不是个人信息，无需申请明文"},
		{"unmasked item outside the items", func(g *Grant) { g.Items, g.Unmasked = []string{"pm25"}, []string{"phone"} },
			"unmasked[0]", "信息项“phone”不在授权的信息项之内"},
		{"unknown item", func(g *Grant) { g.Items = []string{"district", "nox"} }, "items[1]", "目录没有信息项“nox”"},
		{"no purpose", func(g *Grant) { g.Purpose = "  " }, "purpose", "必填"},
		{"expired already", func(g *Grant) { g.Expires = clock.Now() }, "expires", "到期时间 2025-06-01 12:00 须晚于当前时间"},
		{"no expiry", func(g *Grant) { g.Expires = time.Time{} }, "expires", "必填"},
		{"unknown mode", func(g *Grant) { g.Mode = "all" }, "mode", "须为 rows（明细数据）或 aggregates（仅汇总统计）"},
		{"small group", func(g *Grant) { g.Mode, g.MinGroupSize = GrantAggregates, 2 }, "min_group_size", "最小分组不能小于 5"},
		{"group on rows", func(g *Grant) { g.MinGroupSize = 10 }, "min_group_size", "只有仅汇总统计的授权可设最小分组"},
		{"not shared", func(g *Grant) { g.Entry = gNever }, "entry", "共享类型为不予共享，授权不能开放"},
		{"not published", func(g *Grant) { g.Entry = gDraft }, "entry", "目录未发布或为涉密目录，没有可授权的数据"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := request(clock)
			c.edit(&g)
			_, err := s.RequestGrant(ctx, gAnalyst, g)
			require.ErrorIs(t, err, ErrInvalid)
			var inv *schemas.InvalidError
			require.True(t, errors.As(err, &inv))
			require.Len(t, inv.Problems, 1, "%v", err)
			assert.Equal(t, c.field, inv.Problems[0].Field)
			assert.Equal(t, c.msg, inv.Problems[0].Message)
		})
	}
	assert.Empty(t, s.View().Grants(gAdmin, GrantFilter{}), "nothing refused was stored")
}

// TestGrantsSurviveRestart: grants in every status, their history and the id counter come back
// the same from journal replay alone and from a checkpoint alone, and so does the decision.
func TestGrantsSurviveRestart(t *testing.T) {
	for _, from := range []string{"journal", "checkpoint"} {
		t.Run(from, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			clock := newClock()
			cfg := testConfig(dir, clock)
			s := openTest(t, cfg)
			require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
			require.NoError(t, s.PutDepartment(ctx, Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
			for _, p := range []*Principal{gAdmin, gSteward, gReviewer, gAnalyst, gScene} {
				require.NoError(t, s.PutPrincipal(ctx, *p))
			}
			require.NoError(t, s.PutEntry(ctx, grantEntry("000001", "grant_cond", ShareConditional)))
			step := func(id string, fn func(*Store, *Principal, string, uint64) error, p *Principal) {
				g, err := s.View().Grant(id)
				require.NoError(t, err)
				clock.Advance(time.Minute)
				require.NoError(t, fn(s, p, id, g.Revision))
			}
			approve := func(s *Store, p *Principal, id string, base uint64) error {
				return s.ApproveGrant(ctx, p, id, base, "同意")
			}
			refuse := func(s *Store, p *Principal, id string, base uint64) error {
				return s.RefuseGrant(ctx, p, id, base, "用途不符")
			}
			revoke := func(s *Store, p *Principal, id string, base uint64) error { return s.RevokeGrant(ctx, p, id, base, "") }
			rows := request(clock)
			rows.Items, rows.Unmasked = []string{"district", "phone"}, []string{"phone"}
			agg := request(clock)
			agg.Grantee, agg.Mode, agg.MinGroupSize = gScene.ID, GrantAggregates, 8
			var ids []string
			for _, r := range []struct {
				by *Principal
				g  Grant
			}{{gAnalyst, rows}, {gSteward, agg}, {gAnalyst, request(clock)}, {gAnalyst, request(clock)}, {gScene, agg}} {
				g, err := s.RequestGrant(ctx, r.by, r.g)
				require.NoError(t, err)
				ids = append(ids, g.ID)
			}
			step(ids[0], approve, gReviewer)
			step(ids[1], approve, gAdmin)
			step(ids[2], refuse, gReviewer)
			step(ids[3], approve, gReviewer)
			step(ids[3], revoke, gAnalyst)
			// ids[4] stays requested.

			e, err := s.View().Entry(gCond)
			require.NoError(t, err)
			decisions := func(v *View) []Access {
				return []Access{v.Decide(gAnalyst, e, clock.Now()), v.Decide(gScene, e, clock.Now())}
			}
			wantDecisions := decisions(s.View())
			require.True(t, wantDecisions[0].Read)
			require.True(t, wantDecisions[1].AggregatesOnly)
			require.Equal(t, 8, wantDecisions[1].MinGroupSize)
			before := stateJSON(t, s.View())
			require.Contains(t, before, `"NextGrant": "G000006"`)
			require.Len(t, s.View().Grants(gAdmin, GrantFilter{}), 5)

			if from == "journal" {
				s.crash()
				_, err := os.Stat(filepath.Join(dir, checkpointName))
				require.ErrorIs(t, err, os.ErrNotExist, "only the journal holds the state")
			} else {
				require.NoError(t, s.Close())
				for _, seg := range mustSegments(t, dir) {
					require.NoError(t, os.Remove(seg.path)) // the checkpoint alone holds the state
				}
			}
			clock.Advance(time.Hour) // replay must not depend on the clock
			s = openTest(t, cfg)
			defer s.Close()
			assert.JSONEq(t, before, stateJSON(t, s.View()))
			assert.Equal(t, wantDecisions, decisions(s.View()))
			g, err := s.RequestGrant(ctx, gAnalyst, request(clock))
			require.NoError(t, err)
			assert.Equal(t, "G000006", g.ID, "ids are never given twice, across restarts")
		})
	}
}

// TestGrantsList: curators list every grant within their clearance, reviewers those of their
// own department's entries, anybody else its own; filters go through the indexes.
func TestGrantsList(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)
	a, err := s.RequestGrant(ctx, gAnalyst, request(clock))
	require.NoError(t, err)
	sceneReq := request(clock)
	sceneReq.Grantee, sceneReq.Entry = gScene.ID, gPublic
	b, err := s.RequestGrant(ctx, gScene, sceneReq)
	require.NoError(t, err)
	require.NoError(t, s.ApproveGrant(ctx, gReviewer, b.ID, b.Revision, ""))
	ids := func(gs []*Grant) []string {
		out := []string{}
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	v := s.View()
	assert.Equal(t, []string{a.ID, b.ID}, ids(v.Grants(gReviewer, GrantFilter{})))
	assert.Empty(t, v.Grants(gReviewerH2O, GrantFilter{}), "a reviewer of another department decides none of them")
	assert.Equal(t, []string{b.ID}, ids(v.Grants(gSteward, GrantFilter{Status: GrantApproved})))
	assert.Equal(t, []string{a.ID}, ids(v.Grants(gAdmin, GrantFilter{Entry: gCond})))
	assert.Equal(t, []string{b.ID}, ids(v.Grants(gAdmin, GrantFilter{Grantee: gScene.ID, Entry: gPublic})))
	assert.Equal(t, []string{a.ID}, ids(v.Grants(gAnalyst, GrantFilter{})))
	assert.Empty(t, v.Grants(gAnalyst, GrantFilter{Grantee: gScene.ID}), "not another's")
	// A grantee id that is a prefix of another's matches only its own.
	assert.Empty(t, v.Grants(gAdmin, GrantFilter{Grantee: "g-analys"}))
}

// TestGrantFor: one grant is shown to whom the list shows it, and to nobody else, with the words
// of a grant that does not exist.
func TestGrantFor(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)
	g, err := s.RequestGrant(ctx, gAnalyst, request(clock))
	require.NoError(t, err)
	high := request(clock)
	high.Entry, high.Grantee = gHigh, gReviewer.ID
	h, err := s.RequestGrant(ctx, gReviewer, high)
	require.NoError(t, err)
	v := s.View()
	for _, p := range []*Principal{gAdmin, gSteward, gReviewer, gAnalyst} {
		got, err := v.GrantFor(p, g.ID)
		require.NoError(t, err, p.ID)
		assert.Equal(t, g.ID, got.ID)
	}
	_, errMissing := v.GrantFor(gAdmin, "G999999")
	require.ErrorIs(t, errMissing, ErrNotFound)
	for _, c := range []struct {
		p  *Principal
		id string
	}{{gReviewerH2O, g.ID}, {gScene, g.ID}, {gAnalyst, h.ID}, {gScene, h.ID}} {
		_, err := v.GrantFor(c.p, c.id)
		require.ErrorIs(t, err, ErrNotFound, c.p.ID)
		assert.Equal(t, "授权 "+c.id+" 不存在", err.Error())
	}
	assert.Equal(t, "授权 G999999 不存在", errMissing.Error())
}
