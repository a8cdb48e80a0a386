// Package report is the monthly meeting's workbook of the management figures (STANDARDS.md §5):
// the three figures against their targets, their breakdowns side by side, every entry that holds
// 数据归集率 back, and the business items and "一件事" behind the other two. It is computed over
// the entries that exist for one principal, as every door computes the figures, and written
// with excelize's stream writer one row at a time.
package report

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
)

// Sheet names, as the meeting sees them.
const (
	SheetOverview   = "概览"
	SheetDepartment = "按处室"
	SheetDistrict   = "按区县"
	SheetDomain     = "按治理领域"
	SheetSourceKind = "按来源类型"
	SheetLagging    = "未归集清单"
	SheetCoverage   = "业务事项覆盖"
	SheetOneThing   = "一件事运行"
)

// DefaultMaxLagRows bounds the hold-back sheet: a province whose figure is far from its target
// still gets a workbook Excel opens; the sheet says when it is cut.
const DefaultMaxLagRows = 200_000

// Report says whose figures to write and when.
type Report struct {
	Principal *catalog.Principal // the figures are over the entries that exist for it; nil is nobody
	Now       time.Time          // the figures' time
	Targets   catalog.FigureTargets
	// Used says when each scene account last queried in the period before Now (the audit's);
	// nil counts no scene in use.
	Used catalog.SceneUse
	// UsageIncomplete are the audit's days whose scene queries are not all counted.
	UsageIncomplete []string
	MaxLagRows      int // 0 for DefaultMaxLagRows
}

// zone is the bureau's local time, in which the workbook gives every time.
var zone = time.FixedZone("CST", 8*3600)

// Workbook is the report built and not yet written: its sheets wait in excelize's stream
// writers (spilled to temporary files when large) until WriteTo.
type Workbook struct {
	f    *excelize.File
	rows int
}

// Rows is how many rows of figures and lists the workbook holds (headers and notes left out),
// for the audit of the door that hands it out.
func (wb *Workbook) Rows() int { return wb.rows }

// WriteTo writes the workbook file to w.
func (wb *Workbook) WriteTo(w io.Writer) (int64, error) {
	n, err := wb.f.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("write report: %w", err)
	}
	return n, nil
}

// Close drops the workbook's temporary files.
func (wb *Workbook) Close() error { return wb.f.Close() }

// Write builds the report on v and writes it to w, returning Workbook.Rows.
func Write(ctx context.Context, w io.Writer, v *catalog.View, r Report) (int, error) {
	wb, err := Build(ctx, v, r)
	if err != nil {
		return 0, err
	}
	defer wb.Close()
	if _, err := wb.WriteTo(w); err != nil {
		return 0, err
	}
	return wb.rows, nil
}

// Build computes the figures on v and lays out the workbook; the caller writes and closes it.
func Build(ctx context.Context, v *catalog.View, r Report) (_ *Workbook, err error) {
	if r.Principal == nil {
		r.Principal = &catalog.Principal{} // nobody: empty figures, never the whole directory
	}
	if r.MaxLagRows <= 0 {
		r.MaxLagRows = DefaultMaxLagRows
	}
	r.MaxLagRows = min(r.MaxLagRows, excelize.TotalRows-2) // the header and the note of a cut list
	figs := figures{
		collection: v.CollectionRateFor(r.Now, r.Principal),
		coverage:   v.CoverageRate(r.Now, r.Principal),
		oneThing:   v.OneThingRate(r.Now, r.Principal, r.Used),
	}
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SheetOverview); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, s := range []string{SheetDepartment, SheetDistrict, SheetDomain, SheetSourceKind, SheetLagging, SheetCoverage, SheetOneThing} {
		if _, err := f.NewSheet(s); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	b := &book{f: f, st: st, v: v, r: r, figs: figs}
	steps := []func() error{
		b.overview,
		func() error { return b.breakdown(SheetDepartment, "责任处室", dimDepartment) },
		func() error { return b.breakdown(SheetDistrict, "区县", dimDistrict) },
		func() error { return b.breakdown(SheetDomain, "治理领域", dimDomain) },
		func() error { return b.breakdown(SheetSourceKind, "来源类型", dimSourceKind) },
		func() error { return b.lagging(ctx) },
		b.coverageList,
		b.oneThingList,
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := step(); err != nil {
			return nil, err
		}
	}
	f.SetActiveSheet(0)
	return &Workbook{f: f, rows: b.rows}, nil
}

// figures are the three figures of one principal at one time.
type figures struct {
	collection *catalog.CollectionFigure
	coverage   *catalog.CoverageFigure
	oneThing   *catalog.OneThingFigure
}

// book is the workbook being written.
type book struct {
	f    *excelize.File
	st   styles
	v    *catalog.View
	r    Report
	figs figures
	rows int // rows of figures and lists written
}

type styles struct {
	head, percent, note int
}

func newStyles(f *excelize.File) (styles, error) {
	var st styles
	var err error
	if st.head, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}); err != nil {
		return st, fmt.Errorf("report: %w", err)
	}
	if st.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return st, fmt.Errorf("report: %w", err)
	}
	if st.note, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "C00000"}}); err != nil {
		return st, fmt.Errorf("report: %w", err)
	}
	return st, nil
}

// sheet streams one sheet: widths and the frozen header rows first, then the rows.
type sheet struct {
	sw  *excelize.StreamWriter
	row int
}

// newSheet opens a sheet whose first headRows rows are its header, frozen.
func (b *book) newSheet(name string, headRows int, widths []float64) (*sheet, error) {
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, fmt.Errorf("report %s: %w", name, err)
		}
	}
	top, _ := excelize.CoordinatesToCellName(1, headRows+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headRows, TopLeftCell: top, ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	return &sheet{sw: sw}, nil
}

// head writes a header row.
func (b *book) head(s *sheet, heads ...string) error {
	cells := make([]any, len(heads))
	for i, h := range heads {
		cells[i] = excelize.Cell{StyleID: b.st.head, Value: h}
	}
	return s.add(cells)
}

// note writes a row of one remark.
func (b *book) note(s *sheet, text string) error {
	return s.add([]any{excelize.Cell{StyleID: b.st.note, Value: clip(text)}})
}

// pct is a share shown as a percentage.
func (b *book) pct(v float64) excelize.Cell { return excelize.Cell{StyleID: b.st.percent, Value: v} }

func (s *sheet) add(values []any) error {
	s.row++
	cell, _ := excelize.CoordinatesToCellName(1, s.row)
	if err := s.sw.SetRow(cell, values); err != nil {
		return fmt.Errorf("report row %d: %w", s.row, err)
	}
	return nil
}

func (s *sheet) flush() error {
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// clip keeps a text within what one cell holds.
func clip(s string) string {
	const max = excelize.TotalCellChars / 2 // UTF-16 units: each rune counted as up to two
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// stamp is a time as the meeting reads it, "" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02 15:04")
}

func yesNo(ok bool) string {
	if ok {
		return "是"
	}
	return "否"
}

// MetText says whether a figure meets its target, as the meeting reads it.
func MetText(numerator, denominator int, target float64) string {
	if catalog.MeetsTarget(numerator, denominator, target) {
		return "达标"
	}
	return "未达标"
}
