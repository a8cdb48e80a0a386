package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// ImportResult says what a directory document changed, in the camelCase JSON of the API. As in
// GraphQL, a code has its Chinese label beside it in a field named after it with "Name".
type ImportResult struct {
	Departments []ImportedDepartment `json:"departments"`
	Entries     []ImportedEntry      `json:"entries"`
}

type ImportedDepartment struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Created bool   `json:"created"`
}

type ImportedEntry struct {
	ResourceCode string `json:"resourceCode"`
	Table        string `json:"table"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	StatusName   string `json:"statusName"`
	Created      bool   `json:"created"`
}

// ImportDirectory registers the document's departments, then its entries, each as its own
// catalogue command, for principal p. It stops at the first one the catalogue refuses; what came
// before it stays registered and is in the result.
func ImportDirectory(ctx context.Context, cat *catalog.Store, p *catalog.Principal, doc *Directory) (ImportResult, error) {
	res := ImportResult{Departments: []ImportedDepartment{}, Entries: []ImportedEntry{}}
	if !catalog.Allowed(p, catalog.ActEditDirectory) {
		return res, fmt.Errorf("register directory entries: %w", schemas.ErrForbidden)
	}
	for _, d := range doc.Departments {
		_, err := cat.View().Department(d.Code)
		created := err != nil
		if err := cat.PutDepartment(ctx, d); err != nil {
			return res, fmt.Errorf("department %s: %w", d.Code, err)
		}
		res.Departments = append(res.Departments, ImportedDepartment{Code: d.Code, Name: d.Name, Created: created})
	}
	for _, e := range doc.Entries {
		// Whether it existed is asked of the decision too: a hidden entry is "not there" here.
		_, _, err := cat.View().EntryFor(p, e.ResourceCode)
		created := err != nil
		if err := cat.PutEntryAs(ctx, p, e); err != nil {
			return res, err
		}
		res.Entries = append(res.Entries, ImportedEntry{ResourceCode: e.ResourceCode, Table: e.Table, Name: e.Name,
			Status: e.Status, StatusName: schemas.EntryStatuses.NameOf(e.Status), Created: created})
	}
	return res, nil
}

// handleImportEntries registers a directory document (directory.go) of departments and entries.
func (s *Server) handleImportEntries(w http.ResponseWriter, r *http.Request) {
	p := s.admin(w, r, catalog.ActEditDirectory)
	if p == nil {
		return
	}
	doc, err := DecodeDirectory(http.MaxBytesReader(w, r.Body, maxDirectoryBytes))
	if err != nil {
		s.writeAdminError(w, "目录文件无效", err)
		return
	}
	res, err := ImportDirectory(r.Context(), s.Cat, p, doc)
	if err != nil {
		// What was registered before the failure stays registered: say so beside the error.
		e := adminError("登记目录失败", err)
		if Code(e) == schemas.CodeInternal {
			s.Log.Error("import directory", "err", Detail(e))
		}
		writeJSON(w, Status(e), map[string]any{"error": Message(e), "code": Code(e), "imported": res})
		return
	}
	writeJSON(w, http.StatusCreated, res)
}
