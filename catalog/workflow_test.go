package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// Principals of the workflow tests.
var (
	wfAdmin    = &Principal{ID: "admin-1", Name: "管理员甲", Role: RoleAdmin, Clearance: schemas.Core}
	wfAdmin2   = &Principal{ID: "admin-2", Name: "管理员乙", Role: RoleAdmin, Clearance: schemas.Core}
	wfSteward  = &Principal{ID: "steward-air", Name: "数据员甲", Role: RoleSteward, Clearance: schemas.General4, Department: "AIR_DIV"}
	wfSteward2 = &Principal{ID: "steward-air-2", Name: "数据员乙", Role: RoleSteward, Clearance: schemas.General4, Department: "AIR_DIV"}
	wfWater    = &Principal{ID: "steward-water", Name: "数据员丙", Role: RoleSteward, Clearance: schemas.General4, Department: "WATER_DIV"}
	wfReviewer = &Principal{ID: "reviewer-1", Name: "审核员甲", Role: RoleReviewer, Clearance: schemas.General4}
	wfAnalyst  = &Principal{ID: "analyst-1", Name: "分析员甲", Role: RoleAnalyst, Clearance: schemas.General4}
)

// newWorkflowStore is a store with the air and water divisions.
func newWorkflowStore(t *testing.T) *Store {
	t.Helper()
	s, _ := newTestStore(t)
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	return s
}

// draftEntry is a complete entry with no resource code or table: the catalogue gives them.
func draftEntry(name string) *Entry {
	e := validEntry("000000", "")
	e.ResourceCode, e.Table, e.Name = "", "", name
	e.ShareType, e.OpenType = "", "" // proposed from the grade
	return e
}

func current(t *testing.T, s *Store, code string) *Entry {
	t.Helper()
	e, err := s.View().Entry(code)
	require.NoError(t, err)
	return e
}

// publish takes a new entry through review: submitted by the steward, approved by the reviewer.
func publish(t *testing.T, s *Store, code string) *Entry {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.SubmitEntry(ctx, wfSteward, code, current(t, s, code).Revision, "请审核"))
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, code, current(t, s, code).Revision, "同意"))
	return current(t, s, code)
}

func TestResourceCodesAreGeneratedAndNeverReused(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000007", "air_seven"))) // codes given by the loader count too

	a, err := s.CreateEntry(ctx, wfSteward, draftEntry("甲"), "新登记")
	require.NoError(t, err)
	assert.Equal(t, "0101/000008", a.ResourceCode)
	assert.Equal(t, "res_0101_000008", a.Table)
	assert.Equal(t, StatusDraft, a.Status)
	b, err := s.CreateEntry(ctx, wfSteward, draftEntry("乙"), "")
	require.NoError(t, err)
	assert.Equal(t, "0101/000009", b.ResourceCode)

	require.NoError(t, s.RetireEntry(ctx, wfSteward, b.ResourceCode, b.Revision, "重复登记"))
	c, err := s.CreateEntry(ctx, wfSteward, draftEntry("丙"), "")
	require.NoError(t, err)
	assert.Equal(t, "0101/000010", c.ResourceCode, "the retired entry's number is not given again")

	other := draftEntry("丁")
	other.CategoryCode = "0102"
	d, err := s.CreateEntry(ctx, wfSteward, other, "")
	require.NoError(t, err)
	assert.Equal(t, "0102/000001", d.ResourceCode, "numbers count per category")

	// A code that is taken is refused; so is an unknown category.
	taken := draftEntry("戊")
	taken.ResourceCode = "0101/000008"
	_, err = s.CreateEntry(ctx, wfSteward, taken, "")
	require.ErrorIs(t, err, ErrConflict)
	bad := draftEntry("己")
	bad.CategoryCode = "9999"
	_, err = s.CreateEntry(ctx, wfSteward, bad, "")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "category_code")

	// The counters survive a restart (they are rebuilt from the entries of a checkpoint).
	dir := s.cfg.Dir
	require.NoError(t, s.Close())
	s = openTest(t, testConfig(dir, newClock()))
	defer s.Close()
	e, err := s.CreateEntry(ctx, wfSteward, draftEntry("庚"), "")
	require.NoError(t, err)
	assert.Equal(t, "0101/000011", e.ResourceCode)
}

