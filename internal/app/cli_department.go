package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cqeco/ecolake/catalog"
)

// DepartmentArgs are the arguments of `ecolake catalog department put`.
type DepartmentArgs struct {
	CatalogArgs
	Name string
	Kind string // division, centre, corps, or their Chinese names
}

// RunDepartmentPut registers or renames a department (处室/单位); only administrators may.
func RunDepartmentPut(ctx context.Context, cfg Config, d DepartmentArgs, out io.Writer, log *slog.Logger) int {
	if d.Code == "" {
		fmt.Fprintln(out, "错误: 必须用 --code 给出部门代码")
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, d.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		dep := catalog.Department{Code: d.Code, Name: d.Name, Kind: catalog.DepartmentKind(d.Kind)}
		old, err := cat.View().Department(d.Code)
		if err == nil {
			dep.Name, dep.Kind = keep(d.Name, old.Name), keep(catalog.DepartmentKind(d.Kind), old.Kind)
		}
		if err := cat.PutDepartmentAs(ctx, p, dep); err != nil {
			return failed(out, "登记部门 "+d.Code, err)
		}
		fmt.Fprintf(out, "%s部门 %s %s（%s）。\n", putVerb(old), dep.Code, dep.Name, catalog.DepartmentKindNames[dep.Kind])
		return ExitOK
	})
}

// RunDepartmentList lists the departments.
func RunDepartmentList(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, _ *catalog.Principal) int {
		var rows [][]string
		for _, d := range cat.View().Departments() {
			rows = append(rows, []string{d.Code, d.Name, catalog.DepartmentKindNames[d.Kind]})
		}
		writeTable(out, []string{"代码", "名称", "类别"}, rows)
		return ExitOK
	})
}
