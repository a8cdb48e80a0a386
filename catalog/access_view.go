package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Decide is the access decision for principal p on entry e as seen in this catalogue view at
// time now (the request's time): the principal's grants on e are read from the view, so a grant
// approved, revoked or expired changes the answer from the next request on.
//
//   - An entry exists for p only when p is enabled, p's clearance covers the entry's grade
//     (就高从严: the highest of its items and any override), and, for a district principal, the
//     entry is the principal's own district's or a city-level one. Nothing below changes that:
//     no grant opens an entry that does not exist for p.
//   - Admins and stewards read every row, load any district's data and may replace city-wide.
//   - Reviewers, analysts and scenes read rows within their clearance; managers aggregates only.
//   - A district principal reads the rows of its districts: a city-level entry with district
//     items is row-scoped, one without district items has no other district's rows. It loads its
//     own district's entries, and city-level entries with district items row by row; a
//     replacement touches only its districts' rows of the period the new rows cover. That row
//     scope holds on top of every grant.
//   - 涉密 entries and entries that are not published hold no data anyone may query or load.
//   - 无条件共享 (the entry's sharing type UNCONDITIONAL): the data is read as above.
//   - 有条件共享 (CONDITIONAL): only curators (admin, steward), principals of the owning
//     department (p.Department == e.Department) and holders of an applicable grant read the data.
//     A grant of mode rows reads as the role does; one of mode aggregates reads aggregates only,
//     with its minimum group (never below MinGroupAggregatesOnly). A grant naming items shows
//     only them. Without any of these the entry still exists (its metadata is visible within
//     clearance) but Read is false.
//   - 不予共享 (NOT_SHARED, and any sharing type the code list does not know): only curators and
//     the owning department read the data; grants neither open it nor unmask anything of it.
//   - An applicable grant is p's own, on e, approved, not revoked and not expired at now. Of
//     several, those of mode rows are used when there is one, else those of mode aggregates
//     (their items together, their largest minimum group).
//   - Personal information is masked by its pi_type for every reader (STANDARDS §4), unless an
//     applicable grant lists the item in Unmasked: then it is read in clear (Mask "", Unmasked
//     true, for the audit). A reader who reads by its own right is unmasked by its grants of
//     mode rows, or, when it reads aggregates only, by those of mode aggregates (whose minimum
//     group then holds).
//   - Loading, runs and rejected rows are decided by role and district alone.
//   - Managers stay aggregates-only whatever a grant says.
func (v *View) Decide(p *Principal, e *Entry, now time.Time) Access {
	a := decideRole(p, e)
	if !a.Exists {
		return a
	}
	return applySharing(a, p, e, v.grantsOn(p, e.ResourceCode, now))
}

// Exists reports whether e exists for p: the first question of the decision (View.Decide), which
// neither the sharing type, nor grants, nor time change. Doors that only list or find entries ask
// it alone.
func Exists(p *Principal, e *Entry) bool { return exists(p, e) }

// AccessKey is everything of p that the decision looks at in this view at time now: principals
// with the same key get the same decision on every entry, so derived views (a GraphQL schema) may
// be shared between them. It is p's own key (Principal.AccessKey) plus the grants that apply to p
// at now with their revisions, so that a grant approved, revoked or expired gives a new key.
func (v *View) AccessKey(p *Principal, now time.Time) string {
	key := p.AccessKey()
	if !known(p) || p.ID == "" {
		return key
	}
	var ids []string
	eachGrantOf(v.txn, p.ID, "", func(g *Grant) {
		if g.applies(now) {
			ids = append(ids, g.ID+"@"+strconv.FormatUint(g.Revision, 10))
		}
	})
	if len(ids) == 0 {
		return key
	}
	slices.Sort(ids)
	// Grants are a principal's own: the key is p's alone, by its id.
	return key + "|" + p.ID + "|" + strings.Join(ids, ",")
}

// AccessKey is everything of p that the decision looks at besides grants (View.AccessKey adds
// them): principals with the same key and no grants get the same decision on every entry.
func (p *Principal) AccessKey() string {
	if !known(p) {
		return "none"
	}
	key := p.Role + "|" + string(p.Clearance)
	if p.Role == RoleDistrict {
		ds := slices.Clone(p.Districts)
		slices.Sort(ds)
		key += "|" + strings.Join(slices.Compact(ds), ",")
	}
	if !curator(p) {
		// The owning department reads its 有条件共享 and 不予共享 entries.
		key += "|dept:" + p.Department
	}
	return key
}

// Visible lists the entries that exist for p, ordered by resource code. It copies every one of
// them: a list a caller pages through is EachVisible's.
func (v *View) Visible(p *Principal) []*Entry {
	var out []*Entry
	v.EachVisible(p, "", func(e *Entry) bool {
		out = append(out, e.Copy())
		return true
	})
	return out
}

// EachVisible calls fn with the entries that exist for p in resource-code order, starting after
// the code after ("" for the first), until fn returns false. Nothing is copied or decided beyond
// what fn asks for, so a page costs what it reads, not the size of the directory. e is the
// stored entry: fn reads it and never changes it, and keeps e.Copy() when it keeps anything.
func (v *View) EachVisible(p *Principal, after string, fn func(e *Entry) bool) {
	if !known(p) {
		return
	}
	v.EachEntry(after, func(e *Entry) bool { return !exists(p, e) || fn(e) })
}

// EntryFor returns the entry with the given resource code or table name and the decision for p
// at time now (View.Decide). An entry that does not exist for p is ErrNotFound, exactly as one
// that does not exist at all.
func (v *View) EntryFor(p *Principal, ref string, now time.Time) (*Entry, Access, error) {
	e, err := entryTxn(v.txn, ref)
	if err != nil {
		if e = entryByTable(v.txn, ref); e == nil {
			return nil, Access{}, err
		}
	}
	a := v.Decide(p, e, now)
	if !a.Exists {
		return nil, Access{}, entryNotFound(ref)
	}
	return e.Copy(), a, nil
}

func entryNotFound(ref string) error { return fmt.Errorf("entry %q: %w", ref, ErrNotFound) }
