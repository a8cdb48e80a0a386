package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

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

// newTokenJSON is the body of POST /api/v1/principals/{id}/tokens; both fields are optional.
type newTokenJSON struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expiresIn"` // "720h" or "90d" (ParseTTL); "" for 90 days
}

func toTokenJSON(t *catalog.Token, now time.Time) tokenJSON {
	return tokenJSON{ID: t.ID, Principal: t.Principal, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		Revoked: t.Revoked, RevokedAt: timePtr(t.RevokedAt), Active: t.Active(now)}
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	if s.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	v := s.Cat.View()
	id := r.PathValue("id")
	if _, err := v.Principal(id); err != nil {
		s.writeAdminError(w, "未找到账号", err)
		return
	}
	out, now := []tokenJSON{}, time.Now()
	for _, t := range v.Tokens(id) {
		out = append(out, toTokenJSON(t, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	if s.admin(w, r, catalog.ActManagePrincipals) == nil {
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
			WriteError(w, s.Log, schemas.Userf(schemas.ErrInvalid, "expiresIn: %s", err.Error()))
			return
		}
		ttl = d
	}
	tok, secret, err := s.Cat.CreateToken(r.Context(), catalog.NewToken{Principal: r.PathValue("id"), Name: body.Name, TTL: ttl})
	if err != nil {
		s.writeAdminError(w, "签发令牌失败", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":  toTokenJSON(tok, time.Now()),
		"secret": secret,
		"notice": "令牌只显示这一次, 系统只保存其摘要; 请立即妥善保存",
	})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if s.admin(w, r, catalog.ActManagePrincipals) == nil {
		return
	}
	id := r.PathValue("id")
	if err := s.Cat.RevokeToken(r.Context(), id); err != nil {
		s.writeAdminError(w, "吊销令牌失败", err)
		return
	}
	t, err := s.Cat.View().Token(id)
	if err != nil {
		s.writeAdminError(w, "读取令牌失败", err)
		return
	}
	writeJSON(w, http.StatusOK, toTokenJSON(t, time.Now()))
}

// ParseTTL reads a token lifetime: a Go duration ("720h") or whole days ("90d"). It must be
// positive and at most catalog.MaxTokenTTL. Days are bounded before they are multiplied, so that
// a huge count cannot overflow into a small or negative lifetime; time.ParseDuration refuses
// overflow itself.
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int64
		n, err = strconv.ParseInt(days, 10, 64)
		if err == nil && n > catalog.MaxTokenTTLDays || errors.Is(err, strconv.ErrRange) && n > 0 {
			return 0, ttlTooLong(s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("有效期 %q 应为正的时长, 如 720h 或 90d", s)
	}
	if d > catalog.MaxTokenTTL {
		return 0, ttlTooLong(s)
	}
	return d, nil
}

func ttlTooLong(s string) error {
	return fmt.Errorf("有效期 %q 过长: 最长 %d 天", s, catalog.MaxTokenTTLDays)
}
