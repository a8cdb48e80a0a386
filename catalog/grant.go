package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Grant is a 授权: the right of one principal (a user, or a scene's account) to read the data of
// one 有条件共享 entry, for a stated purpose until a stated time, approved by a reviewer of the
// department that owns the entry. A grant may also let named personal-information items be read
// unmasked (STANDARDS §4), on any entry the grantee reads. Grants are never deleted: a refused,
// revoked or expired one stays for the record, and its id is never given again.
type Grant struct {
	ID      string // generated, "G000001" (grantSequence)
	Entry   string // Entry.ResourceCode
	Grantee string // Principal.ID
	// Items are the item fields the grant covers; empty covers every item.
	Items   []string
	Purpose string // 用途, required
	// Expires is the end of the grant: from then on it opens nothing.
	Expires time.Time
	Mode    string // GrantRows or GrantAggregates
	// MinGroupSize is the smallest group an aggregates grant reports; 0 is MinGroupAggregatesOnly.
	MinGroupSize int
	// Unmasked are personal-information items read in clear text; each is within Items.
	Unmasked     []string
	Status       string // GrantRequested … GrantRevoked
	RequestedBy  string // Principal.ID
	DecidedBy    string // Principal.ID of the approval or refusal, "" before
	DecisionNote string
	Revision     uint64
	// Set by the catalogue from the command time, so that replay reproduces them.
	CreatedAt time.Time
	UpdatedAt time.Time
	Events    []GrantEvent
}

// GrantEvent is one step of a grant's history.
type GrantEvent struct {
	Action string // the status the step led to
	By     Actor
	At     time.Time
	Note   string
}

// Grant statuses.
const (
	GrantRequested = "requested"
	GrantApproved  = "approved"
	GrantRefused   = "refused"
	GrantRevoked   = "revoked"
)

// GrantStatusNames are the Chinese names of the grant statuses.
var GrantStatusNames = map[string]string{
	GrantRequested: "待审批", GrantApproved: "已批准", GrantRefused: "已驳回", GrantRevoked: "已撤销",
}

// GrantActionNames are the Chinese names of the steps of a grant's history (GrantEvent.Action,
// the status the step led to).
var GrantActionNames = map[string]string{
	GrantRequested: "申请", GrantApproved: "批准", GrantRefused: "驳回", GrantRevoked: "撤销",
}

// Grant modes.
const (
	GrantRows       = "rows"       // 明细: rows and aggregates, as the grantee's role reads them
	GrantAggregates = "aggregates" // 仅汇总: aggregates only, with a minimum group
)

// GrantModeNames are the Chinese names of the grant modes.
var GrantModeNames = map[string]string{GrantRows: "明细数据", GrantAggregates: "仅汇总统计"}

// applies reports whether the grant opens anything at time now: approved (not refused, not
// revoked) and not expired.
func (g *Grant) applies(now time.Time) bool {
	return g.Status == GrantApproved && now.Before(g.Expires)
}

// updatedBy is the actor of the grant's last step, for conflict messages.
func (g *Grant) updatedBy() string {
	if len(g.Events) == 0 {
		return ""
	}
	by := g.Events[len(g.Events)-1].By
	if by.Name != "" {
		return by.Name
	}
	return by.ID
}

func copyGrant(g *Grant) *Grant {
	c := *g
	c.Items = slices.Clone(g.Items)
	c.Unmasked = slices.Clone(g.Unmasked)
	c.Events = slices.Clone(g.Events)
	return &c
}

const (
	tableGrants       = "grants"
	indexGranteeEntry = "grantee_entry"
	ckptGrant         = cmdType("grant")
	// grantSequence is the key of the grant ids' counter in the sequences table: no category
	// code (digits only) can take it.
	grantSequence = "grant"
	grantPrefix   = "G"
)

func grantsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableGrants,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:    idIndex("ID"),
			indexEntry: {Name: indexEntry, Indexer: &memdb.StringFieldIndex{Field: "Entry"}},
			// The decision looks up a principal's grants on one entry per request.
			indexGranteeEntry: {Name: indexGranteeEntry, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "Grantee"},
				&memdb.StringFieldIndex{Field: "Entry"},
			}}},
		},
	}
}

