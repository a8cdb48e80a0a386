package report

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// overview is the three figures against their targets, with the time and scope they were taken
// for.
func (b *book) overview() error {
	s, err := b.newSheet(SheetOverview, 1, []float64{22, 12, 12, 12, 12, 12, 90})
	if err != nil {
		return err
	}
	if err := b.head(s, "指标", "分子", "分母", "比率", "目标", "是否达标", "口径"); err != nil {
		return err
	}
	c, cov, one, t := b.figs.collection, b.figs.coverage, b.figs.oneThing, b.r.Targets
	rows := [][]any{
		{"数据归集率", c.Numerator, c.Denominator, b.pct(c.Rate), b.pct(t.Collection), MetText(c.Numerator, c.Denominator, t.Collection),
			"已归集的目录 ÷ 应归集的目录 (已发布、非涉密、未经批准不予归集); 已归集: 更新周期 (含宽限期) 内有成功归集的数据, 不定时更新的归集过即可"},
		{"信息项归集率", c.ItemNumerator, c.ItemDenominator, b.pct(c.ItemRate), "", "", "已归集目录的信息项 ÷ 应归集目录的信息项"},
		{"业务事项覆盖率", cov.Numerator, cov.Denominator, b.pct(cov.Rate), b.pct(t.Coverage), MetText(cov.Numerator, cov.Denominator, t.Coverage),
			"有已归集目录服务的业务事项 ÷ 列入清单的业务事项"},
		{"“一件事”上线运行率", one.Numerator, one.Denominator, b.pct(one.Rate), b.pct(t.OneThing), MetText(one.Numerator, one.Denominator, t.OneThing),
			fmt.Sprintf("上线 (所需目录全部已归集) 且在用 (近 %d 天有场景账号查询) 的“一件事” ÷ 列入清单的“一件事”", catalog.InUseDays)},
	}
	for _, r := range rows {
		if err := s.add(r); err != nil {
			return err
		}
		b.rows++
	}
	info := [][]any{
		{},
		{"统计时间", stamp(b.r.Now) + " (北京时间)"},
		{"统计范围", scope(b.r.Principal)},
		{"未归集目录", fmt.Sprintf("%d 个, 见“%s”", c.LaggingCount(), SheetLagging)},
	}
	if len(b.r.UsageIncomplete) > 0 {
		info = append(info, []any{"说明", clip("查询审计中以下日期的场景查询未完整统计, 个别“一件事”可能被误判为不在用: " +
			strings.Join(b.r.UsageIncomplete, "、"))})
	}
	for _, r := range info {
		if err := s.add(r); err != nil {
			return err
		}
	}
	return s.flush()
}

// scope says whose view of the directory the figures are over.
func scope(p *catalog.Principal) string {
	switch {
	case p.ID == "" && p.Role == catalog.RoleAdmin:
		return "本地运维: 全部目录"
	case p.ID == "":
		return "无可见目录"
	}
	return fmt.Sprintf("账号 %s（%s）可见的目录", p.Name, p.ID)
}

// dim is one way the figures are broken down.
type dim int

const (
	dimDepartment dim = iota
	dimDistrict
	dimDomain
	dimSourceKind
)

func pick(d dim, dept, district, domain, kind []catalog.Breakdown) []catalog.Breakdown {
	return [...][]catalog.Breakdown{dept, district, domain, kind}[d]
}

