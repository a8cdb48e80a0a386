package catalog

import (
	"github.com/hashicorp/go-memdb"
)

// Grade propagation along derivations (DESIGN invariant 6). Two rules, both applied inside the
// command that changes what they depend on, so that no reader ever sees a derived entry graded
// below its inputs:
//   - every write of a derived entry raises its items to their floors (applyFloors, from
//     insertEntry);
//   - after every command, each entry derived from an entry the command changed is re-graded
//     the same way, and so on down the derivations (propagateGrades, from applyDecoded), each
//     re-grade recorded in the entry's history as the system's.

// propagationActor is who the history names for a re-grade that followed a rise upstream.
var propagationActor = Actor{Name: "系统（按血缘传递分级）"}

// applyFloors raises e's items, in place (e is a fresh version about to be stored), to the
// floors of its transform, keeping the grade of an item a waiver covers; a waiver whose floor
// the inputs have risen above ends. It reports whether anything changed.
func applyFloors(txn *memdb.Txn, e *Entry) bool {
	t := e.Transform
	if t == nil {
		return false
	}
	fl := floors(txn, t)
	waived := map[string]GradeWaiver{}
	for _, w := range t.Waivers {
		waived[w.Field] = w
	}
	items := e.Items.Slice()
	raised := false
	var kept []GradeWaiver
	for i := range items {
		it := &items[i]
		f, ok := fl[it.Field]
		w, hasWaiver := waived[it.Field]
		if !ok || it.Grade.Rank() >= f.Rank() {
			if hasWaiver {
				kept = append(kept, w)
			}
			continue
		}
		if hasWaiver && w.Floor.Rank() >= f.Rank() && w.Grade == it.Grade {
			kept = append(kept, w)
			continue
		}
		it.Grade = f
		raised = true
	}
	if !raised && len(kept) == len(t.Waivers) {
		return false
	}
	n := t.Copy()
	n.Waivers = kept
	e.Transform = n
	if raised {
		e.Items = ItemsOf(items...)
	}
	return true
}

// waiveBelowFloors records, on the version a reviewed downgrade publishes, a waiver for each of
// its items graded below its floor: the review accepted that grade for the inputs as they are.
func waiveBelowFloors(txn *memdb.Txn, e *Entry, index uint64) {
	if e.Transform == nil {
		return
	}
	fl := floors(txn, e.Transform)
	t := e.Transform.Copy()
	t.Waivers = nil
	for _, it := range e.Items.All() {
		if f, ok := fl[it.Field]; ok && it.Grade.Rank() < f.Rank() {
			t.Waivers = append(t.Waivers, GradeWaiver{Field: it.Field, Grade: it.Grade, Floor: f, Index: index})
		}
	}
	e.Transform = t
}

// tableRegrade holds, within one command, the entries whose grades it changed and from which
// other entries are derived (noteGradeChange): propagateGrades takes them out before the
// command ends, so the table is empty between commands and never checkpointed. A command
// that changes no grade of an entry something is derived from (a data load, most edits) adds
// nothing and propagation costs it one look-up.
const tableRegrade = "regrade"

type regradeMark struct{ Code string }

func regradeTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{Name: tableRegrade, Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Code")}}
}

// noteGradeChange marks e, written over old (nil for a new entry), when what its items' grades
// are made of changed and entries are derived from it.
func noteGradeChange(txn *memdb.Txn, old, e *Entry) error {
	if old != nil && old.Items == e.Items && old.GradeOverride == e.GradeOverride {
		return nil
	}
	if !hasDerived(txn, e.ResourceCode) {
		return nil
	}
	return txn.Insert(tableRegrade, &regradeMark{Code: e.ResourceCode})
}

// propagateGrades re-grades, after the command rec applied, every entry derived (at any depth)
// from an entry whose grades the command changed: each re-grade that changes something marks
// that entry in turn, until no mark is left.
func propagateGrades(txn *memdb.Txn, rec *record) error {
	for {
		raw, err := txn.First(tableRegrade, indexID)
		if err != nil || raw == nil {
			return err
		}
		cause := raw.(*regradeMark).Code
		if err := txn.Delete(tableRegrade, raw); err != nil {
			return err
		}
		for _, code := range derivedFrom(txn, cause) {
			if _, err := regrade(txn, rec, code, cause); err != nil {
				return err
			}
		}
	}
}

// regrade raises derived entry code to its floors after a change of its input cause, recording
// the change in its history; it reports whether anything changed.
func regrade(txn *memdb.Txn, rec *record, code, cause string) (bool, error) {
	e, err := entryTxn(txn, code)
	if err != nil || e.Transform == nil {
		return false, nil
	}
	n := e.Copy()
	if !applyFloors(txn, n) {
		return false, nil
	}
	n.ModifyIndex, n.Revision, n.UpdatedAt = rec.Index, rec.Index, rec.At.UTC()
	if err := insertEntry(txn, n); err != nil {
		return false, err
	}
	cmd := &entryCmd{Actor: propagationActor, Code: code,
		Note: "上游目录 " + cause + " 的分级提高，按血缘自动升级至 " + n.Grade().Name()}
	return true, addHistory(txn, rec, cmd, code, HistGrade, n.Status, e, n)
}
