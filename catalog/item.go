package catalog

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// ItemRef is one 信息项 together with the entry that holds it. The items table is derived from
// the entries table inside the same transaction, so that questions across the whole directory
// ("which items hold personal information", "where is 区县 used") need no scan of every entry.
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

// insertEntry writes an entry and replaces its rows in the items table. Every write of an entry
// goes through here, replay and checkpoint restore included.
func insertEntry(txn *memdb.Txn, e *Entry) error {
	if err := txn.Insert(tableEntries, e); err != nil {
		return fmt.Errorf("insert entry %s: %w", e.ResourceCode, err)
	}
	if _, err := txn.DeleteAll(tableItems, indexEntry, e.ResourceCode); err != nil {
		return fmt.Errorf("replace items of %s: %w", e.ResourceCode, err)
	}
	for _, it := range e.Items {
		if err := txn.Insert(tableItems, &ItemRef{Entry: e.ResourceCode, Item: it}); err != nil {
			return fmt.Errorf("insert item %s.%s: %w", e.ResourceCode, it.Field, err)
		}
	}
	return nil
}

// Items returns every item of the directory, ordered by entry and field.
func (v *View) Items() []ItemRef {
	var out []ItemRef
	each(v.txn, tableItems, indexID, func(r *ItemRef) { out = append(out, *r) })
	return out
}

// ItemsByPIType returns the items flagged with the given personal-information type (schemas.PITypes).
func (v *View) ItemsByPIType(piType string) []ItemRef {
	var out []ItemRef
	each(v.txn, tableItems, indexPIType, func(r *ItemRef) { out = append(out, *r) }, piType)
	return out
}
