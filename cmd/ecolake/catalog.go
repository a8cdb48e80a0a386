package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"slices"

	"github.com/cqeco/ecolake/internal/app"
)

// catalogCommands is the `ecolake catalog …` group, commands on the directory. Each part of the
// directory declares its commands in its own file and is listed here.
var catalogCommands = slices.Concat(catalogExchangeCommands)

// catalogExchangeCommands move the directory in and out in the bureaus' exchange formats.
var catalogExchangeCommands = []*command{
	{name: "catalog export", summary: "导出目录: 目录工作簿 (xlsx) 或开放目录 (DCAT-AP JSON-LD)", setup: setupCatalogExport,
		detail: "xlsx: 目录、信息项、代码表说明与填表说明四个工作表, 代码类的列写中文名称; 编辑后可用 catalog import 导入。\n" +
			"dcat: 只含已发布、非涉密、开放类型不是“不予开放”的目录, 供开放数据平台采集。"},
	{name: "catalog import", summary: "导入目录工作簿: 新目录登记为草稿, 修改的目录成为修改或变更申请", args: []string{"目录.xlsx"}, setup: setupCatalogImport,
		detail: "整个工作簿作为一次操作导入: 任何一处有误则什么都不改变, 并列出每处问题的工作表、行与列。\n" +
			"已发布目录的修改成为变更申请, 审核通过前查询仍看到已发布的版本。"},
}

func setupCatalogImport(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var ia app.ImportArgs
	fs.StringVar(&ia.Reason, "reason", "", "导入的`说明`, 记入目录的修改历史")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		ia.File = arg(pos, 0)
		return app.RunCatalogImport(ctx, *cfg, ia, out, log)
	}
}

func setupCatalogExport(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var ea app.ExportArgs
	fs.StringVar(&ea.Format, "format", app.FormatXLSX, "导出`格式`: xlsx 或 dcat")
	fs.StringVar(&ea.Out, "o", "", "写入的`文件` (必填)")
	fs.StringVar(&ea.BaseURL, "base-url", "", "DCAT 标识所用的服务`地址`, 如 https://data.example.gov.cn (默认 http://127.0.0.1:8080)")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunCatalogExport(ctx, *cfg, ea, out, log)
	}
}
