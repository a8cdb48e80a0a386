package catalog

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// View is a read-only, consistent point in time of the catalogue. It is cheap; take a new one to
// see later changes. Objects it returns are copies the caller may keep and modify.
type View struct {
	txn *memdb.Txn
}

// View opens a read transaction on the durable state.
func (s *Store) View() *View { return &View{txn: s.durable.Load().Txn(false)} }

// Index is the journal index of the last command this view reflects.
func (v *View) Index() uint64 { return readIndex(v.txn) }

// Generation is the directory's metadata generation: it moves with every command that changes
// a stored entry (its metadata, status, grade or workflow state) and when an entry gets its first
// data, never with a change request (the published version stays), a later data load, a run or
// an account. Whatever is derived from the entries
// alone (a query schema) is rebuilt only when it moved, so that nothing per request costs the
// size of the directory. It counts within this process: compare generations of one Store only.
func (v *View) Generation() uint64 { return readCounter(v.txn, indexKeyGeneration) }

// Entry returns the entry with the given resource code.
func (v *View) Entry(code string) (*Entry, error) {
	e, err := entryTxn(v.txn, code)
	if err != nil {
		return nil, err
	}
	return e.Copy(), nil
}

// EntryByTable returns the entry whose lake table is table.
func (v *View) EntryByTable(table string) (*Entry, error) {
	e := entryByTable(v.txn, table)
	if e == nil {
		return nil, fmt.Errorf("entry with table %q: %w", table, ErrNotFound)
	}
	return e.Copy(), nil
}

// Entries lists every entry ordered by resource code, each one copied; EachEntry walks them
// without copying.
func (v *View) Entries() []*Entry {
	var out []*Entry
	v.EachEntry("", func(e *Entry) bool { out = append(out, e.Copy()); return true })
	return out
}

// EachEntry calls fn with every entry in resource-code order, starting after the code after (""
// for the first), until fn returns false. No access is decided: this is for the catalogue's own
// bookkeeping and the operator; doors use EachVisible. e is the stored entry: fn reads it and
// never changes it, and keeps e.Copy() when it keeps anything.
func (v *View) EachEntry(after string, fn func(e *Entry) bool) {
	it := entriesFrom(v.txn, after)
	for raw := it.Next(); raw != nil; raw = it.Next() {
		e := raw.(*Entry)
		if after != "" && e.ResourceCode == after {
			continue
		}
		if !fn(e) {
			return
		}
	}
}

// EachLoaded calls fn with every entry that has current data, in resource-code order, until fn
// returns false: the load states (loadstate.go), not a walk of the directory. As EachEntry, no
// access is decided and e is the stored entry.
func (v *View) EachLoaded(fn func(e *Entry) bool) {
	c := loadStates.cursor(v.txn, "")
	entries := entryBuckets.seeker(v.txn)
	for st := c.next(); st != nil; st = c.next() {
		if st.Current == nil {
			continue
		}
		e := entries.get(st.Entry)
		if e == nil {
			panic(fmt.Sprintf("catalog: load state of %s, which is no entry", st.Entry)) // kept in the same transaction
		}
		if !fn(e) {
			return
		}
	}
}

// Department returns the department with the given code.
func (v *View) Department(code string) (*Department, error) {
	d, err := first[Department](v.txn, tableDepartments, "department", code)
	if err != nil {
		return nil, err
	}
	c := *d
	return &c, nil
}

// Departments lists every department ordered by code.
func (v *View) Departments() []*Department {
	var out []*Department
	each(v.txn, tableDepartments, indexID, func(d *Department) { c := *d; out = append(out, &c) })
	return out
}

// District returns the district with the given code (schemas.CityCode for 市级).
func (v *View) District(code string) (schemas.District, error) {
	d, err := first[schemas.District](v.txn, tableDistricts, "district", code)
	if err != nil {
		return schemas.District{}, err
	}
	return *d, nil
}

// Districts lists every district ordered by code.
func (v *View) Districts() []schemas.District {
	var out []schemas.District
	each(v.txn, tableDistricts, indexID, func(d *schemas.District) { out = append(out, *d) })
	return out
}

// Snapshot returns the snapshot with the given id.
func (v *View) Snapshot(id string) (*Snapshot, error) {
	s, err := snapshotTxn(v.txn, id)
	if err != nil {
		return nil, err
	}
	c := *s
	return &c, nil
}

// Snapshots lists the snapshots of an entry, newest first.
func (v *View) Snapshots(entry string) []*Snapshot {
	st := loadStateTxn(v.txn, entry)
	out := make([]*Snapshot, 0, st.Snapshots.Len())
	for s := range st.Snapshots.Backward() {
		c := *s
		out = append(out, &c)
	}
	return out
}

// SnapshotAt returns the snapshot of entry that was current at t: the last one committed at or
// before t, nil when the entry had none then. It searches the entry's snapshots in time order
// (loadState), so it costs a lookup and a binary search whatever the entry's history.
func (v *View) SnapshotAt(entry string, t time.Time) *Snapshot {
	st := loadStateTxn(v.txn, entry)
	s := st.snapshotBefore(t.Add(time.Nanosecond))
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// Run returns the run with the given id.
func (v *View) Run(id string) (*Run, error) {
	r, err := runTxn(v.txn, id)
	if err != nil {
		return nil, err
	}
	c := *r
	return &c, nil
}

// Runs lists the runs of an entry, newest first by StartedAt.
func (v *View) Runs(entry string) []*Run {
	st := loadStateTxn(v.txn, entry)
	out := make([]*Run, 0, st.Runs.Len())
	for r := range st.Runs.Backward() {
		c := *r
		out = append(out, &c)
	}
	return out
}

// RunningRuns lists the runs still running, by id, without a walk of the directory.
func (v *View) RunningRuns() []*Run {
	var out []*Run
	each(v.txn, tableRunning, indexID, func(r *Run) {
		c := *r
		out = append(out, &c)
	})
	return out
}

// entryTxn returns the stored entry; callers copy it before changing anything.
func entryTxn(txn *memdb.Txn, code string) (*Entry, error) {
	if e := storedEntry(txn, code); e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("entry %q: %w", code, ErrNotFound)
}

func first[T any](txn *memdb.Txn, table, what, id string) (*T, error) {
	raw, err := txn.First(table, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, id, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
	}
	return raw.(*T), nil
}

// lookup returns the row of table whose id is key, nil when there is none: for the catalogue's
// own rows, whose absence is an answer rather than an error to report.
func lookup[T any](txn *memdb.Txn, table, key string) *T {
	raw, err := txn.First(table, indexID, key)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", table, err)) // schema bug, not input
	}
	if raw == nil {
		return nil
	}
	return raw.(*T)
}

func each[T any](txn *memdb.Txn, table, index string, fn func(*T), args ...any) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s.%s: %v", table, index, err)) // schema bug, not input
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		fn(raw.(*T))
	}
}
