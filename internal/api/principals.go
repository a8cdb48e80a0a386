package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// principalJSON gives each code its Chinese label beside it ("role" and "roleName"; a list of
// codes "districts" and "districtNames", in the same order), as GraphQL does.
type principalJSON struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Role          string     `json:"role"`
	RoleName      string     `json:"roleName"`
	Clearance     string     `json:"clearance"`
	ClearanceName string     `json:"clearanceName"`
	Department    string     `json:"department,omitempty"`
	Districts     []string   `json:"districts"`
	DistrictNames []string   `json:"districtNames"`
	Disabled      bool       `json:"disabled"`
	CreatedAt     time.Time  `json:"createdAt"`
	DisabledAt    *time.Time `json:"disabledAt,omitempty"`
}

// newPrincipalJSON is the body of POST /api/v1/principals.
type newPrincipalJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	Clearance  string   `json:"clearance"`
	Department string   `json:"department"`
	Districts  []string `json:"districts"`
}

func toPrincipalJSON(p *catalog.Principal) principalJSON {
	names := make([]string, len(p.Districts))
	for i, d := range p.Districts {
		names[i] = schemas.Districts.NameOf(d)
	}
	return principalJSON{ID: p.ID, Name: p.Name, Role: p.Role, RoleName: schemas.Roles.NameOf(p.Role),
		Clearance: string(p.Clearance), ClearanceName: p.Clearance.Name(), Department: p.Department,
		Districts: append([]string{}, p.Districts...), DistrictNames: names, Disabled: p.Disabled,
		CreatedAt: p.CreatedAt, DisabledAt: timePtr(p.DisabledAt)}
}

func (s *Server) handleListPrincipals(w http.ResponseWriter, r *http.Request) {
	if s.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	out := []principalJSON{}
	for _, p := range s.Cat.View().Principals() {
		out = append(out, toPrincipalJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"principals": out})
}

func (s *Server) handleCreatePrincipal(w http.ResponseWriter, r *http.Request) {
	if s.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	var body newPrincipalJSON
	if !decodeBody(w, r, &body, false) {
		return
	}
	p := PrincipalArgs(body).Principal()
	if err := s.Cat.CreatePrincipal(r.Context(), p); err != nil {
		s.writeAdminError(w, "创建账号失败", err)
		return
	}
	created, err := s.Cat.View().Principal(p.ID)
	if err != nil {
		s.writeAdminError(w, "读取账号失败", err)
		return
	}
	writeJSON(w, http.StatusCreated, toPrincipalJSON(created))
}

func (s *Server) handleDisablePrincipal(w http.ResponseWriter, r *http.Request) {
	caller := s.admin(w, r, catalog.ActManagePrincipals)
	if caller == nil {
		return
	}
	id := r.PathValue("id")
	if id == caller.ID {
		// Otherwise the last administrator could lock everyone out over HTTP.
		WriteError(w, s.Log, schemas.Userf(schemas.ErrConflict, "不能停用自己的账号"))
		return
	}
	if err := s.Cat.DisablePrincipal(r.Context(), id); err != nil {
		s.writeAdminError(w, "停用账号失败", err)
		return
	}
	p, err := s.Cat.View().Principal(id)
	if err != nil {
		s.writeAdminError(w, "读取账号失败", err)
		return
	}
	writeJSON(w, http.StatusOK, toPrincipalJSON(p))
}

// PrincipalArgs are the arguments of `ecolake principal create`. Role, clearance and districts
// may be given by id or by Chinese name.
type PrincipalArgs struct {
	ID         string
	Name       string
	Role       string
	Clearance  string
	Department string
	Districts  []string
}

// Principal turns the arguments into a catalogue principal, resolving Chinese names to ids;
// anything unknown is left as given for the catalogue's validation to name.
func (pa PrincipalArgs) Principal() catalog.Principal {
	p := catalog.Principal{ID: strings.TrimSpace(pa.ID), Name: strings.TrimSpace(pa.Name),
		Role: lookupID(schemas.Roles, pa.Role), Clearance: schemas.Grade(lookupID(schemas.Grades, pa.Clearance)),
		Department: strings.TrimSpace(pa.Department)}
	for _, d := range pa.Districts {
		p.Districts = append(p.Districts, districtCode(d))
	}
	return p
}

// lookupID returns the id of a code given by id or Chinese name, or s trimmed when unknown.
func lookupID(l *schemas.CodeList, s string) string {
	if c, ok := l.Lookup(s); ok {
		return c.ID
	}
	return strings.TrimSpace(s)
}

func districtCode(s string) string {
	if d, ok := schemas.LookupDistrict(strings.TrimSpace(s)); ok {
		return d.Code
	}
	return strings.TrimSpace(s)
}
