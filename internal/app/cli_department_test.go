package app

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// airSteward opens a fresh data directory with the 大气处 department and its steward zhang of
// the given clearance, and returns the open app (the caller closes it) and its configuration.
func airSteward(t testing.TB, clearance schemas.Grade) (*App, Config, catalog.Principal) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	require.NoError(t, a.Cat.PutDepartment(ctx, catalog.Department{Code: "DIV_AIR", Name: "大气处", Kind: catalog.DepartmentDivision}))
	zhang := catalog.Principal{ID: "zhang", Name: "张数据", Role: catalog.RoleSteward, Clearance: clearance, Department: "DIV_AIR"}
	require.NoError(t, a.Cat.CreatePrincipal(ctx, zhang))
	return a, cfg, zhang
}

// TestDepartmentCommands: the operator registers a department by its kind's Chinese name; a
// steward acting through --as is refused; the list shows it.
func TestDepartmentCommands(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	a, cfg, _ := airSteward(t, schemas.General4)
	require.NoError(t, a.Close())

	var out bytes.Buffer
	code := RunDepartmentPut(ctx, cfg, DepartmentArgs{CatalogArgs: CatalogArgs{As: "zhang", Code: "DIV_NOISE"}, Name: "噪声处", Kind: "处室"}, &out, log)
	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, out.String(), "只有系统管理员")
	out.Reset()
	code = RunDepartmentPut(ctx, cfg, DepartmentArgs{CatalogArgs: CatalogArgs{Code: "DIV_NOISE"}, Name: "噪声处", Kind: "处室"}, &out, log)
	require.Equal(t, ExitOK, code, out.String())
	assert.Contains(t, out.String(), "已登记部门 DIV_NOISE 噪声处（处室）")
	out.Reset()
	require.Equal(t, ExitOK, RunDepartmentList(ctx, cfg, CatalogArgs{}, &out, log))
	assert.Contains(t, out.String(), "DIV_NOISE")
	assert.Contains(t, out.String(), "噪声处")
}

// TestGradeAboveOwnClearance: a steward may raise an entry's grade above its own clearance; the
// entry then no longer exists for it, and the command says so (the offline client reads back as
// the same account, never around the access decision).
func TestGradeAboveOwnClearance(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	a, cfg, zhang := airSteward(t, schemas.General2)
	e, err := a.Cat.CreateEntry(ctx, &zhang, &catalog.Entry{Name: "企业名录", CategoryCode: "0101", Department: "DIV_AIR",
		Items: catalog.ItemsOf([]catalog.Item{{Name: "单位名称", Field: "org_name", Type: schemas.String, Grade: schemas.General1}}...)}, "")
	require.NoError(t, err)
	require.NoError(t, a.Close())

	var out bytes.Buffer
	code := RunCatalogGrade(ctx, cfg, GradeArgs{CatalogArgs: CatalogArgs{As: "zhang", Code: e.ResourceCode, Base: e.Revision},
		Items: []string{"org_name=GENERAL_4"}}, &out, log)
	require.Equal(t, ExitOK, code, out.String())
	assert.Contains(t, out.String(), "该账号不再能看到它")
}
