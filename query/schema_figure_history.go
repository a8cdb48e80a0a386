package query

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The figures' daily history through GraphQL: figureHistory(from, to) gives the trend of the
// three figures, figureDay(day) one day's figures with their breakdowns and the entries that
// held the collection figure back that day. The catalogue picks the view of the caller's
// clearance and the entries it may see (catalog.View.FigureHistory, FigureDayFor).

// breakdown is the figures' Breakdown type (catalogTypes.breakdown).
func newFigureHistoryTypes(breakdown *graphql.Object) (dayT, detailT *graphql.Object) {
	nn, str, integer := graphql.NewNonNull, graphql.String, graphql.Int
	count := graphql.NewObject(graphql.ObjectConfig{Name: "FigureCount", Description: "指标的分子与分母", Fields: graphql.Fields{
		"numerator":   field(nn(integer), "分子", func(c catalog.FigureCounts) any { return c.Numerator }),
		"denominator": field(nn(integer), "分母", func(c catalog.FigureCounts) any { return c.Denominator }),
		"rate":        field(nn(graphql.Float), "比率 (分母为 0 时为 0)", func(c catalog.FigureCounts) any { return c.Rate() }),
	}})
	list := func(desc string, get func(catalog.FigureBreakdowns) []catalog.Breakdown) *graphql.Field {
		return field(nn(graphql.NewList(nn(breakdown))), desc, func(f catalog.FigureBreakdowns) any { return nonNil(get(f)) })
	}
	breakdowns := graphql.NewObject(graphql.ObjectConfig{Name: "FigureBreakdowns", Description: "指标的分项", Fields: graphql.Fields{
		"byDepartment": list("按责任处室", func(f catalog.FigureBreakdowns) []catalog.Breakdown { return f.ByDepartment }),
		"byDistrict":   list("按区县", func(f catalog.FigureBreakdowns) []catalog.Breakdown { return f.ByDistrict }),
		"byDomain":     list("按治理领域", func(f catalog.FigureBreakdowns) []catalog.Breakdown { return f.ByDomain }),
		"bySourceKind": list("按来源类型", func(f catalog.FigureBreakdowns) []catalog.Breakdown { return f.BySourceKind }),
	}})
	lag := graphql.NewObject(graphql.ObjectConfig{Name: "DayLag", Description: "当日未归集的目录资源", Fields: graphql.Fields{
		"entry":          field(nn(str), "信息资源代码", func(l dayLag) any { return l.Entry }),
		"name":           field(str, "信息资源名称 (现名; 已不存在时为 null)", func(l dayLag) any { return nilIfEmpty(l.name) }),
		"grade":          field(nn(str), "当日分级", func(l dayLag) any { return string(l.Grade) }),
		"gradeName":      field(nn(str), "分级名称", func(l dayLag) any { return l.Grade.Name() }),
		"district":       field(nn(str), "区县代码", func(l dayLag) any { return l.District }),
		"districtName":   field(nn(str), "区县名称", func(l dayLag) any { return l.districtName }),
		"department":     field(nn(str), "责任处室代码", func(l dayLag) any { return l.Department }),
		"departmentName": field(nn(str), "责任处室名称", func(l dayLag) any { return l.departmentName }),
		"reason":         field(nn(str), "原因代码: NEVER_LOADED 从未归集, STALE 数据过期, LAST_LOAD_FAILED 最近一次归集失败, REJECTED_ROWS 拒收行超过上限", func(l dayLag) any { return l.Reason }),
		"run":            field(str, "当日之前失败的归集批次", func(l dayLag) any { return nilIfEmpty(l.Run) }),
		"reasonName":     field(nn(str), "原因", func(l dayLag) any { return catalog.LagReasonNames[l.Reason] }),
		"lastLoad":       timeField(func(s any) time.Time { return s.(dayLag).LastLoad }, "当日之前最近一次归集"),
	}})
	// The fields of a day, for FigureDay (a catalog.DayFigures) and FigureDayDetail (a *dayDetail).
	of := func(t graphql.Output, desc string, get func(catalog.DayFigures) any) *graphql.Field {
		return &graphql.Field{Type: t, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) { return get(dayOf(p.Source)), nil }}
	}
	common := func() graphql.Fields {
		return graphql.Fields{
			"day":        of(nn(str), "日期 (重庆时间)", func(d catalog.DayFigures) any { return d.Day }),
			"at":         timeField(func(s any) time.Time { return dayOf(s).At }, "取数时间"),
			"backfilled": of(nn(graphql.Boolean), "由归集记录补算, 而非当日取数", func(d catalog.DayFigures) any { return d.Backfilled }),
			"collection": of(nn(count), "数据归集率", func(d catalog.DayFigures) any { return d.Collection }),
			"items":      of(nn(count), "信息项归集率", func(d catalog.DayFigures) any { return d.Items }),
			"coverage":   of(nn(count), "业务事项覆盖率", func(d catalog.DayFigures) any { return d.Coverage }),
			"oneThing":   of(nn(count), "“一件事”上线运行率", func(d catalog.DayFigures) any { return d.OneThing }),
		}
	}
	dayT = graphql.NewObject(graphql.ObjectConfig{Name: "FigureDay", Description: "某日的三项管理指标", Fields: common()})
	detail := common()
	sub := func(desc string, get func(b catalog.FigureDayBreakdowns) catalog.FigureBreakdowns) *graphql.Field {
		return field(nn(breakdowns), desc, func(d *dayDetail) any { return get(d.Breakdowns) })
	}
	detail["collectionBreakdowns"] = sub("数据归集率分项", func(b catalog.FigureDayBreakdowns) catalog.FigureBreakdowns { return b.Collection })
	detail["coverageBreakdowns"] = sub("业务事项覆盖率分项", func(b catalog.FigureDayBreakdowns) catalog.FigureBreakdowns { return b.Coverage })
	detail["oneThingBreakdowns"] = sub("“一件事”上线运行率分项", func(b catalog.FigureDayBreakdowns) catalog.FigureBreakdowns { return b.OneThing })
	detail["laggingCount"] = field(nn(integer), "当日未归集的目录数", func(d *dayDetail) any { return len(d.Lagging) })
	lagArgs := pageArgs(laggingFirstDefault)
	lagArgs["after"] = &graphql.ArgumentConfig{Type: str, Description: "上一页最后一条的信息资源代码; 不填为第一页"}
	detail["lagging"] = &graphql.Field{Type: nn(graphql.NewList(nn(lag))), Args: lagArgs,
		Description: "当日未归集的目录资源, 按信息资源代码排序, 每次最多 first 条",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			d, ok := p.Source.(*dayDetail)
			if !ok {
				return []dayLag{}, nil
			}
			first, err := firstArg(p.Args)
			if err != nil {
				return nil, err
			}
			after, _ := p.Args["after"].(string)
			i := sort.Search(len(d.Lagging), func(i int) bool { return strings.Compare(d.Lagging[i].Entry, after) > 0 })
			out := []dayLag{}
			for _, l := range d.Lagging[i:min(len(d.Lagging), i+first)] {
				dl := dayLag{DayLag: l, districtName: l.District, departmentName: l.Department}
				if e, _, err := d.r.entry(l.Entry); err == nil {
					dl.name = e.Name
				}
				if x, err := d.r.view.District(l.District); err == nil {
					dl.districtName = x.Name
				}
				if x, err := d.r.view.Department(l.Department); err == nil {
					dl.departmentName = x.Name
				}
				out = append(out, dl)
			}
			return out, nil
		}}
	detailT = graphql.NewObject(graphql.ObjectConfig{Name: "FigureDayDetail", Description: "某日的三项管理指标、分项与未归集清单", Fields: detail})
	return dayT, detailT
}

