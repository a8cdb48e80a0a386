package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Principal is a user or application that signs in with a bearer token.
type Principal struct {
	ID         string
	Name       string
	Role       string        // roles code list: RoleAdmin … RoleDistrict
	Clearance  schemas.Grade // highest grade the principal may read
	Department string        // Department.Code, "" when none
	Districts  []string      // district scope, empty = all
	// TokenHash is the hex SHA-256 of one fixed bearer token (the demo principals'), "" for none.
	// Tokens issued since live in their own table (Token); the token itself is never stored.
	TokenHash string
	Disabled  bool
	// Set by the catalogue from the command time, so that replay reproduces them.
	CreatedAt  time.Time
	UpdatedAt  time.Time
	DisabledAt time.Time // zero while enabled
}

type (
	putPrincipalCmd struct {
		Principal Principal `json:"principal"`
	}
	disablePrincipalCmd struct {
		ID string `json:"id"`
	}
)

// PutPrincipal inserts or replaces a principal. TokenHash, when set, must be HashToken of its
// bearer token and unique among principals and tokens.
func (s *Store) PutPrincipal(ctx context.Context, pr Principal) error {
	return s.submit(ctx, cmdPutPrincipal, putPrincipalCmd{Principal: pr}, func(txn *memdb.Txn) error {
		return validatePrincipal(txn, &pr)
	})
}

// CreatePrincipal inserts a new principal; one that already exists is ErrConflict.
func (s *Store) CreatePrincipal(ctx context.Context, pr Principal) error {
	return s.submit(ctx, cmdPutPrincipal, putPrincipalCmd{Principal: pr}, func(txn *memdb.Txn) error {
		if raw, _ := txn.First(tablePrincipals, indexID, pr.ID); raw != nil {
			return fmt.Errorf("principal %s already exists: %w", pr.ID, ErrConflict)
		}
		return validatePrincipal(txn, &pr)
	})
}

// DisablePrincipal switches a principal off: from the next request on, none of its tokens opens
// anything. The principal and its tokens are kept for the record. Disabling twice is a no-op.
func (s *Store) DisablePrincipal(ctx context.Context, id string) error {
	if p, err := s.View().Principal(id); err == nil && p.Disabled {
		return nil
	}
	return s.submit(ctx, cmdDisablePrincipal, disablePrincipalCmd{ID: id}, func(txn *memdb.Txn) error {
		_, err := first[Principal](txn, tablePrincipals, "principal", id)
		return err
	})
}

func validatePrincipal(txn *memdb.Txn, pr *Principal) error {
	p := newProblems("账号 %s", pr.ID)
	p.key("id", pr.ID)
	p.required("name", pr.Name)
	p.code("role", schemas.Roles, pr.Role)
	if pr.Role == RoleDistrict && len(pr.Districts) == 0 {
		p.add("districts", "%s账号至少需要一个区县", schemas.Roles.NameOf(RoleDistrict))
	}
	p.code("clearance", schemas.Grades, string(pr.Clearance))
	// Department is not checked against the departments table: principals are provisioned before
	// (and independently of) the directory, and an unknown code simply matches no entry.
	if pr.Department != "" && !departmentCodeRE.MatchString(pr.Department) {
		p.add("department", "%s不是部门代码（大写英文字母开头，只含大写英文字母、数字和 _）", schemas.Quote(pr.Department))
	}
	for i, d := range pr.Districts {
		if _, err := first[schemas.District](txn, tableDistricts, "district", d); err != nil {
			p.add(fmt.Sprintf("districts[%d]", i), "%s不是区县代码", schemas.Quote(d))
		} else if d == schemas.CityCode {
			// 市级 is not a district: a scope of it would make every city-level table "own".
			p.add(fmt.Sprintf("districts[%d]", i), "%s（市级）不是区县，全市账号应为%s", d, schemas.Roles.NameOf(RoleSteward))
		}
	}
	switch {
	case pr.TokenHash == "":
	case !tokenHashRE.MatchString(pr.TokenHash):
		p.add("token_hash", "须为令牌的 SHA-256 摘要（64 位小写十六进制）")
	default:
		if raw, _ := txn.First(tablePrincipals, indexTokenHash, pr.TokenHash); raw != nil && raw.(*Principal).ID != pr.ID {
			p.add("token_hash", "已被账号 %s 使用", raw.(*Principal).ID)
		}
		if raw, _ := txn.First(tableTokens, indexHash, pr.TokenHash); raw != nil {
			p.add("token_hash", "已被令牌 %s 使用", raw.(*Token).ID)
		}
	}
	return p.err()
}

func applyPutPrincipal(txn *memdb.Txn, rec *record, cmd *putPrincipalCmd) error {
	p := cmd.Principal
	p.Districts = append([]string(nil), p.Districts...)
	at := rec.At.UTC()
	p.CreatedAt, p.DisabledAt = at, time.Time{}
	if old, err := first[Principal](txn, tablePrincipals, "principal", p.ID); err == nil {
		p.CreatedAt = old.CreatedAt
		if old.Disabled {
			p.DisabledAt = old.DisabledAt
		}
	}
	if p.Disabled && p.DisabledAt.IsZero() {
		p.DisabledAt = at
	} else if !p.Disabled {
		p.DisabledAt = time.Time{}
	}
	p.UpdatedAt = at
	if err := txn.Insert(tablePrincipals, &p); err != nil {
		return fmt.Errorf("insert principal %s: %w", p.ID, err)
	}
	return nil
}

func applyDisablePrincipal(txn *memdb.Txn, rec *record, cmd *disablePrincipalCmd) error {
	old, err := first[Principal](txn, tablePrincipals, "principal", cmd.ID)
	if err != nil {
		return err
	}
	p := copyPrincipal(old)
	at := rec.At.UTC()
	if !p.Disabled {
		p.Disabled, p.DisabledAt = true, at
	}
	p.UpdatedAt = at
	if err := txn.Insert(tablePrincipals, p); err != nil {
		return fmt.Errorf("insert principal %s: %w", p.ID, err)
	}
	return nil
}

// Principal returns the principal with the given id.
func (v *View) Principal(id string) (*Principal, error) {
	p, err := first[Principal](v.txn, tablePrincipals, "principal", id)
	if err != nil {
		return nil, err
	}
	return copyPrincipal(p), nil
}

// Principals lists every principal, disabled ones included, ordered by id.
func (v *View) Principals() []*Principal {
	var out []*Principal
	each(v.txn, tablePrincipals, indexID, func(p *Principal) { out = append(out, copyPrincipal(p)) })
	return out
}

func copyPrincipal(p *Principal) *Principal {
	c := *p
	c.Districts = append([]string(nil), p.Districts...)
	return &c
}
