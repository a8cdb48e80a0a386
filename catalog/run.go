package catalog

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Bounds of a run's free text. A run's error and source are journaled, kept in memory and served
// to every reader of the entry's runs, so text built from submitted input (a header of a million
// columns, a file name of megabytes) is clipped before it is journaled, whoever the caller is.
const (
	MaxRunError  = 2000 // characters of Run.Error
	MaxRunSource = 256  // characters of Run.Source
)

// boundRun clips r's free text to MaxRunError and MaxRunSource. The appliers apply it too, so that
// journals written before the bound replay bounded.
func boundRun(r *Run) {
	r.Error = schemas.Clip(r.Error, MaxRunError)
	r.Source = schemas.Clip(r.Source, MaxRunSource)
}

// BeginRun records a run that is starting; r.Status must be RunRunning. StartedAt defaults to the
// command time. Error and Source are clipped (MaxRunError, MaxRunSource).
func (s *Store) BeginRun(ctx context.Context, r Run) error {
	boundRun(&r)
	return s.submit(ctx, cmdBeginRun, runCmd{Run: r}, func(txn *memdb.Txn) error {
		return validateBeginRun(txn, &r)
	})
}

// FailRun finishes a running run with RunFailed; nothing is committed. The counts, RejectedKey,
// Error (clipped to MaxRunError) and FinishedAt (default: command time) are taken from r.
func (s *Store) FailRun(ctx context.Context, r Run) error {
	boundRun(&r)
	return s.submit(ctx, cmdFailRun, runCmd{Run: r}, func(txn *memdb.Txn) error {
		p := newProblems("归集运行 %s", r.ID)
		if _, err := runningRun(txn, p, &r); err != nil {
			return err
		}
		if r.Status != "" && r.Status != RunFailed {
			p.add("status", "%s应为 %s（或留空）", schemas.Quote(r.Status), RunFailed)
		}
		if r.Snapshot != "" {
			p.add("snapshot", "失败的运行不提交数据，不能带快照%s", schemas.Quote(r.Snapshot))
		}
		validateCounts(p, &r, false)
		return p.err()
	})
}

// FinishUnchanged finishes a running run with RunUnchanged: it found nothing to add and
// committed nothing. The counts, Error (the note on why: "无新数据", "重复报送"), Watermark and
// FinishedAt are taken from r.
func (s *Store) FinishUnchanged(ctx context.Context, r Run) error {
	boundRun(&r)
	return s.submit(ctx, cmdFinishUnchanged, runCmd{Run: r}, func(txn *memdb.Txn) error {
		p := newProblems("归集运行 %s", r.ID)
		if _, err := runningRun(txn, p, &r); err != nil {
			return err
		}
		if r.Snapshot != "" {
			p.add("snapshot", "未变化的运行不提交数据，不能带快照%s", schemas.Quote(r.Snapshot))
		}
		validateCounts(p, &r, false)
		return p.err()
	})
}

// CommitSnapshot records snap, finishes run with RunSucceeded or RunPartial and moves the entry's
// current snapshot from expectedParent to snap.ID, all in one command. If the entry's current
// snapshot is no longer expectedParent it returns ErrConflict and changes nothing.
func (s *Store) CommitSnapshot(ctx context.Context, snap Snapshot, run Run, expectedParent string) error {
	boundRun(&run)
	cmd := commitSnapshotCmd{Snapshot: snap, Run: run, ExpectedParent: expectedParent}
	return s.submit(ctx, cmdCommitSnapshot, cmd, func(txn *memdb.Txn) error {
		return validateCommit(txn, &snap, &run, expectedParent)
	})
}

func validateBeginRun(txn *memdb.Txn, r *Run) error {
	p := newProblems("归集运行 %s", r.ID)
	p.key("id", r.ID)
	if runsByID.get(txn, r.ID) != nil {
		p.add("id", "归集运行%s已存在", schemas.Quote(r.ID))
	}
	if r.Status != RunRunning {
		p.add("status", "%s应为 %s", schemas.Quote(r.Status), RunRunning)
	}
	if e, err := entryTxn(txn, r.Entry); err != nil {
		p.add("entry", "目录%s不存在", schemas.Quote(r.Entry))
	} else if e.Secret {
		p.add("entry", "目录 %s 为涉密资源，不归集入湖", r.Entry)
	}
	if r.District != "" {
		if _, err := first[schemas.District](txn, tableDistricts, "district", r.District); err != nil {
			p.add("district", "%s不是区县代码", schemas.Quote(r.District))
		}
	}
	if r.Principal != "" {
		if _, err := first[Principal](txn, tablePrincipals, "principal", r.Principal); err != nil {
			p.add("principal", "账号%s不存在", schemas.Quote(r.Principal))
		}
	}
	if r.Snapshot != "" {
		p.add("snapshot", "刚开始的运行还没有快照，不能带快照%s", schemas.Quote(r.Snapshot))
	}
	validateCounts(p, r, true)
	return p.err()
}

