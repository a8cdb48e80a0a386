package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

func TestActingAs(t *testing.T) {
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer cat.Close()
	require.NoError(t, cat.CreatePrincipal(ctx, catalog.Principal{ID: "li", Name: "李审核", Role: catalog.RoleReviewer, Clearance: schemas.General4}))
	require.NoError(t, cat.CreatePrincipal(ctx, catalog.Principal{ID: "gone", Name: "已离岗", Role: catalog.RoleSteward, Clearance: schemas.General4}))
	require.NoError(t, cat.DisablePrincipal(ctx, "gone"))

	tests := []struct {
		id, wantID, wantErr string
		kind                error
	}{
		{id: "", wantID: ""}, // the offline operator
		{id: "li", wantID: "li"},
		{id: "nobody", wantErr: "账号 nobody 不存在（ecolake principal list 列出账号）", kind: schemas.ErrNotFound},
		{id: "gone", wantErr: "账号 gone 已停用，不能以它的身份操作", kind: schemas.ErrForbidden},
	}
	for _, tc := range tests {
		p, err := actingAs(cat.View(), tc.id)
		if tc.wantErr != "" {
			assert.ErrorIs(t, err, tc.kind, tc.id)
			assert.Equal(t, tc.wantErr, failure(err))
			continue
		}
		require.NoError(t, err, tc.id)
		assert.Equal(t, tc.wantID, p.ID)
		if tc.id == "" {
			assert.Equal(t, catalog.RoleAdmin, p.Role, "the operator holds the directory")
		}
	}
}

func TestGradeArgs(t *testing.T) {
	empty := ""
	tests := []struct {
		name    string
		args    GradeArgs
		want    catalog.Grading
		wantErr string
	}{
		{"Chinese names become ids",
			GradeArgs{CatalogArgs: CatalogArgs{Code: "0101/000001", Base: 7, Note: "复核"}, Items: []string{"pm25=一般数据3级", " o3 = GENERAL_2 "},
				ImpactObject: "组织权益", ImpactDegree: "严重危害", Factors: []string{"领域", "SCALE"}, Basis: "依据"},
			catalog.Grading{Code: "0101/000001", Base: 7, Reason: "复核", Items: map[string]schemas.Grade{"pm25": schemas.General3, "o3": schemas.General2},
				Evidence: &catalog.Evidence{ImpactObject: "ORGANISATION", ImpactDegree: "SERIOUS", Factors: []string{"DOMAIN", "SCALE"}, Basis: "依据"}}, ""},
		{"an unknown code is passed on for the catalogue to name",
			GradeArgs{Items: []string{"pm25=G9"}},
			catalog.Grading{Items: map[string]schemas.Grade{"pm25": "G9"}}, ""},
		{"an empty override clears it",
			GradeArgs{Override: &empty},
			catalog.Grading{Override: new(schemas.Grade)}, ""},
		{"an item without a grade", GradeArgs{Items: []string{"pm25"}}, catalog.Grading{}, "--item “pm25”应为 字段=分级"},
		{"nothing to grade", GradeArgs{}, catalog.Grading{}, "请给出 --item 字段=分级"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.args.grading()
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestChangeValuesAreShownWithTheirNames(t *testing.T) {
	var out bytes.Buffer
	printChanges(&out, "", []catalog.FieldChange{
		{Field: "share_type", Label: "共享类型", Old: "UNCONDITIONAL", New: "CONDITIONAL"},
		{Field: "items[pm25].grade", Label: "信息项“PM2.5浓度”的分级", Old: "GENERAL_2", New: "GENERAL_3"},
		{Field: "secret", Label: "涉密", Old: "false", New: "true"},
		{Field: "abstract", Label: "信息资源摘要", Old: "", New: "日均值"},
		{Field: "items", Label: "信息项", New: "新增 臭氧浓度（o3）"},
		{Field: "items", Label: "信息项", Old: "删除 区县（district）"},
	})
	assert.Equal(t, "共享类型: 无条件共享 → 有条件共享\n"+
		"信息项“PM2.5浓度”的分级: 一般数据2级 → 一般数据3级\n"+
		"涉密: 否 → 是\n"+
		"信息资源摘要: （空） → “日均值”\n"+
		"信息项: 新增 臭氧浓度（o3）\n"+
		"信息项: 删除 区县（district）\n", out.String())
}

// TestCatalogCommandsRefuseBeforeOpening: what can be told without the catalogue is told
// without it, in Chinese.
func TestCatalogCommandsRefuseBeforeOpening(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	two := filepath.Join(t.TempDir(), "two.json")
	require.NoError(t, os.WriteFile(two, []byte(`[{"name": "甲"}, {"name": "乙"}]`), 0o644))
	tests := []struct {
		name string
		run  func(*bytes.Buffer) int
		want string
	}{
		{"create without a file", func(b *bytes.Buffer) int { return RunCatalogCreate(ctx, cfg, CatalogArgs{}, b, log) }, "必须给出目录文件"},
		{"create with two entries", func(b *bytes.Buffer) int { return RunCatalogCreate(ctx, cfg, CatalogArgs{File: two}, b, log) },
			"应只含一条目录 (多条目录与处室请用 ecolake entry import)"},
		{"edit without a base", func(b *bytes.Buffer) int {
			f := filepath.Join(t.TempDir(), "e.json")
			require.NoError(t, os.WriteFile(f, []byte(`{"resource_code": "0101/000001"}`), 0o644))
			return RunCatalogEdit(ctx, cfg, CatalogArgs{File: f}, b, log)
		}, "必须用 --base 给出修改所依据的版本 (ecolake catalog show 0101/000001 显示当前版本)"},
		{"submit without a code", func(b *bytes.Buffer) int { return RunCatalogStep(ctx, cfg, StepSubmit, CatalogArgs{Base: 3}, b, log) }, "必须给出资源代码"},
		{"approve without a base", func(b *bytes.Buffer) int {
			return RunCatalogStep(ctx, cfg, StepApprove, CatalogArgs{Code: "0101/000001"}, b, log)
		}, "必须用 --base 给出操作所依据的版本"},
		{"grade without a base", func(b *bytes.Buffer) int {
			return RunCatalogGrade(ctx, cfg, GradeArgs{CatalogArgs: CatalogArgs{Code: "0101/000001"}}, b, log)
		}, "必须用 --base 给出定级所依据的版本"},
		{"no catalogue yet", func(b *bytes.Buffer) int { return RunCatalogShow(ctx, cfg, CatalogArgs{Code: "0101/000001"}, b, log) },
			"还没有目录库, 请先运行 ecolake init"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			assert.Equal(t, ExitFailed, tc.run(&out))
			assert.Contains(t, out.String(), tc.want)
		})
	}
}
