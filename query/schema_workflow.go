package query

import (
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The directory workflow as GraphQL reads it: the version an operation names as its base, the
// review state, the open change request, the history with field-level differences, the grading
// evidence; business items and scenes with the entries that serve them; the review queue. Every
// read goes through the catalogue's …For(p, …) functions, which answer for an entry that does not
// exist for the principal exactly as for one that does not exist at all.

// workflowTypes are the fixed types of the directory workflow, built afresh for every schema
// like catalogTypes. entry is set once the Entry type exists; only thunks read it.
type workflowTypes struct {
	entry, grade *graphql.Object

	actor, review, change, history, grading, business, scene, gradeResult, department *graphql.Object
	entryInput, itemInput, itemGradeInput, evidenceInput, businessInput, sceneInput   *graphql.InputObject
	grants                                                                            *grantTypes
}

// Bounds of the lists the directory reads return.
const (
	defaultHistory = 20
	maxHistory     = 500
	maxPending     = 500
)

func newWorkflowTypes(grade *graphql.Object) *workflowTypes {
	d := &workflowTypes{grade: grade, department: newDepartmentType()}
	nn, str := graphql.NewNonNull, graphql.String
	strs := nn(graphql.NewList(nn(str)))
	d.actor = graphql.NewObject(graphql.ObjectConfig{Name: "Actor", Description: "操作人", Fields: graphql.Fields{
		"id":   field(str, "账号标识 (本地运维为空)", func(a catalog.Actor) any { return nilIfEmpty(a.ID) }),
		"name": field(str, "姓名", func(a catalog.Actor) any { return nilIfEmpty(a.Name) }),
	}})
	d.review = graphql.NewObject(graphql.ObjectConfig{Name: "Review", Description: "审核状态", Fields: graphql.Fields{
		"editors":     field(strs, "修改过本版本的账号", func(r catalog.Review) any { return nonNil(r.Editors) }),
		"updatedBy":   field(str, "最后修改人", func(r catalog.Review) any { return nilIfEmpty(r.UpdatedBy) }),
		"submittedBy": field(str, "提交审核的账号", func(r catalog.Review) any { return nilIfEmpty(r.SubmittedBy) }),
		"comment":     field(str, "审核意见 (退回时)", func(r catalog.Review) any { return nilIfEmpty(r.Comment) }),
	}})
	d.change = graphql.NewObject(graphql.ObjectConfig{Name: "ChangeRequest", Description: "已发布目录的变更申请", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"kind":       field(nn(str), "类型: edit 变更, downgrade 降级", func(c *catalog.ChangeRequest) any { return c.Kind }),
			"kindName":   field(nn(str), "类型的中文名称", func(c *catalog.ChangeRequest) any { return changeKindNames[c.Kind] }),
			"status":     field(nn(str), "状态 (草稿或待审核)", func(c *catalog.ChangeRequest) any { return c.Status }),
			"statusName": field(nn(str), "状态的中文名称", func(c *catalog.ChangeRequest) any { return schemas.EntryStatuses.NameOf(c.Status) }),
			"reason":     field(str, "原因", func(c *catalog.ChangeRequest) any { return nilIfEmpty(c.Reason) }),
			"revision":   field(nn(Long), "版本号", func(c *catalog.ChangeRequest) any { return int64(c.Revision) }),
			"proposed":   field(nn(d.entry), "变更后的版本", func(c *catalog.ChangeRequest) any { return proposedOf(c) }),
			"review":     field(nn(d.review), "审核状态", func(c *catalog.ChangeRequest) any { return c.Review }),
			"createdAt":  timeField(func(s any) time.Time { return s.(*catalog.ChangeRequest).CreatedAt }, "申请时间"),
			"updatedAt":  timeField(func(s any) time.Time { return s.(*catalog.ChangeRequest).UpdatedAt }, "最后修改时间"),
		}
	})})
	fieldChange := graphql.NewObject(graphql.ObjectConfig{Name: "FieldChange", Description: "字段级差异", Fields: graphql.Fields{
		"field": field(nn(str), "字段 (信息项为 items[字段标识].属性)", func(c catalog.FieldChange) any { return c.Field }),
		"label": field(nn(str), "字段的中文名称", func(c catalog.FieldChange) any { return c.Label }),
		"old":   field(str, "原值", func(c catalog.FieldChange) any { return nilIfEmpty(c.Old) }),
		"new":   field(str, "新值", func(c catalog.FieldChange) any { return nilIfEmpty(c.New) }),
	}})
	d.history = graphql.NewObject(graphql.ObjectConfig{Name: "History", Description: "目录的一条历史记录", Fields: graphql.Fields{
		"index":      field(nn(Long), "版本号 (日志序号)", func(h *catalog.History) any { return int64(h.Index) }),
		"at":         timeField(func(s any) time.Time { return s.(*catalog.History).At }, "时间"),
		"actor":      field(nn(d.actor), "操作人", func(h *catalog.History) any { return h.Actor }),
		"action":     field(nn(str), "操作", func(h *catalog.History) any { return h.Action }),
		"actionName": field(nn(str), "操作的中文名称", func(h *catalog.History) any { return catalog.HistoryLabel(h.Action) }),
		"status":     field(str, "操作后的状态", func(h *catalog.History) any { return nilIfEmpty(h.Status) }),
		"statusName": field(str, "操作后状态的中文名称", func(h *catalog.History) any { return nameOf(schemas.EntryStatuses, h.Status) }),
		"note":       field(str, "原因或审核意见", func(h *catalog.History) any { return nilIfEmpty(h.Note) }),
		"changes":    field(nn(graphql.NewList(nn(fieldChange))), "字段级差异", func(h *catalog.History) any { return nonNil(h.Changes) }),
	}})
	d.grading = graphql.NewObject(graphql.ObjectConfig{Name: "Grading", Description: "定级依据", Fields: graphql.Fields{
		"impactObject":     field(str, "影响对象", func(e *catalog.Evidence) any { return nilIfEmpty(e.ImpactObject) }),
		"impactObjectName": field(str, "影响对象的中文名称", func(e *catalog.Evidence) any { return nameOf(schemas.ImpactObjects, e.ImpactObject) }),
		"impactDegree":     field(str, "影响程度", func(e *catalog.Evidence) any { return nilIfEmpty(e.ImpactDegree) }),
		"impactDegreeName": field(str, "影响程度的中文名称", func(e *catalog.Evidence) any { return nameOf(schemas.ImpactDegrees, e.ImpactDegree) }),
		"factors":          field(strs, "定级要素", func(e *catalog.Evidence) any { return nonNil(e.Factors) }),
		"factorNames":      field(strs, "定级要素的中文名称", func(e *catalog.Evidence) any { return namesOf(schemas.GradingFactors, e.Factors) }),
		"basis":            field(str, "定级依据", func(e *catalog.Evidence) any { return nilIfEmpty(e.Basis) }),
		"proposed":         field(grade, "定级矩阵建议的分级", func(e *catalog.Evidence) any { return gradeOrNil(e.Proposed) }),
		"gradedBy":         field(nn(d.actor), "定级人", func(e *catalog.Evidence) any { return e.GradedBy }),
		"gradedAt":         timeField(func(s any) time.Time { return s.(*catalog.Evidence).GradedAt }, "定级时间"),
	}})
	d.gradeResult = graphql.NewObject(graphql.ObjectConfig{Name: "GradeResult", Description: "定级结果", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"pending": field(nn(graphql.Boolean), "true: 降级须经审核, 尚未生效; false: 已生效", func(g gradeResult) any { return g.pending }),
			"entry":   field(d.entry, "定级后的工作版本", func(g gradeResult) any { return entryOrNil(g.entry) }),
		}
	})})
	d.business = graphql.NewObject(graphql.ObjectConfig{Name: "BusinessItem", Description: "业务事项", Fields: graphql.FieldsThunk(func() graphql.Fields {
		type B = *catalog.BusinessItem
		return graphql.Fields{
			"code":           field(nn(str), "业务事项代码", func(b B) any { return b.Code }),
			"name":           field(nn(str), "名称", func(b B) any { return b.Name }),
			"department":     field(str, "责任处室", func(b B) any { return nilIfEmpty(b.Department) }),
			"departmentName": departmentName(func(s any) string { return s.(B).Department }),
			"description":    field(str, "说明", func(b B) any { return nilIfEmpty(b.Description) }),
			"retired":        field(nn(graphql.Boolean), "已下线", func(b B) any { return b.Retired }),
			"mayEdit":        d.mayEditLinked(func(s any) string { return s.(B).Department }),
			"revision":       field(nn(Long), "版本号, 修改时作为 base 传入", func(b B) any { return int64(b.Revision) }),
			"updatedBy":      field(str, "最后修改人", func(b B) any { return nilIfEmpty(b.UpdatedBy) }),
			"createdAt":      timeField(func(s any) time.Time { return s.(B).CreatedAt }, "登记时间"),
			"updatedAt":      timeField(func(s any) time.Time { return s.(B).UpdatedAt }, "最后修改时间"),
			"entries":        d.serving("business_item", "服务本业务事项的目录资源", func(s any) string { return s.(B).Code }),
		}
	})})
	d.scene = graphql.NewObject(graphql.ObjectConfig{Name: "Scene", Description: "应用场景 (一件事、综合场景)", Fields: graphql.FieldsThunk(func() graphql.Fields {
		type S = *catalog.Scene
		return graphql.Fields{
			"code":           field(nn(str), "场景代码", func(s S) any { return s.Code }),
			"name":           field(nn(str), "名称", func(s S) any { return s.Name }),
			"kind":           field(nn(str), "类型: one_thing 一件事, composite 综合场景", func(s S) any { return s.Kind }),
			"kindName":       field(nn(str), "类型的中文名称", func(s S) any { return catalog.SceneKindNames[s.Kind] }),
			"department":     field(str, "责任处室", func(s S) any { return nilIfEmpty(s.Department) }),
			"departmentName": departmentName(func(s any) string { return s.(S).Department }),
			"description":    field(str, "说明", func(s S) any { return nilIfEmpty(s.Description) }),
			"accounts": {Type: nn(graphql.NewList(nn(str))), Description: "场景账号: 应用通过这些账号查询, 近期有查询即算在用 (只有可维护目录的账号看到全部; 其他账号只看到自己)",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					r, err := requestFrom(p.Context)
					if err != nil {
						return nil, err
					}
					return nonNil(catalog.SceneAccountsFor(r.principal, p.Source.(S).Accounts)), nil
				}},
			"retired":   field(nn(graphql.Boolean), "已下线", func(s S) any { return s.Retired }),
			"mayEdit":   d.mayEditLinked(func(s any) string { return s.(S).Department }),
			"revision":  field(nn(Long), "版本号, 修改时作为 base 传入", func(s S) any { return int64(s.Revision) }),
			"updatedBy": field(str, "最后修改人", func(s S) any { return nilIfEmpty(s.UpdatedBy) }),
			"createdAt": timeField(func(s any) time.Time { return s.(S).CreatedAt }, "登记时间"),
			"updatedAt": timeField(func(s any) time.Time { return s.(S).UpdatedAt }, "最后修改时间"),
			"entries":   d.serving("scene", "服务本场景的目录资源", func(s any) string { return s.(S).Code }),
		}
	})})
	d.newInputs()
	d.grants = newGrantTypes(d)
	return d
}

