package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake lineage …` commands: where an entry's data came from, what depends on it.

const lineageDetail = "\n--as 账号ID: 以目录库中该账号的身份查看, 只显示它可见的目录 (默认本地运维)。"

func init() {
	register(
		&command{name: "lineage upstream", summary: "血缘: 目录或信息项的上游 (来源)", args: []string{"资源代码或表名"},
			setup: lineageSetup("upstream"), detail: "--as-of 快照: 按本目录的这一快照追溯其输入的快照。" + lineageDetail},
		&command{name: "lineage downstream", summary: "血缘: 目录或信息项的下游 (依赖方)", args: []string{"资源代码或表名"},
			setup: lineageSetup("downstream"), detail: lineageDetail},
		&command{name: "lineage impact", summary: "影响分析: 依赖本目录 (或 --district 区县报送的目录) 的目录、场景、业务事项与管理指标, 及其中过期的", args: []string{"资源代码或表名"},
			setup: setupImpact, detail: lineageDetail},
	)
	groupSummaries["lineage"] = "血缘: 上游、下游与影响分析 (ecolake help lineage 列出全部)"
}

func lineageSetup(dir string) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		a := app.LineageArgs{Direction: dir}
		fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份查看 (默认本地运维)")
		fs.StringVar(&a.Level, "level", "table", "`层级`: table 表级 或 column 字段级")
		fs.StringVar(&a.Field, "field", "", "字段级时只从这一信息项`字段`出发")
		fs.IntVar(&a.Depth, "depth", app.DefaultLineageDepth, "`层数` (1 到 20)")
		if dir == "upstream" {
			fs.StringVar(&a.AsOf, "as-of", "", "按本目录的这一`快照`追溯")
		}
		return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
			a.Entry = arg(pos, 0)
			return app.RunLineage(ctx, *cfg, a, out, log)
		}
	}
}

func setupImpact(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.LineageArgs
	fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份查看 (默认本地运维)")
	fs.StringVar(&a.District, "district", "", "分析该`区县` (代码或名称) 报送的目录未按时归集的影响, 代替资源代码")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.Entry = arg(pos, 0)
		return app.RunImpact(ctx, *cfg, a, out, log)
	}
}
