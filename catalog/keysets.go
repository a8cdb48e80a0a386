package catalog

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The entries' secondary keys: lake table name, department, district and grade, by which
// entries are looked up (table) or the directory list is filtered (directory.go).
//
// Each value of each kind is one row of key_sets, holding the resource codes of the entries that
// have it as a persistent treap (figure_tree.go's loadNode, keyed by code alone). A province has
// a few hundred such rows, where an index key per entry and kind costs a radix leaf and node of
// its own, about 500 bytes each (190 MB at 100,000 entries). Adding or removing a code copies the
// nodes on its path (O(log n)) into a new row; a memdb snapshot that holds the old row keeps the
// old tree. A set is changed only when an entry's value of its kind changes (noteEntryKeys):
// submitting, approving, loading and most grading touch none. The sets are derived from the
// entries: rebuilt once when a checkpoint is restored (buildKeySets), never stored.

const tableKeySets = "key_sets"

// tableEntryCounts counts the entries of each district and grade: the two things of an entry
// the access decision looks at (existsAt), so that the directory's count of what exists for a
// principal, unfiltered or by district or grade, adds up a few hundred rows (DirectoryCount)
// rather than walking the directory. Derived and kept like the sets.
const tableEntryCounts = "entry_counts"

// entryCount is the number of entries of one district ("" for drafts without one) and grade.
type entryCount struct {
	Key      string // district \x00 grade
	District string
	Grade    schemas.Grade
	N        int
}

// Kinds of entry keys.
const (
	keyTable      = "t"
	keyDepartment = "d"
	keyDistrict   = "r"
	keyGrade      = "g"
)

// keySet is the set of the entries with one value of one kind. Its tree's nodes carry codes only
// (a zero time), so that they are ordered by resource code; the tree is never changed in place.
type keySet struct {
	Key   string // kind \x00 value
	codes *loadNode
}

func keySetsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableKeySets,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

func entryCountsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableEntryCounts,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

// addEntryCount adds d to the count of district and grade, removing a row that falls to zero.
func addEntryCount(txn *memdb.Txn, district string, grade schemas.Grade, d int) error {
	key := district + "\x00" + string(grade)
	c := entryCount{Key: key, District: district, Grade: grade}
	raw, err := txn.First(tableEntryCounts, indexID, key)
	if err != nil {
		return fmt.Errorf("count of %s/%s: %w", district, grade, err)
	}
	if raw != nil {
		c = *raw.(*entryCount)
	}
	if c.N += d; c.N > 0 {
		err = txn.Insert(tableEntryCounts, &c)
	} else {
		_, err = txn.DeleteAll(tableEntryCounts, indexID, key)
	}
	if err != nil {
		return fmt.Errorf("count of %s/%s: %w", district, grade, err)
	}
	return nil
}

// setKey names the set of the entries whose kind has value.
func setKey(kind, value string) string { return kind + "\x00" + value }

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

// keySetOf returns the tree of the set of key, nil when no entry has it.
func keySetOf(txn *memdb.Txn, key string) *loadNode {
	if s := lookup[keySet](txn, tableKeySets, key); s != nil {
		return s.codes
	}
	return nil
}

// putKeySet stores the tree of key, removing the row of an empty set.
func putKeySet(txn *memdb.Txn, key string, codes *loadNode) error {
	var err error
	if codes == nil {
		_, err = txn.DeleteAll(tableKeySets, indexID, key)
	} else {
		err = txn.Insert(tableKeySets, &keySet{Key: key, codes: codes})
	}
	if err != nil {
		return fmt.Errorf("key set %q: %w", strings.ReplaceAll(key, "\x00", "="), err)
	}
	return nil
}

