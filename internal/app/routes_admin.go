package app

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/cqeco/ecolake/internal/api"
	"io"
	"net/http"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// adminRoutes registers the doors for accounts, tokens and directory registration. Each asks the
// one decision, catalog.Allowed, before doing anything.
func (a *App) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/principals", a.handleListPrincipals)
	mux.HandleFunc("POST /api/v1/principals", a.handleCreatePrincipal)
	mux.HandleFunc("POST /api/v1/principals/{id}/disable", a.handleDisablePrincipal)
	mux.HandleFunc("GET /api/v1/principals/{id}/tokens", a.handleListTokens)
	mux.HandleFunc("POST /api/v1/principals/{id}/tokens", a.handleCreateToken)
	mux.HandleFunc("POST /api/v1/tokens/{id}/revoke", a.handleRevokeToken)
	mux.HandleFunc("POST /api/v1/entries", a.handleImportEntries)
}

// maxAdminBody bounds the JSON body of an account request.
const maxAdminBody = 64 << 10

type principalJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Clearance  string     `json:"clearance"`
	Department string     `json:"department,omitempty"`
	Districts  []string   `json:"districts"`
	Disabled   bool       `json:"disabled"`
	CreatedAt  time.Time  `json:"createdAt"`
	DisabledAt *time.Time `json:"disabledAt,omitempty"`
}

type tokenJSON struct {
	ID        string     `json:"id"`
	Principal string     `json:"principal"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	Revoked   bool       `json:"revoked"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Active    bool       `json:"active"`
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

// newTokenJSON is the body of POST /api/v1/principals/{id}/tokens; both fields are optional.
type newTokenJSON struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expiresIn"` // "720h" or "90d" (ParseTTL); "" for 90 days
}

func toPrincipalJSON(p *catalog.Principal) principalJSON {
	return principalJSON{ID: p.ID, Name: p.Name, Role: p.Role, Clearance: string(p.Clearance), Department: p.Department,
		Districts: append([]string{}, p.Districts...), Disabled: p.Disabled, CreatedAt: p.CreatedAt, DisabledAt: timePtr(p.DisabledAt)}
}

func toTokenJSON(t *catalog.Token, now time.Time) tokenJSON {
	return tokenJSON{ID: t.ID, Principal: t.Principal, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		Revoked: t.Revoked, RevokedAt: timePtr(t.RevokedAt), Active: t.Active(now)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// admin resolves the caller and asks whether it may act; it answers 401 or 403 itself.
func (a *App) admin(w http.ResponseWriter, r *http.Request, act catalog.Action) *catalog.Principal {
	p := a.principal(w, r)
	if p == nil {
		return nil
	}
	if !catalog.Allowed(p, act) {
		msg := "无权操作: 账号与令牌只能由系统管理员管理"
		if act == catalog.ActEditDirectory {
			msg = "无权操作: 只有系统管理员与数据管理员可以登记目录"
		}
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrForbidden, "%s", msg))
		return nil
	}
	return p
}

func (a *App) handleListPrincipals(w http.ResponseWriter, r *http.Request) {
	if a.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	out := []principalJSON{}
	for _, p := range a.Cat.View().Principals() {
		out = append(out, toPrincipalJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"principals": out})
}

func (a *App) handleCreatePrincipal(w http.ResponseWriter, r *http.Request) {
	if a.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	var body newPrincipalJSON
	if !decodeBody(w, r, &body, false) {
		return
	}
	pa := PrincipalArgs{ID: body.ID, Name: body.Name, Role: body.Role, Clearance: body.Clearance, Department: body.Department, Districts: body.Districts}
	p := pa.principal()
	if err := a.Cat.CreatePrincipal(r.Context(), p); err != nil {
		a.writeAdminError(w, "创建账号失败", err)
		return
	}
	created, err := a.Cat.View().Principal(p.ID)
	if err != nil {
		a.writeAdminError(w, "读取账号失败", err)
		return
	}
	writeJSON(w, http.StatusCreated, toPrincipalJSON(created))
}

