package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// adminRoutes registers the doors for accounts, tokens and directory registration. Each asks the
// one decision, catalog.Allowed, before doing anything.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/principals", s.handleListPrincipals)
	mux.HandleFunc("POST /api/v1/principals", s.handleCreatePrincipal)
	mux.HandleFunc("POST /api/v1/principals/{id}/disable", s.handleDisablePrincipal)
	mux.HandleFunc("GET /api/v1/principals/{id}/tokens", s.handleListTokens)
	mux.HandleFunc("POST /api/v1/principals/{id}/tokens", s.handleCreateToken)
	mux.HandleFunc("POST /api/v1/tokens/{id}/revoke", s.handleRevokeToken)
	mux.HandleFunc("POST /api/v1/entries", s.handleImportEntries)
	mux.HandleFunc("GET /api/v1/admin/backup", s.handleBackup)
}

// maxAdminBody bounds the JSON body of an account request.
const maxAdminBody = 64 << 10

// admin resolves the caller and asks whether it may act; it answers 401 or 403 itself.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, act catalog.Action) *catalog.Principal {
	p := s.principal(w, r)
	if p == nil {
		return nil
	}
	if !catalog.Allowed(p, act) {
		msg := "无权操作: 账号与令牌只能由系统管理员管理"
		if act == catalog.ActEditDirectory {
			msg = "无权操作: 只有系统管理员与数据管理员可以登记目录"
		}
		WriteError(w, s.Log, schemas.Userf(schemas.ErrForbidden, "%s", msg))
		return nil
	}
	return p
}

// decodeBody reads a JSON object body, refusing unknown keys; empty is allowed when optional.
// It answers 400 itself.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		WriteError(w, nil, schemas.Userf(schemas.ErrTooLarge, "请求体超过 %d KiB", maxAdminBody>>10))
		return false
	}
	if optional && len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	if err := strictJSON(data, v, "请求体"); err != nil {
		WriteError(w, nil, schemas.Userf(schemas.ErrInvalid, "%s", err.Error()))
		return false
	}
	return true
}

func (s *Server) writeAdminError(w http.ResponseWriter, what string, err error) {
	WriteError(w, s.Log, adminError(what, err))
}

// adminError gives err a Chinese message naming the operation; the kind (and with it the status
// and the per-field problems) is err's own, mapped by WriteError.
func adminError(what string, err error) error {
	var de *docError
	if errors.As(err, &de) {
		return schemas.Userf(schemas.ErrInvalid, "%s: %s", what, de.msg)
	}
	if Code(err) == schemas.CodeInternal {
		return fmt.Errorf("%s: %w", what, err) // logged by the mapper, answered generically
	}
	return &schemas.UserError{Msg: schemas.Clip(what+": "+Message(err), schemas.MaxUserMessage), Err: err}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
