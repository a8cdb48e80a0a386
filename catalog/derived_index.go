package catalog

import (
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"
)

// The entries derived from each input: one row per entry that some transform reads, holding the
// resource codes of the entries whose transforms read it, sorted. A lineage walk downstream asks
// it once per entry it reaches; as an index of the entries table it cost a radix key per input
// of every transform and a walk of an iterator per question. Derived from the entries, never
// checkpointed: kept by every entry write (noteDerived) and built once at restore (buildDerived).

const tableDerived = "derived"

// derivedRow is one input's derived entries; Codes is never changed in place.
type derivedRow struct {
	Input string
	Codes []string
}

func derivedTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableDerived,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Input")},
	}
}

func inputsOf(e *Entry) []string {
	if e == nil || e.Transform == nil {
		return nil
	}
	return e.Transform.Inputs
}

// derivedFrom lists the resource codes of the entries whose transforms read code, sorted. The
// slice is the state's: the caller must not change it.
func derivedFrom(txn *memdb.Txn, code string) []string {
	if r := lookup[derivedRow](txn, tableDerived, code); r != nil {
		return r.Codes
	}
	return nil
}

// hasDerived reports whether some entry's transform reads code.
func hasDerived(txn *memdb.Txn, code string) bool {
	return lookup[derivedRow](txn, tableDerived, code) != nil
}

// noteDerived keeps the rows of the inputs of e, written over old (nil for a new entry), in step.
func noteDerived(txn *memdb.Txn, old, e *Entry) error {
	before, after := inputsOf(old), inputsOf(e)
	if slices.Equal(before, after) {
		return nil
	}
	for _, in := range before {
		if !slices.Contains(after, in) {
			if err := setDerived(txn, in, e.ResourceCode, false); err != nil {
				return err
			}
		}
	}
	for _, in := range after {
		if !slices.Contains(before, in) {
			if err := setDerived(txn, in, e.ResourceCode, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// setDerived adds code to, or takes it from, the derived entries of input.
func setDerived(txn *memdb.Txn, input, code string, add bool) error {
	var codes []string
	if r := lookup[derivedRow](txn, tableDerived, input); r != nil {
		codes = r.Codes
	}
	i, found := slices.BinarySearch(codes, code)
	switch {
	case add && !found:
		codes = slices.Insert(slices.Clone(codes), i, code)
	case !add && found:
		codes = slices.Delete(slices.Clone(codes), i, i+1)
	default:
		return nil
	}
	if len(codes) == 0 {
		if _, err := txn.DeleteAll(tableDerived, indexID, input); err != nil {
			return fmt.Errorf("derived entries of %s: %w", input, err)
		}
		return nil
	}
	if err := txn.Insert(tableDerived, &derivedRow{Input: input, Codes: codes}); err != nil {
		return fmt.Errorf("derived entries of %s: %w", input, err)
	}
	return nil
}

// buildDerived writes the rows of every input of entries, given in resource-code order (so each
// row's codes come sorted): once, after a restore.
func buildDerived(txn *memdb.Txn, entries []*Entry) error {
	rows := map[string][]string{}
	for _, e := range entries {
		for _, in := range inputsOf(e) {
			if codes := rows[in]; len(codes) == 0 || codes[len(codes)-1] != e.ResourceCode {
				rows[in] = append(codes, e.ResourceCode)
			}
		}
	}
	for in, codes := range rows {
		if err := txn.Insert(tableDerived, &derivedRow{Input: in, Codes: slices.Clip(codes)}); err != nil {
			return fmt.Errorf("derived entries of %s: %w", in, err)
		}
	}
	return nil
}

// EachDerived calls fn with the resource code of every derived entry, once each, until fn
// returns false: a walk of the inputs' rows, whose cost is the derivations, not the directory.
func (v *View) EachDerived(fn func(code string) bool) {
	it, err := v.txn.Get(tableDerived, indexID)
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		for _, code := range raw.(*derivedRow).Codes {
			if !seen[code] {
				seen[code] = true
				if !fn(code) {
					return
				}
			}
		}
	}
}
