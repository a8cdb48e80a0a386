package api

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/cqeco/ecolake/catalog/dcat"
	"github.com/cqeco/ecolake/catalog/workbook"
)

// The directory's exchange doors: the bureaus' workbook out (and in), DCAT-AP out. Each lists
// only the entries that exist for the caller (catalog.View.Visible); none is open without a token.

// ContentTypeXLSX is the media type of the directory workbook.
const ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) exchangeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/directory.xlsx", s.handleExportWorkbook)
	mux.HandleFunc("GET /api/v1/directory.jsonld", s.handleExportDCAT)
}

// handleExportWorkbook answers the entries that exist for the caller as the bureau workbook. It
// is built in memory first, so that a failure is an error answer, not a cut-off file.
func (s *Server) handleExportWorkbook(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	v := s.Cat.View()
	var buf bytes.Buffer
	if err := workbook.Write(r.Context(), &buf, v, v.Visible(p)); err != nil {
		WriteError(w, s.Log, err)
		return
	}
	w.Header().Set("Content-Type", ContentTypeXLSX)
	w.Header().Set("Content-Disposition", attachment("数据资源目录.xlsx"))
	_, _ = buf.WriteTo(w)
}

// handleExportDCAT answers the published, openable entries that exist for the caller as DCAT-AP
// JSON-LD, with identifiers under the address the request was made to.
func (s *Server) handleExportDCAT(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	var buf bytes.Buffer
	if err := dcat.Write(&buf, s.Cat.View().Visible(p), requestBase(r)); err != nil {
		WriteError(w, s.Log, err)
		return
	}
	w.Header().Set("Content-Type", "application/ld+json; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// requestBase is the service's address as the caller reached it.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// attachment is a Content-Disposition naming a download with a Chinese file name (RFC 6266).
func attachment(name string) string {
	return "attachment; filename=\"directory" + extOf(name) + "\"; filename*=UTF-8''" + url.PathEscape(name)
}

func extOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i:]
		}
	}
	return ""
}