func TestDraftMayBeIncompleteButPublishingNamesEveryMissingField(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	e := draftEntry("未完成的目录")
	e.Abstract, e.ProviderName, e.UpdateCycle, e.Items = "", "", "", ItemList{}
	d, err := s.CreateEntry(ctx, wfSteward, e, "")
	require.NoError(t, err, "a draft may be incomplete")

	err = s.SubmitEntry(ctx, wfSteward, d.ResourceCode, d.Revision, "")
	var inv *schemas.InvalidError
	require.ErrorAs(t, err, &inv)
	fields := map[string]string{}
	for _, p := range inv.Problems {
		fields[p.Field] = p.Message
	}
	assert.Equal(t, "必填", fields["abstract"])
	assert.Equal(t, "必填", fields["provider_name"])
	assert.Contains(t, fields["update_cycle"], "必填")
	assert.Contains(t, fields["items"], "至少需要一个信息项")
	assert.Equal(t, StatusDraft, current(t, s, d.ResourceCode).Status)

	// What a draft does give must be valid: an unknown code is refused with the valid ones.
	e2 := draftEntry("代码错误")
	e2.UpdateCycle = "HOURLY"
	_, err = s.CreateEntry(ctx, wfSteward, e2, "")
	require.ErrorAs(t, err, &inv)
	assert.Contains(t, inv.Problems[0].Message, "DAILY")
}

func TestWorkflowTransitionsByRole(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("空气质量日报"), "")
	require.NoError(t, err)
	code := d.ResourceCode
	rev := func() uint64 { return current(t, s, code).Revision }

	// Stewards keep to their department; reviewers and analysts do not edit.
	_, err = s.CreateEntry(ctx, wfWater, draftEntry("水"), "")
	require.ErrorIs(t, err, schemas.ErrForbidden, "a water steward registering an air entry")
	require.ErrorIs(t, s.EditEntry(ctx, wfWater, current(t, s, code), rev(), ""), schemas.ErrForbidden)
	require.ErrorIs(t, s.SubmitEntry(ctx, wfReviewer, code, rev(), ""), schemas.ErrForbidden)
	require.ErrorIs(t, s.SubmitEntry(ctx, wfAnalyst, code, rev(), ""), schemas.ErrForbidden)
	// Only a draft under review can be approved, and only by reviewers and administrators.
	require.ErrorIs(t, s.ApproveEntry(ctx, wfReviewer, code, rev(), ""), ErrConflict)

	require.NoError(t, s.SubmitEntry(ctx, wfSteward, code, rev(), "请审核"))
	assert.Equal(t, StatusPendingReview, current(t, s, code).Status)
	require.ErrorIs(t, s.ApproveEntry(ctx, wfSteward2, code, rev(), ""), schemas.ErrForbidden, "stewards do not approve")
	require.ErrorIs(t, s.SendBackEntry(ctx, wfReviewer, code, rev(), "  "), ErrInvalid, "a send-back needs a comment")
	require.NoError(t, s.SendBackEntry(ctx, wfReviewer, code, rev(), "摘要过于简略"))
	e := current(t, s, code)
	assert.Equal(t, StatusDraft, e.Status)
	assert.Equal(t, "摘要过于简略", e.Review.Comment)

	// An administrator may edit and submit, but never approve its own change.
	e.Abstract = "全市空气质量自动监测站日均值，含六项污染物"
	require.NoError(t, s.EditEntry(ctx, wfAdmin, e, e.Revision, "补充摘要"))
	require.NoError(t, s.SubmitEntry(ctx, wfAdmin, code, rev(), ""))
	err = s.ApproveEntry(ctx, wfAdmin, code, rev(), "")
	require.ErrorIs(t, err, schemas.ErrForbidden)
	assert.Contains(t, err.Error(), "不能审核自己修改或提交的目录")
	require.NoError(t, s.ApproveEntry(ctx, wfAdmin2, code, rev(), "同意发布"))
	e = current(t, s, code)
	assert.Equal(t, StatusPublished, e.Status)
	assert.False(t, e.PublishDate.IsZero())

	// Retire needs a reason; restore goes back through review.
	require.ErrorIs(t, s.RetireEntry(ctx, wfSteward, code, rev(), ""), ErrInvalid)
	require.NoError(t, s.RetireEntry(ctx, wfSteward, code, rev(), "数据源停用"))
	assert.Equal(t, StatusRetired, current(t, s, code).Status)
	require.ErrorIs(t, s.EditEntry(ctx, wfSteward, current(t, s, code), rev(), ""), ErrConflict)
	require.NoError(t, s.RestoreEntry(ctx, wfSteward, code, rev(), "数据源恢复"))
	assert.Equal(t, StatusPendingReview, current(t, s, code).Status)
	require.ErrorIs(t, s.ApproveEntry(ctx, wfSteward, code, rev(), ""), schemas.ErrForbidden)
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, code, rev(), ""))
	assert.Equal(t, StatusPublished, current(t, s, code).Status)

	// A principal the entry does not exist for gets not-found, as for no entry at all.
	low := &Principal{ID: "r-low", Name: "低密级审核员", Role: RoleReviewer, Clearance: schemas.General1}
	require.ErrorIs(t, s.ApproveEntry(ctx, low, code, rev(), ""), ErrNotFound)
}

