package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/cqeco/ecolake/internal/app"
)

// The `ecolake catalog …` commands of the directory's stewards and reviewers: registering and
// editing entries, the review workflow, grading, history, business items and scenes. Other files
// register further catalog commands (search, export, import) the same way.

const asDetail = "\n--as 账号ID: 以目录库中该账号的身份操作 (本地运维持有数据目录, 可以任一启用账号的身份操作; " +
	"未知或已停用的账号被拒绝); 不加 --as 时以本地运维 (系统管理员) 身份操作。\n" +
	"--base 版本: 操作所依据的目录版本 (ecolake catalog show 显示); 其间目录被他人修改时操作被拒绝并说明由谁修改。"

func init() {
	register(
		&command{name: "catalog create", summary: "登记新目录 (成为草稿)", args: []string{"目录.json"}, setup: setupCatalogCreate,
			detail: "文件为一条目录对象, 字段同 examples/entry.json 中的目录; resource_code 为空时按分类码生成 (分类码/顺序码), " +
				"table 为空时由资源代码生成, 共享与开放类型为空时按分级给出默认值。" + asDetail},
		&command{name: "catalog edit", summary: "修改目录 (已发布目录的修改成为变更申请)", args: []string{"目录.json"}, setup: setupCatalogEdit,
			detail: "文件为整条目录 (可由 ecolake catalog show 资源代码 --json 导出后修改); 草稿就地修改, 待审核的版本退回草稿, " +
				"已发布目录的修改成为变更申请, 审核通过前查询看到的仍是已发布版本。" + asDetail},
		&command{name: "catalog submit", summary: "提交审核 (草稿或变更申请)", args: []string{"资源代码"}, setup: stepSetup(app.StepSubmit),
			detail: "提交前按发布要求检查全部必填项与规则, 逐项说明问题。" + asDetail},
		&command{name: "catalog approve", summary: "审核通过并发布 (审核员、系统管理员; 不能审核自己修改或提交的版本)", args: []string{"资源代码"},
			setup: stepSetup(app.StepApprove), detail: asDetail},
		&command{name: "catalog send-back", summary: "退回修改 (须填写审核意见 --comment)", args: []string{"资源代码"}, setup: stepSetup(app.StepSendBack),
			detail: asDetail},
		&command{name: "catalog retire", summary: "下线目录 (须填写原因 --reason; 资源代码不再分配)", args: []string{"资源代码"}, setup: stepSetup(app.StepRetire),
			detail: asDetail},
		&command{name: "catalog restore", summary: "恢复已下线的目录 (须填写原因 --reason; 曾发布的经审核后重新发布, 下线时是草稿的恢复为草稿)", args: []string{"资源代码"},
			setup: stepSetup(app.StepRestore), detail: asDetail},
		&command{name: "catalog grade", summary: "定级: 信息项分级、人工调整与定级依据 (升级立即生效, 降级须审核)", args: []string{"资源代码"},
			setup: setupCatalogGrade,
			detail: "分级: GENERAL_1 … GENERAL_4, IMPORTANT, CORE (也可写中文名称, 如 一般数据3级)。\n" +
				"影响对象: NATIONAL_SECURITY, ECONOMY, SOCIAL_ORDER, PUBLIC_INTEREST, ORGANISATION, PERSONAL (或中文名称); " +
				"影响程度: CRITICAL, SERIOUS, MODERATE, NONE; 定级要素: DOMAIN, GROUP, REGION, PRECISION, SCALE, DEPTH, COVERAGE, IMPORTANCE。\n" +
				"给出影响对象与影响程度时显示定级矩阵 (GB/T 43697-2024) 的建议分级; 低于建议或降低已发布目录的分级须填写 --reason。" + asDetail},
		&command{name: "catalog show", summary: "显示目录: 各项 (中文标签)、版本、状态、变更申请、定级依据与当前快照的数据概况", args: []string{"资源代码"}, lake: true, setup: setupCatalogShow,
			detail: "--json 输出可供 ecolake catalog edit 使用的目录文件 (变更申请存在时为其版本)。" + asDetail},
		&command{name: "catalog history", summary: "目录的历史版本与逐项差异", args: []string{"资源代码"}, setup: setupCatalogHistory, detail: asDetail},
		&command{name: "catalog pending", summary: "列出待审核的目录与变更申请", setup: setupCatalogPending, detail: asDetail},
		&command{name: "catalog business-item put", summary: "登记或修改业务事项", setup: linkedPutSetup(false),
			detail: "修改已有业务事项时, 未给出的选项保持原值; --base 为其当前版本 (business-item list 显示), 新登记时省略。" + asDetail},
		&command{name: "catalog business-item list", summary: "列出业务事项及关联目录数", setup: linkedListSetup(false), detail: asDetail},
		&command{name: "catalog scene put", summary: "登记或修改应用场景 (一件事、综合场景)", setup: linkedPutSetup(true),
			detail: "修改已有场景时, 未给出的选项保持原值; --base 为其当前版本 (scene list 显示), 新登记时省略。" + asDetail},
		&command{name: "catalog scene list", summary: "列出应用场景及关联目录数", setup: linkedListSetup(true), detail: asDetail},
	)
}

