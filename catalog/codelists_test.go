package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// candidate loads the embedded lists with the given files in place.
func candidate(t *testing.T, files map[string]string) *schemas.ListSet {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	set, err := schemas.LoadCodeLists(dir)
	require.NoError(t, err)
	return set
}

func installForTest(t *testing.T, set *schemas.ListSet) {
	t.Helper()
	prev := schemas.Current()
	t.Cleanup(func() { schemas.Install(prev) })
	schemas.Install(set)
}

func TestCodeListOrphans(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	e := validEntry("000001", "air_daily")
	e.ShareType, e.ShareCondition = "CONDITIONAL", "仅限本局"
	e.Domains = []string{"WATER", "AIR"}
	setItem(e, 1, func(it *Item) { it.PIType, it.Type = "MOBILE", schemas.String })
	require.NoError(t, s.PutEntry(ctx, e))
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "air_hourly")))
	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "wz", Name: "万州", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}))

	// Renaming labels orphans nothing.
	renamed := candidate(t, map[string]string{"share_types.csv": "id,name\nUNCONDITIONAL,无条件\nCONDITIONAL,有条件\nNOT_SHARED,不共享\n"})
	assert.Empty(t, s.View().Orphans(renamed))
	require.NoError(t, s.View().CheckCodeLists(renamed))

	drop := candidate(t, map[string]string{
		"share_types.csv": "id,name\nUNCONDITIONAL,无条件共享\nNOT_SHARED,不予共享\n",
		"domains.csv":     "id,name\nWATER,治水\n",
		"pi_types.csv":    "id,name\nID_CARD,身份证号\n",
		"districts.csv":   "code,name,short_name,kind\n500000,重庆市,市级,city\n500102,涪陵区,涪陵区,district\n",
	})
	got := s.View().Orphans(drop)
	assert.Equal(t, []Orphan{
		{Entry: "0101/000001", Field: "share_type", List: "share_types", Code: "CONDITIONAL"},
		{Entry: "0101/000001", Field: "domains[1]", List: "domains", Code: "AIR"},
		{Entry: "0101/000001", Field: "items[1] (pm25).pi_type", List: "pi_types", Code: "MOBILE"},
		{Entry: "0101/000002", Field: "domains[0]", List: "domains", Code: "AIR"},
		{Entry: "账号 wz", Field: "districts[0]", List: "districts", Code: "500101"},
	}, got)
	err := s.View().CheckCodeLists(drop)
	require.Error(t, err)
	assert.ErrorIs(t, err, schemas.ErrConflict)
	msg, ok := schemas.UserMessage(err)
	require.True(t, ok)
	assert.Contains(t, msg, "服务未启动")
	assert.Contains(t, msg, "以下 5 处目录或账号")
	assert.Contains(t, msg, "0101/000001 share_type: “CONDITIONAL” 不在新的代码表 share_types 中")
	assert.Contains(t, msg, "账号 wz districts[0]: “500101” 不在新的代码表 districts 中")
}

func TestCodeListRefusalIsBounded(t *testing.T) {
	r := &CodeListRefusal{}
	for i := range 73 {
		r.Orphans = append(r.Orphans, Orphan{Entry: fmt.Sprintf("0101/%06d", i), Field: "status", List: "entry_statuses", Code: "X"})
	}
	msg := r.Error()
	assert.Contains(t, msg, "以下 73 处")
	assert.Contains(t, msg, "0101/000049 status")
	assert.NotContains(t, msg, "0101/000050 status")
	assert.Contains(t, msg, "另有 23 处未列出")
}

func TestCodeListsKeepWhatTheLogicNames(t *testing.T) {
	s, _ := newTestStore(t)
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"a role dropped", map[string]string{"roles.csv": "id,name\nadmin,管理员\nsteward,管理员2\nreviewer,审核\nmanager,管理层\nanalyst,分析\nscene,场景\n"},
			"代码表 roles 的代码由程序定义, 只能改名称 (应为: admin、steward、reviewer、manager、analyst、scene、district; 缺少: district; 多出: 无)"},
		{"a status added", map[string]string{"entry_statuses.csv": "id,name\nDRAFT,草稿\nPENDING_REVIEW,待审\nPUBLISHED,已发布\nRETIRED,下线\nARCHIVED,归档\n"},
			"代码表 entry_statuses 的代码由程序定义, 只能改名称 (应为: DRAFT、PENDING_REVIEW、PUBLISHED、RETIRED; 缺少: 无; 多出: ARCHIVED)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.View().CheckCodeLists(candidate(t, c.files))
			require.Error(t, err)
			assert.ErrorIs(t, err, schemas.ErrInvalid)
			var r *CodeListRefusal
			require.True(t, errors.As(err, &r))
			assert.Equal(t, []string{c.want}, r.Structural)
		})
	}
	ok := candidate(t, map[string]string{"roles.csv": "id,name\ndistrict,区县局\nadmin,管理员\nsteward,数据管理员\nreviewer,审核员\nmanager,管理层\nanalyst,分析\nscene,场景\n"})
	assert.NoError(t, s.View().CheckCodeLists(ok), "renamed and reordered, every role kept")
}

func TestSyncDistricts(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	s := openTest(t, testConfig(dir, clock))
	ctx := context.Background()
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	before := s.Index()
	require.NoError(t, s.SyncDistricts(ctx))
	assert.Equal(t, before, s.Index(), "the embedded list, unchanged: nothing written")

	set := candidate(t, map[string]string{"districts.csv": "code,name,short_name,kind\n500000,重庆市,市级,city\n500101,万州区(新),万州,district\n500199,新设区,新设区,district\n"})
	require.NoError(t, s.View().CheckCodeLists(set))
	installForTest(t, set)
	require.NoError(t, s.SyncDistricts(ctx))
	codes := func(v *View) string {
		var out []string
		for _, d := range v.Districts() {
			out = append(out, d.Code+" "+d.Name)
		}
		return strings.Join(out, ", ")
	}
	assert.Equal(t, "500000 重庆市, 500101 万州区(新), 500199 新设区", codes(s.View()))
	e := validEntry("000001", "air_daily")
	e.District = "500199"
	require.NoError(t, s.PutEntry(ctx, e), "an entry may use the new district")
	e2 := validEntry("000002", "air_hourly")
	e2.District = "500102"
	require.ErrorIs(t, s.PutEntry(ctx, e2), ErrInvalid, "a dropped district is refused")

	// The change is journaled: a restart replays it.
	require.NoError(t, s.Close())
	s2 := openTest(t, testConfig(dir, clock))
	defer s2.Close()
	assert.Equal(t, "500000 重庆市, 500101 万州区(新), 500199 新设区", codes(s2.View()))
}
