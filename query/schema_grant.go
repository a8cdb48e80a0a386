package query

import (
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Grants (授权, catalog/grant.go) as GraphQL reads and takes them. Reads go through
// catalog.View.GrantFor and Grants, which show a grant only when its entry exists for the
// principal, and then to curators, to its grantee or requester, and to reviewers of the
// department owning the entry (those who may decide it); a grant anybody else asks for answers
// exactly as one that does not exist. Each mutation is one catalogue command, which decides who
// may request, approve, refuse or revoke; the resolver only reads the arguments.

// Bounds of the grants list.
const (
	defaultGrants = 50
	maxGrants     = 500
)

// grantTypes are the types of grants in one schema; the Entry type is read through a thunk.
type grantTypes struct {
	grant, page *graphql.Object
	input       *graphql.InputObject
}

// grantPage is one page of grants.
type grantPage struct {
	nodes []*catalog.Grant
	total int
	next  string
}

func newGrantTypes(d *workflowTypes) *grantTypes {
	nn, str := graphql.NewNonNull, graphql.String
	strs := nn(graphql.NewList(nn(str)))
	type G = *catalog.Grant
	event := graphql.NewObject(graphql.ObjectConfig{Name: "GrantEvent", Description: "授权的一条历史记录", Fields: graphql.Fields{
		"action":     field(nn(str), "操作: requested, approved, refused, revoked (中文名称见 actionName)", func(e catalog.GrantEvent) any { return e.Action }),
		"actionName": field(nn(str), "操作的中文名称", func(e catalog.GrantEvent) any { return labelOf(catalog.GrantActionNames, e.Action) }),
		"by":         field(nn(d.actor), "操作人", func(e catalog.GrantEvent) any { return e.By }),
		"at":         timeField(func(s any) time.Time { return s.(catalog.GrantEvent).At }, "时间"),
		"note":       field(str, "意见或原因", func(e catalog.GrantEvent) any { return nilIfEmpty(e.Note) }),
	}})
	t := &grantTypes{}
	t.grant = graphql.NewObject(graphql.ObjectConfig{Name: "Grant", Description: "授权: 某账号在到期前读取一条有条件共享目录的数据", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"id":            field(nn(str), "授权编号", func(g G) any { return g.ID }),
			"entry":         grantEntryField(d.entry),
			"grantee":       granteeField(nn(d.actor)),
			"items":         field(strs, "授权的信息项字段标识; 为空表示全部信息项", func(g G) any { return nonNil(g.Items) }),
			"itemNames":     grantItemNames("授权的信息项名称, 与 items 一一对应", func(g G) []string { return g.Items }),
			"purpose":       field(nn(str), "用途", func(g G) any { return g.Purpose }),
			"expires":       timeField(func(s any) time.Time { return s.(G).Expires }, "到期时间, 此后授权不再生效"),
			"mode":          field(nn(str), "方式: rows 明细数据, aggregates 仅汇总统计"+labelDesc, func(g G) any { return g.Mode }),
			"modeName":      field(nn(str), "方式的中文名称", func(g G) any { return labelOf(catalog.GrantModeNames, g.Mode) }),
			"minGroupSize":  field(nn(graphql.Int), "仅汇总统计时的最小分组行数; 0 为默认值", func(g G) any { return g.MinGroupSize }),
			"unmasked":      field(strs, "明文读取的个人信息项字段标识", func(g G) any { return nonNil(g.Unmasked) }),
			"unmaskedNames": grantItemNames("明文读取的个人信息项名称, 与 unmasked 一一对应", func(g G) []string { return g.Unmasked }),
			"status":        field(nn(str), "状态: requested, approved, refused, revoked"+labelDesc, func(g G) any { return g.Status }),
			"statusName":    field(nn(str), "状态的中文名称", func(g G) any { return catalog.GrantStatus(g.Status) }),
			"inForce":       grantInForce(),
			"requestedBy":   field(nn(d.actor), "申请人", func(g G) any { return g.Events[0].By }),
			"decidedBy":     field(d.actor, "审批人 (批准或驳回), 未审批时为 null", func(g G) any { return decisionOf(g) }),
			"decisionNote":  field(str, "审批意见", func(g G) any { return nilIfEmpty(g.DecisionNote) }),
			"revision":      field(nn(Long), "版本号, 审批或撤销时作为 base 传入", func(g G) any { return int64(g.Revision) }),
			"createdAt":     timeField(func(s any) time.Time { return s.(G).CreatedAt }, "申请时间"),
			"updatedAt":     timeField(func(s any) time.Time { return s.(G).UpdatedAt }, "最后修改时间"),
			"events":        field(nn(graphql.NewList(nn(event))), "历史记录, 早的在前", func(g G) any { return nonNil(g.Events) }),
		}
	})})
	t.page = graphql.NewObject(graphql.ObjectConfig{Name: "GrantPage", Description: "授权的一页, 按编号排序", Fields: graphql.Fields{
		"nodes":      field(nn(graphql.NewList(nn(t.grant))), "授权", func(p *grantPage) any { return nonNil(p.nodes) }),
		"total":      field(nn(graphql.Int), "符合条件的授权总数", func(p *grantPage) any { return p.total }),
		"nextCursor": field(str, "下一页的 after 参数, 没有下一页时为空", func(p *grantPage) any { return nilIfEmpty(p.next) }),
	}})
	in := func(t graphql.Input, desc string) *graphql.InputObjectFieldConfig {
		return &graphql.InputObjectFieldConfig{Type: t, Description: desc}
	}
	t.input = graphql.NewInputObject(graphql.InputObjectConfig{Name: "GrantInput", Description: "授权申请", Fields: graphql.InputObjectConfigFieldMap{
		"entry":        in(nn(str), "信息资源代码"),
		"grantee":      in(str, "被授权账号; 不填为本账号 (数据管理员、系统管理员可代为申请)"),
		"items":        in(graphql.NewList(nn(str)), "授权的信息项字段标识; 不填为全部信息项"),
		"purpose":      in(nn(str), "用途"),
		"expires":      in(nn(str), "到期时间: RFC 3339 (2026-03-01T08:00:00+08:00), 或日期 2026-03-01 (当日结束时到期, 重庆时间)"),
		"mode":         in(nn(str), "方式: rows (明细数据) 或 aggregates (仅汇总统计), 可填中文名称"),
		"minGroupSize": in(graphql.Int, "仅汇总统计时的最小分组行数, 不小于 5"),
		"unmasked":     in(graphql.NewList(nn(str)), "申请明文读取的个人信息项字段标识"),
	}})
	return t
}

