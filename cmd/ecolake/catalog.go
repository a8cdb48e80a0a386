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
		detail: "xlsx: 目录、信息项、代码表说明与填表说明四个工作表; 代码类的列写中文名称。\n" +
			"dcat: 只含已发布、非涉密、开放类型不是“不予开放”的目录, 供开放数据平台采集。"},
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