// eachGrantOf calls fn with the stored grants of grantee on entry, or on every entry when entry
// is "", in entry and id order.
func eachGrantOf(txn *memdb.Txn, grantee, entry string, fn func(*Grant)) {
	if entry != "" {
		each(txn, tableGrants, indexGranteeEntry, fn, grantee, entry)
		return
	}
	// The grantee's terminated key and an empty entry prefix: "ab" does not match "abc".
	each(txn, tableGrants, indexGranteeEntry+"_prefix", fn, grantee, "")
}

// nextGrantID is the id the next grant gets.
func nextGrantID(txn *memdb.Txn) string {
	return fmt.Sprintf("%s%06d", grantPrefix, lastSequence(txn, grantSequence)+1)
}

// insertGrant stores g and raises the grant counter to its number, on apply and on restore from a
// checkpoint alike (the sequences table is not stored: it is rebuilt from what it counts).
func insertGrant(txn *memdb.Txn, g *Grant) error {
	if err := txn.Insert(tableGrants, g); err != nil {
		return fmt.Errorf("insert grant %s: %w", g.ID, err)
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(g.ID, grantPrefix), 10, 64)
	if err != nil || lastSequence(txn, grantSequence) >= n {
		return nil
	}
	if err := txn.Insert(tableSequences, &sequence{Category: grantSequence, Last: n}); err != nil {
		return fmt.Errorf("count grant %s: %w", g.ID, err)
	}
	return nil
}

// Grant returns the grant with the given id.
func (v *View) Grant(id string) (*Grant, error) {
	g, err := first[Grant](v.txn, tableGrants, "grant", id)
	if err != nil {
		return nil, err
	}
	return copyGrant(g), nil
}

// GrantFilter selects grants; an empty field selects any.
type GrantFilter struct {
	Entry   string
	Grantee string
	Status  string
}

// GrantFor returns the grant with the given id as p may see it (maySeeGrant). A grant p may not
// see is ErrNotFound with the very words of one that does not exist.
func (v *View) GrantFor(p *Principal, id string) (*Grant, error) {
	if g, err := first[Grant](v.txn, tableGrants, "grant", id); err == nil && known(p) {
		if e, err := entryTxn(v.txn, g.Entry); err == nil && maySeeGrant(p, g, e) {
			return copyGrant(g), nil
		}
	}
	return nil, schemas.Userf(ErrNotFound, "授权 %s 不存在", schemas.Clip(id, 64))
}

// maySeeGrant reports whether p sees grant g on entry e: only when e exists for p, and then
// curators every grant, anybody its own (as grantee or requester), and a reviewer those it may
// decide, on the entries of its own department. A reviewer of another department, who can neither
// approve nor revoke a grant, is not told who reads what there.
func maySeeGrant(p *Principal, g *Grant, e *Entry) bool {
	if !exists(p, e) {
		return false
	}
	own := p.ID != "" && (p.ID == g.Grantee || p.ID == g.RequestedBy)
	return curator(p) || own || p.Role == RoleReviewer && ownDepartment(p, e)
}

// Grants lists the grants p may see (maySeeGrant), ordered by id. A grant on an entry that does
// not exist for p is never listed, so that the list tells nothing of entries above p's clearance.
func (v *View) Grants(p *Principal, f GrantFilter) []*Grant {
	if !known(p) {
		return nil
	}
	all := curator(p) || p.Role == RoleReviewer
	if !all {
		if f.Grantee != "" && f.Grantee != p.ID {
			return nil
		}
		f.Grantee = p.ID
	}
	var out []*Grant
	add := func(g *Grant) {
		if f.Status != "" && g.Status != f.Status || f.Entry != "" && g.Entry != f.Entry {
			return
		}
		if e, err := entryTxn(v.txn, g.Entry); err != nil || !maySeeGrant(p, g, e) {
			return
		}
		out = append(out, copyGrant(g))
	}
	switch {
	case f.Grantee != "":
		eachGrantOf(v.txn, f.Grantee, f.Entry, add)
	case f.Entry != "":
		each(v.txn, tableGrants, indexEntry, add, f.Entry)
	default:
		each(v.txn, tableGrants, indexID, add)
	}
	slices.SortFunc(out, func(a, b *Grant) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// GrantStatus returns the Chinese name of a grant status, the id itself when it has none.
func GrantStatus(id string) string {
	if n, ok := GrantStatusNames[id]; ok {
		return n
	}
	return schemas.Clip(id, 64)
}
