package query

import (
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// catalogTypes are the fixed types of catalogue questions. They are built afresh for every
// schema: graphql-go initialises types lazily and without locks, so types are never shared
// between schemas that may be built at the same time.
type catalogTypes struct {
	entry, collectionRate, connection *graphql.Object
	breakdown, lag                    *graphql.Object // shared by the figures (schema_figures.go)
	pageInfo                          *graphql.Object // shared by the directory and table pages
	wf                                *workflowTypes
}

func timeField(get func(any) time.Time, desc string) *graphql.Field {
	return &graphql.Field{Type: graphql.String, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		t := get(p.Source)
		if t.IsZero() {
			return nil, nil
		}
		return t.UTC().Format(time.RFC3339), nil
	}}
}

// field resolves a value computed from the source object of type S.
func field[S any](t graphql.Output, desc string, get func(S) any) *graphql.Field {
	return &graphql.Field{Type: t, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		s, ok := p.Source.(S)
		if !ok {
			return nil, nil
		}
		return get(s), nil
	}}
}

func newCatalogTypes() *catalogTypes {
	nn := graphql.NewNonNull
	str := graphql.String
	grade := graphql.NewObject(graphql.ObjectConfig{Name: "Grade", Description: "数据分级 (GB/T 43697-2024)", Fields: graphql.Fields{
		"id":   field(nn(str), "分级标识", func(g schemas.Grade) any { return string(g) }),
		"name": field(nn(str), "分级名称", func(g schemas.Grade) any { return g.Name() }),
		"rank": field(nn(graphql.Int), "级别, 越大越严格", func(g schemas.Grade) any { return g.Rank() }),
	}})
	wf := newWorkflowTypes(grade)
	itemFields := graphql.Fields{
		"name":        field(nn(str), "信息项名称", func(i catalog.Item) any { return i.Name }),
		"field":       field(nn(str), "字段标识", func(i catalog.Item) any { return i.Field }),
		"type":        field(nn(str), "数据类型"+labelDesc, func(i catalog.Item) any { return string(i.Type) }),
		"required":    field(nn(graphql.Boolean), "是否必填", func(i catalog.Item) any { return i.Required }),
		"isKey":       field(nn(graphql.Boolean), "是否主键", func(i catalog.Item) any { return i.IsKey }),
		"grade":       field(grade, "信息项分级", func(i catalog.Item) any { return gradeOrNil(i.Grade) }),
		"piType":      codeField("个人信息类型", func(i catalog.Item) string { return i.PIType }),
		"codeList":    codeField("代码表", func(i catalog.Item) string { return i.CodeList }),
		"length":      field(graphql.Int, "最大长度", func(i catalog.Item) any { return i.Length }),
		"description": field(str, "说明", func(i catalog.Item) any { return nilIfEmpty(i.Description) }),
		"min":         field(str, "取值下限 (含)", func(i catalog.Item) any { return nilIfEmpty(i.Min) }),
		"max":         field(str, "取值上限 (含)", func(i catalog.Item) any { return nilIfEmpty(i.Max) }),
	}
	for k, f := range itemCodeFields() {
		itemFields[k] = f
	}
	item := graphql.NewObject(graphql.ObjectConfig{Name: "Item", Description: "信息项", Fields: itemFields})
	item.AddFieldConfig("id", itemIDField())
	// A row-scoped reader sees a snapshot's identity and time but not the size of the whole
	// table, which would count other districts' rows.
	size := func(get func(*catalog.Snapshot) any) func(snapshotView) any {
		return func(s snapshotView) any {
			if s.scoped {
				return nil
			}
			return get(s.Snapshot)
		}
	}
	snapshot := graphql.NewObject(graphql.ObjectConfig{Name: "Snapshot", Description: "数据快照", Fields: graphql.Fields{
		"id":          field(nn(str), "快照标识", func(s snapshotView) any { return s.ID }),
		"parent":      field(str, "上一快照", func(s snapshotView) any { return nilIfEmpty(s.Parent) }),
		"run":         field(str, "产生快照的批次", func(s snapshotView) any { return nilIfEmpty(s.Run) }),
		"rows":        field(Long, "行数 (只能读取部分行的账号不可见)", size(func(s *catalog.Snapshot) any { return s.Rows })),
		"files":       field(graphql.Int, "文件数 (只能读取部分行的账号不可见)", size(func(s *catalog.Snapshot) any { return s.Files })),
		"bytes":       field(Long, "字节数 (只能读取部分行的账号不可见)", size(func(s *catalog.Snapshot) any { return s.Bytes })),
		"committedAt": timeField(func(s any) time.Time { return s.(snapshotView).CommittedAt }, "提交时间"),
	}})
	run := graphql.NewObject(graphql.ObjectConfig{Name: "Run", Description: "归集批次", Fields: graphql.Fields{
		"id":           field(nn(str), "批次标识", func(r *catalog.Run) any { return r.ID }),
		"kind":         field(str, "批次类型", func(r *catalog.Run) any { return nilIfEmpty(r.Kind) }),
		"status":       field(nn(str), "状态", func(r *catalog.Run) any { return r.Status }),
		"rowsRead":     field(nn(Long), "读取行数", func(r *catalog.Run) any { return r.RowsRead }),
		"rowsAccepted": field(nn(Long), "入库行数", func(r *catalog.Run) any { return r.RowsAccepted }),
		"rowsRejected": field(nn(Long), "拒收行数", func(r *catalog.Run) any { return r.RowsRejected }),
		"startedAt":    timeField(func(s any) time.Time { return s.(*catalog.Run).StartedAt }, "开始时间"),
		"finishedAt":   timeField(func(s any) time.Time { return s.(*catalog.Run).FinishedAt }, "结束时间"),
		"error":        field(str, "错误", func(r *catalog.Run) any { return nilIfEmpty(r.Error) }),
	}})
	entry := graphql.NewObject(graphql.ObjectConfig{Name: "Entry", Description: "目录资源 (信息资源)", Fields: graphql.FieldsThunk(func() graphql.Fields {
		fields := graphql.Fields{
			"resourceCode":    field(nn(str), "信息资源代码", func(e *catalog.Entry) any { return e.ResourceCode }),
			"name":            field(nn(str), "信息资源名称", func(e *catalog.Entry) any { return e.Name }),
			"table":           field(nn(str), "数据表", func(e *catalog.Entry) any { return e.Table }),
			"category":        codeField("信息资源分类", func(e *catalog.Entry) string { return e.CategoryCode }),
			"categoryName":    labelField("信息资源分类", schemas.Categories, func(e *catalog.Entry) string { return e.CategoryCode }),
			"grade":           field(nn(grade), "数据分级 (含代码 id 与中文名称 name)", func(e *catalog.Entry) any { return e.Grade() }),
			"updateCycle":     codeField("更新周期", func(e *catalog.Entry) string { return string(e.UpdateCycle) }),
			"status":          field(nn(str), "目录状态"+labelDesc, func(e *catalog.Entry) any { return e.Status }),
			"department":      codeField("责任处室", func(e *catalog.Entry) string { return e.Department }),
			"departmentName":  deptName(),
			"district":        codeField("区县", func(e *catalog.Entry) string { return e.District }),
			"districtName":    labelField("区县", schemas.Districts, func(e *catalog.Entry) string { return e.District }),
			"sourceKind":      codeField("来源类型", func(e *catalog.Entry) string { return e.SourceKind }),
			"domains":         field(nn(graphql.NewList(nn(str))), "治理领域 (代码; 中文名称见 domainNames)", func(e *catalog.Entry) any { return nonNil(e.Domains) }),
			"shareType":       codeField("共享类型", func(e *catalog.Entry) string { return e.ShareType }),
			"items":           field(nn(graphql.NewList(nn(item))), "信息项", func(e *catalog.Entry) any { return e.Items.Slice() }),
			"currentSnapshot": field(str, "当前快照", func(e *catalog.Entry) any { return nilIfEmpty(e.CurrentSnapshot) }),
			"snapshots": {Type: nn(graphql.NewList(nn(snapshot))), Description: "快照, 新的在前", Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				e := p.Source.(*catalog.Entry)
				_, a, err := r.entry(e.ResourceCode)
				out := []snapshotView{}
				if err != nil {
					return out, nil
				}
				for _, sn := range r.view.Snapshots(e.ResourceCode) {
					out = append(out, snapshotView{Snapshot: sn, scoped: a.Rows != nil})
				}
				return out, nil
			}},
			"runs": {Type: nn(graphql.NewList(nn(run))), Description: "归集批次", Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				e := p.Source.(*catalog.Entry)
				_, a, err := r.entry(e.ResourceCode)
				if err != nil {
					return []*catalog.Run{}, nil
				}
				out := []*catalog.Run{}
				for _, run := range r.view.Runs(e.ResourceCode) {
					if a.MaySeeRun(run) {
						out = append(out, run)
					}
				}
				return out, nil
			}},
		}
		for k, f := range entryCodeFields() {
			fields[k] = f
		}
		for k, f := range wf.entryFields() {
			fields[k] = f
		}
		return fields
	})})
	wf.entry = entry
	info := pageInfoType
	breakdown, lag := newBreakdownType(), newLagType()
	return &catalogTypes{entry: entry, collectionRate: newCollectionRateType(breakdown, lag), breakdown: breakdown, lag: lag,
		connection: newDirectoryTypes(entry, info), pageInfo: info, wf: wf}
}