// dayDetail is one day's detail with the request that asked (names are read as it may see them).
type dayDetail struct {
	*catalog.DayDetail
	r *request
}

type dayLag struct {
	catalog.DayLag
	name, districtName, departmentName string
}

// dayOf reads the day of a FigureDay or FigureDayDetail source.
func dayOf(s any) catalog.DayFigures {
	switch d := s.(type) {
	case catalog.DayFigures:
		return d
	case *dayDetail:
		return d.DayFigures
	}
	return catalog.DayFigures{}
}

// figureHistoryFields adds figureHistory and figureDay to the Query root's fields.
func (s *Service) figureHistoryFields(ct *catalogTypes, fields graphql.Fields) {
	dayT, detailT := newFigureHistoryTypes(ct.breakdown)
	nn, str := graphql.NewNonNull, graphql.String
	fields["figureHistory"] = &graphql.Field{Type: nn(graphql.NewList(nn(dayT))),
		Description: "三项管理指标的逐日历史 (按本账号的密级查看; 区县账号不提供), 由远及近",
		Args: graphql.FieldConfigArgument{
			"from": {Type: nn(str), Description: "开始日期 YYYY-MM-DD (含)"},
			"to":   {Type: nn(str), Description: "结束日期 YYYY-MM-DD (含), 一次至多 400 天"},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("figureHistory")
			h, err := r.view.FigureHistory(r.principal, p.Args["from"].(string), p.Args["to"].(string))
			if err != nil {
				return nil, s.directoryError(r, "figureHistory", err)
			}
			return h, nil
		}}
	fields["figureDay"] = &graphql.Field{Type: detailT,
		Description: "某日的三项管理指标、分项与当日未归集清单; 没有该日记录时为 null",
		Args:        graphql.FieldConfigArgument{"day": {Type: nn(str), Description: "日期 YYYY-MM-DD"}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("figureDay")
			d, err := r.view.FigureDayFor(r.principal, p.Args["day"].(string))
			if err != nil {
				if errors.Is(err, schemas.ErrNotFound) {
					return nil, nil
				}
				return nil, s.directoryError(r, "figureDay", err)
			}
			return &dayDetail{DayDetail: d, r: r}, nil
		}}
}
