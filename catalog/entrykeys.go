package catalog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// The entries' secondary keys: lake table name, department, district and grade, by which
// entries are looked up (table) or the directory list is filtered (directory.go).
//
// They are rows of their own table rather than indexes of the entries table because memdb
// rewrites every index of an object on each insert, changed or not, and most writes of an entry
// change none of them: submitting, approving, loading, grading an item within its grade. A key
// row is written only when its value changes (noteEntryKeys), so those writes cost the entry's
// own indexes only. Each row is kind \x00 value \x00 resource code, so the entries of one value
// follow one another in resource-code order, as the directory's streams read them.

const tableEntryKeys = "entry_keys"

// Kinds of entry keys.
const (
	keyTable      = "t"
	keyDepartment = "d"
	keyDistrict   = "r"
	keyGrade      = "g"
)

// entryKey is one row: Key is kind \x00 value \x00 resource code.
type entryKey struct {
	Key string
}

func entryKeysTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableEntryKeys,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

// keyPrefix is where the rows of one kind and value begin.
func keyPrefix(kind, value string) string { return kind + "\x00" + value + "\x00" }

// entryKeys returns e's keys, "" for a value e does not have (a draft may lack them).
func entryKeys(e *Entry) [4]string {
	var out [4]string
	if e == nil {
		return out
	}
	for i, kv := range [4][2]string{
		{keyTable, e.Table}, {keyDepartment, e.Department}, {keyDistrict, e.District}, {keyGrade, string(e.Grade())},
	} {
		if kv[1] != "" {
			out[i] = keyPrefix(kv[0], kv[1]) + e.ResourceCode
		}
	}
	return out
}

// noteEntryKeys replaces the keys of old (nil for a new entry) by those of e: only the keys
// that differ are written.
func noteEntryKeys(txn *memdb.Txn, old, e *Entry) error {
	before, after := entryKeys(old), entryKeys(e)
	for i := range after {
		if before[i] == after[i] {
			continue
		}
		if before[i] != "" {
			if err := txn.Delete(tableEntryKeys, &entryKey{Key: before[i]}); err != nil && !errors.Is(err, memdb.ErrNotFound) {
				return fmt.Errorf("remove key of %s: %w", e.ResourceCode, err)
			}
		}
		if after[i] != "" {
			if err := txn.Insert(tableEntryKeys, &entryKey{Key: after[i]}); err != nil {
				return fmt.Errorf("add key of %s: %w", e.ResourceCode, err)
			}
		}
	}
	return nil
}

// entryByKey returns the first entry with the value of a kind, nil when none has it: for a
// table name, the entry whose table it is.
func entryByKey(txn *memdb.Txn, kind, value string) *Entry {
	prefix := keyPrefix(kind, value)
	raw, err := txn.First(tableEntryKeys, indexID+"_prefix", prefix)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s: %v", tableEntryKeys, err)) // schema bug, not input
	}
	if raw == nil {
		return nil
	}
	code, _ := strings.CutPrefix(raw.(*entryKey).Key, prefix)
	e, err := entryTxn(txn, code)
	if err != nil {
		return nil
	}
	return e
}

// entryByTable returns the entry whose lake table is table, nil when there is none.
func entryByTable(txn *memdb.Txn, table string) *Entry {
	if table == "" {
		return nil
	}
	return entryByKey(txn, keyTable, table)
}