// snapshotView is a snapshot as one reader may see it.
type snapshotView struct {
	*catalog.Snapshot
	scoped bool
}

func deptName() *graphql.Field {
	return &graphql.Field{Type: graphql.String, Description: "责任处室的中文名称", Resolve: func(p graphql.ResolveParams) (any, error) {
		r, err := requestFrom(p.Context)
		if err != nil {
			return nil, err
		}
		d, err := r.view.Department(p.Source.(*catalog.Entry).Department)
		if err != nil {
			return nil, nil
		}
		return d.Name, nil
	}}
}

// newCollectionRateType is 数据归集率, its breakdowns and its hold-back list (schema_figures.go
// builds the shared Breakdown and Lag types).
func newCollectionRateType(breakdown, lag *graphql.Object) *graphql.Object {
	nn := graphql.NewNonNull
	bd := func(desc string, get func(*catalog.CollectionFigure) []catalog.Breakdown) *graphql.Field {
		return field(nn(graphql.NewList(nn(breakdown))), desc, func(f *figureView) any { return nonNil(get(f.CollectionFigure)) })
	}
	num := func(t graphql.Output, desc string, get func(*catalog.CollectionFigure) any) *graphql.Field {
		return field(nn(t), desc, func(f *figureView) any { return get(f.CollectionFigure) })
	}
	lagArgs := pageArgs(laggingFirstDefault)
	lagArgs["after"] = &graphql.ArgumentConfig{Type: graphql.String, Description: "上一页最后一条的信息资源代码 (entry); 不填为第一页"}
	return graphql.NewObject(graphql.ObjectConfig{Name: "CollectionRate", Description: "数据归集率", Fields: graphql.Fields{
		"rate":            num(graphql.Float, "归集率", func(f *catalog.CollectionFigure) any { return f.Rate }),
		"numerator":       num(graphql.Int, "已归集资源数", func(f *catalog.CollectionFigure) any { return f.Numerator }),
		"denominator":     num(graphql.Int, "应归集资源数", func(f *catalog.CollectionFigure) any { return f.Denominator }),
		"target":          field(nn(graphql.Float), "目标值 (0 到 1)", func(f *figureView) any { return f.target }),
		"meetsTarget":     field(nn(graphql.Boolean), "是否达到目标", func(f *figureView) any { return catalog.MeetsTarget(f.Numerator, f.Denominator, f.target) }),
		"itemRate":        num(graphql.Float, "信息项归集率", func(f *catalog.CollectionFigure) any { return f.ItemRate }),
		"itemNumerator":   num(graphql.Int, "已归集信息项数", func(f *catalog.CollectionFigure) any { return f.ItemNumerator }),
		"itemDenominator": num(graphql.Int, "应归集信息项数", func(f *catalog.CollectionFigure) any { return f.ItemDenominator }),
		"byDepartment":    bd("按责任处室", func(f *catalog.CollectionFigure) []catalog.Breakdown { return f.ByDepartment }),
		"byDistrict":      bd("按区县", func(f *catalog.CollectionFigure) []catalog.Breakdown { return f.ByDistrict }),
		"byDomain":        bd("按治理领域", func(f *catalog.CollectionFigure) []catalog.Breakdown { return f.ByDomain }),
		"bySourceKind":    bd("按来源类型", func(f *catalog.CollectionFigure) []catalog.Breakdown { return f.BySourceKind }),
		"laggingCount":    num(graphql.Int, "未归集或滞后的资源数 (应归集 − 已归集)", func(f *catalog.CollectionFigure) any { return f.LaggingCount() }),
		"lagging": {
			Type:        nn(graphql.NewList(nn(lag))),
			Description: "未归集或滞后的资源, 按信息资源代码排序, 每次最多 first 条 (默认 50, 至多 500); 总数见 laggingCount",
			Args:        lagArgs,
			Resolve: func(p graphql.ResolveParams) (any, error) {
				f, ok := p.Source.(*figureView)
				if !ok {
					return []lagView{}, nil
				}
				first, err := firstArg(p.Args)
				if err != nil {
					return nil, err
				}
				if f.LaggingCount() == 0 {
					return []lagView{}, nil // nothing to look for: no walk of the entries
				}
				after, _ := p.Args["after"].(string)
				return lagViews(f.r.view.Lagging(f.now, f.r.principal, first, after).Lags, f.now), nil
			},
		},
	}})
}

