package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// A replacement of the code lists (schemas.LoadCodeLists) is checked here against what the
// catalogue holds before it is installed: it must keep the ids the catalogue's logic names
// (roles, workflow statuses), and no entry or account may be left with a code it lacks.

// closedLists are the lists whose every id the catalogue gives a meaning to in code: a
// replacement may rename their codes, never drop or add one.
var closedLists = map[string][]string{
	"roles":          Roles,
	"entry_statuses": {StatusDraft, StatusPendingReview, StatusPublished, StatusRetired},
}

// Orphan is one use of a code that a candidate code list lacks.
type Orphan struct {
	Entry string // resource code of the entry, or "账号 <id>" for an account
	Field string // as validation names it: share_type, domains[1], items[2] (pm25).grade
	List  string // code list name
	Code  string
}

func (o Orphan) String() string {
	return fmt.Sprintf("%s %s: %s 不在新的代码表 %s 中", o.Entry, o.Field, schemas.Quote(o.Code), o.List)
}

// Orphans lists every use, by an entry or an account, of a code that set lacks, entries in
// resource-code order first. It walks the whole directory: it is meant for start-up.
func (v *View) Orphans(set *schemas.ListSet) []Orphan {
	l := func(name string) *schemas.CodeList { cl, _ := set.List(name); return cl }
	var (
		c                                                   orphanCheck
		categories, formats, shareTypes, shareModes         = l("categories"), l("format_types"), l("share_types"), l("share_modes")
		openTypes, cycles, statuses, sourceKinds, districts = l("open_types"), l("update_cycles"), l("entry_statuses"), l("source_kinds"), l("districts")
		grades, domains, dataTypes, piTypes, roles          = l("grades"), l("domains"), l("data_types"), l("pi_types"), l("roles")
	)
	eachEntry(v.txn, func(e *Entry) {
		rc := e.ResourceCode
		c.check(rc, "category_code", -1, categories, e.CategoryCode)
		c.check(rc, "format_type", -1, formats, e.FormatType)
		c.check(rc, "share_type", -1, shareTypes, e.ShareType)
		c.check(rc, "share_mode", -1, shareModes, e.ShareMode)
		c.check(rc, "open_type", -1, openTypes, e.OpenType)
		c.check(rc, "update_cycle", -1, cycles, string(e.UpdateCycle))
		c.check(rc, "status", -1, statuses, e.Status)
		c.check(rc, "source_kind", -1, sourceKinds, e.SourceKind)
		c.check(rc, "grade_override", -1, grades, string(e.GradeOverride))
		c.check(rc, "district", -1, districts, e.District)
		for i, d := range e.Domains {
			c.check(rc, "domains[%d]", i, domains, d)
		}
		for i, it := range e.Items.All() {
			// code_list names a list, and a replacement replaces lists, never removes one.
			c.item(rc, i, it.Field, "type", dataTypes, string(it.Type))
			c.item(rc, i, it.Field, "grade", grades, string(it.Grade))
			c.item(rc, i, it.Field, "pi_type", piTypes, it.PIType)
		}
	})
	each(v.txn, tablePrincipals, indexID, func(p *Principal) {
		who := "账号 " + p.ID
		c.check(who, "role", -1, roles, p.Role)
		c.check(who, "clearance", -1, grades, string(p.Clearance))
		for i, d := range p.Districts {
			c.check(who, "districts[%d]", i, districts, d)
		}
	})
	return c.out
}

// orphanCheck collects orphans; it formats a field's name only for an orphan, since start-up
// checks every code of the directory.
type orphanCheck struct {
	out []Orphan
}

// check records code unless the list has it; field is a format taking i when i >= 0.
func (c *orphanCheck) check(who, field string, i int, list *schemas.CodeList, code string) {
	if code == "" || list.Has(code) { // "": an incomplete draft uses no code there
		return
	}
	if i >= 0 {
		field = fmt.Sprintf(field, i)
	}
	c.out = append(c.out, Orphan{Entry: who, Field: field, List: list.Name, Code: code})
}

func (c *orphanCheck) item(who string, i int, field, attr string, list *schemas.CodeList, code string) {
	if code == "" || list.Has(code) {
		return
	}
	c.out = append(c.out, Orphan{Entry: who, Field: fmt.Sprintf("items[%d] (%s).%s", i, field, attr), List: list.Name, Code: code})
}

// maxOrphansInText bounds how many orphans a refusal names; the rest are counted.
const maxOrphansInText = 50

