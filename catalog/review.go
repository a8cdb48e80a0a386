package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Review of the directory workflow: a reviewer (or an administrator) approves the version under
// review, publishing it, or sends it back to its editors with a comment. Nobody approves a
// version they changed or submitted.

// ApproveEntry publishes the version under review: a new entry becomes published, a change
// request replaces the published version. Only reviewers and administrators approve, and never
// a change they made or submitted themselves.
func (s *Store) ApproveEntry(ctx context.Context, p *Principal, code string, base uint64, comment string) error {
	return s.submit(ctx, cmdApproveEntry, entryCmd{Actor: actorOf(p), Code: code, Base: base, Note: clipNote(comment)}, func(txn *memdb.Txn) error {
		w, err := w4Review(txn, p, code, base)
		if err != nil {
			return err
		}
		return validatePublish(txn, w.entry())
	})
}

func applyApproveEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	w, err := working(txn, cmd.Code)
	if err != nil {
		return err
	}
	before := w.live // read only, for the history's differences
	n := w.entry().revised()
	n.Review = Review{}
	if n.PublishDate.IsZero() {
		n.PublishDate = rec.At.UTC()
	}
	if w.change != nil && w.change.Kind == ChangeDowngrade {
		waiveBelowFloors(txn, n, rec.Index) // the review accepted the lower grade of a derived item
	}
	if w.change != nil {
		if _, err := txn.DeleteAll(tableChanges, indexID, cmd.Code); err != nil {
			return fmt.Errorf("close change of %s: %w", cmd.Code, err)
		}
		w.change = nil
	}
	if err := w.store(txn, rec, n, StatusPublished, "", cmd.Note); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, cmd.Code, HistApprove, StatusPublished, before, n)
}

// SendBackEntry returns the version under review to its editors as a draft, with the reviewer's
// comment, which is required.
func (s *Store) SendBackEntry(ctx context.Context, p *Principal, code string, base uint64, comment string) error {
	return s.submit(ctx, cmdSendBackEntry, entryCmd{Actor: actorOf(p), Code: code, Base: base, Note: clipNote(comment)}, func(txn *memdb.Txn) error {
		if strings.TrimSpace(comment) == "" {
			return schemas.Userf(ErrInvalid, "退回须填写审核意见（comment）")
		}
		_, err := underReview(txn, p, code, base)
		return err
	})
}

func applySendBackEntry(txn *memdb.Txn, rec *record, cmd *entryCmd) error {
	w, err := working(txn, cmd.Code)
	if err != nil {
		return err
	}
	n := w.entry().revised()
	n.Review.SubmittedBy, n.Review.Comment = "", cmd.Note
	if err := w.store(txn, rec, n, StatusDraft, "", cmd.Note); err != nil {
		return err
	}
	return addHistory(txn, rec, cmd, cmd.Code, HistSendBack, StatusDraft, nil, nil)
}

// underReview loads the version under review for a review by p based on revision base: the entry
// must exist for p, base must be current, p must be allowed to review, and a version must wait.
func underReview(txn *memdb.Txn, p *Principal, code string, base uint64) (*workingEntry, error) {
	w, err := workingFor(txn, p, code)
	if err != nil {
		return nil, err
	}
	if err := w.checkBase(base); err != nil {
		return nil, err
	}
	if !Allowed(p, ActReviewDirectory) {
		return nil, errNoReview
	}
	if st := w.status(); st != StatusPendingReview {
		return nil, schemas.Userf(ErrConflict, "目录 %s 当前为%s，没有待审核的版本", code, schemas.EntryStatuses.NameOf(st))
	}
	return w, nil
}

// w4Review is underReview for an approval: nobody approves a version they changed or submitted.
func w4Review(txn *memdb.Txn, p *Principal, code string, base uint64) (*workingEntry, error) {
	w, err := underReview(txn, p, code, base)
	if err != nil {
		return nil, err
	}
	r := w.review()
	if slices.Contains(r.Editors, p.ID) || r.SubmittedBy == p.ID {
		return nil, schemas.Userf(schemas.ErrForbidden, "不能审核自己修改或提交的目录 %s，请由其他审核员审核", code)
	}
	return w, nil
}
