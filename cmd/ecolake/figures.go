package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake figures` command: the three management figures against their targets, and the
// monthly meeting's workbook.

func init() {
	register(&command{name: "figures", summary: "管理指标: 数据归集率、业务事项覆盖率、“一件事”上线运行率与目标的对比, 或导出月度报表 (xlsx)",
		setup: setupFigures,
		detail: "只统计 --as 账号可见的目录 (默认本地运维, 即全部目录)。“一件事”是否在用读取数据目录下的查询审计 (只读, 服务运行时也可读取)。\n" +
			"--xlsx 文件: 不在终端显示, 改为写出月度报表工作簿 (概览、按处室、按区县、按治理领域、按来源类型、未归集清单、业务事项覆盖、一件事运行)。"})
}

func setupFigures(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.FiguresArgs
	fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份统计 (默认本地运维)")
	fs.IntVar(&a.Lagging, "lagging", app.DefaultFiguresLagging, "未归集清单显示的`条数` (0 为不显示)")
	fs.StringVar(&a.XLSX, "xlsx", "", "把月度报表写入该`文件` (xlsx), 而不在终端显示")
	fs.IntVar(&a.Days, "days", app.DefaultFiguresDays, "另显示近几`天` 的逐日指标 (0 为不显示; 区县账号不提供)")
	fs.StringVar(&a.Day, "day", "", "改为显示该`日期` (YYYY-MM-DD) 记录的指标与当日未归集的目录")
	targetFlags(fs, cfg)
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunFigures(ctx, *cfg, a, out, log)
	}
}

// targetFlags are the management figures' targets, for the commands that show figures.
func targetFlags(fs *flag.FlagSet, cfg *app.Config) {
	for _, t := range []struct {
		name, what string
		dst        *float64
	}{
		{"collection-target", "数据归集率", &cfg.Targets.Collection},
		{"coverage-target", "业务事项覆盖率", &cfg.Targets.Coverage},
		{"one-thing-target", "“一件事”上线运行率", &cfg.Targets.OneThing},
	} {
		fs.Func(t.name, fmt.Sprintf("%s的`目标值`, 0 到 1 之间的小数 (默认 %s)", t.what, strconv.FormatFloat(*t.dst, 'f', -1, 64)), func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f >= 0 && f <= 1) {
				return fmt.Errorf("应为 0 到 1 之间的小数 (如 0.9), 而不是 %q", v)
			}
			*t.dst = f
			return nil
		})
	}
}
