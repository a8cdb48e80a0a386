package catalog

import "fmt"

// EntriesChangedSince calls fn with a copy of every entry changed after journal index idx, in
// the order of their ModifyIndex (entries changed by one command in resource-code order), until fn
// returns false. Every command that changes an entry stamps its ModifyIndex, so a follower that
// has seen the catalogue up to idx catches up with the entries this returns; entries are never
// deleted (retirement is a status), so nothing else can have changed. idx 0 lists every entry.
func (v *View) EntriesChangedSince(idx uint64, fn func(*Entry) bool) {
	from := idx + 1
	if idx == 0 {
		from = 0
	}
	it, err := v.txn.LowerBound(tableEntries, indexModifyIndex, from)
	if err != nil {
		panic(fmt.Sprintf("catalog: %s.%s: %v", tableEntries, indexModifyIndex, err)) // schema bug, not input
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !fn(raw.(*Entry).Copy()) {
			return
		}
	}
}
