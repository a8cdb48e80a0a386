package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake grant …` commands: requesting, deciding, revoking and reading grants (授权).

const grantDetail = "\n--as 账号ID: 以目录库中该账号的身份操作 (默认本地运维, 即系统管理员)。\n" +
	"被授权账号或数据管理员、系统管理员 (代为) 申请; 目录责任部门的审核员或系统管理员审批, 申请人与被授权人不能审批; " +
	"目录责任部门的审核员、系统管理员或被授权账号本人撤销。"

func init() {
	register(
		&command{name: "grant request", summary: "申请授权 (有条件共享目录的数据, 待审批)", setup: setupGrantRequest,
			detail: "方式: rows 明细数据, aggregates 仅汇总统计 (也可写中文名称); --min-group 仅用于仅汇总统计, 不小于 5。\n" +
				"--expires 为日期 (当日结束时到期, 重庆时间) 或 RFC 3339 时间。" + grantDetail},
		&command{name: "grant approve", summary: "批准授权", args: []string{"授权编号"}, setup: grantStepSetup(app.GrantApprove), detail: grantDetail},
		&command{name: "grant refuse", summary: "驳回授权 (须填写原因 --note)", args: []string{"授权编号"}, setup: grantStepSetup(app.GrantRefuse), detail: grantDetail},
		&command{name: "grant revoke", summary: "撤销授权 (下一次请求起不再生效)", args: []string{"授权编号"}, setup: grantStepSetup(app.GrantRevoke), detail: grantDetail},
		&command{name: "grant list", summary: "列出授权 (本账号可见的)", setup: setupGrantList,
			detail: "数据管理员、系统管理员看到全部, 审核员看到本部门目录的, 其他账号看到本人的; 均限于该账号可见的目录。" + grantDetail},
		&command{name: "grant show", summary: "显示授权及其历史", args: []string{"授权编号"}, setup: setupGrantShow, detail: grantDetail},
	)
}

func grantAs(fs *flag.FlagSet, a *app.GrantArgs) {
	fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份操作 (默认本地运维)")
}

func setupGrantRequest(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.GrantArgs
	grantAs(fs, &a)
	fs.StringVar(&a.Entry, "entry", "", "目录的`资源代码` (必填)")
	fs.StringVar(&a.Grantee, "grantee", "", "被授权`账号ID` (默认 --as 的账号)")
	fs.StringVar(&a.Purpose, "purpose", "", "`用途` (必填)")
	fs.StringVar(&a.Expires, "expires", "", "到期`时间`, 如 2026-03-01 (必填)")
	fs.StringVar(&a.Mode, "mode", "", "`方式`: rows 明细数据 或 aggregates 仅汇总统计 (必填)")
	fs.IntVar(&a.MinGroupSize, "min-group", 0, "仅汇总统计的最小分组`行数` (不小于 5)")
	fs.Func("item", "授权的信息项`字段`; 可重复, 或用逗号分隔; 不给出为全部信息项", func(v string) error {
		a.Items = append(a.Items, splitList(v)...)
		return nil
	})
	fs.Func("unmasked", "申请明文读取的个人信息项`字段`; 可重复, 或用逗号分隔", func(v string) error {
		a.Unmasked = append(a.Unmasked, splitList(v)...)
		return nil
	})
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunGrantRequest(ctx, *cfg, a, out, log)
	}
}

func grantStepSetup(step app.GrantStep) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		var a app.GrantArgs
		grantAs(fs, &a)
		versionFlag(fs, "操作所依据的授权`版本` (必填; ecolake grant show 显示)", &a.Base, false)
		if step == app.GrantRefuse {
			fs.StringVar(&a.Note, "note", "", "驳回`原因` (必填), 告知申请人")
		} else {
			fs.StringVar(&a.Note, "note", "", "`意见` 或原因, 记入授权历史")
		}
		return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
			a.ID = arg(pos, 0)
			return app.RunGrantStep(ctx, *cfg, step, a, out, log)
		}
	}
}

func setupGrantList(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.GrantArgs
	grantAs(fs, &a)
	fs.StringVar(&a.Entry, "entry", "", "只列出该目录`资源代码` 的授权")
	fs.StringVar(&a.Grantee, "grantee", "", "只列出该被授权`账号ID` 的授权")
	fs.StringVar(&a.Status, "status", "", "只列出该`状态`: requested, approved, refused, revoked (或中文名称)")
	fs.IntVar(&a.Limit, "limit", 100, "最多列出的`条数`")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunGrantList(ctx, *cfg, a, out, log)
	}
}

func setupGrantShow(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.GrantArgs
	grantAs(fs, &a)
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.ID = arg(pos, 0)
		return app.RunGrantShow(ctx, *cfg, a, out, log)
	}
}
