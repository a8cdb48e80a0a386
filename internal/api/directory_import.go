package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// ImportResult says what a directory document changed, in the camelCase JSON of the API.
type ImportResult struct {
	Departments []ImportedDepartment `json:"departments"`
	Entries     []ImportedEntry      `json:"entries"`
	// Notes tell what of the document was not applied as written (a status: the workflow sets it).
	Notes []string `json:"notes,omitempty"`
}

type ImportedDepartment struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Created bool   `json:"created"`
}

// ImportedEntry is what the import did with one entry of the document, in the document's order.
type ImportedEntry struct {
	ResourceCode string `json:"resourceCode"`
	Table        string `json:"table"`
	Name         string `json:"name"`
	Status       string `json:"status"` // of the entry as queries see it
	StatusName   string `json:"statusName"`
	Created      bool   `json:"created"`
	// Action is ImportCreated, ImportChanged or ImportUnchanged.
	Action string `json:"action"`
	// ChangeStatus is the status of the entry's change request when it has one: an edit of a
	// published entry waits there for review.
	ChangeStatus string `json:"changeStatus,omitempty"`
	// Revision is the version a following operation on the entry names as its base.
	Revision uint64 `json:"revision"`
}

// What an import did with an entry.
const (
	ImportCreated   = "created"   // registered as a draft
	ImportChanged   = "changed"   // a draft changed, or a change request of a published entry
	ImportUnchanged = "unchanged" // the document and the catalogue agree
)

// ImportDirectory registers the document's departments, then imports its entries through the
// directory workflow for principal p, as one catalogue command (catalog.Store.ImportEntries):
// a new entry becomes a draft, a changed one is edited (a published one through a change
// request), and any problem refuses every entry (*catalog.ImportError). Departments registered
// before a refusal stay registered and are in the result.
func ImportDirectory(ctx context.Context, cat *catalog.Store, p *catalog.Principal, doc *Directory, reason string) (ImportResult, error) {
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
	if len(doc.Entries) == 0 {
		return res, nil
	}
	done, err := cat.ImportEntries(ctx, p, doc.Entries, reason)
	if err != nil {
		return res, err
	}
	res.Entries, res.Notes = importedEntries(cat.View(), p, doc.Entries, done)
	return res, nil
}

// importedEntries lists what the import did with each entry of the document, in its order: the
// codes of created entries come in the order of the document, generated ones included.
func importedEntries(v *catalog.View, p *catalog.Principal, entries []*catalog.Entry, done catalog.ImportResult) ([]ImportedEntry, []string) {
	changed, unchanged := map[string]bool{}, map[string]bool{}
	for _, c := range done.Changed {
		changed[c] = true
	}
	for _, c := range done.Unchanged {
		unchanged[c] = true
	}
	created := done.Created
	out := []ImportedEntry{}
	var ignored []string
	for _, sent := range entries {
		ie := ImportedEntry{ResourceCode: sent.ResourceCode, Action: ImportCreated, Created: true}
		switch {
		case sent.ResourceCode != "" && changed[sent.ResourceCode]:
			ie.Action, ie.Created = ImportChanged, false
		case sent.ResourceCode != "" && unchanged[sent.ResourceCode]:
			ie.Action, ie.Created = ImportUnchanged, false
		case len(created) > 0:
			ie.ResourceCode, created = created[0], created[1:]
		}
		if e, _, err := v.EntryFor(p, ie.ResourceCode, time.Now()); err == nil {
			ie.Table, ie.Name, ie.Status, ie.Revision = e.Table, e.Name, e.Status, e.Revision
			ie.StatusName = schemas.EntryStatuses.NameOf(e.Status)
			if c, err := v.ChangeFor(p, ie.ResourceCode); err == nil {
				ie.ChangeStatus, ie.Revision = c.Status, catalog.Revision(e, c)
			}
		}
		if sent.Status != "" && sent.Status != catalog.StatusDraft {
			ignored = append(ignored, ie.ResourceCode)
		}
		out = append(out, ie)
	}
	var notes []string
	if len(ignored) > 0 {
		notes = append(notes, fmt.Sprintf("文件中的状态（status）未被采用: 目录的状态只由审核流程决定（提交审核、审核通过）。涉及: %s",
			schemas.Clip(strings.Join(ignored, "、"), 200)))
	}
	return out, notes
}

// handleImportEntries registers a directory document (directory.go) of departments and entries;
// the entries go through the directory workflow (ImportDirectory). ?reason= is recorded in their
// history.
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
	res, err := ImportDirectory(r.Context(), s.Cat, p, doc, r.URL.Query().Get("reason"))
	if err != nil {
		// Departments registered before the failure stay registered: say so beside the error.
		e := adminError("登记目录失败", err)
		if Code(e) == schemas.CodeInternal {
			s.Log.Error("import directory", "err", Detail(e))
		}
		body := map[string]any{"error": Message(e), "code": Code(e), "imported": res}
		var ie *catalog.ImportError
		if errors.As(err, &ie) {
			body["problems"] = importProblems(ie)
		}
		writeJSON(w, Status(e), body)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// importProblem is one problem of a refused import, for the JSON answer.
type importProblem struct {
	Index        int    `json:"index"` // position of the entry in the document, from 0
	ResourceCode string `json:"resourceCode,omitempty"`
	Field        string `json:"field,omitempty"`
	Message      string `json:"message"`
}

func importProblems(ie *catalog.ImportError) []importProblem {
	out := make([]importProblem, 0, min(len(ie.Problems), maxProblems))
	for _, p := range ie.Problems[:min(len(ie.Problems), maxProblems)] {
		out = append(out, importProblem{Index: p.Index, ResourceCode: p.Code, Field: p.Field, Message: p.Message})
	}
	return out
}
