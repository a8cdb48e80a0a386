package catalog

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// ChangeRequest is the version under way of a published entry: edits of a published entry land
// here, the published entry stays what queries see, and only an approval replaces it. An entry
// has at most one open change request; it leaves the table when approved or when the entry is
// retired (the history keeps what it changed).
type ChangeRequest struct {
	Entry     string // Entry.ResourceCode
	Kind      string // ChangeEdit or ChangeDowngrade
	Status    string // StatusDraft or StatusPendingReview
	Proposed  *Entry // the whole proposed version
	Reason    string // why the change was asked for (required for a downgrade)
	Review    Review
	Revision  uint64 // journal index of its last change
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Change request kinds.
const (
	ChangeEdit      = "edit"      // 变更
	ChangeDowngrade = "downgrade" // 降级: needs a reviewer and a recorded reason
)

const tableChanges = "changes"

func changesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableChanges,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Entry")},
	}
}

// Copy returns a deep copy.
func (c *ChangeRequest) Copy() *ChangeRequest {
	n := *c
	n.Proposed = c.Proposed.Copy()
	n.Review.Editors = append([]string(nil), c.Review.Editors...)
	return &n
}

// Change returns the open change request of an entry, ErrNotFound when it has none.
func (v *View) Change(code string) (*ChangeRequest, error) {
	c, err := first[ChangeRequest](v.txn, tableChanges, "change request", code)
	if err != nil {
		return nil, err
	}
	return c.Copy(), nil
}

// ChangeFor returns the open change request of an entry that exists for p.
func (v *View) ChangeFor(p *Principal, code string) (*ChangeRequest, error) {
	e, err := entryTxn(v.txn, code)
	if err != nil || !exists(p, e) {
		return nil, entryNotFound(code)
	}
	c, err := v.Change(code)
	if err != nil {
		return nil, err
	}
	if !exists(p, c.Proposed) {
		// The change raises the grade above p's clearance: p sees the entry, not the change.
		return nil, fmt.Errorf("change of %q: %w", code, ErrNotFound)
	}
	return c, nil
}

// PendingReview lists the versions waiting for review that p may review: entries under review
// and change requests sent for review, oldest revision first, at most limit.
func (v *View) PendingReview(p *Principal, limit int) []*Entry {
	if !Allowed(p, ActReviewDirectory) {
		return nil
	}
	var out []*Entry
	each(v.txn, tableEntryMarks, indexStatus, func(e *Entry) {
		if len(out) < limit && exists(p, e) {
			out = append(out, e.Copy())
		}
	}, StatusPendingReview)
	each(v.txn, tableChanges, indexID, func(c *ChangeRequest) {
		if len(out) >= limit || c.Status != StatusPendingReview {
			return
		}
		if live, err := entryTxn(v.txn, c.Entry); err == nil && exists(p, live) && exists(p, c.Proposed) {
			out = append(out, c.Proposed.Copy())
		}
	})
	return out
}

// workingEntry is an entry with its version under way: the change request when it has one, the
// entry itself otherwise.
type workingEntry struct {
	live   *Entry
	change *ChangeRequest
}

func working(txn *memdb.Txn, code string) (*workingEntry, error) {
	e, err := entryTxn(txn, code)
	if err != nil {
		return nil, err
	}
	w := &workingEntry{live: e}
	if raw, err := txn.First(tableChanges, indexID, code); err == nil && raw != nil {
		w.change = raw.(*ChangeRequest)
	}
	return w, nil
}

// workingFor is working for principal p: an entry that does not exist for p is not found, as
// one that does not exist at all.
func workingFor(txn *memdb.Txn, p *Principal, code string) (*workingEntry, error) {
	w, err := working(txn, code)
	if err != nil || !exists(p, w.live) {
		return nil, schemas.Userf(ErrNotFound, "目录 %s 不存在", schemas.Clip(code, 64))
	}
	return w, nil
}