// runningRun returns the stored run r refers to, checking it is still running and that r does
// not claim another entry. A missing run is ErrNotFound.
func runningRun(txn *memdb.Txn, p *problems, r *Run) (*Run, error) {
	old, err := runTxn(txn, r.ID)
	if err != nil {
		return nil, err
	}
	if old.Status != RunRunning {
		p.add("status", "运行已结束（状态 %s）", old.Status)
	}
	if r.Entry != "" && r.Entry != old.Entry {
		p.add("entry", "%s与运行所属目录%s不一致", schemas.Quote(r.Entry), schemas.Quote(old.Entry))
	}
	return old, nil
}

// validateCounts checks the row counts. Rows rejected from committed data must be in a named
// rejected-rows file; a failed run commits nothing, and its failure must be recordable even when
// that file was never written.
func validateCounts(p *problems, r *Run, needRejectedKey bool) {
	if r.RowsRead < 0 || r.RowsAccepted < 0 || r.RowsRejected < 0 {
		p.add("rows", "行数不能为负数（读取 %d，接收 %d，拒绝 %d）", r.RowsRead, r.RowsAccepted, r.RowsRejected)
	}
	if needRejectedKey && r.RowsRejected > 0 && r.RejectedKey == "" {
		p.add("rejected_key", "拒绝了 %d 行，却未指明拒绝行文件", r.RowsRejected)
	}
}

func validateCommit(txn *memdb.Txn, snap *Snapshot, run *Run, expectedParent string) error {
	p := newProblems("提交快照 %s", snap.ID)
	p.key("snapshot.id", snap.ID)
	if snapshotsByID.get(txn, snap.ID) != nil {
		p.add("snapshot.id", "快照%s已存在；快照编号从不复用", schemas.Quote(snap.ID))
	}
	e, err := entryTxn(txn, snap.Entry)
	if err != nil {
		return fmt.Errorf("commit snapshot %s: %w", snap.ID, err)
	}
	if e.Secret {
		p.add("snapshot.entry", "目录 %s 为涉密资源，不归集入湖", e.ResourceCode)
	}
	if snap.Parent != expectedParent {
		p.add("snapshot.parent", "%s应等于预期的上一快照%s", schemas.Quote(snap.Parent), schemas.Quote(expectedParent))
	}
	if snap.Run != "" && snap.Run != run.ID {
		p.add("snapshot.run", "%s与归集运行%s不一致", schemas.Quote(snap.Run), schemas.Quote(run.ID))
	}
	if snap.ManifestKey == "" {
		p.add("snapshot.manifest_key", "必填")
	}
	if snap.Rows < 0 || snap.Files < 0 || snap.Bytes < 0 {
		p.add("snapshot", "行数、文件数和字节数不能为负数")
	}
	stored, err := runningRun(txn, p, run)
	if err != nil {
		return fmt.Errorf("commit snapshot %s: %w", snap.ID, err)
	}
	if stored.Entry != snap.Entry {
		p.add("run.entry", "归集运行 %s 归集的是目录 %s，不是 %s", run.ID, stored.Entry, snap.Entry)
	}
	switch run.Status {
	case RunSucceeded:
		if run.RowsRejected > 0 {
			p.add("run.status", "拒绝了 %d 行时状态应为 %s 而非 %s", run.RowsRejected, RunPartial, RunSucceeded)
		}
	case RunPartial:
	default:
		p.add("run.status", "%s应为 %s 或 %s", schemas.Quote(run.Status), RunSucceeded, RunPartial)
	}
	if run.Snapshot != "" && run.Snapshot != snap.ID {
		p.add("run.snapshot", "%s与快照%s不一致", schemas.Quote(run.Snapshot), schemas.Quote(snap.ID))
	}
	validateCounts(p, run, true)
	validateRunInputs(txn, p, e, run)
	if err := p.err(); err != nil {
		return err
	}
	if e.CurrentSnapshot != expectedParent {
		return conflictErr(e, expectedParent)
	}
	return nil
}
