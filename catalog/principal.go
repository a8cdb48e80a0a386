package catalog

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Principal roles.
const (
	RoleSteward = "steward"
	RoleApp     = "app"
	RoleManager = "manager"
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
	switch pr.Role {
	case RoleSteward, RoleApp, RoleManager:
	default:
		p.add("role", "%q is not one of %s, %s, %s", pr.Role, RoleSteward, RoleApp, RoleManager)
	}
	p.code("clearance", schemas.Grades, string(pr.Clearance))
	if pr.Department != "" {
		if _, err := first[Department](txn, tableDepartments, "department", pr.Department); err != nil {
			p.add("department", "%q does not exist", pr.Department)
		}
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