// CodeListRefusal refuses a candidate set of code lists: ids the catalogue's logic needs are
// missing or added, or entries and accounts use codes the candidate lacks. Its text, in Chinese,
// names them (orphans up to maxOrphansInText, then how many more).
type CodeListRefusal struct {
	Structural []string // one line per list that does not keep the catalogue's ids
	Orphans    []Orphan
}

func (e *CodeListRefusal) Error() string {
	lines := []string{"替换代码表被拒绝, 服务未启动:"}
	for _, l := range e.Structural {
		lines = append(lines, "  "+l)
	}
	if n := len(e.Orphans); n > 0 {
		lines = append(lines, fmt.Sprintf("以下 %d 处目录或账号仍在使用新代码表中没有的代码 (请先修改它们, 或在新代码表中保留这些代码):", n))
		for _, o := range e.Orphans[:min(n, maxOrphansInText)] {
			lines = append(lines, "  "+o.String())
		}
		if n > maxOrphansInText {
			lines = append(lines, fmt.Sprintf("  …另有 %d 处未列出", n-maxOrphansInText))
		}
	}
	return strings.Join(lines, "\n")
}

func (e *CodeListRefusal) UserMessage() string { return e.Error() }

// Unwrap: ids the logic needs are an invalid list; orphans conflict with the catalogue's state.
func (e *CodeListRefusal) Unwrap() error {
	if len(e.Structural) > 0 {
		return ErrInvalid
	}
	return ErrConflict
}

// CheckCodeLists decides whether set may be installed over this view of the catalogue: nil, or
// a *CodeListRefusal.
func (v *View) CheckCodeLists(set *schemas.ListSet) error {
	r := &CodeListRefusal{}
	names := make([]string, 0, len(closedLists))
	for name := range closedLists {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		l, ok := set.List(name)
		if !ok {
			continue
		}
		want := closedLists[name]
		var missing, extra []string
		for _, id := range want {
			if !l.Has(id) {
				missing = append(missing, id)
			}
		}
		for _, c := range l.Codes() {
			if !slices.Contains(want, c.ID) {
				extra = append(extra, c.ID)
			}
		}
		if len(missing) > 0 || len(extra) > 0 {
			r.Structural = append(r.Structural, fmt.Sprintf("代码表 %s 的代码由程序定义, 只能改名称 (应为: %s; 缺少: %s; 多出: %s)",
				name, strings.Join(want, "、"), orNone(missing), orNone(extra)))
		}
	}
	r.Orphans = v.Orphans(set)
	if len(r.Structural) > 0 || len(r.Orphans) > 0 {
		return r
	}
	return nil
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "无"
	}
	return strings.Join(ids, "、")
}

// cmdSyncDistricts makes the districts table hold exactly the installed districts list.
const cmdSyncDistricts cmdType = "sync_districts"

func init() {
	appliers[cmdSyncDistricts] = applier{cmdVersion1, decodeApply(applySyncDistricts)}
}

// SyncDistricts brings the districts table in line with the installed districts list after a
// replacement (the table is seeded from the list on first start): renamed districts take their
// new names, new ones are added and dropped ones removed. Call it after schemas.Install and
// CheckCodeLists, which made sure no entry or account uses a dropped one. Unchanged, it writes
// nothing.
func (s *Store) SyncDistricts(ctx context.Context) error {
	want := schemas.AllDistricts()
	have := s.View().Districts()
	byCode := func(a, b schemas.District) int { return strings.Compare(a.Code, b.Code) }
	sorted := slices.Clone(want)
	slices.SortFunc(sorted, byCode)
	if slices.Equal(sorted, have) {
		return nil
	}
	return s.submit(ctx, cmdSyncDistricts, seedDistrictsCmd{Districts: want}, nil)
}

func applySyncDistricts(txn *memdb.Txn, rec *record, cmd *seedDistrictsCmd) error {
	keep := map[string]bool{}
	for _, d := range cmd.Districts {
		keep[d.Code] = true
	}
	var drop []*schemas.District
	each(txn, tableDistricts, indexID, func(d *schemas.District) {
		if !keep[d.Code] {
			drop = append(drop, d)
		}
	})
	for _, d := range drop {
		if err := txn.Delete(tableDistricts, d); err != nil {
			return fmt.Errorf("delete district %s: %w", d.Code, err)
		}
	}
	return applySeedDistricts(txn, rec, cmd)
}
