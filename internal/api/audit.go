package api

import (
	"net/http"

	"github.com/cqeco/ecolake/query"
)

// handleAuditCSV exports the audit as CSV for stewards and administrators: the parameters of
// auditEvents (from, to, principal, scene, entry, outcome, unmasked) as query parameters; every
// event as the caller may see it (query.RedactAudit). The export is itself audited.
func (s *Server) handleAuditCSV(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	args := map[string]any{}
	for _, k := range []string{"from", "to", "principal", "scene", "entry", "outcome", "unmasked"} {
		if v := r.URL.Query().Get(k); v != "" {
			args[k] = v
		}
	}
	view := s.Cat.View()
	f, err := query.AuditFilter(view, p, args)
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	if _, err := s.Query.ExportAudit(r.Context(), w, view, p, f); err != nil && s.Log != nil {
		// The header is out: the client sees a cut file; the log says why.
		s.Log.Error("audit export failed", "user", p.ID, "err", err)
	}
}