// mayEditLinked is the mayEdit field of a business item or scene of the department dept reads:
// whether the caller may change it (catalog.MayEditLinked).
func (d *workflowTypes) mayEditLinked(dept func(any) string) *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(graphql.Boolean), Description: "本账号可以修改 (系统管理员, 或本处室的数据管理员)",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			return catalog.MayEditLinked(r.principal, dept(p.Source)), nil
		}}
}

var changeKindNames = map[string]string{catalog.ChangeEdit: "变更", catalog.ChangeDowngrade: "降级"}

// gradeResult is what gradeEntry answers.
type gradeResult struct {
	pending bool
	entry   *catalog.Entry
}

// entryOrNil keeps a typed nil pointer from reaching graphql-go as a non-nil value.
func entryOrNil(e *catalog.Entry) any {
	if e == nil {
		return nil
	}
	return e
}

// proposedOf is a change request's proposed version as the API shows it: its revision is the one
// an operation on the change names.
func proposedOf(c *catalog.ChangeRequest) *catalog.Entry {
	e := c.Proposed.Copy()
	e.Revision = max(e.Revision, c.Revision)
	return e
}

func namesOf(l *schemas.CodeList, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = l.NameOf(id)
	}
	return out
}

// departmentName resolves the Chinese name of a department code of the source.
func departmentName(code func(any) string) *graphql.Field {
	return &graphql.Field{Type: graphql.String, Description: "责任处室的中文名称", Resolve: func(p graphql.ResolveParams) (any, error) {
		r, err := requestFrom(p.Context)
		if err != nil {
			return nil, err
		}
		d, err := r.view.Department(code(p.Source))
		if err != nil {
			return nil, nil
		}
		return d.Name, nil
	}}
}

