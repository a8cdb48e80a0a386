package catalog

import (
	"slices"
	"time"
)

// Sharing types (schemas list "share_types", 共享类型).
const (
	ShareUnconditional = "UNCONDITIONAL" // 无条件共享
	ShareConditional   = "CONDITIONAL"   // 有条件共享
	ShareNotShared     = "NOT_SHARED"    // 不予共享
)

// curator reports whether p curates the directory (admin, steward): curators read every sharing
// type within their clearance.
func curator(p *Principal) bool { return p.Role == RoleAdmin || p.Role == RoleSteward }

// ownDepartment reports whether p belongs to the department that owns e.
func ownDepartment(p *Principal, e *Entry) bool {
	return p.Department != "" && p.Department == e.Department
}

// grantsOn returns p's grants on entry code that apply at now, through the (grantee, entry)
// index: a request costs the principal's grants on one entry, never a walk of all grants.
func (v *View) grantsOn(p *Principal, code string, now time.Time) []*Grant {
	if p.ID == "" {
		return nil // the operator holds no grants
	}
	var out []*Grant
	eachGrantOf(v.txn, p.ID, code, func(g *Grant) {
		if g.applies(now) {
			out = append(out, g)
		}
	})
	return out
}

// applySharing completes a, the role's decision on e (decideRole), with e's sharing type and gs,
// the grants of p on e that apply now (View.Decide states the rule). gs are stored grants: read,
// never changed.
func applySharing(a Access, p *Principal, e *Entry, gs []*Grant) Access {
	if !a.Read {
		return a // no data to read (not published, 涉密): nothing to open or unmask
	}
	own := curator(p) || ownDepartment(p, e)
	switch e.ShareType {
	case ShareUnconditional:
		own = true
	case ShareConditional:
	default:
		gs = nil // 不予共享, or a type nobody knows: grants never open it
	}
	var rows, aggs []*Grant
	for _, g := range gs {
		if g.Mode == GrantRows {
			rows = append(rows, g)
		} else if g.Mode == GrantAggregates {
			aggs = append(aggs, g)
		}
	}
	if own {
		// Read by its own right; grants only unmask, each within its own terms.
		switch {
		case len(rows) > 0:
			unmask(&a, rows)
			a.Grants = grantIDs(rows)
		case a.AggregatesOnly && len(aggs) > 0:
			a.MinGroupSize = minGroup(a.MinGroupSize, aggs)
			unmask(&a, aggs)
			a.Grants = grantIDs(aggs)
		}
		return a
	}
	use := rows
	if len(use) == 0 {
		use = aggs
	}
	if len(use) == 0 {
		a.Read = false
		return a
	}
	if len(rows) == 0 {
		a.AggregatesOnly = true
		a.MinGroupSize = minGroup(a.MinGroupSize, aggs)
	}
	if items := grantItems(use); items != nil {
		for i := range a.Items {
			a.Items[i].Visible = slices.Contains(items, a.Items[i].Field)
		}
	}
	unmask(&a, use)
	a.Grants = grantIDs(use)
	return a
}

// grantIDs lists the ids of gs, for the audit of the reads they allow.
func grantIDs(gs []*Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}

// minGroup is the smallest group under the grants gs for a reader whose own is cur: the largest
// of them all and the default, so that no grant's terms are loosened by another's.
func minGroup(cur int, gs []*Grant) int {
	n := max(cur, MinGroupAggregatesOnly)
	for _, g := range gs {
		n = max(n, g.MinGroupSize)
	}
	return n
}

// grantItems is the union of the items gs name, nil when one of them covers every item.
func grantItems(gs []*Grant) []string {
	var out []string
	for _, g := range gs {
		if len(g.Items) == 0 {
			return nil
		}
		out = append(out, g.Items...)
	}
	return out
}

// unmask reads in clear the visible personal-information items that one of gs lists in Unmasked.
func unmask(a *Access, gs []*Grant) {
	for i := range a.Items {
		it := &a.Items[i]
		if !it.Visible || it.Mask == "" {
			continue
		}
		for _, g := range gs {
			if slices.Contains(g.Unmasked, it.Field) {
				it.Mask, it.Unmasked = "", true
				break
			}
		}
	}
}