func TestEditingPublishedEntryMakesAChangeRequestAndHistory(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("空气质量日报"), "首次登记")
	require.NoError(t, err)
	code := d.ResourceCode
	live := publish(t, s, code)

	edit := live.Copy()
	edit.Name = "空气质量日报（修订）"
	items := append(edit.Items.Slice()[:1], Item{Name: "臭氧浓度", Field: "o3", Type: schemas.Float, Grade: schemas.General2})
	items[0].Description = "区县代码"
	edit.Items = ItemsOf(items...)
	require.NoError(t, s.EditEntry(ctx, wfSteward, edit, live.Revision, "增加臭氧"))

	// Queries still see the published version; the change waits.
	assert.Equal(t, "空气质量日报", current(t, s, code).Name)
	cr, err := s.View().Change(code)
	require.NoError(t, err)
	assert.Equal(t, StatusDraft, cr.Status)
	assert.Equal(t, "空气质量日报（修订）", cr.Proposed.Name)
	require.NoError(t, s.SubmitEntry(ctx, wfSteward, code, cr.Revision, ""))
	require.ErrorIs(t, s.ApproveEntry(ctx, wfSteward, code, cr.Revision+1, ""), schemas.ErrForbidden)
	cr, _ = s.View().Change(code)
	require.NoError(t, s.ApproveEntry(ctx, wfReviewer, code, cr.Revision, "同意"))
	after := current(t, s, code)
	assert.Equal(t, "空气质量日报（修订）", after.Name)
	assert.Equal(t, StatusPublished, after.Status)
	assert.Equal(t, live.PublishDate, after.PublishDate)
	_, err = s.View().Change(code)
	require.ErrorIs(t, err, ErrNotFound, "the approved change is closed")

	hist, err := s.View().HistoryFor(wfAdmin, code, 50)
	require.NoError(t, err)
	var actions []string
	for _, h := range hist {
		actions = append(actions, h.Action)
	}
	assert.Equal(t, []string{HistApprove, HistSubmit, HistEdit, HistApprove, HistSubmit, HistCreate}, actions)
	assert.Equal(t, "首次登记", hist[len(hist)-1].Note)
	assert.Equal(t, "数据员甲", hist[2].Actor.Name)
	assert.Equal(t, "增加臭氧", hist[2].Note)
	changes := map[string]FieldChange{}
	for _, c := range hist[0].Changes {
		changes[c.Field+"|"+c.Old+"|"+c.New] = c
	}
	assert.Contains(t, changes, "name|空气质量日报|空气质量日报（修订）")
	assert.Contains(t, changes, "items||新增 臭氧浓度（o3）")
	assert.Contains(t, changes, "items|删除 PM2.5浓度（pm25）|")
	assert.Contains(t, changes, "items[district].description||区县代码")

	// History is kept across a restart, and only for those the entry exists for.
	_, err = s.View().HistoryFor(&Principal{ID: "x", Role: RoleAnalyst, Clearance: schemas.General1}, code, 10)
	require.ErrorIs(t, err, ErrNotFound)
	dir := s.cfg.Dir
	s.crash()
	s2 := openTest(t, testConfig(dir, newClock()))
	defer s2.Close()
	again, err := s2.View().HistoryFor(wfAdmin, code, 50)
	require.NoError(t, err)
	assert.Equal(t, hist, again)
}

func TestStaleEditIsRefusedNamingWhoChangedIt(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	d, err := s.CreateEntry(ctx, wfSteward, draftEntry("空气质量日报"), "")
	require.NoError(t, err)
	first, second := d.Copy(), d.Copy()
	first.Abstract = "甲的修改"
	second.Abstract = "乙的修改"
	require.NoError(t, s.EditEntry(ctx, wfSteward, first, d.Revision, ""))
	err = s.EditEntry(ctx, wfSteward2, second, d.Revision, "")
	require.ErrorIs(t, err, ErrConflict)
	assert.Contains(t, err.Error(), "已被数据员甲于")
	assert.Contains(t, err.Error(), "请刷新后重新操作")
	assert.Equal(t, "甲的修改", current(t, s, d.ResourceCode).Abstract)
}