func (w *workingEntry) entry() *Entry {
	if w.change != nil {
		return w.change.Proposed
	}
	return w.live
}

func (w *workingEntry) status() string {
	if w.change != nil {
		return w.change.Status
	}
	return w.live.Status
}

// revision is the version an edit must name: the later of the entry's and its change's, since a
// grade raised on the published entry reaches the change too.
func (w *workingEntry) revision() uint64 { return Revision(w.live, w.change) }

// Revision is the version the next operation on entry e names as its base: the later of the
// entry's and of its open change request's, c (nil when it has none).
func Revision(e *Entry, c *ChangeRequest) uint64 {
	if c != nil {
		return max(c.Revision, e.Revision)
	}
	return e.Revision
}

func (w *workingEntry) review() Review {
	if w.change != nil {
		return w.change.Review
	}
	return w.live.Review
}

// checkBase refuses an operation based on another version than the current one, naming who
// changed the entry since and when.
func (w *workingEntry) checkBase(base uint64) error {
	cur := w.revision()
	if base == cur {
		return nil
	}
	who, at := w.live.Review.UpdatedBy, w.live.UpdatedAt
	if w.change != nil && w.change.Revision >= w.live.Revision {
		who, at = w.change.Review.UpdatedBy, w.change.UpdatedAt
	}
	if who == "" {
		who = "其他用户"
	}
	return schemas.Userf(ErrConflict, "%s", fmt.Sprintf("目录 %s 已被%s于 %s 修改（当前版本 %d，您的操作基于版本 %d），请刷新后重新操作",
		w.live.ResourceCode, who, at.In(beijing).Format("2006-01-02 15:04:05"), cur, base))
}

var beijing = time.FixedZone("CST", 8*3600)

// edited is the new version an edit gives: what the caller sent, with everything the catalogue
// owns carried over from the current version.
func (w *workingEntry) edited(e *Entry) *Entry {
	cur := w.entry()
	n := e.Copy()
	n.ResourceCode = w.live.ResourceCode
	n.CurrentSnapshot, n.CreatedAt, n.PublishDate = w.live.CurrentSnapshot, w.live.CreatedAt, w.live.PublishDate
	if n.Table == "" {
		n.Table = cur.Table
	}
	n.Status = cur.Status
	n.Review = cur.Review
	assignItemIDs(cur, n)
	return n
}

// store writes the new version n with the given status: into the change request when the entry
// is published (or already has one) and n is not the published version itself, into the entry
// otherwise. kind names a new change request's kind ("" keeps the current one, edit for a new).
func (w *workingEntry) store(txn *memdb.Txn, rec *record, n *Entry, status, kind, reason string) error {
	at := rec.At.UTC()
	n.Status = status
	n.UpdatedAt = at
	toChange := status != StatusPublished && status != StatusRetired &&
		(w.change != nil || w.live.Status == StatusPublished)
	if !toChange {
		n.Revision, n.ModifyIndex = rec.Index, rec.Index
		n.CurrentSnapshot = w.live.CurrentSnapshot
		return insertEntry(txn, n)
	}
	c := &ChangeRequest{Entry: w.live.ResourceCode, Kind: ChangeEdit, CreatedAt: at, Reason: reason}
	if w.change != nil {
		c = w.change.Copy()
		if reason != "" && kind != "" {
			c.Reason = reason
		}
	}
	if kind != "" && w.change == nil {
		c.Kind = kind
	}
	if kind == ChangeDowngrade {
		c.Kind, c.Reason = ChangeDowngrade, reason
	}
	n.Revision = rec.Index // the proposed version names the change's revision, as edits of it must
	c.Status, c.Proposed, c.Review = status, n, n.Review
	c.Revision, c.UpdatedAt = rec.Index, at
	if err := txn.Insert(tableChanges, c); err != nil {
		return fmt.Errorf("insert change of %s: %w", c.Entry, err)
	}
	w.change = c
	return nil
}