// serving lists the entries that exist for the principal and serve a business item or scene.
func (d *workflowTypes) serving(kind, desc string, code func(any) string) *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(d.entry))), Description: desc,
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			return nonNil(r.view.EntriesServing(r.principal, kind, code(p.Source))), nil
		}}
}

// revisionOf is the version an operation on the entry names as its base: the later of the
// entry's and its open change request's, as the catalogue checks it.
func revisionOf(r *request, e *catalog.Entry) uint64 {
	c, _ := r.view.ChangeFor(r.principal, e.ResourceCode)
	return catalog.Revision(e, c)
}

// entryFields are the Entry fields of the directory workflow and of STANDARDS §1 the Entry type
// did not have.
func (d *workflowTypes) entryFields() graphql.Fields {
	nn, str := graphql.NewNonNull, graphql.String
	strs := nn(graphql.NewList(nn(str)))
	type E = *catalog.Entry
	resolve := func(get func(r *request, e E) (any, error)) graphql.FieldResolveFn {
		return func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			return get(r, p.Source.(E))
		}
	}
	return graphql.Fields{
		"providerName":   field(str, "信息资源提供方", func(e E) any { return nilIfEmpty(e.ProviderName) }),
		"providerCode":   field(str, "提供方统一社会信用代码", func(e E) any { return nilIfEmpty(e.ProviderCode) }),
		"abstract":       field(str, "信息资源摘要", func(e E) any { return nilIfEmpty(e.Abstract) }),
		"shareCondition": field(str, "共享条件", func(e E) any { return nilIfEmpty(e.ShareCondition) }),
		"openCondition":  field(str, "开放条件", func(e E) any { return nilIfEmpty(e.OpenCondition) }),
		"sharingBasis":   field(str, "共享开放的法律依据", func(e E) any { return nilIfEmpty(e.SharingBasis) }),
		"relatedCodes":   field(strs, "关联资源代码", func(e E) any { return nonNil(e.RelatedCodes) }),
		"businessItems":  field(strs, "服务的业务事项代码", func(e E) any { return nonNil(e.BusinessItems) }),
		"scenes":         field(strs, "服务的应用场景代码", func(e E) any { return nonNil(e.Scenes) }),
		"secret":         field(nn(graphql.Boolean), "涉密", func(e E) any { return e.Secret }),
		"exempt":         field(nn(graphql.Boolean), "不予归集", func(e E) any { return e.Exempt }),
		"exemptReason":   field(str, "不予归集理由", func(e E) any { return nilIfEmpty(e.ExemptReason) }),
		"gradeOverride":  field(d.grade, "人工调整的分级", func(e E) any { return gradeOrNil(e.GradeOverride) }),
		"rules":          field(strs, "校验规则", func(e E) any { return nonNil(e.Rules) }),
		"writeMode": field(nn(str), "写入方式 (append 追加, upsert 按主键更新)", func(e E) any {
			if e.WriteMode == "" {
				return catalog.WriteModeAppend
			}
			return e.WriteMode
		}),
		"writeModeName": field(nn(str), "写入方式的中文名称", func(e E) any { return catalog.WriteModeName(e.WriteMode) }),
		"maxRejectedPercent": field(graphql.Float, "拒收行数上限 (%); null 为系统默认", func(e E) any {
			if e.MaxRejectedPercent == nil {
				return nil
			}
			return *e.MaxRejectedPercent
		}),
		"retainSnapshots": field(graphql.Int, "快照保留个数 (含当前快照); null 为系统默认, 0 为不按个数限制", func(e E) any {
			return intOrNil(e.RetainSnapshots)
		}),
		"retainDays": field(graphql.Int, "快照保留天数 (被替换后); null 为系统默认, 0 为不按天数限制", func(e E) any {
			return intOrNil(e.RetainDays)
		}),
		"partitions": field(strs, "分区列", func(e E) any { return nonNil(e.Partitions) }),
		"transform": {Type: str, Description: "加工 SQL (由其他目录加工生成的目录); 不是加工目录, 或本账号看不到它的某个输入目录时为 null",
			Resolve: resolve(func(r *request, e E) (any, error) { return transformFor(r, e), nil })},
		"publishDate": timeField(func(s any) time.Time { return s.(E).PublishDate }, "发布时间"),
		"createdAt":   timeField(func(s any) time.Time { return s.(E).CreatedAt }, "登记时间"),
		"updatedAt":   timeField(func(s any) time.Time { return s.(E).UpdatedAt }, "最后修改时间"),
		"revision": {Type: nn(Long), Description: "版本号: 修改、提交、审核、下线、恢复、定级时作为 base 传入 (有变更申请时为变更申请的版本)",
			Resolve: resolve(func(r *request, e E) (any, error) { return int64(revisionOf(r, e)), nil })},
		"review": field(nn(d.review), "审核状态 (未发布的版本)", func(e E) any { return e.Review }),
		"changeRequest": {Type: d.change, Description: "未完成的变更申请, 没有时为 null",
			Resolve: resolve(func(r *request, e E) (any, error) {
				c, err := r.view.ChangeFor(r.principal, e.ResourceCode)
				if err != nil {
					return nil, nil
				}
				return c, nil
			})},
		"history": {Type: nn(graphql.NewList(nn(d.history))), Description: "历史记录, 新的在前",
			Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int, DefaultValue: defaultHistory, Description: "条数, 1 至 500"}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				n, err := countArg(p.Args, defaultHistory, maxHistory)
				if err != nil {
					return nil, err
				}
				hs, err := r.view.HistoryFor(r.principal, p.Source.(E).ResourceCode, n)
				if err != nil {
					return []*catalog.History{}, nil
				}
				return hs, nil
			}},
		"grading": {Type: d.grading, Description: "定级依据, 未登记时为 null",
			Resolve: resolve(func(r *request, e E) (any, error) {
				ev, err := r.view.EvidenceFor(r.principal, e.ResourceCode)
				if err != nil {
					return nil, nil
				}
				return ev, nil
			})},
	}
}

