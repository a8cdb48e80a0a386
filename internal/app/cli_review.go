package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Step is one step of the directory workflow a command takes.
type Step string

// The workflow steps of `ecolake catalog`.
const (
	StepSubmit   Step = "submit"
	StepApprove  Step = "approve"
	StepSendBack Step = "send-back"
	StepRetire   Step = "retire"
	StepRestore  Step = "restore"
)

// stepActions are the catalogue's history actions of the steps, whose Chinese names the output
// says (catalog.HistoryLabel).
var stepActions = map[Step]string{
	StepSubmit: catalog.HistSubmit, StepApprove: catalog.HistApprove, StepSendBack: catalog.HistSendBack,
	StepRetire: catalog.HistRetire, StepRestore: catalog.HistRestore,
}

// do runs the step on the catalogue.
func (s Step) do(ctx context.Context, cat *catalog.Store, p *catalog.Principal, code string, base uint64, note string) error {
	switch s {
	case StepSubmit:
		return cat.SubmitEntry(ctx, p, code, base, note)
	case StepApprove:
		return cat.ApproveEntry(ctx, p, code, base, note)
	case StepSendBack:
		return cat.SendBackEntry(ctx, p, code, base, note)
	case StepRetire:
		return cat.RetireEntry(ctx, p, code, base, note)
	case StepRestore:
		return cat.RestoreEntry(ctx, p, code, base, note)
	}
	return fmt.Errorf("unknown workflow step %q", s)
}

// RunCatalogStep takes one workflow step on an entry and says where it leaves the entry.
func RunCatalogStep(ctx context.Context, cfg Config, step Step, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	action, ok := stepActions[step]
	name := catalog.HistoryLabel(action)
	if !ok {
		fmt.Fprintf(out, "错误: 未知的操作 %q\n", step)
		return ExitFailed
	}
	if a.Code == "" {
		fmt.Fprintf(out, "错误: 必须给出资源代码, 如 ecolake catalog %s 0101/000001 --base 版本\n", step)
		return ExitFailed
	}
	if a.Base == 0 {
		fmt.Fprintf(out, "错误: 必须用 --base 给出操作所依据的版本 (ecolake catalog show %s 显示当前版本)\n", a.Code)
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		if err := step.do(ctx, cat, p, a.Code, a.Base, a.Note); err != nil {
			return failed(out, name+"目录 "+a.Code, err)
		}
		w := working(cat.View(), p, a.Code)
		what := "目录"
		if w.change != nil {
			what = "变更申请"
		}
		fmt.Fprintf(out, "已%s: 目录 %s %s，%s现为%s（版本 %d，操作人 %s）。\n",
			name, a.Code, w.current().Name, what, schemas.EntryStatuses.NameOf(w.status()), w.revision, actorName(p))
		switch {
		case w.status() == catalog.StatusPendingReview:
			fmt.Fprintf(out, "待审核: 由其他审核员运行 ecolake catalog approve %s --base %d (或 send-back --comment 意见)\n", a.Code, w.revision)
		case step == StepSendBack:
			fmt.Fprintf(out, "修改后重新提交: ecolake catalog submit %s --base 版本\n", a.Code)
		}
		return ExitOK
	})
}

// RunCatalogPending lists what waits for review that the principal may review.
func RunCatalogPending(ctx context.Context, cfg Config, a CatalogArgs, out io.Writer, log *slog.Logger) int {
	if a.Limit <= 0 {
		a.Limit = 100
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		if !catalog.Allowed(p, catalog.ActReviewDirectory) {
			fmt.Fprintf(out, "错误: 账号 %s 无权审核目录: 只有审核员与系统管理员可以\n", actorName(p))
			return ExitFailed
		}
		v := cat.View()
		var rows [][]string
		for _, e := range v.PendingReview(p, a.Limit) {
			w := working(v, p, e.ResourceCode)
			rows = append(rows, []string{e.ResourceCode, e.Name, pendingKind(w), principalName(v, e.Review.SubmittedBy),
				strconv.FormatUint(w.revision, 10), cliTime(e.UpdatedAt)})
		}
		writeTable(out, []string{"资源代码", "名称", "类别", "提交人", "版本", "更新时间"}, rows)
		return ExitOK
	})
}

// pendingKind says what a version under review is: a new entry, a restored one, a change, a
// downgrade.
func pendingKind(w workingEntry) string {
	switch {
	case w.change != nil && w.change.Kind == catalog.ChangeDowngrade:
		return "降级"
	case w.change != nil:
		return "变更"
	case !w.live.PublishDate.IsZero():
		return "恢复"
	}
	return "新目录"
}

// principalName names a principal by id: its name, or the offline operator for "".
func principalName(v *catalog.View, id string) string {
	if id == "" {
		return catalog.Operator().Name
	}
	if p, err := v.Principal(id); err == nil {
		return p.Name + "（" + p.ID + "）"
	}
	return id
}
