package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/report"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// FiguresArgs are the arguments of `ecolake figures`.
type FiguresArgs struct {
	As      string // Principal.ID to compute as; "" for the offline operator
	Lagging int    // how many entries of the hold-back list to print
	XLSX    string // write the monthly workbook to this file instead of printing
	Days    int    // days of the trend to print after the figures (cli_figures_history.go)
	Day     string // print this day's figures from the history instead (YYYY-MM-DD)
}

// DefaultFiguresLagging is how many entries of the hold-back list `ecolake figures` prints.
const DefaultFiguresLagging = 20

// figuresClock is the figures' time; tests fix it.
var figuresClock = time.Now

// RunFigures prints the three management figures against their targets, 数据归集率 by
// department and district, and the first entries that hold it back, over the entries that exist
// for the principal --as; or writes the monthly workbook. Scene use is read from the audit's
// summary files without writing them: the service may be running.
func RunFigures(ctx context.Context, cfg Config, a FiguresArgs, out io.Writer, log *slog.Logger) int {
	if a.Days < 0 || a.Days > catalog.MaxHistoryDays {
		fmt.Fprintf(out, "错误: --days 应在 0 到 %d 之间, 而不是 %d\n", catalog.MaxHistoryDays, a.Days)
		return ExitFailed
	}
	if a.Lagging < 0 {
		fmt.Fprintf(out, "错误: --lagging 应为不小于 0 的整数, 而不是 %d\n", a.Lagging)
		return ExitFailed
	}
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v, now := cat.View(), figuresClock()
		from, to := query.SceneUsePeriod(now)
		use, err := audit.ReadScenesUsed(cfg.auditDir(), from, to)
		if err != nil {
			return failed(out, "读取查询审计中的场景使用", err)
		}
		if a.Day != "" {
			if err := printDay(out, v, p, a.Day); err != nil {
				return failed(out, "读取指标历史", err)
			}
			return ExitOK
		}
		if a.XLSX != "" {
			return writeFiguresReport(ctx, out, v, a.XLSX, report.Report{Principal: p, Now: now, Targets: cfg.Targets,
				Used: use.Last, UsageIncomplete: use.Incomplete})
		}
		printFigures(out, v, p, now, cfg.Targets, use, a.Lagging)
		if a.Days > 0 && p.Role != catalog.RoleDistrict {
			if err := printTrend(out, v, p, now, a.Days); err != nil {
				return failed(out, "读取指标历史", err)
			}
		}
		return ExitOK
	})
}

// writeFiguresReport writes the monthly workbook to file, whole or not at all.
func writeFiguresReport(ctx context.Context, out io.Writer, v *catalog.View, file string, r report.Report) int {
	var buf bytes.Buffer
	if _, err := report.Write(ctx, &buf, v, r); err != nil {
		return failed(out, "生成月度报表", err)
	}
	if err := writeWhole(file, buf.Bytes()); err != nil {
		fmt.Fprintf(out, "错误: 无法写入 %s（%s）\n", schemas.Clip(file, 256), openFailure(err))
		return ExitFailed
	}
	fmt.Fprintf(out, "已写出月度报表 → %s（统计时间 %s，%s）\n", file, bureauTime(r.Now), figuresScope(r.Principal))
	return ExitOK
}

// printFigures prints the figures as terminal tables.
func printFigures(out io.Writer, v *catalog.View, p *catalog.Principal, now time.Time, t catalog.FigureTargets, use audit.SceneUse, lagging int) {
	c := v.CollectionRateFor(now, p)
	cov := v.CoverageRate(now, p)
	one := v.OneThingRate(now, p, use.Last)
	fmt.Fprintf(out, "管理指标（统计时间 %s，%s）\n", bureauTime(now), figuresScope(p))
	line := func(name string, n, d int, rate, target float64) []string {
		return []string{name, strconv.Itoa(n), strconv.Itoa(d), percent(rate), percent(target), report.MetText(n, d, target)}
	}
	writeTable(out, []string{"指标", "分子", "分母", "比率", "目标", "是否达标"}, [][]string{
		line("数据归集率", c.Numerator, c.Denominator, c.Rate, t.Collection),
		{"信息项归集率", strconv.Itoa(c.ItemNumerator), strconv.Itoa(c.ItemDenominator), percent(c.ItemRate), "—", "—"},
		line("业务事项覆盖率", cov.Numerator, cov.Denominator, cov.Rate, t.Coverage),
		line("“一件事”上线运行率", one.Numerator, one.Denominator, one.Rate, t.OneThing),
	})
	if len(use.Incomplete) > 0 {
		fmt.Fprintf(out, "注意: 查询审计中 %s 的场景查询未完整统计, 个别“一件事”可能被误判为不在用\n", strings.Join(use.Incomplete, "、"))
	}
	for _, part := range []struct {
		title string
		bd    []catalog.Breakdown
	}{{"数据归集率 按责任处室", c.ByDepartment}, {"数据归集率 按区县", c.ByDistrict}} {
		fmt.Fprintf(out, "\n%s\n", part.title)
		rows := make([][]string, 0, len(part.bd))
		for _, b := range part.bd {
			rows = append(rows, []string{b.Key, b.Name, strconv.Itoa(b.Numerator), strconv.Itoa(b.Denominator), percent(b.Rate)})
		}
		writeTable(out, []string{"代码", "名称", "已归集", "应归集", "归集率"}, rows)
	}
	total := c.LaggingCount()
	if lagging == 0 || total == 0 {
		fmt.Fprintf(out, "\n未归集清单: 共 %d 个\n", total)
		return
	}
	page := v.Lagging(now, p, lagging, "")
	fmt.Fprintf(out, "\n未归集清单（共 %d 个，显示前 %d 个）\n", total, len(page.Lags))
	depts := map[string]string{}
	rows := make([][]string, 0, len(page.Lags))
	for _, l := range page.Lags {
		dept, ok := depts[l.Department]
		if !ok {
			dept = l.Department
			if d, err := v.Department(l.Department); err == nil {
				dept = d.Name
			}
			depts[l.Department] = dept
		}
		rows = append(rows, []string{l.Entry, l.Name, catalog.LagReasonNames[l.Reason], dept,
			schemas.Districts.NameOf(l.District), strconv.Itoa(l.HeldDays(now)), l.Run})
	}
	writeTable(out, []string{"信息资源代码", "信息资源名称", "原因", "责任处室", "区县", "滞后天数", "失败批次"}, rows)
	if rest := total - len(page.Lags); rest > 0 {
		fmt.Fprintf(out, "另有 %d 个未列出: 用 --lagging %d 显示全部, 或用 --xlsx 文件 导出月度报表\n", rest, total)
	}
}

// figuresScope says whose view of the directory the figures are over.
func figuresScope(p *catalog.Principal) string {
	if p.ID == "" {
		return "本地运维: 全部目录"
	}
	return fmt.Sprintf("账号 %s 可见的目录", actorName(p))
}

func percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 2, 64) + "%" }

// bureauTime is a time as the bureau reads it.
func bureauTime(t time.Time) string { return t.In(audit.Zone).Format("2006-01-02 15:04") }
