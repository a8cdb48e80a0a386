package workbook

import (
	"fmt"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// maxCodeRows bounds the code-list sheet: some hundred codes and the bureau's departments.
const maxCodeRows = 10_000

// objects learns the names of departments, business items and scenes from the code-list sheet,
// so that the entries sheet may name them as people do. The sheet is optional: without it they
// are codes.
func (rd *reader) objects() {
	list, code, name := -1, -1, -1
	rd.walk(SheetCodes, maxCodeRows, true, func(cells []string) {
		list, code, name = indexOf(cells, headCodeList), indexOf(cells, "代码"), indexOf(cells, "名称")
	}, func(_ int, cells []string) {
		if list < 0 || code < 0 || name < 0 || max(list, code, name) >= len(cells) || indexOf(objectLists, cells[list]) < 0 {
			return
		}
		byName := rd.m.codes[cells[list]]
		if byName == nil {
			byName = map[string]string{}
			rd.m.codes[cells[list]] = byName
		}
		if _, seen := byName[cells[name]]; !seen && cells[name] != "" && cells[code] != "" {
			byName[cells[name]] = cells[code]
		}
	})
}

// entries reads the entries sheet: one entry per row, linked by resource code or, for a new
// entry without one, by table name.
func (rd *reader) entries() {
	heads, optional := make([]string, len(entryCols)), make([]bool, len(entryCols))
	for i, c := range entryCols {
		heads[i], optional[i] = c.head, c.optional
	}
	var at []int
	var header []string
	firstRow := map[string]int{} // link → row that used it first
	rd.walk(SheetEntries, rd.lim.MaxEntryRows, false, func(cells []string) {
		header, at = cells, rd.columns(SheetEntries, cells, heads, optional)
		for i, col := range entryCols {
			if at[i] < 0 && col.keep != nil {
				rd.book.absent = append(rd.book.absent, i)
			}
		}
	}, func(row int, cells []string) {
		rd.unheaded(SheetEntries, row, cells, header)
		e := &catalog.Entry{}
		var codeCell, tableCell *cell
		for i, col := range entryCols {
			c := rd.cellAt(SheetEntries, row, cells, at[i], col.head)
			switch col.head {
			case headCode:
				codeCell = c
			case headTable:
				tableCell = c
			}
			if !col.readOnly {
				col.set(rd.m, c, e)
			}
		}
		if e.ResourceCode == "" && e.Table == "" {
			rd.probs.add(Problem{Sheet: SheetEntries, Row: row, Message: "信息资源代码与数据表名至少填写一项"})
			return
		}
		ok := true
		for _, l := range []struct {
			key string
			c   *cell
		}{{e.ResourceCode, codeCell}, {e.Table, tableCell}} {
			if l.key == "" {
				continue
			}
			if r, dup := firstRow[l.key]; dup {
				l.c.bad("%s与第%d行重复", schemas.Quote(l.key), r)
				ok = false
			}
		}
		if !ok {
			return
		}
		for _, key := range []string{e.ResourceCode, e.Table} {
			if key != "" {
				firstRow[key] = row
				rd.byLink[key] = len(rd.book.Entries)
			}
		}
		rd.book.Entries = append(rd.book.Entries, e)
		rd.book.rows = append(rd.book.rows, row)
		rd.book.itemRows = append(rd.book.itemRows, nil)
	})
}

// items reads the items sheet into the entries, in sheet order.
func (rd *reader) items() {
	heads, optional := make([]string, len(itemCols)), make([]bool, len(itemCols))
	for i, c := range itemCols {
		heads[i], optional[i] = c.head, c.optional
	}
	var at []int
	type seenKey struct {
		entry int
		what  string
		val   string
	}
	seen := map[seenKey]int{}
	items := make([][]catalog.Item, len(rd.book.Entries)) // packed into the entries at the end
	var header []string
	rd.walk(SheetItems, rd.lim.MaxItemRows, false, func(cells []string) {
		header, at = cells, rd.columns(SheetItems, cells, heads, optional)
	}, func(row int, cells []string) {
		rd.unheaded(SheetItems, row, cells, header)
		link := rd.cellAt(SheetItems, row, cells, at[0], itemCols[0].head)
		var it catalog.Item
		cellOf := map[string]*cell{}
		for i, col := range itemCols[1:] {
			c := rd.cellAt(SheetItems, row, cells, at[i+1], col.head)
			cellOf[col.head] = c
			col.set(c, &it)
		}
		if link.text == "" {
			link.bad("必填：所属目录的信息资源代码（新目录填数据表名）")
			return
		}
		ei, ok := rd.byLink[link.text]
		if !ok {
			link.bad("%s不是工作表“%s”中任何目录的信息资源代码或数据表名", schemas.Quote(link.text), SheetEntries)
			return
		}
		for _, k := range []struct{ head, val string }{{"信息项名称", it.Name}, {"字段标识", it.Field}, {"编号", idText(it.ID)}} {
			if k.val == "" {
				continue
			}
			key := seenKey{ei, k.head, k.val}
			if r, dup := seen[key]; dup {
				cellOf[k.head].bad("%s与第%d行重复（同一目录内）", schemas.Quote(k.val), r)
				ok = false
				continue
			}
			seen[key] = row
		}
		if !ok {
			return
		}
		items[ei] = append(items[ei], it)
		rd.book.itemRows[ei] = append(rd.book.itemRows[ei], row)
	})
	for ei, e := range rd.book.Entries {
		e.Items = catalog.ItemsOf(items[ei]...)
	}
}

func idText(id int) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}
