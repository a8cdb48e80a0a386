package catalog

import (
	"fmt"
	"strconv"
	"strings"

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
	cat, n, ok := splitResourceCode(code)
	if !ok || lastSequence(txn, cat) >= n {
		return nil // legacy or invalid code: nothing to count
	}
	if err := txn.Insert(tableSequences, &sequence{Category: cat, Last: n}); err != nil {
		return fmt.Errorf("count resource code %s: %w", code, err)
	}
	return nil
}

// splitResourceCode returns the category and sequence number of a code of the form
// resourceCodeRE accepts, without its regular expression (this runs for every entry written
// and restored).
func splitResourceCode(code string) (string, uint64, bool) {
	cat, seq, ok := strings.Cut(code, "/")
	if !ok || len(cat) < 2 || len(cat) > 8 || len(seq) < 1 || len(seq) > 12 || !digits(cat) || !digits(seq) {
		return "", 0, false
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	return cat, n, err == nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
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