// catalogFlags declares --as and, when base, --base.
func catalogFlags(fs *flag.FlagSet, a *app.CatalogArgs, base bool) {
	fs.StringVar(&a.As, "as", "", "以目录库中该`账号ID` 的身份操作 (默认本地运维)")
	if base {
		versionFlag(fs, "操作所依据的目录`版本` (必填; ecolake catalog show 显示当前版本)", &a.Base, false)
	}
}

// versionFlag declares --base, the version an operation is based on, into dst: a positive
// integer, or also 0 when zero is allowed (a version not yet known).
func versionFlag(fs *flag.FlagSet, usage string, dst *uint64, zero bool) {
	fs.Func("base", usage, func(v string) error {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil || n == 0 && !zero {
			return errNotVersion
		}
		*dst = n
		return nil
	})
}

var errNotVersion = flagErr("应为正整数的版本号")

type flagErr string

func (e flagErr) Error() string { return string(e) }

func setupCatalogCreate(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.CatalogArgs
	catalogFlags(fs, &a, false)
	fs.StringVar(&a.Note, "reason", "", "登记的`原因`, 记入历史")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.File = arg(pos, 0)
		return app.RunCatalogCreate(ctx, *cfg, a, out, log)
	}
}

func setupCatalogEdit(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.CatalogArgs
	catalogFlags(fs, &a, true)
	fs.StringVar(&a.Note, "reason", "", "修改的`原因`, 记入历史")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.File = arg(pos, 0)
		return app.RunCatalogEdit(ctx, *cfg, a, out, log)
	}
}

// stepSetup declares the flags of one workflow step: a review comment for submit, approve and
// send-back, a reason for retire and restore.
func stepSetup(step app.Step) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		var a app.CatalogArgs
		catalogFlags(fs, &a, true)
		switch step {
		case app.StepRetire, app.StepRestore:
			fs.StringVar(&a.Note, "reason", "", "`原因` (必填), 记入历史")
		case app.StepSendBack:
			fs.StringVar(&a.Note, "comment", "", "审核`意见` (必填), 编辑人据此修改")
		default:
			fs.StringVar(&a.Note, "comment", "", "审核`意见` 或说明, 记入历史")
		}
		return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
			a.Code = arg(pos, 0)
			return app.RunCatalogStep(ctx, *cfg, step, a, out, log)
		}
	}
}

