package catalog

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The collection figure (figures.go) at a province's size: the due entries (published, not
// 涉密, not exempt) are grouped into cells of entries that share everything the figure and the
// access decision look at — grade and district (existsAt), department, source kind and domains
// (the breakdowns), and the update cycle (what "collected" means; kept in the cell rather than
// folded into a deadline, because the cycles' periods are code-list data that a replacement
// installed after the catalogue is opened may change). A cell counts its entries without current
// data and holds the others in a persistent tree by commit time (figure_tree.go), so that the
// figure asks each cell the principal may see how many are collected now: O(cells · log n),
// never a walk of the entries.
//
// The table is derived, like load_states: kept by storeEntry and noteCurrentSnapshot in the
// transaction that changes an entry or its current data, never stored in a checkpoint, and built
// once in bulk when one is restored (buildFigureCells).

const tableFigureCells = "figure_cells"

// figureCell is one group of due entries. Rows are replaced, never changed.
type figureCell struct {
	Key        string
	Grade      schemas.Grade
	District   string
	Department string
	SourceKind string
	Cycle      schemas.UpdateCycle
	Domains    []string // sorted; an entry with several domains counts in each

	Unloaded      int // entries without current data: never collected
	UnloadedItems int
	Loaded        *loadNode // the others, by commit time of their current data
}

func figureCellsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableFigureCells,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

// due counts the cell's entries and their items.
func (c *figureCell) due() (entries, items int) {
	n, i := c.Loaded.count()
	return c.Unloaded + n, c.UnloadedItems + i
}

// collectedAt counts the cell's entries collected at now, and their items, as collected
// (figures.go) decides: 不定时 entries once they have current data, the others while now is
// within the period and grace of their cycle after their data was committed.
func (c *figureCell) collectedAt(now time.Time) (entries, items int) {
	if c.Cycle == schemas.Irregular {
		return c.Loaded.count()
	}
	return countSince(c.Loaded, stampOf(now.Add(-(c.Cycle.Period() + c.Cycle.Grace()))))
}

// districtCells calls fn with the cells of one district: a district account sees city-level
// entries and its own districts' only, and reads those cells, not every district's.
func districtCells(txn *memdb.Txn, district string, fn func(*figureCell)) {
	each(txn, tableFigureCells, indexID+"_prefix", fn, district+"\x00")
}

// contribution is what one entry adds to the cells: nothing when it is not due.
type contribution struct {
	due                              bool
	grade                            schemas.Grade
	district, department, sourceKind string
	cycle                            schemas.UpdateCycle
	domains                          []string // as the entry lists them
	code                             string
	items                            int
	loaded                           bool  // it has current data
	at                               stamp // when that was committed
}

func isDue(e *Entry) bool {
	return e != nil && e.Status == StatusPublished && !e.Secret && !e.Exempt
}

// contributionOf is e's contribution with its load state st.
func contributionOf(e *Entry, st loadState) contribution {
	if !isDue(e) {
		return contribution{}
	}
	c := contribution{
		due: true, grade: e.Grade(), district: e.District, department: e.Department, sourceKind: e.SourceKind,
		cycle: e.UpdateCycle, domains: e.Domains, code: e.ResourceCode, items: e.Items.Len(),
	}
	if snap := st.Current; snap != nil && snap.ID == e.CurrentSnapshot {
		c.loaded, c.at = true, stampOf(snap.CommittedAt)
	}
	return c
}

func (c *contribution) sameCell(d *contribution) bool {
	return c.grade == d.grade && c.district == d.district && c.department == d.department &&
		c.sourceKind == d.sourceKind && c.cycle == d.cycle && slices.Equal(c.domains, d.domains)
}

func (c *contribution) same(d *contribution) bool {
	if c.due != d.due {
		return false
	}
	return !c.due || c.sameCell(d) && c.code == d.code && c.items == d.items && c.loaded == d.loaded && c.at == d.at
}

// key is the cell's key: the fields it shares, domains sorted. The district comes first, so
// that a district's cells are one range of the table (districtCells).
func (c *contribution) key() string { return string(c.appendKey(make([]byte, 0, 96))) }

// appendKey appends the key to b without allocating for up to eight domains, so that a bulk
// build looks cells up with no allocation per entry.
func (c *contribution) appendKey(b []byte) []byte {
	for _, s := range [...]string{c.district, string(c.grade), c.department, c.sourceKind, string(c.cycle)} {
		b = append(b, s...)
		b = append(b, 0)
	}
	ds := c.domains
	if !slices.IsSorted(ds) {
		var buf [8]string
		if len(ds) <= len(buf) {
			ds = buf[:copy(buf[:], ds)]
		} else {
			ds = slices.Clone(ds)
		}
		slices.Sort(ds)
	}
	for i, d := range ds {
		if i > 0 {
			b = append(b, 1)
		}
		b = append(b, d...)
	}
	return b
}

func (c *contribution) newCell(key string) *figureCell {
	ds := slices.Clone(c.domains)
	slices.Sort(ds)
	return &figureCell{Key: key, Grade: c.grade, District: c.district, Department: c.department,
		SourceKind: c.sourceKind, Cycle: c.cycle, Domains: ds}
}

// add puts the contribution into cell, a copy the caller owns.
func (c *contribution) add(cell *figureCell) {
	if c.loaded {
		cell.Loaded = treeInsert(cell.Loaded, c.at, c.code, c.items)
		return
	}
	cell.Unloaded++
	cell.UnloadedItems += c.items
}

