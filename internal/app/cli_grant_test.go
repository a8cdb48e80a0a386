package app

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

const grantEntryCode = "0101/000001"

// grantSetup is a closed data directory with a published 有条件共享 entry of 大气处 holding a
// mobile number, a scene account, a reviewer of 大气处 and one of 水处.
func grantSetup(t testing.TB) Config {
	t.Helper()
	ctx := context.Background()
	a, cfg, _ := airSteward(t, schemas.General4)
	require.NoError(t, a.Cat.PutDepartment(ctx, catalog.Department{Code: "DIV_WATER", Name: "水处", Kind: catalog.DepartmentDivision}))
	for _, p := range []catalog.Principal{
		{ID: "yjs", Name: "排污口一件事", Role: catalog.RoleScene, Clearance: schemas.General2},
		{ID: "li", Name: "李审核", Role: catalog.RoleReviewer, Clearance: schemas.General4, Department: "DIV_AIR"},
		{ID: "wang", Name: "王审核", Role: catalog.RoleReviewer, Clearance: schemas.General4, Department: "DIV_WATER"},
	} {
		require.NoError(t, a.Cat.CreatePrincipal(ctx, p))
	}
	require.NoError(t, a.Cat.PutEntry(ctx, &catalog.Entry{
		ResourceCode: grantEntryCode, Table: "outfall_contacts", Name: "排污口联系人", CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "排污口联系人", FormatType: "DATABASE",
		ShareType: catalog.ShareConditional, ShareCondition: "用于排污口监管", ShareMode: "TABLE", OpenType: "NOT_OPEN",
		UpdateCycle: schemas.Irregular, Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode,
		SourceKind: "DISTRICT_SUBMISSION", Domains: []string{"AIR"}, Items: catalog.ItemsOf(
			catalog.Item{Name: "排污口", Field: "outfall", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1},
			catalog.Item{Name: "联系电话", Field: "phone", Type: schemas.String, Length: 20, Grade: schemas.General2, PIType: "MOBILE"}),
	}))
	require.NoError(t, a.Close())
	return cfg
}

// sceneReads opens the catalogue and reports whether the scene may read the entry's data now.
func sceneReads(t *testing.T, cfg Config) bool {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	v := a.Cat.View()
	e, err := v.Entry(grantEntryCode)
	require.NoError(t, err)
	p, err := v.Principal("yjs")
	require.NoError(t, err)
	return v.Decide(p, e, time.Now()).Read
}

var versionRE = regexp.MustCompile(`版本 (\d+)`)

// version reads the revision a command's output names.
func version(t *testing.T, out string) uint64 {
	t.Helper()
	m := versionRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	n, err := strconv.ParseUint(m[1], 10, 64)
	require.NoError(t, err)
	return n
}

