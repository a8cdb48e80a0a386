package query

import (
	"slices"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The caller's own account and the code lists, for clients that build forms: which steps of the
// workflow the account may take at all (the catalogue still decides each one), which districts
// it reports for, and the codes a field of the directory takes with their Chinese names. Neither
// tells anything about an entry.

// codeListNames are the lists codeLists answers: those a directory entry, an item, a grading or
// an account is written with. The grading matrix is rules, not a list of values.
var codeListNames = []string{
	"categories", "data_types", "districts", "domains", "entry_statuses", "format_types", "grades",
	"grading_factors", "impact_degrees", "impact_objects", "open_types", "pi_types", "roles",
	"share_modes", "share_types", "source_kinds", "update_cycles",
}

func (s *Service) viewerFields(grade *graphql.Object, fields graphql.Fields) {
	nn, str := graphql.NewNonNull, graphql.String
	strs := nn(graphql.NewList(nn(str)))
	type P = *catalog.Principal
	viewer := graphql.NewObject(graphql.ObjectConfig{Name: "Viewer", Description: "当前登录的账号", Fields: graphql.Fields{
		"id":             field(str, "账号标识 (本地运维为空)", func(p P) any { return nilIfEmpty(p.ID) }),
		"name":           field(str, "名称", func(p P) any { return nilIfEmpty(p.Name) }),
		"role":           field(nn(str), "角色 (代码; 中文名称见 roleName)", func(p P) any { return p.Role }),
		"roleName":       field(nn(str), "角色的中文名称", func(p P) any { return schemas.Roles.NameOf(p.Role) }),
		"clearance":      field(nn(grade), "可查看的最高分级", func(p P) any { return p.Clearance }),
		"department":     field(str, "所属处室", func(p P) any { return nilIfEmpty(p.Department) }),
		"departmentName": departmentName(func(s any) string { return s.(P).Department }),
		"districts":      field(strs, "所属区县 (区县账号); 为空表示不限区县", func(p P) any { return nonNil(slices.Clone(p.Districts)) }),
		"districtNames":  field(strs, "所属区县的中文名称, 与 districts 一一对应", func(p P) any { return namesOf(schemas.Districts, p.Districts) }),
		"editsDirectory": field(nn(graphql.Boolean), "可登记、修改目录并提交审核", func(p P) any { return catalog.Allowed(p, catalog.ActEditDirectory) }),
		"reviewsDirectory": field(nn(graphql.Boolean), "可审核目录 (不能审核本人修改或提交的版本)",
			func(p P) any { return catalog.Allowed(p, catalog.ActReviewDirectory) }),
		"decidesGrants": field(nn(graphql.Boolean), "可审批授权 (系统管理员, 或审批本处室目录的审核员)",
			func(p P) any { return catalog.MayDecideGrants(p) }),
		"requestsGrantsForOthers": field(nn(graphql.Boolean), "可代其他账号申请授权 (数据管理员、系统管理员)",
			func(p P) any { return catalog.MayRequestGrantsForOthers(p) }),
		"loadsData": field(nn(graphql.Boolean), "可报送数据 (系统管理员、数据管理员, 区县账号报送本区县的数据)",
			func(p P) any { return catalog.MayLoadSome(p) }),
	}})
	fields["viewer"] = &graphql.Field{Type: nn(viewer), Description: "当前登录的账号: 角色、密级、处室、区县, 以及可做的目录操作",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("viewer")
			return r.principal, nil
		}}

	code := graphql.NewObject(graphql.ObjectConfig{Name: "Code", Description: "代码表中的一项", Fields: graphql.Fields{
		"code": field(nn(str), "代码", func(c schemas.Code) any { return c.ID }),
		"name": field(nn(str), "中文名称", func(c schemas.Code) any { return c.Name }),
	}})
	list := graphql.NewObject(graphql.ObjectConfig{Name: "CodeList", Description: "代码表", Fields: graphql.Fields{
		"name":  field(nn(str), "代码表名称 (信息项的 codeList 填此名称)", func(l *schemas.CodeList) any { return l.Name }),
		"title": field(str, "中文名称", func(l *schemas.CodeList) any { return nilIfEmpty(l.Title()) }),
		"codes": field(nn(graphql.NewList(nn(code))), "代码, 按代码表顺序", func(l *schemas.CodeList) any { return l.Codes() }),
	}})
	fields["codeLists"] = &graphql.Field{Type: nn(graphql.NewList(nn(list))),
		Description: "代码表 (分级、共享类型、分类、区县 …), 按名称排序; names 给出时只列这些",
		Args: graphql.FieldConfigArgument{
			"names": {Type: graphql.NewList(nn(str)), Description: "代码表名称, 如 grades、districts"},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("codeLists")
			want, _ := p.Args["names"].([]any)
			out := []*schemas.CodeList{}
			for _, n := range codeListNames {
				if len(want) > 0 && !slices.Contains(want, any(n)) {
					continue
				}
				if l, ok := schemas.List(n); ok {
					out = append(out, l)
				}
			}
			for _, n := range want {
				if name, _ := n.(string); !slices.Contains(codeListNames, name) {
					return nil, invalidf("没有代码表%s (可选: %s)", schemas.Quote(schemas.Clip(name, 64)), strings.Join(codeListNames, "、"))
				}
			}
			return out, nil
		}}
}
