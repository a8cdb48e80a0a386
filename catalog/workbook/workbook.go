// Package workbook is the directory as the spreadsheet bureaus exchange: an xlsx workbook with a
// sheet of entries (目录) under the Chinese column names of 政务信息资源目录编制指南 and the bureau's
// own fields, a sheet of their items (信息项), and sheets that explain the code lists and the
// columns. Code values are written as their Chinese names and read back from either the name or
// the id. Reading collects every problem of a workbook, each with its sheet, row and column, so
// that a steward fixes them in one go; it checks the shape of what it reads (codes, numbers,
// links between the sheets), the catalogue checks the rest when the entries are applied.
package workbook

import "github.com/xuri/excelize/v2"

// Sheet names, as bureaus see them.
const (
	SheetEntries = "目录"
	SheetItems   = "信息项"
	SheetCodes   = "代码表说明"
	SheetGuide   = "填表说明"
)

// deptList is the name the code-list sheet gives the bureau's departments: they are catalogue
// objects, not a code list of schemas, so the sheet carries their names for the reader.
const deptList = "责任处室"

// Limits bound what reading a workbook may cost: it comes from outside (an upload, a file a
// steward was sent) and may be hostile.
type Limits struct {
	MaxBytes      int64 // the workbook file
	MaxUnzipBytes int64 // all its parts uncompressed (a zip bomb stops here)
	MaxParts      int   // files inside the zip
	MaxRatio      int   // unpacked size over packed size, above 1 MiB unpacked
	MaxEntryRows  int   // rows of the entries sheet, header included
	MaxItemRows   int   // rows of the items sheet, header included
	MaxColumns    int   // columns of a row
	MaxCellChars  int   // characters of one cell
	MaxProblems   int   // problems collected before reading stops
}

// DefaultLimits fit a whole province's directory (100,000 entries) with room to spare.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:      32 << 20,
		MaxUnzipBytes: 256 << 20,
		MaxParts:      1000,
		MaxRatio:      100,
		MaxEntryRows:  200_000,
		MaxItemRows:   excelize.TotalRows,
		MaxColumns:    64,
		MaxCellChars:  excelize.TotalCellChars,
		MaxProblems:   200,
	}
}
