package query

import (
	"fmt"
	"sync"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The management figures (STANDARDS.md §5) as root fields: collectionRate (its type built in
// schema_catalog.go), coverageRate and oneThingRate. Each is computed over the entries that
// exist for the caller (the catalogue's decision), shows the configured target beside it, and
// keeps the lists behind it; each is noted in the request's audit line.

// figureFields adds the three figures' root fields.
func (s *Service) figureFields(ct *catalogTypes, fields graphql.Fields) {
	coverage, oneThing := newCoverageRateType(ct.breakdown), newOneThingRateType(ct.breakdown)
	t := s.cfg.Targets
	fields["collectionRate"] = &graphql.Field{
		Type: graphql.NewNonNull(ct.collectionRate), Description: "数据归集率",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("collectionRate")
			now := s.cfg.now()
			return &figureView{CollectionFigure: r.view.CollectionRateFor(now, r.principal), r: r, now: now, target: t.Collection}, nil
		},
	}
	fields["coverageRate"] = &graphql.Field{
		Type: graphql.NewNonNull(coverage), Description: "业务事项覆盖率: 有已归集目录服务的业务事项 ÷ 列入清单的业务事项",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("coverageRate")
			return &coverageView{CoverageFigure: r.view.CoverageRate(s.cfg.now(), r.principal), target: t.Coverage}, nil
		},
	}
	fields["oneThingRate"] = &graphql.Field{
		Type:        graphql.NewNonNull(oneThing),
		Description: fmt.Sprintf("“一件事”上线运行率: 上线 (所需目录全部已归集) 且在用 (近 %d 天有场景账号查询) 的“一件事” ÷ 列入清单的“一件事”", catalog.InUseDays),
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("oneThingRate")
			now := s.cfg.now()
			use, err := r.sceneUse.get(func() (audit.SceneUse, error) { return s.scenesUsed(now) })
			if err != nil {
				s.log.Error("read scene use from the audit", "user", r.principal.ID, "err", err)
				return nil, &userError{msg: "读取查询审计失败, 无法判断“一件事”是否在用, 请联系管理员", err: fmt.Errorf("read scene use: %w", err)}
			}
			return &oneThingView{OneThingFigure: r.view.OneThingRate(now, r.principal, use.Last), target: t.OneThing,
				incomplete: use.Incomplete}, nil
		},
	}
}

// FigureTargets are the targets the service shows beside the figures.
func (s *Service) FigureTargets() catalog.FigureTargets { return s.cfg.Targets }

// ScenesUsed says when each scene account last queried successfully in the period that decides
// whether a "一件事" is in use at now, from the service's audit; nothing is in use without one.
func (s *Service) ScenesUsed(now time.Time) (audit.SceneUse, error) { return s.scenesUsed(now) }

func (s *Service) scenesUsed(now time.Time) (audit.SceneUse, error) {
	if s.cfg.Audit == nil {
		return audit.SceneUse{}, nil
	}
	from, to := SceneUsePeriod(now)
	return s.cfg.Audit.ScenesUsed(from, to)
}

// SceneUsePeriod is the period of the audit read to decide which scenes are in use at now:
// catalog.InUseDays back, and a day ahead so that a request of this very moment is counted.
func SceneUsePeriod(now time.Time) (from, to time.Time) {
	return now.AddDate(0, 0, -catalog.InUseDays), now.AddDate(0, 0, 1)
}

// sceneUseMemo reads the scene use once per request, however many fields ask.
type sceneUseMemo struct {
	once sync.Once
	use  audit.SceneUse
	err  error
}

func (m *sceneUseMemo) get(read func() (audit.SceneUse, error)) (audit.SceneUse, error) {
	m.once.Do(func() { m.use, m.err = read() })
	return m.use, m.err
}

func newBreakdownType() *graphql.Object {
	nn := graphql.NewNonNull
	str := graphql.String
	return graphql.NewObject(graphql.ObjectConfig{Name: "Breakdown", Description: "指标的分项 (按处室、区县、治理领域或来源类型)", Fields: graphql.Fields{
		"key":         field(nn(str), "分项代码", func(b catalog.Breakdown) any { return b.Key }),
		"name":        field(nn(str), "分项名称", func(b catalog.Breakdown) any { return b.Name }),
		"numerator":   field(nn(graphql.Int), "分子 (已归集、已覆盖或运行中)", func(b catalog.Breakdown) any { return b.Numerator }),
		"denominator": field(nn(graphql.Int), "分母 (应归集、业务事项或“一件事”数)", func(b catalog.Breakdown) any { return b.Denominator }),
		"rate":        field(nn(graphql.Float), "比率", func(b catalog.Breakdown) any { return b.Rate }),
	}})
}

