package catalog

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/go-memdb"
)

// Resource codes are 分类码/顺序码: the category code, a slash and a sequence number of six
// digits or more, counted per category. A sequence number is never given twice, even after its
// entry retires: entries are never deleted, and the counter of a category is the highest number
// any entry of that category ever used, kept by insertEntry (so it is rebuilt with the entries
// from a checkpoint and needs no table of its own in it).

const tableSequences = "sequences"

// sequence is the highest 顺序码 used in a category.
type sequence struct {
	Category string
	Last     uint64
}

func sequencesTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableSequences,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Category")},
	}
}

// noteResourceCode raises the counter of code's category to code's sequence number.
func noteResourceCode(txn *memdb.Txn, code string) error {
	m := resourceCodeRE.FindStringSubmatch(code)
	if m == nil {
		return nil // legacy or invalid code: nothing to count
	}
	n, err := strconv.ParseUint(m[2], 10, 64)
	if err != nil {
		return nil
	}
	if lastSequence(txn, m[1]) >= n {
		return nil
	}
	if err := txn.Insert(tableSequences, &sequence{Category: m[1], Last: n}); err != nil {
		return fmt.Errorf("count resource code %s: %w", code, err)
	}
	return nil
}

func lastSequence(txn *memdb.Txn, category string) uint64 {
	raw, err := txn.First(tableSequences, indexID, category)
	if err != nil || raw == nil {
		return 0
	}
	return raw.(*sequence).Last
}

// nextResourceCode is the code the next entry of category gets.
func nextResourceCode(txn *memdb.Txn, category string) string {
	return fmt.Sprintf("%s/%06d", category, lastSequence(txn, category)+1)
}