func setupCatalogGrade(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var g app.GradeArgs
	catalogFlags(fs, &g.CatalogArgs, true)
	fs.StringVar(&g.Note, "reason", "", "定级`原因` (降级或低于矩阵建议时必填)")
	fs.Func("item", "信息项的分级, `字段=分级`, 如 pm25=GENERAL_3; 可重复", func(v string) error {
		g.Items = append(g.Items, v)
		return nil
	})
	fs.Func("override", "整表分级的人工调整`分级` (空字符串取消调整)", func(v string) error {
		g.Override = &v
		return nil
	})
	fs.StringVar(&g.ImpactObject, "impact-object", "", "定级依据: 影响`对象`")
	fs.StringVar(&g.ImpactDegree, "impact-degree", "", "定级依据: 影响`程度`")
	fs.Func("factor", "定级依据: 定级`要素`; 可重复, 或用逗号分隔", func(v string) error {
		g.Factors = append(g.Factors, splitList(v)...)
		return nil
	})
	fs.StringVar(&g.Basis, "basis", "", "定级依据的`说明` (给出定级依据时必填)")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		g.Code = arg(pos, 0)
		return app.RunCatalogGrade(ctx, *cfg, g, out, log)
	}
}

func setupCatalogShow(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.CatalogArgs
	catalogFlags(fs, &a, false)
	fs.BoolVar(&a.JSON, "json", false, "输出目录文件 (JSON), 供修改后 ecolake catalog edit")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.Code = arg(pos, 0)
		return app.RunCatalogShow(ctx, *cfg, a, out, log)
	}
}

func setupCatalogHistory(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.CatalogArgs
	catalogFlags(fs, &a, false)
	fs.IntVar(&a.Limit, "limit", 20, "最多显示的`版本数`")
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		a.Code = arg(pos, 0)
		return app.RunCatalogHistory(ctx, *cfg, a, out, log)
	}
}

func setupCatalogPending(fs *flag.FlagSet, cfg *app.Config) runFunc {
	var a app.CatalogArgs
	catalogFlags(fs, &a, false)
	fs.IntVar(&a.Limit, "limit", 100, "最多列出的`条数`")
	return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
		return app.RunCatalogPending(ctx, *cfg, a, out, log)
	}
}

// linkedPutSetup declares the flags of business-item put (scene false) or scene put.
func linkedPutSetup(scene bool) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		var l app.LinkedArgs
		catalogFlags(fs, &l.CatalogArgs, false)
		fs.StringVar(&l.Code, "code", "", "`代码` (必填), 如 YW_WATER_REPORT 或 YJS_OUTFALL")
		fs.StringVar(&l.Name, "name", "", "`名称` (新登记时必填)")
		fs.StringVar(&l.Department, "department", "", "责任处室`代码` (新登记时必填)")
		fs.StringVar(&l.Description, "description", "", "`说明`")
		versionFlag(fs, "当前`版本` (修改已有的时必填; list 显示)", &l.Base, true)
		fs.Var(optBool{&l.Retired}, "retired", "下线 (--retired=false 恢复)")
		if scene {
			fs.StringVar(&l.Kind, "kind", "", "场景`类型`: one_thing 一件事, composite 综合场景 (新登记时必填)")
		}
		return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
			if scene {
				return app.RunScenePut(ctx, *cfg, l, out, log)
			}
			return app.RunBusinessItemPut(ctx, *cfg, l, out, log)
		}
	}
}

func linkedListSetup(scene bool) func(*flag.FlagSet, *app.Config) runFunc {
	return func(fs *flag.FlagSet, cfg *app.Config) runFunc {
		var a app.CatalogArgs
		catalogFlags(fs, &a, false)
		return func(ctx context.Context, _ []string, out io.Writer, log *slog.Logger) int {
			if scene {
				return app.RunSceneList(ctx, *cfg, a, out, log)
			}
			return app.RunBusinessItemList(ctx, *cfg, a, out, log)
		}
	}
}

// optBool is a boolean flag that remembers whether it was given.
type optBool struct{ p **bool }

func (o optBool) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatBool(**o.p)
}

func (o optBool) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return flagErr("应为 true 或 false")
	}
	*o.p = &b
	return nil
}

func (o optBool) IsBoolFlag() bool { return true }

func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
