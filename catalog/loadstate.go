package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas/chunked"
)

// The collection figure asks of every due entry when its current data was committed and whether
// its newest load failed. Looking up the current snapshot and walking the runs index backwards
// for each entry cost more than the rest of the figure together; the load_states table keeps both
// answers, one row per entry that has runs or data, in resource-code order, so that the figure
// reads it alongside the entries in one pass. It is derived from the runs and snapshots in the
// same transaction (insertRun, insertSnapshot, noteCurrentSnapshot) and rebuilt with them when a
// checkpoint is restored, so it is never stored.
//
// The row also lists the entry's snapshots and runs in time order: what an index of the
// snapshots and runs over (entry, time) would give, at a pointer each instead of the index's
// radix leaf and node with their watch channels (about 450 bytes a key: a province whose every
// entry is loaded held 90 MB of them per snapshot and run kept, and start-up inserted them one
// by one in the random order of the ids). The lists are persistent and chunked (schemas/chunked), so
// that a load copies a chunk of them, not the entry's whole history.

const tableLoadStates = "load_states"

// loadState points at an entry's current snapshot and lists its snapshots by (CommittedAt, ID)
// and its runs by (StartedAt, ID), oldest first. Rows are replaced, never changed: a write makes
// new versions of the lists.
type loadState struct {
	Entry     string
	Current   *Snapshot // nil when the entry has no data
	Snapshots chunked.List[Snapshot]
	Runs      chunked.List[Run]
}

// last is the entry's run with the latest (StartedAt, ID), nil when it has none.
func (st *loadState) last() *Run { return st.Runs.Last() }

// snapshotBefore is the entry's last snapshot committed before t, nil when none was.
func (st *loadState) snapshotBefore(t time.Time) *Snapshot {
	return st.Snapshots.LastWhere(func(s *Snapshot) bool { return s.CommittedAt.Before(t) })
}

// runBefore is the entry's last run started before t, nil when none was.
func (st *loadState) runBefore(t time.Time) *Run {
	return st.Runs.LastWhere(func(r *Run) bool { return r.StartedAt.Before(t) })
}

func snapshotID(s *Snapshot) string { return s.ID }
func runID(r *Run) string           { return r.ID }

