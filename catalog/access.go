package catalog

import (
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// This file (with access_view.go and access_share.go) is the one access decision of the
// service. Every door — GraphQL fields, introspection and the SDL, the entries and figures lists,
// the submission and rejected-rows endpoints, the command line — asks View.Decide (or Allowed for
// actions on no entry) and acts on the answer; nothing else decides who may see or load what.

// Principal roles (schemas list "roles").
const (
	RoleAdmin    = "admin"    // 系统管理员: accounts and tokens, and everything a steward may do
	RoleSteward  = "steward"  // 数据管理员: curates the directory, loads any district's data
	RoleReviewer = "reviewer" // 审核员: reviews directory changes, reads data within clearance
	RoleManager  = "manager"  // 管理层: figures and aggregates, no row-level reads
	RoleAnalyst  = "analyst"  // 数据分析: reads rows and aggregates within clearance
	RoleScene    = "scene"    // 应用场景 / 一件事: reads rows and aggregates within clearance
	RoleDistrict = "district" // 区县生态环境局: its own districts' rows, loads only them
)

// Roles lists every role in the order of the roles code list.
var Roles = []string{RoleAdmin, RoleSteward, RoleReviewer, RoleManager, RoleAnalyst, RoleScene, RoleDistrict}

// Action is something a principal may do that concerns no single entry.
type Action string

// Actions decided by Allowed.
const (
	ActManagePrincipals  Action = "manage_principals"  // create, list and disable principals and their tokens
	ActEditDirectory     Action = "edit_directory"     // register and change entries and departments
	ActReviewDirectory   Action = "review_directory"   // approve or send back directory changes
	ActManageDepartments Action = "manage_departments" // register and rename departments
	ActQuery             Action = "query"              // use the query layer at all
	ActReadAudit         Action = "read_audit"         // read and export the audit of queries
)

// MinGroupAggregatesOnly is the smallest group an aggregates-only reader is shown: a group (or a
// filtered total) of fewer rows is withheld, so that grouping by a key column or filtering down
// to one row cannot give back single rows.
const MinGroupAggregatesOnly = 5

// Write modes of a load.
const (
	WriteAppend  = "append"
	WriteReplace = "replace"
)

// ItemAccess is the decision for one item of an entry.
type ItemAccess struct {
	Field   string
	Visible bool
	// Mask is the masking rule applied on output (a schemas.PITypes id), "" for clear text.
	Mask string
	// Unmasked: a personal-information item read in clear text under a grant (Mask is ""); the
	// audit flags every read of it.
	Unmasked bool
}

// RowScope restricts the rows of an entry a principal reads or replaces: a row is in scope when
// any of Fields (items coded with the districts list) holds one of Districts.
type RowScope struct {
	Fields    []string
	Districts []string
	// Period, on a replacement's scope, is the item (PeriodField) whose values say which period
	// a row reports: the replacement removes only the scope's rows of the period the new rows
	// cover, never the district's earlier periods. "" when the entry has none.
	Period string
}

// Access is the whole decision for one principal and one entry, taken on one catalogue view.
type Access struct {
	// Exists: the entry exists for the principal. When false every other field is zero and every
	// door answers exactly as for an entry that does not exist.
	Exists bool
	// Read: rows or aggregates of the entry's data may be queried.
	Read bool
	// AggregatesOnly: only aggregates may be read, never rows; MinGroupSize, when above 0, is the
	// smallest group an aggregate may report.
	AggregatesOnly bool
	MinGroupSize   int
	// Items lists the entry's items in item order with their visibility and masks.
	Items []ItemAccess
	// Rows is the row scope of reads; nil means every row.
	Rows *RowScope
	// Grants are the ids of the grants the decision applied (to open the entry or unmask items),
	// for the audit of the reads.
	Grants []string
	// Runs: the load runs of the entry the principal may see; nil means all, otherwise only runs
	// submitted for these districts.
	RunDistricts []string

	// Load: data may be submitted for the entry.
	Load bool
	// LoadScope, when not nil, restricts loaded rows: each row must be in the scope (rows outside
	// it are rejected with a reason) and the submission's district must be one of its districts.
	LoadScope *RowScope
	// LoadDistricts are the districts a submission may be made for; nil means any.
	LoadDistricts []string
	// Modes are the write modes the principal may use.
	Modes []string
	// ReplaceScope, when Modes allows replace and it is not nil, limits a replacement to the rows
	// of the scope: other districts' rows are kept. nil with replace allowed means city-wide.
	ReplaceScope *RowScope

	// Configure: the entry's connection (its source, schedule and secrets) may be read and
	// changed and a pull triggered: administrators, and stewards of the entry's department.
	Configure bool
}

// MayReplace reports whether the decision allows a replacing load.
func (a Access) MayReplace() bool { return slices.Contains(a.Modes, WriteReplace) }

// MayLoadDistrict reports whether a submission may be made for district ("" for none named).
func (a Access) MayLoadDistrict(district string) bool {
	if !a.Load {
		return false
	}
	if a.LoadDistricts == nil {
		return true
	}
	return district != "" && slices.Contains(a.LoadDistricts, district)
}

// ForDistrict narrows the decision of an account that may load any district (steward, admin) to
// a submission it makes for one district: on an entry with district items the submission's rows
// must be that district's, and a replacement replaces only that district's rows of the periods
// the new rows report. To replace a whole table, a steward names no district. A district
// account's own scope stays as Decide gave it.
func (a Access) ForDistrict(e *Entry, district string) Access {
	fields := DistrictFields(e)
	if district == "" || !a.Load || len(fields) == 0 || a.LoadScope != nil {
		return a // nothing to narrow, or an account whose own scope already holds its rows
	}
	a.LoadScope = &RowScope{Fields: fields, Districts: []string{district}}
	if a.MayReplace() {
		a.ReplaceScope = &RowScope{Fields: fields, Districts: []string{district}, Period: PeriodField(e)}
	}
	return a
}

// MaySeeRun reports whether a run of the entry is visible under the decision.
func (a Access) MaySeeRun(r *Run) bool {
	if !a.Exists {
		return false
	}
	return a.RunDistricts == nil || slices.Contains(a.RunDistricts, r.District)
}

// maySeeRun is View.Decide(p, e, now).MaySeeRun(r) without building the rest of the decision: the
// collection figure asks it of every lagging entry.
func maySeeRun(p *Principal, e *Entry, r *Run) bool {
	return exists(p, e) && (p.Role != RoleDistrict || slices.Contains(p.Districts, r.District))
}

// MayReadRejects decides the download of a run's rejected rows, raw submitted values: p must see
// the run and be allowed to load the entry. A district account reads them only of loads that were
// held to its own districts, that is, submitted by a district account whose districts are all
// its own; another account's load "for" its district may have carried any district's rows.
// submitter is the run's principal, nil when it names none (the offline operator).
func MayReadRejects(p *Principal, e *Entry, run *Run, submitter *Principal) bool {
	a := decideRole(p, e) // loading and runs: no sharing type or grant changes them
	if !a.MaySeeRun(run) || !a.Load {
		return false
	}
	if p.Role != RoleDistrict {
		return true
	}
	if submitter == nil || submitter.Role != RoleDistrict || len(submitter.Districts) == 0 {
		return false
	}
	for _, d := range submitter.Districts {
		if !slices.Contains(p.Districts, d) {
			return false
		}
	}
	return true
}

// known reports whether p is an enabled principal with a role and clearance the decision knows.
func known(p *Principal) bool {
	return p != nil && !p.Disabled && slices.Contains(Roles, p.Role) && p.Clearance.Valid() &&
		(p.Role != RoleDistrict || len(p.Districts) > 0 && !slices.Contains(p.Districts, schemas.CityCode))
}

// Allowed decides an action that concerns no single entry.
func Allowed(p *Principal, act Action) bool {
	if !known(p) {
		return false
	}
	switch act {
	case ActManagePrincipals, ActManageDepartments:
		return p.Role == RoleAdmin
	case ActEditDirectory:
		return p.Role == RoleAdmin || p.Role == RoleSteward
	case ActReviewDirectory:
		return p.Role == RoleAdmin || p.Role == RoleReviewer
	case ActQuery:
		return true
	case ActReadAudit:
		return p.Role == RoleAdmin || p.Role == RoleSteward
	}
	return false
}

// MayBackup decides who may take a backup of the service: the set holds every entry's data,
// whatever its grade, and every account with its token digests, so only an administrator
// cleared for core data.
func MayBackup(p *Principal) bool {
	return known(p) && p.Role == RoleAdmin && p.Clearance.Covers(schemas.Core)
}

// MaySeeSceneAccounts decides whether p is shown every account of a scene (Scene.Accounts): the
// accounts an application queries through are a target, so only those who may set them (the
// principals who may edit the directory) see them; any other principal is shown only itself,
// when it is one of them.
func MaySeeSceneAccounts(p *Principal) bool {
	return Allowed(p, ActEditDirectory)
}

// SceneAccountsFor is what p is shown of the accounts of a scene.
func SceneAccountsFor(p *Principal, accounts []string) []string {
	if MaySeeSceneAccounts(p) {
		return accounts
	}
	if known(p) && p.ID != "" {
		for _, a := range accounts {
			if a == p.ID {
				return []string{a}
			}
		}
	}
	return []string{}
}

// MayReadMetrics decides the scrape of the service's metrics (/metrics). They count requests,
// loads and rows over the whole directory, and its collection figure, so only a principal for
// whom every entry exists (seesAll) may read them: an administrator, a steward, or a manager —
// the last reads aggregates only and changes nothing, the account a scrape token is best held by.
func MayReadMetrics(p *Principal) bool {
	return seesAll(p) && (p.Role == RoleAdmin || p.Role == RoleSteward || p.Role == RoleManager)
}

// DistrictFields returns the items of e whose values are district codes: the columns that tie a
// row to a district.
func DistrictFields(e *Entry) []string {
	var out []string
	for _, it := range e.Items.All() {
		if it.CodeList == schemas.Districts.Name {
			out = append(out, it.Field)
		}
	}
	return out
}

// PeriodField returns the item of e that says which period a row reports: its first key item of
// type DATE or TIMESTAMP, else its first required one; "" when it has neither.
func PeriodField(e *Entry) string {
	for _, key := range []bool{true, false} {
		for _, it := range e.Items.All() {
			if (it.Type == schemas.Date || it.Type == schemas.Timestamp) && (it.IsKey || !key && it.Required) {
				return it.Field
			}
		}
	}
	return ""
}

// decideRole is the decision before the entry's sharing type and the principal's grants are
// looked at (View.Decide states the whole rule): clearance and district first, then what the role
// reads and loads. Load, the run districts and the row scope are final here; Read, the
// aggregation rules and the items are what applySharing starts from.
func decideRole(p *Principal, e *Entry) Access {
	if !exists(p, e) {
		return Access{}
	}
	var scope *RowScope
	if p.Role == RoleDistrict {
		// Rows that name districts are kept to the principal's own, on its own entries as on
		// city-level ones.
		if fields := DistrictFields(e); len(fields) > 0 {
			scope = &RowScope{Fields: fields, Districts: slices.Clone(p.Districts)}
		}
	}
	a := Access{Exists: true, Rows: scope}
	a.Configure = p.Role == RoleAdmin || p.Role == RoleSteward && p.Department != "" && p.Department == e.Department
	for _, it := range e.Items.All() {
		// Personal information is masked by its pi_type for every reader (STANDARDS §4).
		a.Items = append(a.Items, ItemAccess{Field: it.Field, Visible: true, Mask: it.PIType})
	}
	hasData := e.Status == StatusPublished && !e.Secret
	switch p.Role {
	case RoleAdmin, RoleSteward, RoleReviewer, RoleAnalyst, RoleScene, RoleDistrict:
		a.Read = hasData
	case RoleManager:
		a.Read, a.AggregatesOnly, a.MinGroupSize = hasData, true, MinGroupAggregatesOnly
	}
	if p.Role == RoleDistrict {
		a.RunDistricts = slices.Clone(p.Districts)
	}
	if !hasData {
		return a
	}
	switch p.Role {
	case RoleAdmin, RoleSteward:
		a.Load = true
		a.Modes = []string{WriteAppend, WriteReplace}
	case RoleDistrict:
		own := e.District != schemas.CityCode && slices.Contains(p.Districts, e.District)
		if !own && scope == nil {
			break // city-level data with no district dimension: not a district's to load
		}
		a.Load = true
		a.LoadScope = scope
		a.LoadDistricts = slices.Clone(p.Districts)
		a.Modes = []string{WriteAppend, WriteReplace}
		if scope != nil {
			// A district replaces its own rows of the period it submits, nothing else.
			rs := *scope
			rs.Period = PeriodField(e)
			a.ReplaceScope = &rs
		}
	}
	return a
}

// exists is the first question of View.Decide, asked alone where only the answer to it is needed
// (lists over the whole directory): enabled, cleared for the entry's grade, and for a district
// principal its own district's entry or a city-level one.
func exists(p *Principal, e *Entry) bool {
	return e != nil && existsAt(p, e.Grade(), e.District)
}

// existsAt is exists decided from the only things of an entry it looks at, its grade and its
// district: the collection figure asks it once per group of entries that share both.
func existsAt(p *Principal, grade schemas.Grade, district string) bool {
	if !known(p) || !p.Clearance.Covers(grade) {
		return false
	}
	return p.Role != RoleDistrict || district == schemas.CityCode || slices.Contains(p.Districts, district)
}

// seesAll reports whether every entry exists for p, so that lists over many entries may skip
// asking exists for each: an enabled principal that is no district's and whose clearance
// covers the highest grade. It must agree with exists.
func seesAll(p *Principal) bool {
	return known(p) && p.Role != RoleDistrict && p.Clearance.Rank() == schemas.Core.Rank()
}

// mayWriteEntry decides a change of the directory by p: registering e, or changing the entry
// of the same resource code.
//   - Only principals allowed to edit the directory may.
//   - An entry that does not exist for p cannot be changed by it; its code (and its table name)
//     are answered as taken, never named or described, so that nobody can lower the grade of an
//     entry above its clearance and then read it.
//   - Nobody registers an entry graded above its own clearance.
func mayWriteEntry(txn *memdb.Txn, p *Principal, e *Entry) error {
	if !Allowed(p, ActEditDirectory) {
		return schemas.Userf(schemas.ErrForbidden, "无权登记或修改目录: 只有系统管理员与数据管理员可以")
	}
	if old, err := entryTxn(txn, e.ResourceCode); err == nil && !exists(p, old) {
		return schemas.Userf(ErrConflict, "信息资源代码 %s 已被占用", schemas.Clip(e.ResourceCode, 64))
	}
	if holder := entryByTable(txn, e.Table); holder != nil {
		if holder.ResourceCode != e.ResourceCode && !exists(p, holder) {
			return schemas.Userf(ErrConflict, "数据表名 %s 已被占用", schemas.Clip(e.Table, 64))
		}
	}
	if g := e.Grade(); !p.Clearance.Covers(g) {
		return schemas.Userf(schemas.ErrForbidden, "目录分级为 %s, 高于本账号的密级上限 %s, 不能登记", g.Name(), p.Clearance.Name())
	}
	return nil
}

// Operator is the principal of the offline command line: whoever can open the data directory
// holds all of it, so the decision treats the operator as an administrator. Its ID is empty, so
// the runs it starts name no principal.
func Operator() *Principal {
	return &Principal{Name: "本地运维", Role: RoleAdmin, Clearance: schemas.Core}
}
