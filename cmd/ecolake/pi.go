package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake pi …` commands: the personal-information proposals that loads raise from the
// values of an entry's text items, and a steward's acceptance or dismissal of them.

const piDetail = "\n--as 账号ID: 以目录库中该账号的身份操作 (默认本地运维, 即系统管理员)。\n" +
	"报送数据后, 没有个人信息类型的文本信息项的值多为手机号、身份证号等时提出建议; 系统管理员与目录所属处室的数据管理员可以查看和处理。\n" +
	"接受后, 信息项标为该类型 (分级低于该类型对应的分级时一并提高), 经目录审核流程: 成为变更申请并提交审核, 审核员审核通过后生效, 查询时脱敏。\n" +
	"忽略后, 以后报送的数据仍像同一类型时不再提出; 像另一类型时重新提出。"

func init() {
	register(
		&command{name: "pi list", summary: "列出目录的个人信息类型建议 (报送数据中发现的手机号、身份证号等)", args: []string{"资源代码"},
			setup: setupPIList, detail: piDetail},
		&command{name: "pi accept", summary: "接受个人信息类型建议 (经审核后生效)", args: []string{"资源代码", "字段"},
			setup: piDecideSetup(true), detail: piDetail},
		&command{name: "pi dismiss", summary: "忽略个人信息类型建议", args: []string{"资源代码", "字段"},
			setup: piDecideSetup(false), detail: piDetail},
	)
}

func piAs(fs *flag.FlagSet, a *app.PIArgs) {
	fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份操作 (默认本地运维)")
}

func setupPIList(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.PIArgs
	piAs(fs, &a)
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.Code = arg(pos, 0)
		return app.RunPIList(ctx, *cfg, a, out, log)
	}
}

func piDecideSetup(accept bool) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		var a app.PIArgs
		piAs(fs, &a)
		versionFlag(fs, "所依据的建议`版本` (必填; ecolake pi list 显示)", &a.Base, false)
		if accept {
			fs.StringVar(&a.Note, "note", "", "`说明`, 记入目录历史与变更申请, 供审核员参考")
		} else {
			fs.StringVar(&a.Note, "note", "", "忽略的`原因`, 如 值班室座机、测试数据")
		}
		return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
			a.Code, a.Field = arg(pos, 0), arg(pos, 1)
			return app.RunPIDecide(ctx, *cfg, accept, a, out, log)
		}
	}
}
