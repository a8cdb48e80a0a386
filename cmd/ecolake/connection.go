package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake connection …`, `ecolake pull`, `ecolake schedules` and `ecolake connectors`
// commands: an entry's connection (垂管系统接口、业务数据库) and its schedule.

const connectionDetail = "\n--as 账号ID: 以目录库中该账号的身份操作 (默认本地运维, 即系统管理员)。\n" +
	"系统管理员与目录所属处室的数据管理员可以配置归集连接、触发归集; 保密配置项 (令牌、口令) 保存后显示为 [redacted]。"

func init() {
	register(
		&command{name: "connection set", summary: "设置目录的归集连接 (连接器、配置与调度)", args: []string{"资源代码"}, lake: true, setup: setupConnectionSet,
			detail: "--set 配置项=值 可重复; 配置项见 ecolake connectors。--schedule 为五段 cron (北京时间), 不给出则按目录的更新周期调度。\n" +
				"修改已有连接须给出 --base 当前版本; 保密配置项留空即保留原值。" + connectionDetail},
		&command{name: "connection show", summary: "显示目录的归集连接、下次归集时间与水位", args: []string{"资源代码"}, lake: true, setup: connectionSetup(app.RunConnectionShow), detail: connectionDetail},
		&command{name: "connection drop", summary: "删除目录的归集连接 (归集记录与数据保留)", args: []string{"资源代码"}, lake: true, setup: setupConnectionDrop, detail: connectionDetail},
		&command{name: "pull", summary: "立即按归集连接归集一次 (只读取水位之后的新记录)", args: []string{"资源代码"}, lake: true, verbose: true, setup: connectionSetup(app.RunPull),
			detail: "退出码: 0 已入库或无新数据, 1 已入库但有拒绝行, 2 未入库。" + connectionDetail},
		&command{name: "materialise", summary: "立即加工一次加工目录 (输入未变化时不重复加工)", args: []string{"资源代码"}, lake: true, verbose: true, setup: connectionSetup(app.RunMaterialise),
			detail: "按加工 SQL 读取各输入目录的当前快照, 经校验入库为本目录的新快照。退出码: 0 已入库或无需加工, 1 已入库但有拒绝行, 2 未入库。" + connectionDetail},
		&command{name: "schedules", summary: "列出归集调度与下次归集时间", lake: true, setup: connectionSetup(app.RunSchedules), detail: connectionDetail},
		&command{name: "connectors", summary: "列出连接器类型及其配置项 (--markdown 输出配置参考文档)", setup: setupConnectors},
	)
}

func connectionAs(fs *flag.FlagSet, a *app.ConnectionArgs) {
	fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份操作 (默认本地运维)")
}

func connectionSetup(run func(context.Context, app.Config, app.ConnectionArgs, io.Writer, *slog.Logger) int) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		var a app.ConnectionArgs
		connectionAs(fs, &a)
		return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
			a.Entry = arg(pos, 0)
			return run(ctx, *cfg, a, out, log)
		}
	}
}

func setupConnectionSet(fs *flag.FlagSet, cfg *app.Config) runFunc {
	a := app.ConnectionArgs{Config: map[string]string{}}
	connectionAs(fs, &a)
	fs.StringVar(&a.Kind, "kind", "", "连接器`类型`: rest 或 postgres (必填)")
	fs.Func("set", "`配置项=值`; 可重复", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("应写作 配置项=值, 而不是 %q", v)
		}
		a.Config[strings.TrimSpace(k)] = val
		return nil
	})
	fs.StringVar(&a.File, "config-file", "", "配置`文件` (JSON 对象, 键与值都是文本; --set 的值优先)")
	fs.StringVar(&a.Schedule, "schedule", "", "调度 `cron` 表达式 (五段, 北京时间; 不给出按更新周期)")
	fs.BoolVar(&a.Disabled, "disabled", false, "停用自动调度 (仍可手动 pull)")
	fs.Uint64Var(&a.Base, "base", 0, "修改所基于的`版本` (新建为 0)")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.Entry = arg(pos, 0)
		return app.RunConnectionSet(ctx, *cfg, a, out, log)
	}
}

func setupConnectionDrop(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.ConnectionArgs
	connectionAs(fs, &a)
	fs.Uint64Var(&a.Base, "base", 0, "删除的连接的当前`版本` (必填)")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.Entry = arg(pos, 0)
		return app.RunConnectionDrop(ctx, *cfg, a, out, log)
	}
}

func setupConnectors(fs *flag.FlagSet, cfg *app.Config) runFunc {
	markdown := fs.Bool("markdown", false, "输出 Markdown 配置参考文档 (即 docs/connectors.md)")
	return func(ctx context.Context, _ []string, out io.Writer, _ *slog.Logger) int {
		return app.RunConnectors(ctx, *cfg, *markdown, out)
	}
}
