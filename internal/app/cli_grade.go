package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// GradeArgs are the arguments of `ecolake catalog grade`.
type GradeArgs struct {
	CatalogArgs
	Items        []string // "field=GRADE", the grade by id or Chinese name
	Override     *string  // the manual override when given ("" clears it)
	ImpactObject string
	ImpactDegree string
	Factors      []string
	Basis        string
}

// grading turns the arguments into a catalogue grading request; codes may be given by their
// Chinese names, and an unknown one is passed on for the catalogue to name with the valid ones.
func (g GradeArgs) grading() (catalog.Grading, error) {
	out := catalog.Grading{Code: g.Code, Base: g.Base, Reason: g.Note}
	for _, kv := range g.Items {
		field, grade, ok := strings.Cut(kv, "=")
		field, grade = strings.TrimSpace(field), strings.TrimSpace(grade)
		if !ok || field == "" || grade == "" {
			return out, fmt.Errorf("--item %s应为 字段=分级, 如 pm25=GENERAL_3", schemas.Quote(kv))
		}
		if out.Items == nil {
			out.Items = map[string]schemas.Grade{}
		}
		out.Items[field] = schemas.Grade(codeID(schemas.Grades, grade))
	}
	if g.Override != nil {
		o := schemas.Grade(codeID(schemas.Grades, *g.Override))
		out.Override = &o
	}
	if g.ImpactObject != "" || g.ImpactDegree != "" || len(g.Factors) > 0 || g.Basis != "" {
		ev := &catalog.Evidence{ImpactObject: codeID(schemas.ImpactObjects, g.ImpactObject),
			ImpactDegree: codeID(schemas.ImpactDegrees, g.ImpactDegree), Basis: g.Basis}
		for _, f := range g.Factors {
			ev.Factors = append(ev.Factors, codeID(schemas.GradingFactors, f))
		}
		out.Evidence = ev
	}
	if out.Items == nil && out.Override == nil && out.Evidence == nil {
		return out, fmt.Errorf("请给出 --item 字段=分级、--override 分级 或定级依据 (--impact-object, --impact-degree, --factor, --basis)")
	}
	return out, nil
}

func codeID(l *schemas.CodeList, s string) string {
	if c, ok := l.Lookup(s); ok {
		return c.ID
	}
	return strings.TrimSpace(s)
}

// RunCatalogGrade grades an entry and says whether the grade took effect at once (an upgrade, or
// any grading of an unpublished entry) or waits for review (a downgrade of a published entry), and
// what the grading matrix proposes.
func RunCatalogGrade(ctx context.Context, cfg Config, g GradeArgs, out io.Writer, log *slog.Logger) int {
	if g.Code == "" {
		fmt.Fprintln(out, "错误: 必须给出资源代码, 如 ecolake catalog grade 0101/000001 --base 版本 --item pm25=GENERAL_3")
		return ExitFailed
	}
	if g.Base == 0 {
		fmt.Fprintf(out, "错误: 必须用 --base 给出定级所依据的版本 (ecolake catalog show %s 显示当前版本)\n", g.Code)
		return ExitFailed
	}
	req, err := g.grading()
	if err != nil {
		fmt.Fprintf(out, "错误: %v\n", err)
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, g.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		var before schemas.Grade
		if e, err := cat.View().Entry(g.Code); err == nil {
			before = e.Grade()
		}
		pending, err := cat.GradeEntry(ctx, p, req)
		if err != nil {
			return failed(out, "定级目录 "+g.Code, err)
		}
		w := working(cat.View(), p, g.Code)
		switch {
		case w.live == nil:
			// Raised above the account's own clearance: the entry no longer exists for it.
			fmt.Fprintf(out, "定级已生效: 目录 %s 的分级已高于账号 %s 的密级上限，该账号不再能看到它。\n", g.Code, actorName(p))
		case pending:
			fmt.Fprintf(out, "降级待审核: 目录 %s 已发布版本的分级仍为%s；降为%s须审核员审核通过后生效（变更申请版本 %d，原因: %s）。\n",
				g.Code, w.live.Grade().Name(), w.current().Grade().Name(), w.revision, g.Note)
			fmt.Fprintf(out, "审核: ecolake catalog approve %s --base %d (由其他审核员)\n", g.Code, w.revision)
		default:
			fmt.Fprintf(out, "定级已生效: 目录 %s 分级 %s → %s（%s，版本 %d，定级人 %s）。\n",
				g.Code, before.Name(), w.live.Grade().Name(), schemas.EntryStatuses.NameOf(w.live.Status), w.revision, actorName(p))
		}
		if ev := req.Evidence; ev != nil {
			if want, ok := schemas.ProposeGrade(ev.ImpactObject, ev.ImpactDegree); ok {
				fmt.Fprintf(out, "定级矩阵建议: %s（影响对象 %s，影响程度 %s）\n", want.Name(),
					schemas.ImpactObjects.NameOf(ev.ImpactObject), schemas.ImpactDegrees.NameOf(ev.ImpactDegree))
			} else {
				fmt.Fprintln(out, "定级矩阵对该影响对象与影响程度没有建议分级。")
			}
		}
		return ExitOK
	})
}
