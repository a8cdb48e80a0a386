package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// The collection figure asks of every due entry when its current data was committed and whether
// its newest load failed. Looking up the current snapshot and walking the runs index backwards
// for each entry cost more than the rest of the figure together; the load_states table keeps both
// answers, one row per entry that has runs or data, in resource-code order, so that the figure
// reads it alongside the entries in one pass. It is derived from the runs and snapshots in the
// same transaction (insertRun, noteCurrentSnapshot) and rebuilt with them when a checkpoint is
// restored, so it is never stored.

const tableLoadStates = "load_states"

// loadState points at an entry's current snapshot and at its run with the latest (StartedAt,
// ID), the run the runs index lists first, newest first. Rows are replaced, never changed.
type loadState struct {
	Entry   string
	Current *Snapshot // nil when the entry has no data
	Last    *Run      // nil when it has no runs
}

func loadStatesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableLoadStates,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Entry")},
	}
}

func loadStateTxn(txn *memdb.Txn, entry string) loadState {
	if st := lookup[loadState](txn, tableLoadStates, entry); st != nil {
		return *st
	}
	return loadState{Entry: entry}
}

func putLoadState(txn *memdb.Txn, st loadState) error {
	if err := txn.Insert(tableLoadStates, &st); err != nil {
		return fmt.Errorf("note load state of %s: %w", st.Entry, err)
	}
	return nil
}

// insertRun stores r (a fresh object) and keeps its entry's last run. Every write of a run goes
// through here, checkpoint restore included.
func insertRun(txn *memdb.Txn, r *Run) error {
	if err := txn.Insert(tableRuns, r); err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	st := loadStateTxn(txn, r.Entry)
	if st.Last != nil && st.Last.ID != r.ID && !newerRun(r, st.Last) {
		return nil
	}
	st.Last = r
	return putLoadState(txn, st)
}

// newerRun orders runs as the runs index does: by start time, then by id.
func newerRun(a, b *Run) bool {
	if !a.StartedAt.Equal(b.StartedAt) {
		return a.StartedAt.After(b.StartedAt)
	}
	return a.ID > b.ID
}

// noteCurrentSnapshot records snap, stored, as its entry's current data, and moves the entry's
// place in the collection figure's cells (figure_cells.go).
func noteCurrentSnapshot(txn *memdb.Txn, snap *Snapshot) error {
	st := loadStateTxn(txn, snap.Entry)
	next := st
	next.Current = snap
	if err := figureLoadWrite(txn, st, next); err != nil {
		return err
	}
	return putLoadState(txn, next)
}

// snapshotRestorer is the insert of the snapshots of one checkpoint load: the snapshot alone,
// the load states being built once the whole checkpoint is in (buildLoadStates).
func snapshotRestorer() func(*memdb.Txn, *Snapshot) error {
	return func(txn *memdb.Txn, snap *Snapshot) error {
		if err := txn.Insert(tableSnapshots, snap); err != nil {
			return fmt.Errorf("insert snapshot %s: %w", snap.ID, err)
		}
		return nil
	}
}

// runRestorer is the insert of the runs of one checkpoint load: the run alone, as for snapshots.
func runRestorer() func(*memdb.Txn, *Run) error {
	return func(txn *memdb.Txn, r *Run) error {
		if err := txn.Insert(tableRuns, r); err != nil {
			return fmt.Errorf("insert run %s: %w", r.ID, err)
		}
		return nil
	}
}

// buildLoadStates makes the load state of every entry with runs or data once a checkpoint is
// restored: each written once, in resource-code order, rather than looked up and rewritten for
// every snapshot and run as they come (in the random order of their ids). An entry's last run
// is its newest (newerRun); its current data the snapshot it names.
func buildLoadStates(txn *memdb.Txn) error {
	states := map[string]*loadState{}
	state := func(code string) *loadState {
		st := states[code]
		if st == nil {
			st = &loadState{Entry: code}
			states[code] = st
		}
		return st
	}
	each(txn, tableRuns, indexID, func(r *Run) {
		if st := state(r.Entry); st.Last == nil || newerRun(r, st.Last) {
			st.Last = r
		}
	})
	eachEntry(txn, func(e *Entry) {
		if e.CurrentSnapshot == "" {
			return
		}
		// An entry naming no stored snapshot of its own has no data, as when it was stored.
		if snap, err := first[Snapshot](txn, tableSnapshots, "snapshot", e.CurrentSnapshot); err == nil && snap.Entry == e.ResourceCode {
			state(e.ResourceCode).Current = snap
		}
	})
	codes := make([]string, 0, len(states))
	for c := range states {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if err := putLoadState(txn, *states[c]); err != nil {
			return err
		}
	}
	return nil
}

// loadStates walks the load states in resource-code order alongside an ordered walk of entries.
type loadStates struct {
	it  memdb.ResultIterator
	cur *loadState
}

// newLoadStates starts the walk at the load state of the code from (or the first after it).
func newLoadStates(txn *memdb.Txn, from string) *loadStates {
	it, err := txn.LowerBound(tableLoadStates, indexID, from)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tableLoadStates, err))
	}
	l := &loadStates{it: it}
	l.next()
	return l
}

func (l *loadStates) next() {
	if raw := l.it.Next(); raw != nil {
		l.cur = raw.(*loadState)
	} else {
		l.cur = nil
	}
}

// of returns the load state of the entry with the given code (zero when it has none). Codes must
// be asked in increasing order.
func (l *loadStates) of(code string) loadState {
	for l.cur != nil && strings.Compare(l.cur.Entry, code) < 0 {
		l.next()
	}
	if l.cur != nil && l.cur.Entry == code {
		return *l.cur
	}
	return loadState{Entry: code}
}
