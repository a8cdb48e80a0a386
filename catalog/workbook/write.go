package workbook

import (
	"context"
	"fmt"
	"io"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Write exports entries as the bureau workbook. The caller has chosen the entries (those that
// exist for the principal, View.Visible); v supplies the departments' names. Large directories
// are streamed row by row.
func Write(ctx context.Context, w io.Writer, v *catalog.View, entries []*catalog.Entry) error {
	f := excelize.NewFile()
	defer f.Close()
	x := newExporter(v)
	if err := f.SetSheetName("Sheet1", SheetEntries); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	for _, s := range []string{SheetItems, SheetCodes, SheetGuide} {
		if _, err := f.NewSheet(s); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	steps := []func() error{
		func() error { return writeEntries(ctx, f, head, x, entries) },
		func() error { return writeItems(ctx, f, head, entries) },
		func() error { return writeCodes(f, head, x) },
		func() error { return writeGuide(f, head) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// sheet streams one sheet: widths and the frozen header first, then the rows.
type sheet struct {
	sw  *excelize.StreamWriter
	row int
}

func newSheet(f *excelize.File, name string, head int, heads []string, widths []float64) (*sheet, error) {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("workbook %s: %w", name, err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, fmt.Errorf("workbook %s: %w", name, err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("workbook %s: %w", name, err)
	}
	s := &sheet{sw: sw}
	cells := make([]any, len(heads))
	for i, h := range heads {
		cells[i] = excelize.Cell{StyleID: head, Value: h}
	}
	return s, s.add(cells)
}

// add writes the next row. A text longer than a cell holds is refused rather than cut, since an
// export that loses text would import as a change.
func (s *sheet) add(values []any) error {
	s.row++
	if s.row > excelize.TotalRows {
		return schemas.Userf(ErrTooLarge, "导出失败: 超过 Excel 工作表的 %d 行上限", excelize.TotalRows)
	}
	for i, v := range values {
		if t, ok := v.(string); ok && len(utf16.Encode([]rune(t))) > excelize.TotalCellChars {
			col, _ := excelize.ColumnNumberToName(i + 1)
			return schemas.Userf(ErrTooLarge, "导出失败: 第%d行 %s列的内容超过 Excel 单元格的 %d 字符上限", s.row, col, excelize.TotalCellChars)
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, s.row)
	if err := s.sw.SetRow(cell, values); err != nil {
		return fmt.Errorf("workbook row %d: %w", s.row, err)
	}
	return nil
}

func (s *sheet) flush() error {
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	return nil
}

// ctxEvery is how many rows are written between looks at the context.
const ctxEvery = 1024

func writeEntries(ctx context.Context, f *excelize.File, head int, x *exporter, entries []*catalog.Entry) error {
	heads, widths := make([]string, len(entryCols)), make([]float64, len(entryCols))
	for i, c := range entryCols {
		heads[i], widths[i] = c.head, c.width
	}
	s, err := newSheet(f, SheetEntries, head, heads, widths)
	if err != nil {
		return err
	}
	for n, e := range entries {
		if n%ctxEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		row := make([]any, len(entryCols))
		for i, c := range entryCols {
			row[i] = c.get(x, e)
		}
		if err := s.add(row); err != nil {
			return err
		}
	}
	return s.flush()
}

func writeItems(ctx context.Context, f *excelize.File, head int, entries []*catalog.Entry) error {
	heads, widths := make([]string, len(itemCols)), make([]float64, len(itemCols))
	for i, c := range itemCols {
		heads[i], widths[i] = c.head, c.width
	}
	s, err := newSheet(f, SheetItems, head, heads, widths)
	if err != nil {
		return err
	}
	for n, e := range entries {
		if n%ctxEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		link := e.ResourceCode
		if link == "" {
			link = e.Table
		}
		for _, it := range e.Items.All() {
			row := make([]any, len(itemCols))
			row[0] = link
			for i, c := range itemCols[1:] {
				row[i+1] = c.get(&it)
			}
			if err := s.add(row); err != nil {
				return err
			}
		}
	}
	return s.flush()
}

// codeLists are the lists the code-list sheet explains, in the order a steward meets them.
var codeLists = []*schemas.CodeList{
	schemas.Categories, schemas.FormatTypes, schemas.ShareTypes, schemas.ShareModes, schemas.OpenTypes,
	schemas.UpdateCycles, schemas.EntryStatuses, schemas.SourceKinds, schemas.Domains, schemas.Grades,
	schemas.PITypes, schemas.DataTypes, schemas.Districts,
}

// headCodeList is the first column of the code-list sheet.
const headCodeList = "代码表"

// writeCodes explains every code list the sheets use: list, code, Chinese name. The departments,
// business items and scenes are listed too, from the catalogue, so that a reader resolves their
// names.
func writeCodes(f *excelize.File, head int, x *exporter) error {
	s, err := newSheet(f, SheetCodes, head, []string{headCodeList, "代码", "名称"}, []float64{16, 18, 30})
	if err != nil {
		return err
	}
	for _, l := range codeLists {
		for _, c := range l.Codes() {
			name := c.Name
			if l == schemas.Categories {
				name = categoryPath(c.ID)
			}
			if err := s.add([]any{listTitle(l), c.ID, name}); err != nil {
				return err
			}
		}
	}
	for _, n := range schemas.ListNames() {
		if err := s.add([]any{headCodeList, n, codeListTitle(n)}); err != nil {
			return err
		}
	}
	for _, list := range objectLists {
		for _, cn := range x.lists[list] {
			if err := s.add([]any{list, cn[0], cn[1]}); err != nil {
				return err
			}
		}
	}
	return s.flush()
}

// writeGuide says what each column holds and how it is read back.
func writeGuide(f *excelize.File, head int) error {
	s, err := newSheet(f, SheetGuide, head, []string{"工作表", "列", "列名", "填写说明"}, []float64{10, 6, 18, 80})
	if err != nil {
		return err
	}
	add := func(sheet string, i int, h, guide string) error {
		col, _ := excelize.ColumnNumberToName(i + 1)
		return s.add([]any{sheet, col, h, guide})
	}
	for i, c := range entryCols {
		if err := add(SheetEntries, i, c.head, c.guide); err != nil {
			return err
		}
	}
	for i, c := range itemCols {
		if err := add(SheetItems, i, c.head, c.guide); err != nil {
			return err
		}
	}
	note := "代码类的列填中文名称或代码均可；导入时任何一处有误则整个工作簿不导入，并列出每处问题的工作表、行与列。"
	return s.add([]any{"", "", "", note})
}
