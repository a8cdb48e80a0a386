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

// PIArgs are the arguments of `ecolake pi …`: an entry's personal-information proposals, which
// loads raise from the values of its text items. The catalogue decides who may see and decide
// them (catalog.View.PIProposals, Store.AcceptPI, Store.DismissPI).
type PIArgs struct {
	As    string // Principal.ID to act as; "" for the offline operator
	Code  string // resource code
	Field string // the item: accept, dismiss
	Base  uint64 // the proposal's revision the decision is based on
	Note  string
}

// RunPIList lists an entry's proposals.
func RunPIList(ctx context.Context, cfg Config, a PIArgs, out io.Writer, log *slog.Logger) int {
	if a.Code == "" {
		fmt.Fprintln(out, "错误: 必须给出资源代码, 如 ecolake pi list 0101/000001")
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		list, err := cat.View().PIProposals(p, a.Code)
		if err != nil {
			return failed(out, "列出目录 "+a.Code+" 的个人信息类型建议", err)
		}
		if len(list) == 0 {
			fmt.Fprintf(out, "目录 %s 没有个人信息类型建议 (报送数据后, 文本信息项的值多为手机号、身份证号等时才会提出)。\n", a.Code)
			return ExitOK
		}
		var rows [][]string
		for _, pr := range list {
			decided := "-"
			if pr.Status != catalog.PIProposed {
				decided = pr.DecidedBy.Name + " " + cliTime(pr.DecidedAt)
			}
			rows = append(rows, []string{pr.Field, pr.Name, schemas.PITypes.NameOf(pr.PIType), pr.Grade.Name(),
				fmt.Sprintf("%d/%d", pr.Matched, pr.Sampled), catalog.PIStatusNames[pr.Status],
				strconv.FormatUint(pr.Revision, 10), cliTime(pr.LastRaised), decided})
		}
		writeTable(out, []string{"字段", "信息项", "建议类型", "对应分级", "命中/抽样", "状态", "版本", "最近发现", "处理"}, rows)
		fmt.Fprintf(out, "接受: ecolake pi accept %s 字段 --base 版本；忽略: ecolake pi dismiss %s 字段 --base 版本 --note 原因\n", a.Code, a.Code)
		return ExitOK
	})
}

// RunPIDecide accepts (accept) or dismisses a proposal and says where it leaves the entry.
func RunPIDecide(ctx context.Context, cfg Config, accept bool, a PIArgs, out io.Writer, log *slog.Logger) int {
	step := map[bool]string{true: "accept", false: "dismiss"}[accept]
	switch {
	case a.Code == "" || a.Field == "":
		fmt.Fprintf(out, "错误: 必须给出资源代码和信息项字段, 如 ecolake pi %s 0101/000001 phone --base 版本\n", step)
		return ExitFailed
	case a.Base == 0:
		fmt.Fprintf(out, "错误: 必须用 --base 给出建议的版本 (ecolake pi list %s 显示)\n", a.Code)
		return ExitFailed
	}
	name := map[bool]string{true: "接受", false: "忽略"}[accept]
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		var err error
		if accept {
			err = cat.AcceptPI(ctx, p, a.Code, a.Field, a.Base, a.Note)
		} else {
			err = cat.DismissPI(ctx, p, a.Code, a.Field, a.Note, a.Base)
		}
		if err != nil {
			return failed(out, name+"目录 "+a.Code+" 信息项 "+a.Field+" 的个人信息类型建议", err)
		}
		v := cat.View()
		pr := findProposal(v, p, a.Code, a.Field)
		if pr == nil {
			fmt.Fprintf(out, "已%s目录 %s 信息项 %s 的个人信息类型建议（操作人 %s）。\n", name, a.Code, a.Field, actorName(p))
			return ExitOK
		}
		typ := schemas.PITypes.NameOf(pr.PIType)
		if !accept {
			fmt.Fprintf(out, "已忽略目录 %s 信息项 %s（%s）的建议“%s”（操作人 %s）；以后报送的数据仍像%s时不再提出。\n",
				a.Code, pr.Field, pr.Name, typ, actorName(p), typ)
			return ExitOK
		}
		fmt.Fprintf(out, "已接受目录 %s 信息项 %s（%s）的建议: 标为%s, 分级不低于%s（操作人 %s）。\n",
			a.Code, pr.Field, pr.Name, typ, pr.Grade.Name(), actorName(p))
		w := working(v, p, a.Code)
		switch {
		case w.live == nil:
		case w.status() == catalog.StatusPendingReview:
			fmt.Fprintf(out, "修改已提交审核（%s，版本 %d），审核通过前查询看到的仍是原版本。\n", pendingWhat(w), w.revision)
			fmt.Fprintf(out, "待审核: 由其他审核员运行 ecolake catalog approve %s --base %d (或 send-back --comment 意见)\n", a.Code, w.revision)
		default:
			fmt.Fprintf(out, "修改已加入%s（%s，版本 %d）。\n提交审核: ecolake catalog submit %s --base %d\n",
				pendingWhat(w), schemas.EntryStatuses.NameOf(w.status()), w.revision, a.Code, w.revision)
		}
		return ExitOK
	})
}

// pendingWhat names the version under way: a change request of a published entry, or the entry.
func pendingWhat(w workingEntry) string {
	if w.change != nil {
		return "变更申请"
	}
	return "目录"
}

// findProposal is the proposal of an entry's item as p may see it, nil when there is none.
func findProposal(v *catalog.View, p *catalog.Principal, code, field string) *catalog.PIProposal {
	list, err := v.PIProposals(p, code)
	if err != nil {
		return nil
	}
	for _, pr := range list {
		if pr.Field == field {
			return pr
		}
	}
	return nil
}
