package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/dcat"
	"github.com/cqeco/ecolake/catalog/workbook"
	"github.com/cqeco/ecolake/schemas"
)

// The directory's exchange doors: the bureaus' workbook out and in, DCAT-AP out. Each lists
// only the entries that exist for the caller (catalog.View.Visible); none is open without a token.

// ContentTypeXLSX is the media type of the directory workbook.
const ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) exchangeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/directory.xlsx", s.handleExportWorkbook)
	mux.HandleFunc("POST /api/v1/directory.xlsx", s.handleImportWorkbook)
	mux.HandleFunc("GET /api/v1/directory.jsonld", s.handleExportDCAT)
}

// handleExportWorkbook answers the entries that exist for the caller as the bureau workbook, each
// in the version an import is compared with (workbook.Versions). It is built in memory first, so
// that a failure is an error answer, not a cut-off file.
func (s *Server) handleExportWorkbook(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	v := s.Cat.View()
	var buf bytes.Buffer
	if err := workbook.Write(r.Context(), &buf, v, workbook.Versions(v, p)); err != nil {
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

// ImportResultJSON is what an import did, by resource code.
type ImportResultJSON struct {
	Created   []string `json:"created"`
	Changed   []string `json:"changed"`
	Unchanged []string `json:"unchanged"`
}

// handleImportWorkbook applies a directory workbook for an editor of the directory, as one
// catalogue command. The body is the .xlsx file itself, or multipart/form-data with it in the
// field "file"; ?reason= says why. A workbook with any problem changes nothing and is answered
// 422 with every problem at its sheet, row and column.
func (s *Server) handleImportWorkbook(w http.ResponseWriter, r *http.Request) {
	p := s.admin(w, r, catalog.ActEditDirectory) // before a byte of the body is read
	if p == nil {
		return
	}
	if !s.Uploads.enter(p.ID) {
		WriteError(w, s.Log, schemas.Userf(schemas.ErrBusy, "导入繁忙: 同时进行的上传已达上限, 请稍后重试"))
		return
	}
	defer s.Uploads.leave(p.ID)
	r.Body = http.MaxBytesReader(w, r.Body, workbook.DefaultLimits().MaxBytes+multipartSlack)
	body, size, err := workbookBody(r)
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	reason := schemas.Clip(r.URL.Query().Get("reason"), 500)
	if reason == "" {
		reason = "导入目录工作簿"
	}
	res, err := workbook.Import(r.Context(), s.Cat, p, body, size, reason)
	if err != nil {
		var werr *workbook.Error
		if errors.As(err, &werr) {
			writeJSON(w, Status(werr), map[string]any{"error": werr.UserMessage(), "code": Code(werr),
				"problems": werr.Problems, "truncated": werr.Truncated})
			return
		}
		WriteError(w, s.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, ImportResultJSON{Created: nonNil(res.Created), Changed: nonNil(res.Changed), Unchanged: nonNil(res.Unchanged)})
}

// multipartSlack is room for a multipart envelope around the largest workbook.
const multipartSlack = 64 << 10

// workbookBody is the uploaded workbook and its size (-1 when unknown): the body itself, or the
// part "file" of a multipart form.
func workbookBody(r *http.Request) (io.Reader, int64, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, r.ContentLength, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, 0, schemas.Userf(schemas.ErrInvalid, "multipart 请求无效")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, 0, schemas.Userf(schemas.ErrInvalid, "请求中没有工作簿: 请把 .xlsx 文件放在 file 字段")
		}
		if part.FormName() == "file" {
			return part, -1, nil
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