// breakdown writes the three figures' breakdowns by d side by side, one row per key any of them
// has; a figure without the key leaves its cells empty.
func (b *book) breakdown(name, what string, d dim) error {
	c, cov, one := b.figs.collection, b.figs.coverage, b.figs.oneThing
	parts := [3][]catalog.Breakdown{
		pick(d, c.ByDepartment, c.ByDistrict, c.ByDomain, c.BySourceKind),
		pick(d, cov.ByDepartment, cov.ByDistrict, cov.ByDomain, cov.BySourceKind),
		pick(d, one.ByDepartment, one.ByDistrict, one.ByDomain, one.BySourceKind),
	}
	s, err := b.newSheet(name, 2, []float64{18, 24, 10, 10, 10, 10, 10, 10, 10, 12, 10})
	if err != nil {
		return err
	}
	if err := b.head(s, what+"代码", what, "数据归集率", "", "", "业务事项覆盖率", "", "", "“一件事”上线运行率", "", ""); err != nil {
		return err
	}
	if err := b.head(s, "", "", "已归集", "应归集", "归集率", "已覆盖", "业务事项", "覆盖率", "运行中", "“一件事”", "运行率"); err != nil {
		return err
	}
	for _, m := range [][2]string{{"A1", "A2"}, {"B1", "B2"}, {"C1", "E1"}, {"F1", "H1"}, {"I1", "K1"}} {
		if err := s.sw.MergeCell(m[0], m[1]); err != nil {
			return fmt.Errorf("report %s: %w", name, err)
		}
	}
	byKey := map[string]*[3]*catalog.Breakdown{}
	names := map[string]string{}
	var keys []string
	for i, part := range parts {
		for j := range part {
			bd := &part[j]
			row := byKey[bd.Key]
			if row == nil {
				row = &[3]*catalog.Breakdown{}
				byKey[bd.Key] = row
				keys = append(keys, bd.Key)
				names[bd.Key] = bd.Name
			}
			row[i] = bd
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		row := []any{k, names[k]}
		for _, bd := range byKey[k] {
			if bd == nil {
				row = append(row, nil, nil, nil)
				continue
			}
			row = append(row, bd.Numerator, bd.Denominator, b.pct(bd.Rate))
		}
		if err := s.add(row); err != nil {
			return err
		}
		b.rows++
	}
	return s.flush()
}

// lagPage is how many lagging entries are asked of the catalogue at a time.
const lagPage = 1000

// lagging lists every due entry that is not collected, in resource-code order, up to
// MaxLagRows; a cut list says so in its last row.
func (b *book) lagging(ctx context.Context) error {
	s, err := b.newSheet(SheetLagging, 1, []float64{16, 36, 20, 12, 18, 60, 17, 10, 17, 30})
	if err != nil {
		return err
	}
	if err := b.head(s, "信息资源代码", "信息资源名称", "责任处室", "区县", "原因", "原因说明", "起始时间", "滞后天数", "最近一次归集", "失败批次"); err != nil {
		return err
	}
	depts := map[string]string{}
	written, after, cut := 0, "", false
	for b.figs.collection.LaggingCount() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := min(lagPage, b.r.MaxLagRows-written)
		page := b.v.Lagging(b.r.Now, b.r.Principal, want, after)
		for _, l := range page.Lags {
			row := []any{l.Entry, l.Name, b.departmentName(depts, l.Department), schemas.Districts.NameOf(l.District),
				catalog.LagReasonNames[l.Reason], clip(l.ReasonText), stamp(l.Since), l.HeldDays(b.r.Now), stamp(l.LastLoad), l.Run}
			if err := s.add(row); err != nil {
				return err
			}
			after = l.Entry
		}
		written += len(page.Lags)
		if !page.HasNext {
			break
		}
		if written >= b.r.MaxLagRows {
			cut = true
			break
		}
	}
	b.rows += written
	if cut {
		if err := b.note(s, fmt.Sprintf("清单已截断: 未归集目录共 %d 个, 此处只列出按信息资源代码排序的前 %d 个; 其余可经 GraphQL collectionRate.lagging 分页查询",
			b.figs.collection.LaggingCount(), written)); err != nil {
			return err
		}
	}
	return s.flush()
}

// departmentName is a department's Chinese name, looked up once per department.
func (b *book) departmentName(cache map[string]string, code string) string {
	if n, ok := cache[code]; ok {
		return n
	}
	n := code
	if d, err := b.v.Department(code); err == nil {
		n = d.Name
	}
	cache[code] = n
	return n
}

// coverageList is every listed business item with the entries that serve it.
func (b *book) coverageList() error {
	s, err := b.newSheet(SheetCoverage, 1, []float64{22, 30, 20, 12, 14, 10})
	if err != nil {
		return err
	}
	if err := b.head(s, "业务事项代码", "业务事项名称", "责任处室", "服务目录数", "已归集目录数", "是否覆盖"); err != nil {
		return err
	}
	depts := map[string]string{}
	for _, it := range b.figs.coverage.Items {
		if err := s.add([]any{it.Code, it.Name, b.departmentName(depts, it.Department), it.Entries, it.Collected, yesNo(it.Covered)}); err != nil {
			return err
		}
		b.rows++
	}
	return s.flush()
}

// oneThingList is every listed "一件事" with what keeps it from running.
func (b *book) oneThingList() error {
	s, err := b.newSheet(SheetOneThing, 1, []float64{22, 30, 20, 12, 14, 36, 17, 10, 10, 10, 44})
	if err != nil {
		return err
	}
	if err := b.head(s, "场景代码", "名称", "责任处室", "所需目录数", "已归集目录数", "未归集目录", "最近使用", "是否上线", "是否在用", "是否运行", "原因"); err != nil {
		return err
	}
	depts := map[string]string{}
	for _, sc := range b.figs.oneThing.Scenes {
		row := []any{sc.Code, sc.Name, b.departmentName(depts, sc.Department), sc.Required, sc.Collected,
			clip(strings.Join(sc.Missing, "、")), stamp(sc.LastUsed), yesNo(sc.Online), yesNo(sc.InUse), yesNo(sc.Running), sc.Reason}
		if err := s.add(row); err != nil {
			return err
		}
		b.rows++
	}
	return s.flush()
}
