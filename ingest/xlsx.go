package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/schemas"
	"github.com/cqeco/ecolake/schemas/xlsxguard"
)

// xlsxDecoder reads one sheet of a workbook, a row at a time: the sheet's XML is streamed
// (excelize unpacks a large one to a temporary file), so a workbook of 200,000 rows is not held
// in memory as cells. Cells are read as Excel shows them in a Chinese locale (a number with its
// thousands separators, a date in a format of the workbook's own as 2024年5月7日), which the
// item types parse; the built-in short date, which Excel shows by the reader's locale, is read
// as 2024-05-07, never as an ambiguous 05-07-24.
type xlsxDecoder struct {
	f     *excelize.File
	rows  *excelize.Rows
	sheet string
	row   int
}

// DefaultXLSXLimits bound a submitted workbook: a district's file of a million rows fits (a
// 200,000-row sheet packs to 11 MB); what is beyond them is refused before it is unpacked. The
// packed file is held in memory while it is read, so the bound times the service's concurrent
// uploads is what workbooks may hold at once.
func DefaultXLSXLimits() xlsxguard.Limits {
	return xlsxguard.Limits{MaxBytes: 64 << 20, MaxUnzipBytes: 1 << 30, MaxParts: 1000, MaxRatio: 100}
}

// NewXLSXDecoder opens a workbook within o.XLSX and reads the sheet named o.Sheet, or its only
// sheet when it has one; a workbook of several sheets without a choice is refused with their
// names, and so is a sheet that is not there.
func NewXLSXDecoder(r io.Reader, o Options) (Decoder, error) {
	f, err := xlsxguard.Open(r, -1, o.XLSX, ErrInvalidSubmission, ErrTooLarge,
		excelize.Options{CultureInfo: excelize.CultureNameZhCN, ShortDatePattern: "yyyy-mm-dd", LongTimePattern: "hh:mm:ss"})
	if err != nil {
		return nil, err
	}
	sheet, err := pickSheet(f.GetSheetList(), o.Sheet)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		_ = f.Close()
		return nil, schemas.Userf(ErrInvalidSubmission, "无法读取工作表“%s”：%v", quoteName(sheet), err)
	}
	return &xlsxDecoder{f: f, rows: rows, sheet: sheet}, nil
}

// maxSheetsListed bounds the sheet names a message lists.
const maxSheetsListed = 20

// pickSheet returns the sheet to read: want (blanks around it ignored) when given, else the only
// one.
func pickSheet(sheets []string, want string) (string, error) {
	listed := sheets
	if len(listed) > maxSheetsListed {
		listed = listed[:maxSheetsListed]
	}
	names := make([]string, len(listed))
	for i, s := range listed {
		names[i] = "“" + quoteName(s) + "”"
	}
	all := strings.Join(names, "、")
	if len(sheets) > len(listed) {
		all += fmt.Sprintf(" 等 %d 个", len(sheets))
	}
	if want = strings.TrimSpace(want); want != "" {
		for _, s := range sheets {
			if strings.TrimSpace(s) == want {
				return s, nil
			}
		}
		return "", schemas.Userf(ErrInvalidSubmission, "工作簿中没有工作表“%s”，现有工作表：%s", quoteName(want), all)
	}
	switch len(sheets) {
	case 0:
		return "", schemas.Userf(ErrInvalidSubmission, "工作簿中没有工作表")
	case 1:
		return sheets[0], nil
	}
	return "", schemas.Userf(ErrInvalidSubmission, "工作簿有 %d 个工作表，请指定要读取的一个：%s", len(sheets), all)
}

func (d *xlsxDecoder) Next() ([]string, int, error) {
	if !d.rows.Next() {
		if err := d.rows.Error(); err != nil {
			return nil, 0, fmt.Errorf("read sheet %q: %w", d.sheet, err)
		}
		return nil, 0, io.EOF
	}
	d.row++
	cols, err := d.rows.Columns()
	if err != nil {
		return nil, d.row, &RecordError{Line: d.row, Reason: "无法读取该行的单元格", Err: err}
	}
	if len(cols) > MaxColumns {
		return nil, d.row, &RecordError{Line: d.row, Reason: fmt.Sprintf("该行超过 %d 列", MaxColumns), Err: errors.New("too many columns")}
	}
	return cols, d.row, nil
}

// Encoding is empty: a workbook's text has no encoding to report.
func (d *xlsxDecoder) Encoding() string { return "" }

// Sheet is the sheet read.
func (d *xlsxDecoder) Sheet() string { return d.sheet }

// Close removes the temporary files of the workbook's unpacked parts.
func (d *xlsxDecoder) Close() error {
	_ = d.rows.Close()
	return d.f.Close()
}
