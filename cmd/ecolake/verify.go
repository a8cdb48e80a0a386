package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake lake verify` command.

func init() {
	register(
		&command{name: "lake verify", summary: "检查数据湖: 逐一核对快照清单、数据文件的大小与校验和, 以及拒收明细文件是否存在", lake: true, verbose: true, setup: setupVerify,
			detail: "检查每个目录 (或 --entry 指定的目录) 每个未过期快照的清单, 并完整读取清单列出的每个数据文件, 核对大小与 SHA-256; " +
				"再确认每次归集的拒收明细文件存在。每个问题一行, 写明目录、快照 (或归集运行)、对象与问题 (缺失 / 大小不符 / 校验和不符 / 清单无法读取), 最后一行为汇总。\n" +
				"损坏文件在数据目录本地读缓存 (cache/) 中的副本一并移除。服务运行时不能检查 (同 gc, 须独占数据目录)。\n" +
				"退出码: 0 未发现问题, 1 发现问题, 2 无法完成检查 (数据湖无法访问、目录不存在等)。"})
}

func setupVerify(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.VerifyArgs
	fs.StringVar(&a.Entry, "entry", "", "只检查该目录: `资源代码` (分类码/顺序码) 或表名; 不填则检查全部目录")
	fs.IntVar(&a.Jobs, "jobs", app.DefaultVerifyJobs, "同时读取的对象`个数` (1 到 64)")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunVerify(ctx, *cfg, a, out, log)
	}
}
