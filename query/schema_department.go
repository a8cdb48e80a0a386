package query

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
)

// Departments (处室/单位) of the bureau: listed for everyone who may query, registered and renamed
// by administrators (the catalogue decides).

func newDepartmentType() *graphql.Object {
	nn, str := graphql.NewNonNull, graphql.String
	return graphql.NewObject(graphql.ObjectConfig{Name: "Department", Description: "部门 (处室、直属单位、总队)", Fields: graphql.Fields{
		"code":     field(nn(str), "部门代码", func(d *catalog.Department) any { return d.Code }),
		"name":     field(nn(str), "部门名称", func(d *catalog.Department) any { return d.Name }),
		"kind":     field(nn(str), "类别: division, centre, corps", func(d *catalog.Department) any { return d.Kind }),
		"kindName": field(nn(str), "类别名称", func(d *catalog.Department) any { return catalog.DepartmentKindNames[d.Kind] }),
	}})
}

// departmentQuery is the departments field of the Query root.
func departmentQuery(t *graphql.Object) *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t))), Description: "部门, 按代码排序",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("departments")
			return r.view.Departments(), nil
		}}
}

// departmentMutation is the putDepartment field of the Mutation root.
func (s *Service) departmentMutation(t *graphql.Object) *graphql.Field {
	nn, str := graphql.NewNonNull, graphql.String
	return &graphql.Field{Type: t, Description: "登记或修改部门 (系统管理员)",
		Args: graphql.FieldConfigArgument{
			"code": {Type: nn(str), Description: "部门代码, 大写英文字母开头, 如 DIV_WATER"},
			"name": {Type: nn(str), Description: "部门名称"},
			"kind": {Type: nn(str), Description: "类别: division (处室)、centre (直属单位)、corps (总队), 或其中文名称"},
		},
		Resolve: s.write("putDepartment", func(ctx context.Context, r *request, args map[string]any) (any, error) {
			var d catalog.Department
			c := &inputCheck{}
			c.text(args, "code", "code", maxShortText, func(v string) { d.Code = v })
			c.text(args, "name", "name", maxShortText, func(v string) { d.Name = v })
			c.text(args, "kind", "kind", maxShortText, func(v string) { d.Kind = catalog.DepartmentKind(v) })
			if err := c.err("部门"); err != nil {
				return nil, err
			}
			if err := s.cat.PutDepartmentAs(ctx, r.principal, d); err != nil {
				return nil, err
			}
			r.refresh(s.cat.View())
			return r.view.Department(d.Code)
		})}
}