// itemIDField is the item's field id, the one an edit passes back to keep an item across a rename.
func itemIDField() *graphql.Field {
	return field(graphql.NewNonNull(graphql.Int), "信息项编号: 修改时传回以在改名时保留信息项", func(i catalog.Item) any { return i.ID })
}

func countArg(args map[string]any, def, limit int) (int, error) {
	n, ok := args["first"].(int)
	if !ok {
		n = def
	}
	if n < 1 || n > limit {
		return 0, invalidf("first 须在 1 至 %d 之间", limit)
	}
	return n, nil
}

// queryFields are the root fields of directory questions.
func (d *workflowTypes) queryFields() graphql.Fields {
	list := func(t graphql.Type) graphql.Output { return graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t))) }
	fields := graphql.Fields{
		"departments": departmentQuery(d.department),
		"pendingReview": {Type: list(d.entry), Description: "待审核的版本 (审核员与系统管理员), 早的在前",
			Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int, DefaultValue: defaultHistory, Description: "条数, 1 至 500"}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				r.noteField("pendingReview")
				n, err := countArg(p.Args, defaultHistory, maxPending)
				if err != nil {
					return nil, err
				}
				out := r.view.PendingReview(r.principal, n)
				for i, e := range out {
					if c, err := r.view.ChangeFor(r.principal, e.ResourceCode); err == nil && c.Status == catalog.StatusPendingReview {
						out[i] = proposedOf(c)
					}
				}
				return nonNil(out), nil
			}},
		"businessItems": {Type: list(d.business), Description: "业务事项",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				r.noteField("businessItems")
				return nonNil(r.view.BusinessItems()), nil
			}},
		"scenes": {Type: list(d.scene), Description: "应用场景",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				r.noteField("scenes")
				return nonNil(r.view.Scenes()), nil
			}},
	}
	for k, f := range d.grantQueryFields() {
		fields[k] = f
	}
	return fields
}

// intOrNil is an optional whole-number setting as GraphQL returns it: null when unset.
func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
