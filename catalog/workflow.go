package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The directory workflow: 草稿 → 待审核 → 已发布 → 已下线.
//
// An entry never published is edited in place while it is a draft, sent for review, and
// published by a reviewer's approval. A published entry is what queries see: an edit of it
// becomes its change request (change.go), which goes through the same review, and only its
// approval changes the published entry. Every operation is one journal command carrying who did
// it and why, names the version it was based on (Entry.Revision, or the change request's), and
// leaves a history record (history.go).

// Actor is who asked for a change: the principal's ID ("" for the offline operator) and name.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func actorOf(p *Principal) Actor {
	if p == nil {
		return Actor{}
	}
	return Actor{ID: p.ID, Name: p.Name}
}

// Workflow command types.
const (
	cmdCreateEntry   cmdType = "create_entry"
	cmdEditEntry     cmdType = "edit_entry"
	cmdSubmitEntry   cmdType = "submit_entry"
	cmdApproveEntry  cmdType = "approve_entry"
	cmdSendBackEntry cmdType = "send_back_entry"
	cmdRetireEntry   cmdType = "retire_entry"
	cmdRestoreEntry  cmdType = "restore_entry"
)

// entryCmd is the payload of a workflow command: the whole entry for create and edit, the code
// otherwise; Base is the revision the actor saw; Note the reason or the review comment.
type entryCmd struct {
	Actor Actor      `json:"actor"`
	Entry *entryJSON `json:"entry,omitempty"`
	Code  string     `json:"code,omitempty"`
	Base  uint64     `json:"base,omitempty"`
	Note  string     `json:"note,omitempty"`
}

func init() {
	for typ, fn := range map[cmdType]func(*memdb.Txn, *record, *entryCmd) error{
		cmdCreateEntry: applyCreateEntry, cmdEditEntry: applyEditEntry, cmdSubmitEntry: applySubmitEntry,
		cmdApproveEntry: applyApproveEntry, cmdSendBackEntry: applySendBackEntry,
		cmdRetireEntry: applyRetireEntry, cmdRestoreEntry: applyRestoreEntry,
	} {
		appliers[typ] = applier{cmdVersion1, decodeApply(fn)}
	}
}

// MaxNote bounds a reason or review comment.
const MaxNote = 2000

// CreateEntry registers a new entry as a draft on behalf of p and returns it as stored. An empty
// resource code is generated from the category (分类码/顺序码, never reused); an empty table
// name is derived from the code; empty sharing and opening types take the grade's defaults.
func (s *Store) CreateEntry(ctx context.Context, p *Principal, e *Entry, reason string) (*Entry, error) {
	if e == nil {
		return nil, fmt.Errorf("create entry: nil entry: %w", ErrInvalid)
	}
	c := e.Copy()
	var code string
	err := s.submit(ctx, cmdCreateEntry, entryCmd{Actor: actorOf(p), Entry: jsonEntry(c), Note: clipNote(reason)}, func(txn *memdb.Txn) error {
		n, err := newEntryTxn(txn, c)
		if err != nil {
			return err
		}
		if err := mayWriteEntry(txn, p, n); err != nil {
			return err
		}
		if err := mayEditDepartment(p, nil, n); err != nil {
			return err
		}
		if old, _ := entryTxn(txn, n.ResourceCode); old != nil {
			return schemas.Userf(ErrConflict, "信息资源代码 %s 已被占用", schemas.Clip(n.ResourceCode, 64))
		}
		code = n.ResourceCode
		return validateDraft(txn, n, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.View().Entry(code)
}

// newEntryTxn is the entry a create command stores: code and table generated when empty,
// sharing defaults filled in, status draft. Validation and apply both call it on the same state.
func newEntryTxn(txn *memdb.Txn, e *Entry) (*Entry, error) {
	n := e.Copy()
	if n.ResourceCode == "" {
		if !schemas.Categories.Has(n.CategoryCode) {
			p := newProblems("新目录")
			p.code("category_code", schemas.Categories, n.CategoryCode)
			return nil, p.err()
		}
		n.ResourceCode = nextResourceCode(txn, n.CategoryCode)
	}
	if n.Table == "" {
		n.Table = defaultTable(n.ResourceCode)
	}
	proposeSharing(n)
	n.Status = StatusDraft
	n.CurrentSnapshot, n.PublishDate = "", time.Time{}
	return n, nil
}

func applyCreateEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	n, err := newEntryTxn(txn, cmd.Entry.entry())
	if err != nil {
		return err
	}
	at := rec.At.UTC()
	n.CreatedAt, n.UpdatedAt = at, at
	n.ModifyIndex, n.Revision = rec.Index, rec.Index
	assignItemIDs(nil, n)
	n.Review = Review{Editors: []string{cmd.Actor.ID}, UpdatedBy: cmd.Actor.Name}
	if err := insertEntry(txn, n); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, n.ResourceCode, HistCreate, StatusDraft, nil, n)
}

// EditEntry changes an entry on behalf of p. base is the revision the edit was made on; when
// someone changed the entry since, the edit is refused naming who. A draft (or an entry under
// review, which goes back to draft) changes in place; a published entry gets a change request
// that leaves the published version as it is until a reviewer approves it.
func (s *Store) EditEntry(ctx context.Context, p *Principal, e *Entry, base uint64, reason string) error {
	if e == nil {
		return fmt.Errorf("edit entry: nil entry: %w", ErrInvalid)
	}
	c := e.Copy()
	return s.submit(ctx, cmdEditEntry, entryCmd{Actor: actorOf(p), Entry: jsonEntry(c), Base: base, Note: clipNote(reason)}, func(txn *memdb.Txn) error {
		w, err := workingFor(txn, p, c.ResourceCode)
		if err != nil {
			return err
		}
		if err := w.checkBase(base); err != nil {
			return err
		}
		if w.status() == StatusRetired {
			return schemas.Userf(ErrConflict, "目录 %s 已下线，请先恢复再修改", w.live.ResourceCode)
		}
		if err := mayWriteEntry(txn, p, c); err != nil {
			return err
		}
		if err := mayEditDepartment(p, w.live, c); err != nil {
			return err
		}
		if err := w.keepsTable(c); err != nil {
			return err
		}
		return validateDraft(txn, w.edited(c), c, w.entry())
	})
}

func applyEditEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	w, err := working(txn, cmd.Entry.ResourceCode)
	if err != nil {
		return err
	}
	before := w.entry()
	n := w.edited(cmd.Entry.entry())
	n.Review = w.review()
	n.Review.UpdatedBy, n.Review.SubmittedBy = cmd.Actor.Name, ""
	n.Review.Editors = addEditor(n.Review.Editors, cmd.Actor.ID)
	if err := w.store(txn, rec, n, StatusDraft, ChangeEdit, cmd.Note); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, n.ResourceCode, HistEdit, StatusDraft, before, n)
}

