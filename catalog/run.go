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
		p := newProblems("run %s", r.ID)
		if _, err := runningRun(txn, p, &r); err != nil {
			return err
		}
		if r.Status != "" && r.Status != RunFailed {
			p.add("status", "%q must be %s (or empty)", r.Status, RunFailed)
		}
		if r.Snapshot != "" {
			p.add("snapshot", "a failed run commits nothing, got %q", r.Snapshot)
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
	p := newProblems("run %s", r.ID)
	p.key("id", r.ID)
	if raw, _ := txn.First(tableRuns, indexID, r.ID); raw != nil {
		p.add("id", "run %q already exists", r.ID)
	}
	if r.Status != RunRunning {
		p.add("status", "%q must be %s", r.Status, RunRunning)
	}
	if e, err := entryTxn(txn, r.Entry); err != nil {
		p.add("entry", "%q does not exist", r.Entry)
	} else if e.Secret {
		p.add("entry", "%s is 涉密 and is never collected into the lake", r.Entry)
	}
	if r.District != "" {
		if _, err := first[schemas.District](txn, tableDistricts, "district", r.District); err != nil {
			p.add("district", "%q is not a district code", r.District)
		}
	}
	if r.Principal != "" {
		if _, err := first[Principal](txn, tablePrincipals, "principal", r.Principal); err != nil {
			p.add("principal", "%q does not exist", r.Principal)
		}
	}
	if r.Snapshot != "" {
		p.add("snapshot", "a starting run has no snapshot, got %q", r.Snapshot)
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
		p.add("status", "run already finished with %s", old.Status)
	}
	if r.Entry != "" && r.Entry != old.Entry {
		p.add("entry", "%q differs from the run's entry %q", r.Entry, old.Entry)
	}
	return old, nil
}

// validateCounts checks the row counts. Rows rejected from committed data must be in a named
// rejected-rows file; a failed run commits nothing, and its failure must be recordable even when
// that file was never written.
func validateCounts(p *problems, r *Run, needRejectedKey bool) {
	if r.RowsRead < 0 || r.RowsAccepted < 0 || r.RowsRejected < 0 {
		p.add("rows", "counts must not be negative (read %d, accepted %d, rejected %d)", r.RowsRead, r.RowsAccepted, r.RowsRejected)
	}
	if needRejectedKey && r.RowsRejected > 0 && r.RejectedKey == "" {
		p.add("rejected_key", "%d rows were rejected but no rejected-rows file is named", r.RowsRejected)
	}
}

func validateCommit(txn *memdb.Txn, snap *Snapshot, run *Run, expectedParent string) error {
	p := newProblems("commit snapshot %s", snap.ID)
	p.key("snapshot.id", snap.ID)
	if raw, _ := txn.First(tableSnapshots, indexID, snap.ID); raw != nil {
		p.add("snapshot.id", "snapshot %q already exists; ids are never reused", snap.ID)
	}
	e, err := entryTxn(txn, snap.Entry)
	if err != nil {
		return fmt.Errorf("commit snapshot %s: %w", snap.ID, err)
	}
	if e.Secret {
		p.add("snapshot.entry", "%s is 涉密 and is never collected into the lake", e.ResourceCode)
	}
	if snap.Parent != expectedParent {
		p.add("snapshot.parent", "%q must equal the expected parent %q", snap.Parent, expectedParent)
	}
	if snap.Run != "" && snap.Run != run.ID {
		p.add("snapshot.run", "%q differs from run %q", snap.Run, run.ID)
	}
	if snap.ManifestKey == "" {
		p.add("snapshot.manifest_key", "is required")
	}
	if snap.Rows < 0 || snap.Files < 0 || snap.Bytes < 0 {
		p.add("snapshot", "rows, files and bytes must not be negative")
	}
	stored, err := runningRun(txn, p, run)
	if err != nil {
		return fmt.Errorf("commit snapshot %s: %w", snap.ID, err)
	}
	if stored.Entry != snap.Entry {
		p.add("run.entry", "run %s loads %s, not %s", run.ID, stored.Entry, snap.Entry)
	}
	switch run.Status {
	case RunSucceeded:
		if run.RowsRejected > 0 {
			p.add("run.status", "%s with %d rejected rows must be %s", RunSucceeded, run.RowsRejected, RunPartial)
		}
	case RunPartial:
	default:
		p.add("run.status", "%q must be %s or %s", run.Status, RunSucceeded, RunPartial)
	}
	if run.Snapshot != "" && run.Snapshot != snap.ID {
		p.add("run.snapshot", "%q differs from snapshot %q", run.Snapshot, snap.ID)
	}
	validateCounts(p, run, true)
	if err := p.err(); err != nil {
		return err
	}
	if e.CurrentSnapshot != expectedParent {
		return conflictErr(e, expectedParent)
	}
	return nil
}
