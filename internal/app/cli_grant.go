package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// GrantArgs are the arguments of `ecolake grant …`. The catalogue decides who may request,
// approve, refuse or revoke (catalog/grant_workflow.go) and who sees a grant
// (catalog.View.GrantFor); the commands read the flags and say what happened, in Chinese.
type GrantArgs struct {
	As   string // Principal.ID to act as; "" for the offline operator
	ID   string // the grant: approve, refuse, revoke, show
	Base uint64 // the revision a step is based on
	Note string // a decision's note, a refusal's or revocation's reason
	// request
	Entry, Grantee, Purpose, Expires, Mode string
	MinGroupSize                           int
	Items, Unmasked                        []string
	// list
	Status string
	Limit  int
}

// GrantStep is one step of the grant workflow a command takes.
type GrantStep string

// The steps of `ecolake grant`.
const (
	GrantApprove GrantStep = "approve"
	GrantRefuse  GrantStep = "refuse"
	GrantRevoke  GrantStep = "revoke"
)

var grantStepActions = map[GrantStep]string{
	GrantApprove: catalog.GrantApproved, GrantRefuse: catalog.GrantRefused, GrantRevoke: catalog.GrantRevoked,
}

// grantFlags name the flags of the fields the catalogue reports a request's problems under.
var grantFlags = map[string]string{
	"entry": "--entry", "grantee": "--grantee", "purpose": "--purpose", "expires": "--expires", "mode": "--mode",
	"min_group_size": "--min-group", "items": "--item", "unmasked": "--unmasked", "note": "--note",
}

// RunGrantRequest asks for a grant; it waits for a reviewer of the entry's department.
func RunGrantRequest(ctx context.Context, cfg Config, a GrantArgs, out io.Writer, log *slog.Logger) int {
	for _, req := range []struct{ flag, val, what string }{
		{"--entry", a.Entry, "信息资源代码"}, {"--purpose", a.Purpose, "用途"},
		{"--expires", a.Expires, "到期时间 (如 2026-03-01)"}, {"--mode", a.Mode, "方式 (rows 明细数据 或 aggregates 仅汇总统计)"},
	} {
		if strings.TrimSpace(req.val) == "" {
			fmt.Fprintf(out, "错误: 必须用 %s 给出%s\n", req.flag, req.what)
			return ExitFailed
		}
	}
	expires, ok := query.ParseExpiry(strings.TrimSpace(a.Expires))
	if !ok {
		fmt.Fprintf(out, "错误: --expires “%s”不是时间, 请用日期 2026-03-01 (当日结束时到期) 或 RFC 3339 (2026-03-01T08:00:00+08:00)\n", schemas.Clip(a.Expires, 64))
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		g := catalog.Grant{Entry: a.Entry, Grantee: keep(a.Grantee, p.ID), Purpose: a.Purpose, Expires: expires,
			Mode: grantCode(catalog.GrantModeNames, a.Mode), MinGroupSize: a.MinGroupSize, Items: a.Items, Unmasked: a.Unmasked}
		n, err := cat.RequestGrant(ctx, p, g)
		if err != nil {
			return failed(out, "申请授权", flagProblems(err))
		}
		v := cat.View()
		fmt.Fprintf(out, "已申请授权 %s: 目录 %s %s，被授权账号 %s，%s，到期 %s；现为%s（版本 %d，操作人 %s）。\n",
			n.ID, n.Entry, entryName(v, p, n.Entry), principalName(v, n.Grantee), catalog.GrantModeNames[n.Mode],
			cliTime(n.Expires), catalog.GrantStatus(n.Status), n.Revision, actorName(p))
		fmt.Fprintf(out, "待审批: 由目录责任部门的审核员或系统管理员运行 ecolake grant approve %s --base %d (或 refuse --note 原因)\n", n.ID, n.Revision)
		return ExitOK
	})
}

// RunGrantStep approves, refuses or revokes a grant and says where it leaves it.
func RunGrantStep(ctx context.Context, cfg Config, step GrantStep, a GrantArgs, out io.Writer, log *slog.Logger) int {
	action, ok := grantStepActions[step]
	if !ok {
		fmt.Fprintf(out, "错误: 未知的操作 %q\n", step)
		return ExitFailed
	}
	name := catalog.GrantActionNames[action]
	switch {
	case a.ID == "":
		fmt.Fprintf(out, "错误: 必须给出授权编号, 如 ecolake grant %s G000001 --base 版本\n", step)
		return ExitFailed
	case a.Base == 0:
		fmt.Fprintf(out, "错误: 必须用 --base 给出操作所依据的版本 (ecolake grant show %s 显示当前版本)\n", a.ID)
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		var err error
		switch step {
		case GrantApprove:
			err = cat.ApproveGrant(ctx, p, a.ID, a.Base, a.Note)
		case GrantRefuse:
			err = cat.RefuseGrant(ctx, p, a.ID, a.Base, a.Note)
		default:
			err = cat.RevokeGrant(ctx, p, a.ID, a.Base, a.Note)
		}
		if err != nil {
			return failed(out, name+"授权 "+a.ID, flagProblems(err))
		}
		v := cat.View()
		g, err := v.GrantFor(p, a.ID)
		if err != nil {
			fmt.Fprintf(out, "已%s授权 %s（操作人 %s）。\n", name, a.ID, actorName(p))
			return ExitOK
		}
		fmt.Fprintf(out, "已%s授权 %s: 目录 %s %s，被授权账号 %s；现为%s（版本 %d，操作人 %s）。\n", name, g.ID, g.Entry,
			entryName(v, p, g.Entry), principalName(v, g.Grantee), catalog.GrantStatus(g.Status), g.Revision, actorName(p))
		return ExitOK
	})
}