// SubmitEntry sends the draft version of an entry (or its change request) for review. The version
// must pass every rule of publishing: a reviewer never sees an incomplete entry.
func (s *Store) SubmitEntry(ctx context.Context, p *Principal, code string, base uint64, note string) error {
	return s.submit(ctx, cmdSubmitEntry, entryCmd{Actor: actorOf(p), Code: code, Base: base, Note: clipNote(note)}, func(txn *memdb.Txn) error {
		w, err := forEditor(txn, p, code, base)
		if err != nil {
			return err
		}
		if err := mayEditDepartment(p, w.live, w.entry()); err != nil {
			return err
		}
		if st := w.status(); st != StatusDraft {
			return schemas.Userf(ErrConflict, "目录 %s 当前为%s，只有草稿可以提交审核", code, schemas.EntryStatuses.NameOf(st))
		}
		return validatePublish(txn, w.entry())
	})
}

func applySubmitEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	w, err := working(txn, cmd.Code)
	if err != nil {
		return err
	}
	n := w.entry().revised()
	n.Review.SubmittedBy, n.Review.Comment = cmd.Actor.ID, ""
	n.Review.UpdatedBy = cmd.Actor.Name
	if err := w.store(txn, rec, n, StatusPendingReview, "", cmd.Note); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, cmd.Code, HistSubmit, StatusPendingReview, nil, nil)
}

// RetireEntry takes an entry off line (已下线) with a reason: it stays in the directory, its code
// is never given again, its data is no longer queried or loaded. An open change request is
// dropped with it.
func (s *Store) RetireEntry(ctx context.Context, p *Principal, code string, base uint64, reason string) error {
	return s.submit(ctx, cmdRetireEntry, entryCmd{Actor: actorOf(p), Code: code, Base: base, Note: clipNote(reason)}, func(txn *memdb.Txn) error {
		if strings.TrimSpace(reason) == "" {
			return schemas.Userf(ErrInvalid, "下线须填写原因（reason）")
		}
		w, err := forEditor(txn, p, code, base)
		if err != nil {
			return err
		}
		if err := mayEditDepartment(p, w.live, w.live); err != nil {
			return err
		}
		if w.live.Status == StatusRetired {
			return schemas.Userf(ErrConflict, "目录 %s 已经下线", code)
		}
		return nil
	})
}

func applyRetireEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	w, err := working(txn, cmd.Code)
	if err != nil {
		return err
	}
	if w.change != nil {
		if _, err := txn.DeleteAll(tableChanges, indexID, cmd.Code); err != nil {
			return fmt.Errorf("drop change of %s: %w", cmd.Code, err)
		}
		w.change = nil
	}
	n := w.live.revised()
	n.Review = Review{UpdatedBy: cmd.Actor.Name}
	if err := w.store(txn, rec, n, StatusRetired, "", cmd.Note); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, cmd.Code, HistRetire, StatusRetired, nil, nil)
}