// lagView is a lagging entry at the time of the figure that listed it.
type lagView struct {
	catalog.Lag
	now time.Time
}

func lagViews(lags []catalog.Lag, now time.Time) []lagView {
	out := make([]lagView, len(lags))
	for i, l := range lags {
		out[i] = lagView{Lag: l, now: now}
	}
	return out
}

func newLagType() *graphql.Object {
	nn := graphql.NewNonNull
	str := graphql.String
	type L = lagView
	return graphql.NewObject(graphql.ObjectConfig{Name: "Lag", Description: "拖后腿的目录资源", Fields: graphql.Fields{
		"entry":          field(nn(str), "信息资源代码", func(l L) any { return l.Entry }),
		"name":           field(nn(str), "信息资源名称", func(l L) any { return l.Name }),
		"department":     codeField("责任处室", func(l L) string { return l.Department }),
		"departmentName": departmentName(func(s any) string { return s.(L).Department }),
		"district":       codeField("区县", func(l L) string { return l.District }),
		"districtName":   labelField("区县", schemas.Districts, func(l L) string { return l.District }),
		"reason":         field(nn(str), "原因代码: NEVER_LOADED 从未归集, STALE 数据过期, LAST_LOAD_FAILED 最近一次归集失败, REJECTED_ROWS 拒收行超过上限", func(l L) any { return l.Reason }),
		"reasonName":     field(nn(str), "原因的中文名称", func(l L) any { return catalog.LagReasonNames[l.Reason] }),
		"reasonText":     field(nn(str), "原因", func(l L) any { return l.ReasonText }),
		"since":          timeField(func(s any) time.Time { return s.(L).Since }, "起始时间: 数据过期之时, 从未归集的为最近一次发布之时"),
		"heldDays":       field(nn(graphql.Int), "至统计时已拖后腿的整天数", func(l L) any { return l.HeldDays(l.now) }),
		"lastLoad":       timeField(func(s any) time.Time { return s.(L).LastLoad }, "最近一次归集"),
		"run":            field(str, "失败的归集批次 (拒收行可经 GET /api/v1/runs/{批次}/rejects 下载); 无权查看该批次时为空", func(l L) any { return nilIfEmpty(l.Run) }),
	}})
}

// coverageView is 业务事项覆盖率 with its target.
type coverageView struct {
	*catalog.CoverageFigure
	target float64
}

// oneThingView is "一件事"上线运行率 with its target and the audit's days not fully counted.
type oneThingView struct {
	*catalog.OneThingFigure
	target     float64
	incomplete []string
}

// headline are the fields every figure has: rate, numerator and denominator against its target,
// and the four breakdowns.
func headline[V any](breakdown *graphql.Object, get func(V) (rate float64, num, den int, bd [4][]catalog.Breakdown), target func(V) float64) graphql.Fields {
	nn := graphql.NewNonNull
	list := nn(graphql.NewList(nn(breakdown)))
	out := graphql.Fields{
		"rate":        field(nn(graphql.Float), "比率", func(v V) any { r, _, _, _ := get(v); return r }),
		"numerator":   field(nn(graphql.Int), "分子", func(v V) any { _, n, _, _ := get(v); return n }),
		"denominator": field(nn(graphql.Int), "分母", func(v V) any { _, _, d, _ := get(v); return d }),
		"target":      field(nn(graphql.Float), "目标值 (0 到 1)", func(v V) any { return target(v) }),
		"meetsTarget": field(nn(graphql.Boolean), "是否达到目标", func(v V) any { _, n, d, _ := get(v); return catalog.MeetsTarget(n, d, target(v)) }),
	}
	for i, name := range [4]string{"byDepartment", "byDistrict", "byDomain", "bySourceKind"} {
		desc := [4]string{"按责任处室", "按区县", "按治理领域", "按来源类型"}[i]
		out[name] = field(list, desc, func(v V) any { _, _, _, bd := get(v); return nonNil(bd[i]) })
	}
	return out
}

