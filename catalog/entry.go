package catalog

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Entry statuses (schemas.EntryStatuses ids).
const (
	StatusDraft         = "DRAFT"
	StatusPendingReview = "PENDING_REVIEW"
	StatusPublished     = "PUBLISHED"
	StatusRetired       = "RETIRED"
)

const statusPublished = StatusPublished

// PutEntry inserts or updates an entry. The catalogue keeps CurrentSnapshot and CreatedAt of an
// existing entry, stamps UpdatedAt and ModifyIndex, and sets PublishDate when a published entry
// has none.
func (s *Store) PutEntry(ctx context.Context, e *Entry) error {
	if e == nil {
		return fmt.Errorf("put entry: nil entry: %w", ErrInvalid)
	}
	c := e.Copy()
	return s.submit(ctx, cmdPutEntry, putEntryCmd{Entry: *c}, func(txn *memdb.Txn) error {
		return validateEntry(txn, c)
	})
}

// PutEntryAs registers or changes an entry on behalf of principal p. The access decision
// (mayWriteEntry) is asked inside the command's validation, so that the check and the write see
// the same state.
func (s *Store) PutEntryAs(ctx context.Context, p *Principal, e *Entry) error {
	if e == nil {
		return fmt.Errorf("put entry: nil entry: %w", ErrInvalid)
	}
	c := e.Copy()
	return s.submit(ctx, cmdPutEntry, putEntryCmd{Entry: *c}, func(txn *memdb.Txn) error {
		if err := mayWriteEntry(txn, p, c); err != nil {
			return err
		}
		return validateEntry(txn, c)
	})
}

// SetEntryStatus moves an entry through the workflow; publishing stamps PublishDate if unset.
func (s *Store) SetEntryStatus(ctx context.Context, code, status string) error {
	return s.submit(ctx, cmdSetEntryStatus, setEntryStatusCmd{Code: code, Status: status}, func(txn *memdb.Txn) error {
		if _, err := entryTxn(txn, code); err != nil {
			return err
		}
		p := newProblems("entry %s", code)
		p.code("status", schemas.EntryStatuses, status)
		return p.err()
	})
}

func validateEntry(txn *memdb.Txn, e *Entry) error {
	p := newProblems("entry %s", e.ResourceCode)
	if m := resourceCodeRE.FindStringSubmatch(e.ResourceCode); m == nil {
		p.add("resource_code", "%q must be 分类码/顺序码, e.g. 0101/000001", e.ResourceCode)
	} else if m[1] != e.CategoryCode {
		p.add("resource_code", "category part %q differs from category_code %q", m[1], e.CategoryCode)
	}
	p.code("category_code", schemas.Categories, e.CategoryCode)
	p.required("name", e.Name)
	p.required("provider_name", e.ProviderName)
	if !creditCodeRE.MatchString(e.ProviderCode) {
		p.add("provider_code", "%q is not an 18-character 统一社会信用代码", e.ProviderCode)
	}
	p.required("abstract", e.Abstract)
	p.code("format_type", schemas.FormatTypes, e.FormatType)
	p.code("share_type", schemas.ShareTypes, e.ShareType)
	if e.ShareType == "CONDITIONAL" {
		p.required("share_condition", e.ShareCondition)
	}
	p.code("share_mode", schemas.ShareModes, e.ShareMode)
	p.code("open_type", schemas.OpenTypes, e.OpenType)
	p.code("update_cycle", schemas.UpdateCycles, string(e.UpdateCycle))
	p.code("status", schemas.EntryStatuses, e.Status)
	p.code("source_kind", schemas.SourceKinds, e.SourceKind)
	if e.GradeOverride != "" {
		p.code("grade_override", schemas.Grades, string(e.GradeOverride))
	}
	if e.Exempt {
		p.required("exempt_reason", e.ExemptReason)
	}
	validateTable(txn, p, e)
	validateItems(p, e.Items)
	validateItemIDs(txn, p, e)
	validateDomains(p, e.Domains)
	validateRelated(p, e)
	if e.Department == "" {
		p.add("department", "is required")
	} else if _, err := first[Department](txn, tableDepartments, "department", e.Department); err != nil {
		p.add("department", "%q does not exist", e.Department)
	}
	if e.District == "" {
		p.add("district", "is required (%s for 市级)", schemas.CityCode)
	} else if _, err := first[schemas.District](txn, tableDistricts, "district", e.District); err != nil {
		p.add("district", "%q is not a district code", e.District)
	}
	return p.err()
}