func (a *App) handleDisablePrincipal(w http.ResponseWriter, r *http.Request) {
	caller := a.admin(w, r, catalog.ActManagePrincipals)
	if caller == nil {
		return
	}
	id := r.PathValue("id")
	if id == caller.ID {
		// Otherwise the last administrator could lock everyone out over HTTP.
		api.WriteError(w, a.log, schemas.Userf(schemas.ErrConflict, "不能停用自己的账号"))
		return
	}
	if err := a.Cat.DisablePrincipal(r.Context(), id); err != nil {
		a.writeAdminError(w, "停用账号失败", err)
		return
	}
	p, err := a.Cat.View().Principal(id)
	if err != nil {
		a.writeAdminError(w, "读取账号失败", err)
		return
	}
	writeJSON(w, http.StatusOK, toPrincipalJSON(p))
}

func (a *App) handleListTokens(w http.ResponseWriter, r *http.Request) {
	if a.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	v := a.Cat.View()
	id := r.PathValue("id")
	if _, err := v.Principal(id); err != nil {
		a.writeAdminError(w, "未找到账号", err)
		return
	}
	out, now := []tokenJSON{}, time.Now()
	for _, t := range v.Tokens(id) {
		out = append(out, toTokenJSON(t, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (a *App) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	if a.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	var body newTokenJSON
	if !decodeBody(w, r, &body, true) {
		return
	}
	ttl := catalog.DefaultTokenTTL
	if body.ExpiresIn != "" {
		d, err := ParseTTL(body.ExpiresIn)
		if err != nil {
			api.WriteError(w, a.log, schemas.Userf(schemas.ErrInvalid, "expiresIn: %s", err.Error()))
			return
		}
		ttl = d
	}
	tok, secret, err := a.Cat.CreateToken(r.Context(), catalog.NewToken{Principal: r.PathValue("id"), Name: body.Name, TTL: ttl})
	if err != nil {
		a.writeAdminError(w, "签发令牌失败", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":  toTokenJSON(tok, time.Now()),
		"secret": secret,
		"notice": "令牌只显示这一次, 系统只保存其摘要; 请立即妥善保存",
	})
}

func (a *App) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if a.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	id := r.PathValue("id")
	if err := a.Cat.RevokeToken(r.Context(), id); err != nil {
		a.writeAdminError(w, "吊销令牌失败", err)
		return
	}
	t, err := a.Cat.View().Token(id)
	if err != nil {
		a.writeAdminError(w, "读取令牌失败", err)
		return
	}
	writeJSON(w, http.StatusOK, toTokenJSON(t, time.Now()))
}

// handleImportEntries registers a directory document (entryjson.go) of departments and entries.
func (a *App) handleImportEntries(w http.ResponseWriter, r *http.Request) {
	p := a.admin(w, r, catalog.ActEditDirectory)
	if p == nil {
		return
	}
	doc, err := decodeDirectory(http.MaxBytesReader(w, r.Body, maxDirectoryBytes))
	if err != nil {
		a.writeAdminError(w, "目录文件无效", err)
		return
	}
	res, err := importDirectory(r.Context(), a.Cat, p, doc)
	if err != nil {
		// What was registered before the failure stays registered: say so beside the error.
		e := adminError("登记目录失败", err)
		if api.Code(e) == schemas.CodeInternal {
			a.log.Error("import directory", "err", api.Detail(e))
		}
		writeJSON(w, api.Status(e), map[string]any{"error": api.Message(e), "code": api.Code(e), "imported": res})
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// decodeBody reads a JSON object body, refusing unknown keys; empty is allowed when optional.
// It answers 400 itself.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		api.WriteError(w, nil, schemas.Userf(schemas.ErrTooLarge, "请求体超过 %d KiB", maxAdminBody>>10))
		return false
	}
	if optional && len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	if err := strictJSON(data, v, "请求体"); err != nil {
		api.WriteError(w, nil, schemas.Userf(schemas.ErrInvalid, "%s", err.Error()))
		return false
	}
	return true
}

func (a *App) writeAdminError(w http.ResponseWriter, what string, err error) {
	api.WriteError(w, a.log, adminError(what, err))
}

// adminError gives err a Chinese message naming the operation; the kind (and with it the status
// and the per-field problems) is err's own, mapped in internal/api.
func adminError(what string, err error) error {
	var de *docError
	if errors.As(err, &de) {
		return schemas.Userf(schemas.ErrInvalid, "%s: %s", what, de.msg)
	}
	if api.Code(err) == schemas.CodeInternal {
		return fmt.Errorf("%s: %w", what, err) // logged by the mapper, answered generically
	}
	return &schemas.UserError{Msg: schemas.Clip(what+": "+api.Message(err), schemas.MaxUserMessage), Err: err}
}
