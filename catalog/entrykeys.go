package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// The entries' secondary keys: lake table name, department, district and grade, by which
// entries are looked up (table) or the directory list is filtered (directory.go).
//
// They are rows of their own table rather than indexes of the entries table because memdb
// rewrites every index of an object on each insert, changed or not, and most writes of an entry
// change none of them: submitting, approving, loading, grading an item within its grade. An
// entry's keys are one row, indexed by each key, and written only when one of them changes
// (noteEntryKeys), so those writes cost the entry's own indexes only; one row rather than one
// per key, so that restoring a checkpoint inserts one object per entry. Each key is kind \x00
// value \x00 resource code, so the entries of one value follow one another in resource-code
// order, as the directory's streams read them.

const tableEntryKeys = "entry_keys"

// Kinds of entry keys.
const (
	keyTable      = "t"
	keyDepartment = "d"
	keyDistrict   = "r"
	keyGrade      = "g"
)

// entryKeys is one entry's row: its keys, each kind \x00 value \x00 resource code.
type entryKeys struct {
	Code string
	Keys []string
}

// indexKey indexes the rows by each of their keys.
const indexKey = "key"

func entryKeysTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableEntryKeys,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:  idIndex("Code"),
			indexKey: {Name: indexKey, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "Keys"}},
		},
	}
}

// keyPrefix is where the keys of one kind and value begin.
func keyPrefix(kind, value string) string { return kind + "\x00" + value + "\x00" }

// keyValues returns the values e is keyed by, kind for kind, "" for none: a draft may lack
// them, and a table named after the resource code (defaultTable, most of a province's) has no
// key, its name giving the code (entryByTable).
func keyValues(e *Entry) [4]string {
	table := e.Table
	if code, ok := codeOfDefaultTable(table); ok && code == e.ResourceCode {
		table = ""
	}
	return [4]string{table, e.Department, e.District, string(e.Grade())}
}

var keyKinds = [4]string{keyTable, keyDepartment, keyDistrict, keyGrade}

// keysOf returns e's keys.
func keysOf(e *Entry) []string {
	out := make([]string, 0, len(keyKinds))
	for i, v := range keyValues(e) {
		if v != "" {
			out = append(out, keyPrefix(keyKinds[i], v)+e.ResourceCode)
		}
	}
	return out
}

// noteEntryKeys writes e's keys when their values differ from old's (old is nil for a new
// entry): comparing the values builds no key.
func noteEntryKeys(txn *memdb.Txn, old, e *Entry) error {
	if old != nil && keyValues(old) == keyValues(e) {
		return nil
	}
	if err := txn.Insert(tableEntryKeys, &entryKeys{Code: e.ResourceCode, Keys: keysOf(e)}); err != nil {
		return fmt.Errorf("keys of %s: %w", e.ResourceCode, err)
	}
	return nil
}

// hasKey reports whether a row holds a key with prefix: a row has one key of each kind, so a
// row the key index gives past a prefix's keys holds none of them.
func (r *entryKeys) hasKey(prefix string) bool {
	return slices.ContainsFunc(r.Keys, func(k string) bool { return strings.HasPrefix(k, prefix) })
}

// entryByKey returns the first entry with the value of a kind, nil when none has it: for a
// table name, the entry whose table it is.
func entryByKey(txn *memdb.Txn, kind, value string) *Entry {
	prefix := keyPrefix(kind, value)
	raw, err := txn.First(tableEntryKeys, indexKey+"_prefix", prefix)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tableEntryKeys, err)) // schema bug, not input
	}
	if raw == nil {
		return nil
	}
	e, err := entryTxn(txn, raw.(*entryKeys).Code)
	if err != nil {
		return nil
	}
	return e
}

// entryByTable returns the entry whose lake table is table, nil when there is none: the entry
// keyed by it, or the entry whose resource code the name spells (defaultTable) if that entry's
// table is this name.
func entryByTable(txn *memdb.Txn, table string) *Entry {
	if table == "" {
		return nil
	}
	if e := entryByKey(txn, keyTable, table); e != nil {
		return e
	}
	if code, ok := codeOfDefaultTable(table); ok {
		if e, err := entryTxn(txn, code); err == nil && e.Table == table {
			return e
		}
	}
	return nil
}

// codeOfDefaultTable is the resource code whose defaultTable is table, if table has that form.
func codeOfDefaultTable(table string) (string, bool) {
	rest, ok := strings.CutPrefix(table, defaultTablePrefix)
	if !ok || strings.Count(rest, "_") != 1 {
		return "", false
	}
	code := strings.Replace(rest, "_", "/", 1)
	return code, defaultTable(code) == table
}
