package app

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
)

// The figures' daily history on the terminal: `ecolake figures --days N` adds the trend of the
// last N days kept, `--day YYYY-MM-DD` prints one day's figures and the entries that held
// 数据归集率 back that day — the history as the catalogue keeps it for the principal's
// clearance (catalog.View.FigureHistory, FigureDayFor).

// DefaultFiguresDays is how many days of the trend `ecolake figures` prints.
const DefaultFiguresDays = 14

// printTrend prints the days kept of the last days before now.
func printTrend(out io.Writer, v *catalog.View, p *catalog.Principal, now time.Time, days int) error {
	today := now.In(audit.Zone)
	h, err := v.FigureHistory(p, today.AddDate(0, 0, -days).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n近 %d 天的逐日指标（共记录 %d 天）\n", days, len(h))
	if len(h) == 0 {
		fmt.Fprintln(out, "尚无记录：服务每天零时后记录前一天的指标")
		return nil
	}
	rows := make([][]string, 0, len(h))
	for _, d := range h {
		how := "当日取数"
		if d.Backfilled {
			how = "按归集记录补算"
		}
		rows = append(rows, []string{d.Day, countText(d.Collection), countText(d.Coverage), countText(d.OneThing), how})
	}
	writeTable(out, []string{"日期", "数据归集率", "业务事项覆盖率", "“一件事”上线运行率", "来源"}, rows)
	return nil
}

// printDay prints one day's figures and the entries that held the collection figure back.
func printDay(out io.Writer, v *catalog.View, p *catalog.Principal, day string) error {
	d, err := v.FigureDayFor(p, day)
	if err != nil {
		return err
	}
	how := "当日取数"
	if d.Backfilled {
		how = "按归集记录补算"
	}
	fmt.Fprintf(out, "%s 的管理指标（%s，%s）\n", d.Day, how, figuresScope(p))
	writeTable(out, []string{"指标", "比率（分子/分母）"}, [][]string{
		{"数据归集率", countText(d.Collection)}, {"信息项归集率", countText(d.Items)},
		{"业务事项覆盖率", countText(d.Coverage)}, {"“一件事”上线运行率", countText(d.OneThing)},
	})
	fmt.Fprintf(out, "\n当日未归集的目录 %d 个\n", len(d.Lagging))
	rows := make([][]string, 0, len(d.Lagging))
	for _, l := range d.Lagging {
		name := ""
		if e, err := v.Entry(l.Entry); err == nil && catalog.Exists(p, e) {
			name = e.Name
		}
		last := ""
		if !l.LastLoad.IsZero() {
			last = bureauTime(l.LastLoad)
		}
		rows = append(rows, []string{l.Entry, name, catalog.LagReasonNames[l.Reason], l.Department, l.District, last})
	}
	if len(rows) > 0 {
		writeTable(out, []string{"信息资源代码", "信息资源名称", "原因", "责任处室", "区县", "此前最近归集"}, rows)
	}
	return nil
}

func countText(c catalog.FigureCounts) string {
	return percent(c.Rate()) + "（" + strconv.Itoa(c.Numerator) + "/" + strconv.Itoa(c.Denominator) + "）"
}
