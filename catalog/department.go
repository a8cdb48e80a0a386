package catalog

import (
	"context"
	"regexp"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Department kinds.
const (
	DepartmentDivision = "division" // 处室
	DepartmentCentre   = "centre"   // 直属单位
	DepartmentCorps    = "corps"    // 总队
)

var departmentCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// PutDepartment inserts or replaces a department.
func (s *Store) PutDepartment(ctx context.Context, d Department) error {
	return s.submit(ctx, cmdPutDepartment, putDepartmentCmd{Department: d}, func(*memdb.Txn) error {
		return validateDepartment(&d)
	})
}

// PutDepartmentAs registers or renames a department (处室/单位) on behalf of p: the bureau's
// structure is the administrators' to keep.
func (s *Store) PutDepartmentAs(ctx context.Context, p *Principal, d Department) error {
	return s.submit(ctx, cmdPutDepartment, putDepartmentCmd{Department: d}, func(*memdb.Txn) error {
		if !Allowed(p, ActManageDepartments) {
			return schemas.Userf(schemas.ErrForbidden, "无权登记或修改部门: 只有系统管理员可以")
		}
		return validateDepartment(&d)
	})
}

// DepartmentKindNames are the Chinese names of the department kinds.
var DepartmentKindNames = map[string]string{DepartmentDivision: "处室", DepartmentCentre: "直属单位", DepartmentCorps: "总队"}

// DepartmentKind returns the kind id of v, a kind's id or its Chinese name; v itself when it is
// neither, for validation to refuse.
func DepartmentKind(v string) string { return kindID(DepartmentKindNames, v) }

// kindID returns the id whose Chinese name in names is v, else v.
func kindID(names map[string]string, v string) string {
	for id, name := range names {
		if v == name {
			return id
		}
	}
	return v
}

func validateDepartment(d *Department) error {
	p := newProblems("部门 %s", d.Code)
	if !departmentCodeRE.MatchString(d.Code) {
		p.add("code", "%s须以大写英文字母开头，只含大写英文字母、数字和 _，最长 64 个字符", schemas.Quote(d.Code))
	}
	p.required("name", d.Name)
	switch d.Kind {
	case DepartmentDivision, DepartmentCentre, DepartmentCorps:
	default:
		p.add("kind", "%s不是部门类别（可选：%s（处室）、%s（直属单位）、%s（总队））", schemas.Quote(d.Kind), DepartmentDivision, DepartmentCentre, DepartmentCorps)
	}
	return p.err()
}
