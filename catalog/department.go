package catalog

import (
	"context"
	"regexp"

	"github.com/hashicorp/go-memdb"
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

func validateDepartment(d *Department) error {
	p := newProblems("department %s", d.Code)
	if !departmentCodeRE.MatchString(d.Code) {
		p.add("code", "%q must be upper-case letters, digits and '_', starting with a letter", d.Code)
	}
	p.required("name", d.Name)
	switch d.Kind {
	case DepartmentDivision, DepartmentCentre, DepartmentCorps:
	default:
		p.add("kind", "%q is not one of %s, %s, %s", d.Kind, DepartmentDivision, DepartmentCentre, DepartmentCorps)
	}
	return p.err()
}