// labelOf is the Chinese label of a code in a fixed list; an unknown code is its own label.
func labelOf(names map[string]string, code string) string {
	if n, ok := names[code]; ok {
		return n
	}
	return code
}

// decisionOf is who approved or refused g (a later revocation keeps it), nil before.
func decisionOf(g *catalog.Grant) any {
	for _, e := range g.Events {
		if e.Action == catalog.GrantApproved || e.Action == catalog.GrantRefused {
			return e.By
		}
	}
	return nil
}

// grantResolve resolves a field of a grant with the request.
func grantResolve(get func(r *request, g *catalog.Grant) (any, error)) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		r, err := requestFrom(p.Context)
		if err != nil {
			return nil, err
		}
		g, ok := p.Source.(*catalog.Grant)
		if !ok {
			return nil, nil
		}
		return get(r, g)
	}
}

// grantEntryField is the entry a grant is on, as the principal sees it: shown grants are on
// entries that exist for it (catalog.View.GrantFor).
func grantEntryField(entry *graphql.Object) *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(entry), Description: "授权的目录资源",
		Resolve: grantResolve(func(r *request, g *catalog.Grant) (any, error) {
			e, _, err := r.entry(g.Entry)
			if err != nil {
				return nil, err
			}
			return e, nil
		})}
}

// granteeField is the grantee with its name.
func granteeField(t graphql.Output) *graphql.Field {
	return &graphql.Field{Type: t, Description: "被授权账号", Resolve: grantResolve(func(r *request, g *catalog.Grant) (any, error) {
		return actorNamed(r.view, g.Grantee), nil
	})}
}

// actorNamed is the account id with its name: the offline operator for "".
func actorNamed(v *catalog.View, id string) catalog.Actor {
	if id == "" {
		return catalog.Actor{Name: catalog.Operator().Name}
	}
	if p, err := v.Principal(id); err == nil {
		return catalog.Actor{ID: p.ID, Name: p.Name}
	}
	return catalog.Actor{ID: id}
}