// snapshotOrder orders snapshots as the load state lists them: by commit time, then by id.
func snapshotOrder(a, b *Snapshot) int {
	if c := a.CommittedAt.Compare(b.CommittedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// runOrder orders runs as the load state lists them: by start time, then by id.
func runOrder(a, b *Run) int {
	if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// loadStates are kept in buckets by entry code (code_buckets.go), not a row each: a province
// whose every entry is loaded would hold 100,000 rows and their radix keys.
var loadStates = codeBuckets[loadState]{table: tableLoadStates, code: func(st *loadState) string { return st.Entry }}

func loadStatesTableSchema() *memdb.TableSchema { return codeBucketsSchema(tableLoadStates) }

func loadStateTxn(txn *memdb.Txn, entry string) loadState {
	if st := loadStates.get(txn, entry); st != nil {
		return *st
	}
	return loadState{Entry: entry}
}

func putLoadState(txn *memdb.Txn, st loadState) error {
	if err := loadStates.put(txn, &st); err != nil {
		return fmt.Errorf("note load state of %s: %w", st.Entry, err)
	}
	return nil
}

// Snapshots and runs are kept in buckets by id (code_buckets.go), not a memdb row each: a row's
// radix leaf and node with their watch channels cost about 450 bytes, as much again as the
// snapshot or run itself, and a restore inserted the rows one at a time in the random order of
// the entries that made them. Ids are time-ordered (lake.NewID), so new ones join the last
// bucket.
var (
	snapshotsByID = codeBuckets[Snapshot]{table: tableSnapshots, code: snapshotID}
	runsByID      = codeBuckets[Run]{table: tableRuns, code: runID}
)

// snapshotTxn returns the stored snapshot of id, ErrNotFound when there is none.
func snapshotTxn(txn *memdb.Txn, id string) (*Snapshot, error) {
	if s := snapshotsByID.get(txn, id); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("snapshot %q: %w", id, ErrNotFound)
}

// runTxn returns the stored run of id, ErrNotFound when there is none.
func runTxn(txn *memdb.Txn, id string) (*Run, error) {
	if r := runsByID.get(txn, id); r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("run %q: %w", id, ErrNotFound)
}

// insertRun stores r (a fresh object) and lists it among its entry's runs, and among the
// running ones while it runs. Every write of a run goes through here but checkpoint restore's
// (runRestorer, buildLoadStates).
func insertRun(txn *memdb.Txn, r *Run) error {
	old, err := runsByID.swap(txn, r)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", r.ID, err)
	}
	if err := noteRunning(txn, r); err != nil {
		return err
	}
	st := loadStateTxn(txn, r.Entry)
	if st.Runs, err = st.Runs.Placed(old, r, runOrder); err != nil {
		return fmt.Errorf("list run %s of %s: %w", r.ID, r.Entry, err)
	}
	return putLoadState(txn, st)
}

// noteRunning keeps r's row in the running runs: there while it runs, gone once it ended.
func noteRunning(txn *memdb.Txn, r *Run) error {
	var err error
	switch {
	case r.Status == RunRunning:
		err = txn.Insert(tableRunning, r)
	case lookup[Run](txn, tableRunning, r.ID) != nil:
		err = txn.Delete(tableRunning, r)
	}
	if err != nil {
		return fmt.Errorf("note run %s running: %w", r.ID, err)
	}
	return nil
}

// insertSnapshot stores s (a fresh object) and lists it among its entry's snapshots. Every write
// of a snapshot goes through here but checkpoint restore's (snapshotRestorer, buildLoadStates).
func insertSnapshot(txn *memdb.Txn, s *Snapshot) error {
	old, err := snapshotsByID.swap(txn, s)
	if err != nil {
		return fmt.Errorf("insert snapshot %s: %w", s.ID, err)
	}
	st := loadStateTxn(txn, s.Entry)
	if st.Snapshots, err = st.Snapshots.Placed(old, s, snapshotOrder); err != nil {
		return fmt.Errorf("list snapshot %s of %s: %w", s.ID, s.Entry, err)
	}
	if st.Current != nil && st.Current.ID == s.ID {
		st.Current = s
	}
	return putLoadState(txn, st)
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

// snapshotRestorer is the insert of the snapshots of one checkpoint load: into the buckets
// alone, the load states being built once the whole checkpoint is in (buildLoadStates).
var snapshotRestorer = snapshotsByID.restorer(nil)

// runRestorer is the insert of the runs of one checkpoint load: into the buckets and, while it
// runs, the running runs; the load states are built once the whole checkpoint is in.
var runRestorer = runsByID.restorer(func(txn *memdb.Txn, r *Run) error {
	if r.Status != RunRunning {
		return nil
	}
	return noteRunning(txn, r)
})

// buildLoadStates makes the load state of every entry with runs or data once a checkpoint is
// restored: each written once, in resource-code order, rather than looked up and rewritten for
// every snapshot and run as they come (in the random order of their ids), its lists sorted once.
// An entry's current data is the snapshot it names.
func buildLoadStates(txn *memdb.Txn) error {
	type gathered struct {
		current *Snapshot
		snaps   []*Snapshot
		runs    []*Run
	}
	states := map[string]*gathered{}
	state := func(code string) *gathered {
		st := states[code]
		if st == nil {
			st = &gathered{}
			states[code] = st
		}
		return st
	}
	runsByID.each(txn, func(r *Run) {
		st := state(r.Entry)
		st.runs = append(st.runs, r)
	})
	snapshotsByID.each(txn, func(s *Snapshot) {
		st := state(s.Entry)
		st.snaps = append(st.snaps, s)
	})
	eachEntry(txn, func(e *Entry) {
		if e.CurrentSnapshot == "" {
			return
		}
		// An entry naming no stored snapshot of its own has no data, as when it was stored. Its
		// snapshots were gathered in id order, which is time order: the current one is usually
		// the last.
		st := states[e.ResourceCode]
		if st == nil {
			return
		}
		for _, snap := range slices.Backward(st.snaps) {
			if snap.ID == e.CurrentSnapshot {
				st.current = snap
				return
			}
		}
	})
	codes := make([]string, 0, len(states))
	for c := range states {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	sorted := make([]*loadState, len(codes))
	for i, c := range codes {
		g := states[c]
		slices.SortFunc(g.runs, runOrder)
		slices.SortFunc(g.snaps, snapshotOrder)
		sorted[i] = &loadState{Entry: c, Current: g.current, Snapshots: chunked.Built(g.snaps), Runs: chunked.Built(g.runs)}
	}
	return loadStates.build(txn, sorted)
}

// loadWalk walks the load states in resource-code order alongside an ordered walk of entries.
type loadWalk struct {
	c   *bucketCursor[loadState]
	cur *loadState
}

// newLoadStates starts the walk at the load state of the code from (or the first after it).
func newLoadStates(txn *memdb.Txn, from string) *loadWalk {
	l := &loadWalk{c: loadStates.cursor(txn, from)}
	l.cur = l.c.next()
	return l
}

// of returns the load state of the entry with the given code (zero when it has none). Codes must
// be asked in increasing order.
func (l *loadWalk) of(code string) loadState {
	for l.cur != nil && strings.Compare(l.cur.Entry, code) < 0 {
		l.cur = l.c.next()
	}
	if l.cur != nil && l.cur.Entry == code {
		return *l.cur
	}
	return loadState{Entry: code}
}