// noteEntryKeys moves e's code between the sets of the values that differ from old's (old is
// nil for a new entry): comparing the values builds nothing.
func noteEntryKeys(txn *memdb.Txn, old, e *Entry) error {
	var was [4]string
	if old != nil {
		was = keyValues(old)
	}
	now := keyValues(e)
	if was == now {
		return nil
	}
	if old == nil || old.District != e.District || old.Grade() != e.Grade() {
		if old != nil {
			if err := addEntryCount(txn, old.District, old.Grade(), -1); err != nil {
				return err
			}
		}
		if err := addEntryCount(txn, e.District, e.Grade(), 1); err != nil {
			return err
		}
	}
	for i, kind := range keyKinds {
		if was[i] == now[i] {
			continue
		}
		if was[i] != "" {
			key := setKey(kind, was[i])
			codes, _ := treeDelete(keySetOf(txn, key), stamp{}, old.ResourceCode)
			if err := putKeySet(txn, key, codes); err != nil {
				return err
			}
		}
		if now[i] != "" {
			key := setKey(kind, now[i])
			codes := treeInsert(keySetOf(txn, key), stamp{}, e.ResourceCode, 0)
			if err := putKeySet(txn, key, codes); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildKeySets makes the sets, counts and feed (feed.go) of every entry restored. The entries
// are read from memdb once; the trees are then computed from them (immutable once stored) in two
// goroutines, the feed's sort and build beside the sets', and stored.
func buildKeySets(txn *memdb.Txn) error {
	var entries []*Entry
	eachEntry(txn, func(e *Entry) { entries = append(entries, e) })
	feed := make(chan *loadNode, 1)
	go func() { feed <- feedTree(entries) }()
	sets, counts := keySetTrees(entries)
	if err := putFeed(txn, <-feed); err != nil {
		return err
	}
	if err := buildDerived(txn, entries); err != nil {
		return err
	}
	for k, t := range sets {
		if err := putKeySet(txn, k, t); err != nil {
			return err
		}
	}
	for c, n := range counts {
		c.Key, c.N = c.District+"\x00"+string(c.Grade), n
		if err := txn.Insert(tableEntryCounts, &c); err != nil {
			return fmt.Errorf("count of %s/%s: %w", c.District, c.Grade, err)
		}
	}
	return nil
}

// keySetTrees computes the set of every value and the counts of entries, given in resource-code
// order: one O(n) tree build per set.
func keySetTrees(entries []*Entry) (map[string]*loadNode, map[entryCount]int) {
	sets := map[string][]*loadNode{}
	counts := map[entryCount]int{}
	var key []byte
	for _, e := range entries {
		counts[entryCount{District: e.District, Grade: e.Grade()}]++
		for i, v := range keyValues(e) {
			if v == "" {
				continue
			}
			key = append(append(append(key[:0], keyKinds[i]...), 0), v...)
			if nodes, ok := sets[string(key)]; ok {
				sets[string(key)] = append(nodes, newLoadNode(stamp{}, e.ResourceCode, 0))
			} else {
				sets[string(key)] = []*loadNode{newLoadNode(stamp{}, e.ResourceCode, 0)}
			}
		}
	}
	trees := make(map[string]*loadNode, len(sets))
	for k, nodes := range sets {
		trees[k] = buildTree(nodes)
	}
	return trees, counts
}

// entryByKey returns the first entry with the value of a kind, nil when none has it: for a
// table name, the entry whose table it is.
func entryByKey(txn *memdb.Txn, kind, value string) *Entry {
	t := keySetOf(txn, setKey(kind, value))
	for t != nil && t.l != nil {
		t = t.l
	}
	if t == nil {
		return nil
	}
	e, err := entryTxn(txn, t.code)
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

// codeCursor walks the nodes of a tree in order: the stack holds the nodes still to come whose
// right subtree is not yet entered, the next one on top.
type codeCursor struct{ stack []*loadNode }

// seek positions the cursor at the first code of a set at or after target.
func (c *codeCursor) seek(t *loadNode, target string) { c.seekKey(t, stamp{}, target) }

// seekKey positions the cursor at the first node of t at or after (at, code).
func (c *codeCursor) seekKey(t *loadNode, at stamp, code string) {
	c.stack = c.stack[:0]
	for t != nil {
		if t.cmpKey(at, code) >= 0 {
			c.stack = append(c.stack, t)
			t = t.l
		} else {
			t = t.r
		}
	}
}

// next returns the next code, false past the last.
func (c *codeCursor) next() (string, bool) {
	n := c.nextNode()
	if n == nil {
		return "", false
	}
	return n.code, true
}

// nextNode returns the next node, nil past the last.
func (c *codeCursor) nextNode() *loadNode {
	if len(c.stack) == 0 {
		return nil
	}
	n := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	for t := n.r; t != nil; t = t.l {
		c.stack = append(c.stack, t)
	}
	return n
}

// setLen is the number of codes in a set.
func setLen(t *loadNode) int {
	n, _ := t.count()
	return n
}