// TestConcurrentEditsNeverLoseAnUpdate: many stewards add an item each to the same entry at
// once, each reading, editing and retrying when refused as stale; every item arrives.
func TestConcurrentEditsNeverLoseAnUpdate(t *testing.T) {
	for _, published := range []bool{false, true} {
		t.Run(fmt.Sprintf("published=%v", published), func(t *testing.T) {
			s := newWorkflowStore(t)
			ctx := context.Background()
			d, err := s.CreateEntry(ctx, wfSteward, draftEntry("并发编辑"), "")
			require.NoError(t, err)
			code := d.ResourceCode
			if published {
				publish(t, s, code)
			}
			working := func() (*Entry, uint64) {
				v := s.View()
				if c, err := v.Change(code); err == nil {
					return c.Proposed, max(c.Revision, current(t, s, code).Revision)
				}
				e, _ := v.Entry(code)
				return e, e.Revision
			}
			const writers = 12
			var wg sync.WaitGroup
			var conflicts sync.Map
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st := *wfSteward
					st.ID = fmt.Sprintf("steward-%d", w)
					for {
						e, rev := working()
						addItems(e, Item{Name: fmt.Sprintf("指标%02d", w), Field: fmt.Sprintf("m%02d", w), Type: schemas.Float, Grade: schemas.General1})
						err := s.EditEntry(ctx, &st, e, rev, "")
						if err == nil {
							return
						}
						if !errors.Is(err, ErrConflict) {
							t.Errorf("writer %d: %v", w, err)
							return
						}
						conflicts.Store(w, true)
					}
				}()
			}
			wg.Wait()
			e, _ := working()
			for w := range writers {
				_, ok := e.Item(fmt.Sprintf("m%02d", w))
				assert.True(t, ok, "item of writer %d", w)
			}
			assert.Equal(t, 2+writers, e.Items.Len())
			n := 0
			conflicts.Range(func(any, any) bool { n++; return true })
			t.Logf("%d of %d writers were refused as stale at least once", n, writers)
		})
	}
}

// TestWorkflowStateSurvivesACheckpoint: change requests, history, evidence, business items and
// scenes are written to the checkpoint and read back.
func TestWorkflowStateSurvivesACheckpoint(t *testing.T) {
	s := newWorkflowStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutBusinessItem(ctx, wfSteward, BusinessItem{Code: "YW_AIR", Name: "空气质量监测", Department: "AIR_DIV"}, 0))
	require.NoError(t, s.PutScene(ctx, wfSteward, Scene{Code: "CJ_AIR", Name: "巴渝治气", Kind: SceneComposite, Department: "AIR_DIV"}, 0))
	e := draftEntry("空气质量日报")
	e.BusinessItems, e.Scenes = []string{"YW_AIR"}, []string{"CJ_AIR"}
	d, err := s.CreateEntry(ctx, wfSteward, e, "")
	require.NoError(t, err)
	live := publish(t, s, d.ResourceCode)
	_, err = s.GradeEntry(ctx, wfSteward, Grading{Code: d.ResourceCode, Base: live.Revision,
		Items:    map[string]schemas.Grade{"pm25": schemas.General3},
		Evidence: &Evidence{ImpactObject: "PERSONAL", ImpactDegree: "SERIOUS", Basis: "依据"}})
	require.NoError(t, err)
	edit := current(t, s, d.ResourceCode)
	edit.Abstract = "修改中"
	require.NoError(t, s.EditEntry(ctx, wfSteward, edit, edit.Revision, "待提交"))

	snap := func(s *Store) []any {
		v := s.View()
		h, err := v.HistoryFor(wfAdmin, d.ResourceCode, 100)
		require.NoError(t, err)
		c, err := v.Change(d.ResourceCode)
		require.NoError(t, err)
		ev, err := v.EvidenceFor(wfAdmin, d.ResourceCode)
		require.NoError(t, err)
		en, _ := v.Entry(d.ResourceCode)
		return []any{h, c, ev, v.BusinessItems(), v.Scenes(), en, v.EntriesServing(wfAdmin, "scene", "CJ_AIR")}
	}
	before := snap(s)
	dir := s.cfg.Dir
	require.NoError(t, s.Close()) // writes a final checkpoint
	s2 := openTest(t, testConfig(dir, newClock()))
	defer s2.Close()
	assert.Equal(t, before, snap(s2))
	n, err := s2.CreateEntry(ctx, wfSteward, draftEntry("又一条"), "")
	require.NoError(t, err)
	assert.Equal(t, "0101/000002", n.ResourceCode)
}

func TestDraftWithoutDistrictOrDepartmentIsStored(t *testing.T) {
	s := newWorkflowStore(t)
	e := draftEntry("未定区县")
	e.District = ""
	d, err := s.CreateEntry(context.Background(), wfAdmin, e, "")
	require.NoError(t, err)
	err = s.SubmitEntry(context.Background(), wfAdmin, d.ResourceCode, d.Revision, "")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "district: 必填")
}
