package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	return s.submit(ctx, cmdPutEntry, putEntryCmd{Entry: *jsonEntry(c)}, func(txn *memdb.Txn) error {
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
	return s.submit(ctx, cmdPutEntry, putEntryCmd{Entry: *jsonEntry(c)}, func(txn *memdb.Txn) error {
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
		p := newProblems("目录 %s", code)
		p.code("status", schemas.EntryStatuses, status)
		return p.err()
	})
}

// validateEntry checks an entry put whole by the operator's loader (PutEntry): STANDARDS §1.
func validateEntry(txn *memdb.Txn, e *Entry) error { return checkEntry(txn, e, false, false).err() }

// validatePublish checks a version about to be sent for review or published: STANDARDS §1, the
// sharing rules of §4 and links to business items and scenes that exist.
func validatePublish(txn *memdb.Txn, e *Entry) error {
	p := checkEntry(txn, e, false, true)
	checkSharing(p, e)
	checkLinks(txn, p, e)
	return p.err()
}

// validateDraft checks a draft version e made from the caller's entry sent (nil when e is a
// new entry): it may be incomplete, but what it gives must be valid. The item ids are checked on
// what the caller sent, against the version it edited (old, nil for a new entry).
func validateDraft(txn *memdb.Txn, e, sent, old *Entry) error {
	p := checkEntry(txn, e, true, sent != nil)
	if sent != nil {
		checkItemIDs(p, old, sent)
	}
	checkLinks(txn, p, e)
	return p.err()
}

// checkEntry checks e against STANDARDS §1; assigned says the catalogue gave its item ids (a
// stored version), so they are not the caller's to check.
func checkEntry(txn *memdb.Txn, e *Entry, draft, assigned bool) *problems {
	p := newProblems("目录 %s", e.ResourceCode)
	p.draft, p.assigned = draft, assigned
	if cat, _, ok := splitResourceCode(e.ResourceCode); !ok {
		p.add("resource_code", "%s应为“分类码/顺序码”，例如 0101/000001", schemas.Quote(e.ResourceCode))
	} else if cat != e.CategoryCode {
		p.add("resource_code", "其中的分类码%s与 category_code %s不一致", schemas.Quote(cat), schemas.Quote(e.CategoryCode))
	}
	p.code("category_code", schemas.Categories, e.CategoryCode)
	p.required("name", e.Name)
	p.required("provider_name", e.ProviderName)
	if !(draft && e.ProviderCode == "") && !creditCodeRE.MatchString(e.ProviderCode) {
		p.add("provider_code", "%s不是 18 位统一社会信用代码", schemas.Quote(e.ProviderCode))
	}
	p.required("abstract", e.Abstract)
	p.code("format_type", schemas.FormatTypes, e.FormatType)
	p.code("share_type", schemas.ShareTypes, e.ShareType)
	if e.ShareType == ShareConditional {
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
	checkLoadSettings(p, e)
	checkTransform(txn, p, e)
	if !p.assigned {
		validateItemIDs(txn, p, e)
	}
	validateDomains(p, e.Domains)
	validateRelated(p, e)
	if e.Department == "" {
		p.add("department", "必填")
	} else if _, err := first[Department](txn, tableDepartments, "department", e.Department); err != nil {
		p.add("department", "部门%s不存在", schemas.Quote(e.Department))
	}
	if e.District == "" {
		if !draft {
			p.add("district", "必填（市级填 %s）", schemas.CityCode)
		}
	} else if _, err := first[schemas.District](txn, tableDistricts, "district", e.District); err != nil {
		p.add("district", "%s不是区县代码", schemas.Quote(e.District))
	}
	return p
}

func validateTable(txn *memdb.Txn, p *problems, e *Entry) {
	if err := schemas.CheckIdent(e.Table); err != nil {
		p.addErr("table", err)
		return
	}
	if holder := entryByTable(txn, e.Table); holder != nil && holder.ResourceCode != e.ResourceCode {
		p.add("table", "%s已被目录 %s 使用", schemas.Quote(e.Table), holder.ResourceCode)
	}
}

func validateItems(p *problems, items ItemList) {
	if items.Len() == 0 && !p.draft {
		p.add("items", "至少需要一个信息项")
	}
	names := make(map[string]int, items.Len())
	fields := make(map[string]int, items.Len())
	for i, it := range items.All() {
		// The field's name is built only for a problem: this runs for every item of every
		// command that validates an entry, under the write lock.
		at := func(sub string) string {
			if it.Field != "" {
				return fmt.Sprintf("items[%d] (%s).%s", i, it.Field, sub)
			}
			return fmt.Sprintf("items[%d].%s", i, sub)
		}
		if it.Name == "" {
			p.add(at("name"), "必填")
		} else if j, dup := names[it.Name]; dup {
			p.add(at("name"), "%s与 items[%d] 重名", schemas.Quote(it.Name), j)
		} else {
			names[it.Name] = i
		}
		if err := schemas.CheckIdent(it.Field); err != nil {
			p.addErr(at("field"), err)
		} else if j, dup := fields[it.Field]; dup {
			p.add(at("field"), "%s与 items[%d] 重复", schemas.Quote(it.Field), j)
		} else {
			fields[it.Field] = i
		}
		p.codeAt(func() string { return at("type") }, schemas.DataTypes, string(it.Type))
		if it.Length < 0 {
			p.add(at("length"), "长度 %d 不能为负数", it.Length)
		}
		p.codeAt(func() string { return at("grade") }, schemas.Grades, string(it.Grade))
		if it.PIType != "" {
			p.codeAt(func() string { return at("pi_type") }, schemas.PITypes, it.PIType)
			if it.Type != schemas.String {
				// Masking keeps parts of the text (query/mask.go): other types cannot be masked.
				p.add(at("pi_type"), "个人信息项须为字符串类型才能脱敏（当前类型 %s）", it.Type)
			}
		}
		if it.CodeList != "" {
			if _, ok := schemas.List(it.CodeList); !ok {
				p.add(at("code_list"), "%s不是代码表（可选：%s）", schemas.Quote(it.CodeList), strings.Join(schemas.ListNames(), "、"))
			}
		}
	}
}

func validateDomains(p *problems, domains []string) {
	if len(domains) == 0 && !p.draft {
		p.add("domains", "至少需要一个治理领域")
	}
	seen := map[string]bool{}
	for i, d := range domains {
		p.code(fmt.Sprintf("domains[%d]", i), schemas.Domains, d)
		if seen[d] {
			p.add(fmt.Sprintf("domains[%d]", i), "%s重复列出", schemas.Quote(d))
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
			p.add(at, "%s不是资源代码（分类码/顺序码）", schemas.Quote(c))
		case c == e.ResourceCode:
			p.add(at, "目录不能关联自身")
		case seen[c]:
			p.add(at, "%s重复列出", schemas.Quote(c))
		}
		seen[c] = true
	}
}

// validateItemIDs refuses item ids the entry never assigned, and one id given to two items: an
// id is the catalogue's to hand out, a caller only passes one back to keep it across a rename.
func validateItemIDs(txn *memdb.Txn, p *problems, e *Entry) {
	old, _ := entryTxn(txn, e.ResourceCode)
	checkItemIDs(p, old, e)
}

// checkItemIDs is validateItemIDs against old, the version e was made from (nil for none).
func checkItemIDs(p *problems, old, e *Entry) {
	known := map[int]bool{}
	if old != nil {
		for _, it := range old.Items.All() {
			known[it.ID] = true
		}
		for i, it := range e.Items.All() {
			if slices.Contains(old.RetiredFields, it.Field) {
				// The lake still holds that item's data under this name, graded as it was: a new
				// item of the same name would give it back under the new item's grade.
				p.add(fmt.Sprintf("items[%d].field", i), "%s是本目录已删除信息项的字段名，不再分配给其他信息项，请另取字段名", schemas.Quote(it.Field))
			}
		}
	}
	seen := map[int]bool{}
	for i, it := range e.Items.All() {
		if it.ID == 0 {
			continue
		}
		at := fmt.Sprintf("items[%d].id", i)
		switch {
		case !known[it.ID]:
			p.add(at, "%d 不是本目录信息项的编号（新信息项请填 0）", it.ID)
		case seen[it.ID]:
			p.add(at, "编号 %d 被两个信息项同时使用", it.ID)
		}
		seen[it.ID] = true
	}
}