// RunGrantList lists the grants the principal sees, as a table.
func RunGrantList(ctx context.Context, cfg Config, a GrantArgs, out io.Writer, log *slog.Logger) int {
	if a.Limit <= 0 {
		a.Limit = 100
	}
	f := catalog.GrantFilter{Entry: a.Entry, Grantee: a.Grantee}
	if a.Status != "" {
		f.Status = grantCode(catalog.GrantStatusNames, a.Status)
		if _, ok := catalog.GrantStatusNames[f.Status]; !ok {
			fmt.Fprintf(out, "错误: --status “%s”不是授权状态, 应为 requested（待审批）、approved（已批准）、refused（已驳回）或 revoked（已撤销）\n",
				schemas.Clip(a.Status, 64))
			return ExitFailed
		}
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v := cat.View()
		var rows [][]string
		gs := v.Grants(p, f)
		for i, g := range gs {
			if i == a.Limit {
				fmt.Fprintf(out, "（共 %d 条，只列出前 %d 条，用 --limit 列出更多）\n", len(gs), a.Limit)
				break
			}
			rows = append(rows, []string{g.ID, g.Entry, entryName(v, p, g.Entry), principalName(v, g.Grantee),
				catalog.GrantModeNames[g.Mode], catalog.GrantStatus(g.Status), cliTime(g.Expires), strconv.FormatUint(g.Revision, 10)})
		}
		writeTable(out, []string{"授权编号", "资源代码", "目录名称", "被授权账号", "方式", "状态", "到期时间", "版本"}, rows)
		return ExitOK
	})
}

// RunGrantShow shows one grant with its history.
func RunGrantShow(ctx context.Context, cfg Config, a GrantArgs, out io.Writer, log *slog.Logger) int {
	if a.ID == "" {
		fmt.Fprintln(out, "错误: 必须给出授权编号, 如 ecolake grant show G000001")
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v := cat.View()
		g, err := v.GrantFor(p, a.ID)
		if err != nil {
			return failed(out, "查看授权 "+a.ID, err)
		}
		e, _ := v.Entry(g.Entry)
		line := func(label, value string) { fmt.Fprintf(out, "%s: %s\n", label, value) }
		line("授权编号", g.ID)
		line("目录", g.Entry+" "+entryName(v, p, g.Entry))
		line("被授权账号", principalName(v, g.Grantee))
		line("用途", g.Purpose)
		line("方式", catalog.GrantModeNames[g.Mode])
		if g.MinGroupSize > 0 {
			line("最小分组", strconv.Itoa(g.MinGroupSize))
		}
		line("信息项", itemList(e, g.Items, "全部"))
		line("明文信息项", itemList(e, g.Unmasked, "无"))
		line("状态", catalog.GrantStatus(g.Status))
		line("到期时间", cliTime(g.Expires))
		line("申请人", principalName(v, g.RequestedBy))
		if g.DecisionNote != "" {
			line("审批意见", g.DecisionNote)
		}
		line("版本", strconv.FormatUint(g.Revision, 10))
		var rows [][]string
		for _, ev := range g.Events {
			rows = append(rows, []string{cliTime(ev.At), catalog.GrantActionNames[ev.Action], eventActor(ev.By), orDash(ev.Note)})
		}
		fmt.Fprintln(out, "历史:")
		writeTable(out, []string{"时间", "操作", "操作人", "意见或原因"}, rows)
		return ExitOK
	})
}

// grantCode is the code of a grant mode or status given as the code or its Chinese name; an
// unknown one is passed on for the catalogue to refuse.
func grantCode(names map[string]string, v string) string {
	v = strings.TrimSpace(v)
	for code, name := range names {
		if v == name {
			return code
		}
	}
	return v
}

// flagProblems renames the fields of a refused request to the flags that set them, so that the
// message names what to change on the command line.
func flagProblems(err error) error {
	var inv *schemas.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	named := &schemas.InvalidError{Subject: inv.Subject, Err: inv.Err, Problems: make([]schemas.Problem, len(inv.Problems))}
	for i, pr := range inv.Problems {
		field, idx, _ := strings.Cut(pr.Field, "[")
		if fl, ok := grantFlags[field]; ok {
			pr.Field = fl
			if idx != "" {
				pr.Field += "[" + idx
			}
		}
		named.Problems[i] = pr
	}
	return named
}

// entryName is the name of an entry that exists for p, "" otherwise.
func entryName(v *catalog.View, p *catalog.Principal, code string) string {
	if e, err := v.Entry(code); err == nil && catalog.Exists(p, e) {
		return e.Name
	}
	return ""
}

// itemList names item fields with their names, or none when the list is empty.
func itemList(e *catalog.Entry, fields []string, none string) string {
	if len(fields) == 0 {
		return none
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f
		if e != nil {
			if it, _, ok := e.Items.Field(f); ok {
				out[i] = it.Name + "（" + f + "）"
			}
		}
	}
	return strings.Join(out, "、")
}

func eventActor(a catalog.Actor) string {
	if a.ID == "" {
		return a.Name
	}
	return a.Name + "（" + a.ID + "）"
}