func newCoverageRateType(breakdown *graphql.Object) *graphql.Object {
	nn := graphql.NewNonNull
	str := graphql.String
	type I = catalog.ItemCoverage
	item := graphql.NewObject(graphql.ObjectConfig{Name: "BusinessItemCoverage", Description: "一个业务事项的覆盖情况", Fields: graphql.Fields{
		"code":           field(nn(str), "业务事项代码", func(i I) any { return i.Code }),
		"name":           field(nn(str), "名称", func(i I) any { return i.Name }),
		"department":     codeField("责任处室", func(i I) string { return i.Department }),
		"departmentName": departmentName(func(s any) string { return s.(I).Department }),
		"entries":        field(nn(graphql.Int), "服务它的应归集目录数 (本账号可见的)", func(i I) any { return i.Entries }),
		"collected":      field(nn(graphql.Int), "其中已归集的", func(i I) any { return i.Collected }),
		"covered":        field(nn(graphql.Boolean), "已覆盖: 至少一个服务它的目录已归集", func(i I) any { return i.Covered }),
	}})
	fields := headline(breakdown, func(v *coverageView) (float64, int, int, [4][]catalog.Breakdown) {
		return v.Rate, v.Numerator, v.Denominator, [4][]catalog.Breakdown{v.ByDepartment, v.ByDistrict, v.ByDomain, v.BySourceKind}
	}, func(v *coverageView) float64 { return v.target })
	fields["items"] = field(nn(graphql.NewList(nn(item))), "列入清单的业务事项, 按代码排序", func(v *coverageView) any { return nonNil(v.Items) })
	return graphql.NewObject(graphql.ObjectConfig{Name: "CoverageRate", Description: "业务事项覆盖率", Fields: fields})
}

func newOneThingRateType(breakdown *graphql.Object) *graphql.Object {
	nn := graphql.NewNonNull
	str := graphql.String
	type S = catalog.SceneState
	scene := graphql.NewObject(graphql.ObjectConfig{Name: "SceneState", Description: "一个“一件事”的运行情况", Fields: graphql.Fields{
		"code":           field(nn(str), "场景代码", func(s S) any { return s.Code }),
		"name":           field(nn(str), "名称", func(s S) any { return s.Name }),
		"department":     codeField("责任处室", func(s S) string { return s.Department }),
		"departmentName": departmentName(func(s any) string { return s.(S).Department }),
		"required":       field(nn(graphql.Int), "所需的应归集目录数 (本账号可见的)", func(s S) any { return s.Required }),
		"collected":      field(nn(graphql.Int), "其中已归集的", func(s S) any { return s.Collected }),
		"missing":        field(nn(graphql.NewList(nn(str))), "未归集的所需目录 (信息资源代码)", func(s S) any { return nonNil(s.Missing) }),
		"lastUsed":       timeField(func(s any) time.Time { return s.(S).LastUsed }, "场景账号最近一次成功查询的时间 (统计期内)"),
		"online":         field(nn(graphql.Boolean), "已上线: 有所需目录且全部已归集", func(s S) any { return s.Online }),
		"inUse":          field(nn(graphql.Boolean), fmt.Sprintf("在用: 近 %d 天有场景账号查询", catalog.InUseDays), func(s S) any { return s.InUse }),
		"running":        field(nn(graphql.Boolean), "运行中: 已上线且在用, 计入分子", func(s S) any { return s.Running }),
		"reason":         field(str, "未运行的原因", func(s S) any { return nilIfEmpty(s.Reason) }),
	}})
	fields := headline(breakdown, func(v *oneThingView) (float64, int, int, [4][]catalog.Breakdown) {
		return v.Rate, v.Numerator, v.Denominator, [4][]catalog.Breakdown{v.ByDepartment, v.ByDistrict, v.ByDomain, v.BySourceKind}
	}, func(v *oneThingView) float64 { return v.target })
	fields["scenes"] = field(nn(graphql.NewList(nn(scene))), "列入清单的“一件事”, 按代码排序", func(v *oneThingView) any { return nonNil(v.Scenes) })
	fields["usageIncompleteDays"] = field(nn(graphql.NewList(nn(str))),
		"查询审计中场景查询未完整统计的日期: 这些天的查询可能未计入, 个别场景可能被误判为不在用",
		func(v *oneThingView) any { return nonNil(v.incomplete) })
	return graphql.NewObject(graphql.ObjectConfig{Name: "OneThingRate", Description: "“一件事”上线运行率", Fields: fields})
}