// laggingFirstDefault is the page size of collectionRate.lagging.
const laggingFirstDefault = 50

// figureView is the collection figure one request computed, with what its lagging list needs:
// the list is read at the figure's time, by the figure's reader.
type figureView struct {
	*catalog.CollectionFigure
	r      *request
	now    time.Time
	target float64
}

// catalogFields are the root fields of catalogue questions.
func catalogFields(ct *catalogTypes) graphql.Fields {
	return graphql.Fields{
		"entries":   entriesField(ct),
		"directory": directoryField(ct),
		"entry": {
			Type:        ct.entry,
			Description: "按信息资源代码查询目录资源",
			Args:        graphql.FieldConfigArgument{"code": {Type: graphql.NewNonNull(graphql.String), Description: "信息资源代码"}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				r.noteField("entry")
				code, _ := p.Args["code"].(string)
				e, _, err := r.entry(code)
				if err != nil {
					return nil, nil // absent and invisible look the same: null
				}
				return e, nil
			},
		},
	}
}

func nilIfEmpty[T ~string](s T) any {
	if s == "" {
		return nil
	}
	return string(s)
}

func nameOf(l *schemas.CodeList, id string) any {
	if id == "" {
		return nil
	}
	return l.NameOf(id)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func gradeOrNil(g schemas.Grade) any {
	if g == "" {
		return nil
	}
	return g
}
