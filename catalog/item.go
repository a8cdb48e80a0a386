package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// ItemRef is one 信息项 together with the entry that holds it. The items table is derived from
// the entries table inside the same transaction, so that "which items hold personal information"
// needs no scan of every entry. It holds only the items with a personal-information type: a row
// per item of a province (two million) would cost more memory and start-up time than the whole
// directory, for questions a walk of the entries answers.
type ItemRef struct {
	Entry string // Entry.ResourceCode
	Item
}

func itemsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableItems,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "Entry"},
				&memdb.StringFieldIndex{Field: "Field"},
			}}},
			indexEntry:  {Name: indexEntry, Indexer: &memdb.StringFieldIndex{Field: "Entry"}},
			indexPIType: {Name: indexPIType, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "PIType"}},
		},
	}
}

// assignItemIDs gives e's items their field ids: an item that names an id of the old entry keeps
// it (a rename), an item whose field the old entry had keeps that item's id, and every other item
// gets the next id after the highest ever assigned. It runs on apply, so replay reproduces it.
func assignItemIDs(old, e *Entry) {
	e.LastItemID, e.RetiredFields = 0, nil
	byField := map[string]int{}
	ids := map[int]bool{}
	if old != nil {
		e.LastItemID = old.LastItemID
		e.RetiredFields = append(e.RetiredFields, old.RetiredFields...)
		for _, it := range old.Items.All() {
			byField[it.Field] = it.ID
			ids[it.ID] = true
		}
		for _, it := range old.Items.All() {
			if _, kept := e.Item(it.Field); !kept && !slices.Contains(e.RetiredFields, it.Field) {
				// A copy: a substring would keep old's packed items as long as e lives.
				e.RetiredFields = append(e.RetiredFields, strings.Clone(it.Field))
			}
		}
	}
	used := map[int]bool{}
	items, renumbered := e.Items.Slice(), false
	for i := range items {
		it := &items[i]
		id := it.ID
		switch {
		case it.ID != 0 && ids[it.ID] && !used[it.ID]:
		case byField[it.Field] != 0 && !used[byField[it.Field]]:
			it.ID = byField[it.Field]
		default:
			e.LastItemID++
			it.ID = int(e.LastItemID)
		}
		used[it.ID] = true
		renumbered = renumbered || it.ID != id
	}
	if renumbered {
		e.Items = ItemsOf(items...)
	}
}

// legacyItemIDs numbers the items of an entry restored from a checkpoint written before items
// had ids, by position: the numbering the lake's manifests of that time used.
func legacyItemIDs(e *Entry) {
	if e.LastItemID != 0 || e.Items.Len() == 0 {
		return
	}
	items := e.Items.Slice()
	for i := range items {
		items[i].ID = i + 1
	}
	e.Items, e.LastItemID = ItemsOf(items...), int32(len(items))
}

// insertEntry writes an entry and replaces its rows in the items table. Every write of an entry
// goes through here, replay and checkpoint restore included. e must be a fresh object (a Copy):
// it is compacted in place and stored. It moves the metadata generation (View.Generation): a
// command that only records data of an entry already loaded uses insertEntryData instead.
func insertEntry(txn *memdb.Txn, e *Entry) error {
	applyFloors(txn, e) // a derived entry is never graded below its inputs (derived_grade.go)
	if err := bumpGeneration(txn); err != nil {
		return err
	}
	return storeEntry(txn, e)
}

// insertEntryData writes an entry whose change is its data (a new current snapshot): the
// metadata generation moves only when the entry had no data before, since that makes it
// queryable.
func insertEntryData(txn *memdb.Txn, old, e *Entry) error {
	if old.CurrentSnapshot == "" && e.CurrentSnapshot != "" {
		if err := bumpGeneration(txn); err != nil {
			return err
		}
	}
	return storeEntry(txn, e)
}

// entryRestorer is the insert of the entries of one checkpoint load: e is compacted and its grade
// remembered already (in the decoding goroutines), the state holds no items of it to replace, the key sets are built
// once after the load (buildKeySets), and the sequence counters are kept here and written only
// when they rise, without a lookup per entry.
func entryRestorer() func(*memdb.Txn, *Entry) error {
	seqs := map[string]uint64{}
	var last *entryBucket // the bucket the last entry went to (restoreEntryRow)
	return func(txn *memdb.Txn, e *Entry) error {
		var err error
		if last, err = restoreEntryRow(txn, last, e); err != nil {
			return err
		}
		if cat, n, ok := splitResourceCode(e.ResourceCode); ok {
			last, seen := seqs[cat]
			if !seen {
				last = lastSequence(txn, cat)
			}
			if n > last {
				if err := txn.Insert(tableSequences, &sequence{Category: cat, Last: n}); err != nil {
					return fmt.Errorf("count resource code %s: %w", e.ResourceCode, err)
				}
				last = n
			}
			seqs[cat] = last
		}
		return insertPIItems(txn, e)
	}
}

// storeEntry is insertEntry without the generation: checkpoint restore, whose generation starts
// afresh.
func storeEntry(txn *memdb.Txn, e *Entry) error {
	compactEntry(e)
	old := storedEntry(txn, e.ResourceCode) // nil for a new entry
	if err := figureEntryWrite(txn, old, e); err != nil {
		return err
	}
	if err := putEntryRow(txn, old, e); err != nil {
		return err
	}
	if err := noteEntryKeys(txn, old, e); err != nil {
		return err
	}
	if err := noteEntryChange(txn, old, e); err != nil {
		return err
	}
	if err := noteDerived(txn, old, e); err != nil {
		return err
	}
	if err := noteGradeChange(txn, old, e); err != nil {
		return err
	}
	if err := noteResourceCode(txn, e.ResourceCode); err != nil {
		return err
	}
	if _, err := txn.DeleteAll(tableItems, indexEntry, e.ResourceCode); err != nil {
		return fmt.Errorf("replace items of %s: %w", e.ResourceCode, err)
	}
	return insertPIItems(txn, e)
}

// insertPIItems adds the rows of e's personal-information items to the items table.
func insertPIItems(txn *memdb.Txn, e *Entry) error {
	for _, it := range e.Items.All() {
		if it.PIType == "" {
			continue
		}
		if err := txn.Insert(tableItems, &ItemRef{Entry: e.ResourceCode, Item: it}); err != nil {
			return fmt.Errorf("insert item %s.%s: %w", e.ResourceCode, it.Field, err)
		}
	}
	return nil
}

// Items returns every item of the directory, ordered by entry and field.
func (v *View) Items() []ItemRef {
	var out []ItemRef
	eachEntry(v.txn, func(e *Entry) {
		from := len(out)
		for _, it := range e.Items.All() {
			out = append(out, ItemRef{Entry: e.ResourceCode, Item: it})
		}
		slices.SortFunc(out[from:], func(a, b ItemRef) int { return strings.Compare(a.Field, b.Field) })
	})
	return out
}

// ItemsByPIType returns the items flagged with the given personal-information type (schemas.PITypes).
func (v *View) ItemsByPIType(piType string) []ItemRef {
	var out []ItemRef
	each(v.txn, tableItems, indexPIType, func(r *ItemRef) { out = append(out, *r) }, piType)
	return out
}
