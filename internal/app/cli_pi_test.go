package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// piSetup is a closed data directory with a published entry of 大气处 whose two phone items have
// no pi_type, loaded with 40 rows of mobile numbers; 张数据 is its steward, 李审核 a reviewer, 王数据
// a steward of 水处.
func piSetup(t *testing.T) Config {
	t.Helper()
	ctx := context.Background()
	a, cfg, _ := airSteward(t, schemas.General4)
	require.NoError(t, a.Cat.PutDepartment(ctx, catalog.Department{Code: "DIV_WATER", Name: "水处", Kind: catalog.DepartmentDivision}))
	for _, p := range []catalog.Principal{
		{ID: "li", Name: "李审核", Role: catalog.RoleReviewer, Clearance: schemas.General4, Department: "DIV_AIR"},
		{ID: "wang", Name: "王数据", Role: catalog.RoleSteward, Clearance: schemas.General4, Department: "DIV_WATER"},
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
			catalog.Item{Name: "联系电话", Field: "phone", Type: schemas.String, Grade: schemas.General2},
			catalog.Item{Name: "备用电话", Field: "phone2", Type: schemas.String, Grade: schemas.General1}),
	}))
	var b strings.Builder
	b.WriteString("排污口,联系电话,备用电话\n")
	for i := range 40 {
		fmt.Fprintf(&b, "K%02d,139%08d,136%08d\n", i, i*7919, i*104729)
	}
	_, err := a.Ingest.Submit(ctx, ingestAsOperator(grantEntryCode, "", b.String()))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	return cfg
}

// piState opens the catalogue and returns the item's proposal and the item as published.
func piState(t *testing.T, cfg Config, field string) (*catalog.PIProposal, catalog.Item, string) {
	t.Helper()
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	v := a.Cat.View()
	pr := findProposal(v, catalog.Operator(), grantEntryCode, field)
	require.NotNil(t, pr, field)
	e, err := v.Entry(grantEntryCode)
	require.NoError(t, err)
	it, _ := e.Item(field)
	mask := ""
	for _, ia := range v.Decide(catalog.Operator(), e, time.Now()).Items {
		if ia.Field == field {
			mask = ia.Mask
		}
	}
	return pr, it, mask
}

// TestPICommands: the steward lists the proposals, accepts one, which a reviewer approves through
// the directory's review, and dismisses the other; another department's steward is refused.
func TestPICommands(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := piSetup(t)
	run := func(want int, fn func(out *bytes.Buffer) int) string {
		t.Helper()
		var out bytes.Buffer
		require.Equal(t, want, fn(&out), out.String())
		return out.String()
	}

	out := run(ExitOK, func(o *bytes.Buffer) int {
		return RunPIList(ctx, cfg, PIArgs{As: "zhang", Code: grantEntryCode}, o, log)
	})
	assert.Contains(t, out, "联系电话")
	assert.Contains(t, out, "手机号")
	assert.Contains(t, out, "待确认")
	assert.Contains(t, out, "40/40")
	out = run(ExitFailed, func(o *bytes.Buffer) int {
		return RunPIList(ctx, cfg, PIArgs{As: "wang", Code: grantEntryCode}, o, log)
	})
	assert.Contains(t, out, "无权处理目录")

	pr, _, _ := piState(t, cfg, "phone")
	for _, tc := range []struct {
		name string
		a    PIArgs
		want string
	}{
		{"no field", PIArgs{As: "zhang", Code: grantEntryCode, Base: pr.Revision}, "必须给出资源代码和信息项字段"},
		{"no base", PIArgs{As: "zhang", Code: grantEntryCode, Field: "phone"}, "--base"},
		{"another department", PIArgs{As: "wang", Code: grantEntryCode, Field: "phone", Base: pr.Revision}, "无权处理目录"},
		{"a stale base", PIArgs{As: "zhang", Code: grantEntryCode, Field: "phone", Base: pr.Revision + 1}, "请刷新后重新操作"},
	} {
		out = run(ExitFailed, func(o *bytes.Buffer) int { return RunPIDecide(ctx, cfg, true, tc.a, o, log) })
		assert.Contains(t, out, tc.want, tc.name)
	}

	out = run(ExitOK, func(o *bytes.Buffer) int {
		return RunPIDecide(ctx, cfg, true, PIArgs{As: "zhang", Code: grantEntryCode, Field: "phone", Base: pr.Revision, Note: "核实为手机号"}, o, log)
	})
	assert.Contains(t, out, "标为手机号, 分级不低于一般数据3级")
	assert.Contains(t, out, "ecolake catalog approve "+grantEntryCode)
	_, it, mask := piState(t, cfg, "phone")
	assert.Equal(t, "", it.PIType, "not before the review")
	assert.Equal(t, "", mask)

	base := version(t, out[strings.Index(out, "修改已提交审核"):])
	run(ExitFailed, func(o *bytes.Buffer) int {
		return RunCatalogStep(ctx, cfg, StepApprove, CatalogArgs{As: "zhang", Code: grantEntryCode, Base: base}, o, log)
	})
	run(ExitOK, func(o *bytes.Buffer) int {
		return RunCatalogStep(ctx, cfg, StepApprove, CatalogArgs{As: "li", Code: grantEntryCode, Base: base, Note: "同意"}, o, log)
	})
	pr, it, mask = piState(t, cfg, "phone")
	assert.Equal(t, catalog.PIAccepted, pr.Status)
	assert.Equal(t, base, pr.Change)
	assert.Equal(t, "MOBILE", it.PIType)
	assert.Equal(t, schemas.General3, it.Grade)
	assert.Equal(t, "MOBILE", mask)

	pr2, _, _ := piState(t, cfg, "phone2")
	out = run(ExitOK, func(o *bytes.Buffer) int {
		return RunPIDecide(ctx, cfg, false, PIArgs{As: "zhang", Code: grantEntryCode, Field: "phone2", Base: pr2.Revision, Note: "值班室号码"}, o, log)
	})
	assert.Contains(t, out, "已忽略目录 "+grantEntryCode+" 信息项 phone2（备用电话）的建议“手机号”")
	pr2, _, _ = piState(t, cfg, "phone2")
	assert.Equal(t, catalog.PIDismissed, pr2.Status)
	assert.Equal(t, "值班室号码", pr2.Note)
	out = run(ExitOK, func(o *bytes.Buffer) int {
		return RunPIList(ctx, cfg, PIArgs{As: "zhang", Code: grantEntryCode}, o, log)
	})
	assert.Contains(t, out, "已接受")
	assert.Contains(t, out, "已忽略")
}