// TestGrantCommands: the scene asks, the reviewer of 大气处 approves and the data opens for the
// scene; refusals name who and what; the scene revokes and the data closes.
func TestGrantCommands(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := grantSetup(t)
	run := func(fn func(*bytes.Buffer) int) (int, string) {
		var out bytes.Buffer
		code := fn(&out)
		return code, out.String()
	}
	req := GrantArgs{As: "yjs", Entry: grantEntryCode, Purpose: "排污口溯源", Expires: "2099-12-31", Mode: "明细数据", Unmasked: []string{"phone"}}

	code, out := run(func(b *bytes.Buffer) int { return RunGrantRequest(ctx, cfg, req, b, log) })
	require.Equal(t, ExitOK, code, out)
	assert.Contains(t, out, "已申请授权 G000001: 目录 0101/000001 排污口联系人，被授权账号 排污口一件事（yjs），明细数据")
	assert.Contains(t, out, "现为待审批")
	assert.Contains(t, out, "ecolake grant approve G000001 --base")
	base := version(t, out)
	assert.False(t, sceneReads(t, cfg), "a request opens nothing")

	code, out = run(func(b *bytes.Buffer) int {
		return RunGrantStep(ctx, cfg, GrantApprove, GrantArgs{As: "wang", ID: "G000001", Base: base}, b, log)
	})
	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, out, "错误: 未能批准授权 G000001: 只有目录责任部门（DIV_AIR）的审核员或系统管理员可以审批授权 G000001")
	code, out = run(func(b *bytes.Buffer) int {
		return RunGrantStep(ctx, cfg, GrantRefuse, GrantArgs{As: "li", ID: "G000001", Base: base}, b, log)
	})
	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, out, "--note: 必填", "the flag to give is named")

	code, out = run(func(b *bytes.Buffer) int {
		return RunGrantStep(ctx, cfg, GrantApprove, GrantArgs{As: "li", ID: "G000001", Base: base, Note: "同意"}, b, log)
	})
	require.Equal(t, ExitOK, code, out)
	assert.Contains(t, out, "已批准授权 G000001")
	assert.Contains(t, out, "现为已批准")
	approved := version(t, out)
	assert.True(t, sceneReads(t, cfg), "the approved grant opens the data")

	code, out = run(func(b *bytes.Buffer) int {
		return RunGrantStep(ctx, cfg, GrantRevoke, GrantArgs{As: "yjs", ID: "G000001", Base: base}, b, log)
	})
	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, out, "授权 G000001 已被李审核于")

	code, out = run(func(b *bytes.Buffer) int { return RunGrantList(ctx, cfg, GrantArgs{As: "yjs"}, b, log) })
	require.Equal(t, ExitOK, code, out)
	assert.Regexp(t, `G000001\s+0101/000001\s+排污口联系人\s+排污口一件事（yjs）\s+明细数据\s+已批准`, out)
	_, out = run(func(b *bytes.Buffer) int { return RunGrantList(ctx, cfg, GrantArgs{As: "wang"}, b, log) })
	assert.Contains(t, out, "(无)", "a reviewer of another department sees no grant of 大气处")
	code, out = run(func(b *bytes.Buffer) int { return RunGrantShow(ctx, cfg, GrantArgs{As: "wang", ID: "G000001"}, b, log) })
	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, out, "授权 G000001 不存在")

	code, out = run(func(b *bytes.Buffer) int { return RunGrantShow(ctx, cfg, GrantArgs{As: "li", ID: "G000001"}, b, log) })
	require.Equal(t, ExitOK, code, out)
	for _, want := range []string{"被授权账号: 排污口一件事（yjs）", "明文信息项: 联系电话（phone）", "信息项: 全部", "状态: 已批准", "审批意见: 同意"} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `批准\s+李审核（li）\s+同意`, out)

	code, out = run(func(b *bytes.Buffer) int {
		return RunGrantStep(ctx, cfg, GrantRevoke, GrantArgs{As: "yjs", ID: "G000001", Base: approved, Note: "项目结束"}, b, log)
	})
	require.Equal(t, ExitOK, code, out)
	assert.Contains(t, out, "已撤销授权 G000001")
	assert.False(t, sceneReads(t, cfg), "the revoked grant opens nothing")
}

// TestGrantRequestRefusals: what is wrong with a request is said in Chinese, naming the flag.
func TestGrantRequestRefusals(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := grantSetup(t)
	ok := GrantArgs{As: "yjs", Entry: grantEntryCode, Purpose: "排污口溯源", Expires: "2099-12-31", Mode: "rows"}
	tests := []struct {
		name string
		edit func(a *GrantArgs)
		want string
	}{
		{"no purpose", func(a *GrantArgs) { a.Purpose = " " }, "错误: 必须用 --purpose 给出用途"},
		{"no mode", func(a *GrantArgs) { a.Mode = "" }, "错误: 必须用 --mode 给出方式"},
		{"no time", func(a *GrantArgs) { a.Expires = "明年" }, "错误: --expires “明年”不是时间"},
		{"small group", func(a *GrantArgs) { a.Mode, a.MinGroupSize = "仅汇总统计", 2 }, "--min-group: 最小分组不能小于 5"},
		{"no such item", func(a *GrantArgs) { a.Items = []string{"outfall", "nox"} }, "--item[1]: 目录没有信息项“nox”"},
		{"for another", func(a *GrantArgs) { a.Grantee = "li" }, "只能为本账号申请授权"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			tc.edit(&a)
			var out bytes.Buffer
			assert.Equal(t, ExitFailed, RunGrantRequest(ctx, cfg, a, &out, log))
			assert.Contains(t, out.String(), tc.want)
		})
	}
	var out bytes.Buffer
	assert.Equal(t, ExitFailed, RunGrantList(ctx, cfg, GrantArgs{Status: "全部"}, &out, log))
	assert.Contains(t, out.String(), "--status “全部”不是授权状态")
	out.Reset()
	require.Equal(t, ExitOK, RunGrantList(ctx, cfg, GrantArgs{Status: "待审批"}, &out, log))
	assert.Contains(t, out.String(), "(无)", "nothing refused was stored")
}