// grantItemNames is the Chinese names of item fields of the grant's entry, in the same order.
func grantItemNames(desc string, fields func(*catalog.Grant) []string) *graphql.Field {
	t := graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String)))
	return &graphql.Field{Type: t, Description: desc, Resolve: grantResolve(func(r *request, g *catalog.Grant) (any, error) {
		fs := fields(g)
		out := make([]string, len(fs))
		e, err := r.view.Entry(g.Entry)
		for i, f := range fs {
			out[i] = f
			if err != nil {
				continue
			}
			if it, _, ok := e.Items.Field(f); ok {
				out[i] = it.Name
			}
		}
		return out, nil
	})}
}

// grantInForce says whether the grant opens anything at the request's time.
func grantInForce() *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(graphql.Boolean), Description: "当前是否生效 (已批准且未到期)",
		Resolve: grantResolve(func(r *request, g *catalog.Grant) (any, error) {
			return g.Status == catalog.GrantApproved && r.now.Before(g.Expires), nil
		})}
}

// grantNotFound answers for a grant that does not exist for the principal.
func grantNotFound(id string) error {
	return &userError{msg: "授权 " + schemas.Clip(id, 64) + " 不存在或无权查看", err: ErrNotFound}
}

// grantQueryFields are the root fields grant and grants.
func (d *workflowTypes) grantQueryFields() graphql.Fields {
	str := graphql.String
	return graphql.Fields{
		"grant": {Type: d.grants.grant, Description: "按编号查询授权 (本人的、本部门目录的或数据管理员可见的)",
			Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(str), Description: "授权编号, 如 G000001"}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				r.noteField("grant")
				id, _ := p.Args["id"].(string)
				g, err := r.view.GrantFor(r.principal, id)
				if err != nil {
					return nil, grantNotFound(id)
				}
				return g, nil
			}},
		"grants": {Type: graphql.NewNonNull(d.grants.page),
			Description: "授权列表: 数据管理员、系统管理员看到全部, 审核员看到本部门目录的, 其他账号看到本人的; 均限于本账号可见的目录",
			Args: graphql.FieldConfigArgument{
				"entry":   {Type: str, Description: "信息资源代码"},
				"grantee": {Type: str, Description: "被授权账号"},
				"status":  {Type: str, Description: "状态: requested, approved, refused, revoked, 或中文名称"},
				"first":   {Type: graphql.Int, DefaultValue: defaultGrants, Description: "每页条数, 1 至 500"},
				"after":   {Type: str, Description: "上一页的 nextCursor"},
			},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				r, err := requestFrom(p.Context)
				if err != nil {
					return nil, err
				}
				r.noteField("grants")
				return grantsPage(r, p.Args)
			}},
	}
}

// grantsPage reads the arguments of grants and answers one page.
func grantsPage(r *request, args map[string]any) (*grantPage, error) {
	var f catalog.GrantFilter
	f.Entry, _ = args["entry"].(string)
	f.Grantee, _ = args["grantee"].(string)
	status, _ := args["status"].(string)
	if status != "" {
		code, ok := codeOf(catalog.GrantStatusNames, status)
		if !ok {
			return nil, invalidf("status: “%s”不是授权状态, 应为 requested（待审批）、approved（已批准）、refused（已驳回）或 revoked（已撤销）", schemas.Clip(status, 64))
		}
		f.Status = code
	}
	if f.Entry != "" {
		if e, err := r.view.Entry(f.Entry); err != nil || !catalog.Exists(r.principal, e) {
			return nil, notFound(f.Entry)
		}
	}
	n, err := countArg(args, defaultGrants, maxGrants)
	if err != nil {
		return nil, err
	}
	after, _ := args["after"].(string)
	all := r.view.Grants(r.principal, f)
	out := &grantPage{total: len(all)}
	for _, g := range all {
		if after != "" && !grantIDLess(after, g.ID) {
			continue
		}
		if len(out.nodes) == n {
			out.next = out.nodes[n-1].ID
			break
		}
		out.nodes = append(out.nodes, g)
	}
	return out, nil
}

// grantIDLess orders grant ids by number: a longer id ("G1000000") comes after a shorter one.
func grantIDLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// codeOf is the code of a fixed list given as the code or as its Chinese name.
func codeOf(names map[string]string, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if _, ok := names[v]; ok {
		return v, true
	}
	for code, name := range names {
		if name == v {
			return code, true
		}
	}
	return v, false
}
