package workbook

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/schemas/xlsxguard"
)

// Book is a workbook as read: its entries in sheet order, with the row each entry and each of
// its items came from, so that what the catalogue later refuses can be shown at its cell.
type Book struct {
	Entries  []*catalog.Entry
	rows     []int   // entries-sheet row of each entry
	itemRows [][]int // items-sheet row of each item of each entry
	absent   []int   // the entryCols with a keep the entries sheet does not have
}

// Read parses a workbook written by Write, or filled in by a steward from one, into entries.
// size is the file's size when known (-1 when not). A workbook with any problem gives no entries
// and an *Error listing every problem (up to Limits.MaxProblems); one that cannot be opened, or
// is over a limit, gives an error of kind ErrInvalid or ErrTooLarge with a Chinese message.
func Read(ctx context.Context, r io.Reader, size int64) ([]*catalog.Entry, error) {
	b, err := ReadBook(ctx, r, size, DefaultLimits())
	if err != nil {
		return nil, err
	}
	return b.Entries, nil
}

// ReadBook is Read with the rows each entry came from, under the given limits.
func ReadBook(ctx context.Context, r io.Reader, size int64, lim Limits) (*Book, error) {
	f, err := open(r, size, lim)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := &reader{ctx: ctx, f: f, lim: lim, probs: &collector{max: max(lim.MaxProblems, 1)},
		m: &importer{codes: map[string]map[string]string{}}, byLink: map[string]int{}}
	rd.objects()
	rd.entries()
	rd.items()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := rd.probs.err(); err != nil {
		return nil, err
	}
	return &rd.book, nil
}

// open reads a workbook under lim (xlsxguard.Open), raw cell values.
func open(r io.Reader, size int64, lim Limits) (*excelize.File, error) {
	return xlsxguard.Open(r, size, xlsxguard.Limits{MaxBytes: lim.MaxBytes, MaxUnzipBytes: lim.MaxUnzipBytes,
		MaxParts: lim.MaxParts, MaxRatio: lim.MaxRatio}, ErrInvalid, ErrTooLarge, excelize.Options{RawCellValue: true})
}

// reader is one reading of a workbook.
type reader struct {
	ctx    context.Context
	f      *excelize.File
	lim    Limits
	probs  *collector
	m      *importer
	book   Book
	byLink map[string]int // resource code or table → entry index
}

// walk calls fn with the header and then each non-empty row of a sheet, with its row number and
// its trimmed cells. Rows over the limit, rows too wide and cells too long are problems; a
// missing sheet is one too unless optional.
func (rd *reader) walk(name string, maxRows int, optional bool, header func([]string), fn func(int, []string)) {
	rows, err := rd.f.Rows(name)
	if err != nil {
		if !optional {
			rd.probs.add(Problem{Sheet: name, Message: "缺少工作表“" + name + "”"})
		}
		return
	}
	defer rows.Close()
	for n := 1; rows.Next() && !rd.probs.full(); n++ {
		if n%ctxEvery == 0 && rd.ctx.Err() != nil {
			return
		}
		if n > maxRows {
			rd.probs.add(Problem{Sheet: name, Row: n, Message: fmt.Sprintf("超过 %d 行的上限", maxRows)})
			return
		}
		cells, err := rows.Columns()
		if err != nil {
			rd.probs.add(Problem{Sheet: name, Row: n, Message: "无法读取该行"})
			return
		}
		if !rd.fit(name, n, cells) {
			continue
		}
		if n == 1 {
			header(cells)
		} else if !blank(cells) {
			fn(n, cells)
		}
	}
	if err := rows.Error(); err != nil && !rd.probs.full() {
		rd.probs.add(Problem{Sheet: name, Message: "无法读取工作表：行号超出 Excel 上限"})
	}
}

// fit trims the cells of a row in place and reports whether the row is within the limits.
func (rd *reader) fit(sheet string, row int, cells []string) bool {
	if len(cells) > rd.lim.MaxColumns {
		col, _ := excelize.ColumnNumberToName(len(cells))
		rd.probs.add(Problem{Sheet: sheet, Row: row, Column: col, Message: fmt.Sprintf("超过 %d 列的上限", rd.lim.MaxColumns)})
		return false
	}
	ok := true
	for i, c := range cells {
		if len(c) > rd.lim.MaxCellChars && len(utf16.Encode([]rune(c))) > rd.lim.MaxCellChars {
			col, _ := excelize.ColumnNumberToName(i + 1)
			rd.probs.add(Problem{Sheet: sheet, Row: row, Column: col, Message: fmt.Sprintf("单元格超过 %d 个字符的上限", rd.lim.MaxCellChars)})
			ok = false
		}
		cells[i] = strings.TrimSpace(c)
	}
	return ok
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}

// columns maps a sheet's header onto the declared columns: the cell index of each declared
// column (-1 when absent). Unknown, repeated and missing required columns are problems.
func (rd *reader) columns(sheet string, cells []string, heads []string, optional []bool) []int {
	at := make([]int, len(heads))
	for i := range at {
		at[i] = -1
	}
	for k, h := range cells {
		if h == "" {
			continue
		}
		col, _ := excelize.ColumnNumberToName(k + 1)
		i := indexOf(heads, h)
		switch {
		case i < 0:
			rd.probs.add(Problem{Sheet: sheet, Row: 1, Column: col, Header: h, Message: fmt.Sprintf("未知的列%s（列名见工作表“%s”）", schemas.Quote(h), SheetGuide)})
		case at[i] >= 0:
			rd.probs.add(Problem{Sheet: sheet, Row: 1, Column: col, Header: h, Message: "列名重复"})
		default:
			at[i] = k
		}
	}
	for i, h := range heads {
		if at[i] < 0 && !optional[i] {
			rd.probs.add(Problem{Sheet: sheet, Row: 1, Message: fmt.Sprintf("缺少列%s", schemas.Quote(h))})
		}
	}
	return at
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// unheaded reports the non-empty cells of a row under no column name: their content would be
// lost, so they are problems, not ignored.
func (rd *reader) unheaded(sheet string, row int, cells, header []string) {
	for k, v := range cells {
		if v != "" && (k >= len(header) || header[k] == "") {
			col, _ := excelize.ColumnNumberToName(k + 1)
			rd.probs.add(Problem{Sheet: sheet, Row: row, Column: col, Message: "该列没有列名，内容无法导入"})
		}
	}
}

// cellAt is the cell of a row under the column at index k (-1: the column is absent).
func (rd *reader) cellAt(sheet string, row int, cells []string, k int, head string) *cell {
	c := &cell{probs: rd.probs, sheet: sheet, row: row, head: head}
	if k >= 0 {
		c.col, _ = excelize.ColumnNumberToName(k + 1)
		if k < len(cells) {
			c.text = cells[k]
		}
	}
	return c
}

// columnName is the Excel letter of the column at index k (0-based).
func columnName(k int) string {
	name, _ := excelize.ColumnNumberToName(k + 1)
	return name
}
