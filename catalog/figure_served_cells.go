package catalog

import (
	"slices"

	"github.com/hashicorp/go-memdb"
)

// The cells of the served figures (figure_served.go): for each business item and each scene,
// the due entries that serve it grouped into cells exactly as the collection figure groups the
// directory (figure_cells.go), each cell keyed by what it serves and then by the figure's cell
// key. 业务事项覆盖率 asks each business item's cells the principal may see how many of their
// entries are collected now, instead of looking up every serving entry's load state: its cost is
// the cells, not the links. Derived like figure_cells: kept by the same hooks in the same
// transactions (figureEntryWrite, figureLoadWrite), never checkpointed, built in the same pass
// at a restore (buildFigureCells).

const tableServedCells = "served_cells"

func servedCellsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableServedCells,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

// servedRef is a business item or a scene an entry serves: index is indexBusiness or indexScene.
type servedRef struct{ index, code string }

// prefix begins the keys of the ref's cells; the terminator keeps "YW_1" from matching "YW_10".
func (r servedRef) prefix() string { return r.index + "\x00" + r.code + "\x00" }

// servedRefs lists what e serves.
func servedRefs(e *Entry) []servedRef {
	if e == nil || len(e.BusinessItems)+len(e.Scenes) == 0 {
		return nil
	}
	out := make([]servedRef, 0, len(e.BusinessItems)+len(e.Scenes))
	for _, b := range e.BusinessItems {
		out = append(out, servedRef{indexBusiness, b})
	}
	for _, s := range e.Scenes {
		out = append(out, servedRef{indexScene, s})
	}
	return out
}

// servedEntryWrite moves the served contributions of old (nil for a new entry) to e's, both
// with load state st: out of the cells of what old served, into those of what e serves.
func servedEntryWrite(txn *memdb.Txn, old, e *Entry, st loadState) error {
	oc, nc := contributionOf(old, st), contributionOf(e, st)
	var olds, news []servedRef
	if oc.due {
		olds = servedRefs(old)
	}
	if nc.due {
		news = servedRefs(e)
	}
	for _, r := range olds {
		n := contribution{}
		if slices.Contains(news, r) {
			n = nc
		}
		if err := updateCellsIn(txn, tableServedCells, r.prefix(), oc, n); err != nil {
			return err
		}
	}
	for _, r := range news {
		if !slices.Contains(olds, r) {
			if err := updateCellsIn(txn, tableServedCells, r.prefix(), contribution{}, nc); err != nil {
				return err
			}
		}
	}
	return nil
}

// servedLoadWrite moves e's served contributions from load state old to new.
func servedLoadWrite(txn *memdb.Txn, e *Entry, old, new loadState) error {
	oc, nc := contributionOf(e, old), contributionOf(e, new)
	for _, r := range servedRefs(e) {
		if err := updateCellsIn(txn, tableServedCells, r.prefix(), oc, nc); err != nil {
			return err
		}
	}
	return nil
}

// eachServedCell calls fn with the cells of the entries serving ref.
func eachServedCell(txn *memdb.Txn, ref servedRef, fn func(*figureCell)) {
	each(txn, tableServedCells, indexID+"_prefix", fn, ref.prefix())
}