func validateTable(txn *memdb.Txn, p *problems, e *Entry) {
	if err := schemas.CheckIdent(e.Table); err != nil {
		p.addErr("table", err)
		return
	}
	raw, err := txn.First(tableEntries, indexTable, e.Table)
	if err == nil && raw != nil && raw.(*Entry).ResourceCode != e.ResourceCode {
		p.add("table", "%q is already used by entry %s", e.Table, raw.(*Entry).ResourceCode)
	}
}

func validateItems(p *problems, items []Item) {
	if len(items) == 0 {
		p.add("items", "at least one item (信息项) is required")
	}
	names := map[string]int{}
	fields := map[string]int{}
	for i, it := range items {
		at := fmt.Sprintf("items[%d]", i)
		if it.Field != "" {
			at = fmt.Sprintf("items[%d] (%s)", i, it.Field)
		}
		if it.Name == "" {
			p.add(at+".name", "is required")
		} else if j, dup := names[it.Name]; dup {
			p.add(at+".name", "%q repeats items[%d]", it.Name, j)
		} else {
			names[it.Name] = i
		}
		if err := schemas.CheckIdent(it.Field); err != nil {
			p.addErr(at+".field", err)
		} else if j, dup := fields[it.Field]; dup {
			p.add(at+".field", "%q repeats items[%d]", it.Field, j)
		} else {
			fields[it.Field] = i
		}
		p.code(at+".type", schemas.DataTypes, string(it.Type))
		if it.Length < 0 {
			p.add(at+".length", "%d is negative", it.Length)
		}
		p.code(at+".grade", schemas.Grades, string(it.Grade))
		if it.PIType != "" {
			p.code(at+".pi_type", schemas.PITypes, it.PIType)
		}
		if it.CodeList != "" {
			if _, ok := schemas.List(it.CodeList); !ok {
				p.add(at+".code_list", "%q is not a code list (known: %v)", it.CodeList, schemas.ListNames())
			}
		}
	}
}

func validateDomains(p *problems, domains []string) {
	if len(domains) == 0 {
		p.add("domains", "at least one governance domain is required")
	}
	seen := map[string]bool{}
	for i, d := range domains {
		p.code(fmt.Sprintf("domains[%d]", i), schemas.Domains, d)
		if seen[d] {
			p.add(fmt.Sprintf("domains[%d]", i), "%q is listed twice", d)
		}
		seen[d] = true
	}
}

func validateRelated(p *problems, e *Entry) {
	seen := map[string]bool{}
	for i, c := range e.RelatedCodes {
		at := fmt.Sprintf("related_codes[%d]", i)
		switch {
		case !resourceCodeRE.MatchString(c):
			p.add(at, "%q is not a resource code", c)
		case c == e.ResourceCode:
			p.add(at, "an entry cannot relate to itself")
		case seen[c]:
			p.add(at, "%q is listed twice", c)
		}
		seen[c] = true
	}
}

// validateItemIDs refuses item ids the entry never assigned, and one id given to two items: an
// id is the catalogue's to hand out, a caller only passes one back to keep it across a rename.
func validateItemIDs(txn *memdb.Txn, p *problems, e *Entry) {
	known := map[int]bool{}
	if old, err := entryTxn(txn, e.ResourceCode); err == nil {
		for _, it := range old.Items {
			known[it.ID] = true
		}
		for i, it := range e.Items {
			if slices.Contains(old.RetiredFields, it.Field) {
				// The lake still holds that item's data under this name, graded as it was: a new
				// item of the same name would give it back under the new item's grade.
				p.add(fmt.Sprintf("items[%d].field", i), "%q was removed from this entry and is never given to another item; choose a new field name", it.Field)
			}
		}
	}
	seen := map[int]bool{}
	for i, it := range e.Items {
		if it.ID == 0 {
			continue
		}
		at := fmt.Sprintf("items[%d].id", i)
		switch {
		case !known[it.ID]:
			p.add(at, "%d is not an id of this entry's items (leave it 0 for a new item)", it.ID)
		case seen[it.ID]:
			p.add(at, "%d is given to two items", it.ID)
		}
		seen[it.ID] = true
	}
}