// RestoreEntry brings a retired entry back: one that was published goes to review and is
// published again only when a reviewer other than whoever restored it approves; one retired as
// a draft is a draft again.
func (s *Store) RestoreEntry(ctx context.Context, p *Principal, code string, base uint64, reason string) error {
	return s.submit(ctx, cmdRestoreEntry, entryCmd{Actor: actorOf(p), Code: code, Base: base, Note: clipNote(reason)}, func(txn *memdb.Txn) error {
		if strings.TrimSpace(reason) == "" {
			return schemas.Userf(ErrInvalid, "恢复须填写原因（reason）")
		}
		w, err := forEditor(txn, p, code, base)
		if err != nil {
			return err
		}
		if err := mayEditDepartment(p, w.live, w.live); err != nil {
			return err
		}
		if w.live.Status != StatusRetired {
			return schemas.Userf(ErrConflict, "目录 %s 未下线，无需恢复", code)
		}
		if restoredStatus(w.live) == StatusDraft {
			return nil
		}
		return validatePublish(txn, w.live)
	})
}

// restoredStatus is where a retired entry comes back: an entry once published goes to review,
// to be published again by a reviewer; one retired as a draft becomes a draft again.
func restoredStatus(e *Entry) string {
	if e.PublishDate.IsZero() {
		return StatusDraft
	}
	return StatusPendingReview
}

func applyRestoreEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	w, err := working(txn, cmd.Code)
	if err != nil {
		return err
	}
	n := w.live.revised()
	st := restoredStatus(n)
	n.Review = Review{Editors: []string{cmd.Actor.ID}, UpdatedBy: cmd.Actor.Name}
	if st == StatusPendingReview {
		n.Review.SubmittedBy = cmd.Actor.ID
	}
	if err := w.store(txn, rec, n, st, "", cmd.Note); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, cmd.Code, HistRestore, st, nil, nil)
}

var (
	errNoEdit   = schemas.Userf(schemas.ErrForbidden, "无权修改目录: 只有系统管理员与数据管理员可以")
	errNoReview = schemas.Userf(schemas.ErrForbidden, "无权审核目录: 只有审核员与系统管理员可以")
)

// mayEditDepartment holds a steward to the entries of its own department: the entry as it is
// (old, nil for a new one) and as it will be must both be its department's. Administrators edit
// every department's entries.
func mayEditDepartment(p *Principal, old, n *Entry) error {
	if p == nil || p.Role != RoleSteward {
		return nil
	}
	if p.Department == "" {
		return schemas.Userf(schemas.ErrForbidden, "本账号未指定所属处室，不能修改目录；请系统管理员为账号设置处室")
	}
	if old != nil && old.Department != p.Department {
		return schemas.Userf(schemas.ErrForbidden, "目录 %s 属于其他处室，只能修改本处室（%s）的目录", old.ResourceCode, p.Department)
	}
	if n != nil && n.Department != p.Department {
		return schemas.Userf(schemas.ErrForbidden, "只能登记本处室（%s）的目录，不能把目录划给其他处室", p.Department)
	}
	return nil
}

// forEditor loads the working version of an entry for an operation by p based on revision base:
// the entry must exist for p, base must be current, and p must be allowed to edit the directory.
// Callers then hold p to its department.
func forEditor(txn *memdb.Txn, p *Principal, code string, base uint64) (*workingEntry, error) {
	w, err := workingFor(txn, p, code)
	if err != nil {
		return nil, err
	}
	if err := w.checkBase(base); err != nil {
		return nil, err
	}
	if !Allowed(p, ActEditDirectory) {
		return nil, errNoEdit
	}
	return w, nil
}

// keepsTable refuses renaming the table of an entry that holds data: the lake's files, the
// snapshots' manifests and every client's query name it.
func (w *workingEntry) keepsTable(e *Entry) error {
	if w.live.CurrentSnapshot != "" && e.Table != "" && e.Table != w.live.Table {
		return schemas.Userf(ErrInvalid, "目录 %s 已有数据，数据表名 %s 不能更改", w.live.ResourceCode, w.live.Table)
	}
	return nil
}

func addEditor(editors []string, id string) []string {
	if slices.Contains(editors, id) {
		return editors
	}
	return append(slices.Clone(editors), id)
}

func clipNote(s string) string { return schemas.Clip(strings.TrimSpace(s), MaxNote) }

// defaultTablePrefix begins the table names the catalogue gives (defaultTable).
const defaultTablePrefix = "res_"

// defaultTable is the lake table of an entry registered without one, named after its code.
func defaultTable(code string) string {
	return defaultTablePrefix + strings.ReplaceAll(code, "/", "_")
}