// remove takes the contribution out of cell, a copy the caller owns.
func (c *contribution) remove(cell *figureCell) error {
	if c.loaded {
		t, ok := treeDelete(cell.Loaded, c.at, c.code)
		if !ok {
			return fmt.Errorf("figure cell %q does not hold %s", cell.Key, c.code)
		}
		cell.Loaded = t
		return nil
	}
	if cell.Unloaded == 0 {
		return fmt.Errorf("figure cell %q holds no unloaded entry for %s", cell.Key, c.code)
	}
	cell.Unloaded--
	cell.UnloadedItems -= c.items
	return nil
}

// updateCells replaces an entry's contribution old by new. Nothing is written when they are the
// same: a write that changes nothing the figure counts leaves the cells alone.
func updateCells(txn *memdb.Txn, old, new contribution) error {
	return updateCellsIn(txn, tableFigureCells, "", old, new)
}

// updateCellsIn is updateCells in table, whose keys begin with prefix (figure_served_cells.go).
func updateCellsIn(txn *memdb.Txn, table, prefix string, old, new contribution) error {
	if old.same(&new) {
		return nil
	}
	if old.due && new.due && old.sameCell(&new) {
		return changeCell(txn, table, &old, prefix+old.key(), func(cell *figureCell) error {
			if err := old.remove(cell); err != nil {
				return err
			}
			new.add(cell)
			return nil
		})
	}
	if old.due {
		if err := changeCell(txn, table, &old, prefix+old.key(), old.remove); err != nil {
			return err
		}
	}
	if new.due {
		return changeCell(txn, table, &new, prefix+new.key(), func(cell *figureCell) error { new.add(cell); return nil })
	}
	return nil
}

// changeCell applies fn to a copy of the cell of key in table (a new one made from c when there
// is none) and stores the copy, or deletes the cell once it holds no entry.
func changeCell(txn *memdb.Txn, table string, c *contribution, key string, fn func(*figureCell) error) error {
	raw, err := txn.First(table, indexID, key)
	if err != nil {
		return fmt.Errorf("figure cell: %w", err)
	}
	var cell *figureCell
	if raw != nil {
		cp := *raw.(*figureCell)
		cell = &cp
	} else {
		cell = c.newCell(key)
	}
	if err := fn(cell); err != nil {
		return err
	}
	if n, _ := cell.due(); n == 0 {
		if raw == nil {
			return nil
		}
		if err := txn.Delete(table, raw); err != nil {
			return fmt.Errorf("drop figure cell: %w", err)
		}
		return nil
	}
	if err := txn.Insert(table, cell); err != nil {
		return fmt.Errorf("store figure cell: %w", err)
	}
	return nil
}

// storedEntry returns the stored entry of code, nil when there is none.

// figureEntryWrite moves the contribution of old, the stored entry of e's code (nil for a new
// one), to e's: storeEntry calls it before e replaces old.
func figureEntryWrite(txn *memdb.Txn, old, e *Entry) error {
	if !isDue(old) && !isDue(e) {
		return nil
	}
	st := loadStateTxn(txn, e.ResourceCode)
	if err := updateCells(txn, contributionOf(old, st), contributionOf(e, st)); err != nil {
		return err
	}
	return servedEntryWrite(txn, old, e, st)
}

// figureLoadWrite moves an entry's contribution from its load state old to new:
// noteCurrentSnapshot calls it before new replaces old.
func figureLoadWrite(txn *memdb.Txn, old, new loadState) error {
	e := storedEntry(txn, old.Entry)
	if !isDue(e) {
		return nil
	}
	if err := updateCells(txn, contributionOf(e, old), contributionOf(e, new)); err != nil {
		return err
	}
	return servedLoadWrite(txn, e, old, new)
}

// buildFigureCells derives the whole table from the entries and load states of txn in one
// ordered pass: a checkpoint restore inserts neither through the hooks, and calls it once at the
// end. Each cell's tree is built from its sorted entries in linear time.
func buildFigureCells(txn *memdb.Txn) error {
	type building struct {
		cell  *figureCell
		nodes []*loadNode
	}
	cells := map[string]*building{}  // of the figure
	served := map[string]*building{} // of the business items and scenes (figure_served_cells.go)
	var key, skey []byte
	add := func(cells map[string]*building, key []byte, c *contribution) {
		b := cells[string(key)]
		if b == nil {
			k := string(key)
			b = &building{cell: c.newCell(k)}
			cells[k] = b
		}
		if c.loaded {
			b.nodes = append(b.nodes, newLoadNode(c.at, c.code, c.items))
		} else {
			b.cell.Unloaded++
			b.cell.UnloadedItems += c.items
		}
	}
	loads := newLoadStates(txn, "")
	eachEntry(txn, func(e *Entry) {
		c := contributionOf(e, loads.of(e.ResourceCode))
		if !c.due {
			return
		}
		key = c.appendKey(key[:0])
		add(cells, key, &c)
		for _, r := range servedRefs(e) {
			skey = append(append(skey[:0], r.prefix()...), key...)
			add(served, skey, &c)
		}
	})
	for table, m := range map[string]map[string]*building{tableFigureCells: cells, tableServedCells: served} {
		for _, b := range m {
			slices.SortFunc(b.nodes, func(x, y *loadNode) int { return x.cmpKey(y.when(), y.code) })
			b.cell.Loaded = buildTree(b.nodes)
			if err := txn.Insert(table, b.cell); err != nil {
				return fmt.Errorf("store figure cell: %w", err)
			}
		}
	}
	return nil
}
