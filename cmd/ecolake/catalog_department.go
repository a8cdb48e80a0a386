package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/cqeco/ecolake/internal/app"
)

func init() {
	register(
		&command{name: "catalog department put", summary: "登记或修改部门 (处室、直属单位、总队; 系统管理员)", setup: setupDepartmentPut,
			detail: "修改已有部门时, 未给出的选项保持原值。" + asDetail},
		&command{name: "catalog department list", summary: "列出部门", setup: setupDepartmentList, detail: asDetail},
	)
}

func setupDepartmentPut(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var d app.DepartmentArgs
	catalogFlags(fs, &d.CatalogArgs, false)
	fs.StringVar(&d.Code, "code", "", "部门`代码`, 大写英文字母开头, 如 DIV_WATER")
	fs.StringVar(&d.Name, "name", "", "部门`名称`")
	fs.StringVar(&d.Kind, "kind", "", "`类别`: division (处室)、centre (直属单位)、corps (总队), 或中文名称")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunDepartmentPut(ctx, *cfg, d, out, log)
	}
}

func setupDepartmentList(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.CatalogArgs
	catalogFlags(fs, &a, false)
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunDepartmentList(ctx, *cfg, a, out, log)
	}
}
