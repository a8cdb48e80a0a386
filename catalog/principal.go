package catalog

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// PutPrincipal inserts or replaces a principal. TokenHash must be HashToken of its bearer token
// and unique among principals.
func (s *Store) PutPrincipal(ctx context.Context, pr Principal) error {
	return s.submit(ctx, cmdPutPrincipal, putPrincipalCmd{Principal: pr}, func(txn *memdb.Txn) error {
		return validatePrincipal(txn, &pr)
	})
}

func validatePrincipal(txn *memdb.Txn, pr *Principal) error {
	p := newProblems("principal %s", pr.ID)
	p.key("id", pr.ID)
	p.required("name", pr.Name)
	p.code("role", schemas.Roles, pr.Role)
	if pr.Role == RoleDistrict && len(pr.Districts) == 0 {
		p.add("districts", "a %s principal needs at least one district", RoleDistrict)
	}
	p.code("clearance", schemas.Grades, string(pr.Clearance))
	// Department is not checked against the departments table: principals are provisioned before
	// (and independently of) the directory, and an unknown code simply matches no entry.
	if pr.Department != "" && !departmentCodeRE.MatchString(pr.Department) {
		p.add("department", "%q is not a department code", pr.Department)
	}
	for i, d := range pr.Districts {
		if _, err := first[schemas.District](txn, tableDistricts, "district", d); err != nil {
			p.add(fmt.Sprintf("districts[%d]", i), "%q is not a district code", d)
		}
	}
	if !tokenHashRE.MatchString(pr.TokenHash) {
		p.add("token_hash", "must be the 64-character lower-case hex SHA-256 of the token (see HashToken)")
	} else if raw, _ := txn.First(tablePrincipals, indexTokenHash, pr.TokenHash); raw != nil && raw.(*Principal).ID != pr.ID {
		p.add("token_hash", "already belongs to principal %s", raw.(*Principal).ID)
	}
	return p.err()
}
