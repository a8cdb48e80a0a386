package catalog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The daily history of the three management figures. A day's figures are taken once it has
// ended (or back-filled from the runs' history for days before the first), in one command, and
// never changed: "on 2026-03-01 the rate was 87.4%, these 12 entries were missing" can be
// audited later.
//
// A figure is over the entries that exist for its reader, so a day is kept for every clearance
// grade (FigureDayView), and a reader is shown the view of its own clearance: nobody learns
// from the history what the live figures would not tell it. District accounts, whose figures
// depend on their districts too, are not given the history. The headline counts of each view
// are kept plain for trends; the breakdowns and the hold-back list are kept compressed
// (FigureDay.Detail) and decoded only for the day asked about.

// FigureDay is one day's figures.
type FigureDay struct {
	Day        string    // YYYY-MM-DD, a day in Chongqing
	At         time.Time // when they were taken (or, back-filled, the end of the day)
	Backfilled bool      // rebuilt from the runs' history, not taken when the day ended
	Views      []FigureDayView
	Detail     []byte // gzip'd JSON of a FigureDayDetail
	Revision   uint64
}

// FigureCounts is a figure's numerator and denominator.
type FigureCounts struct{ Numerator, Denominator int }

// Rate is Numerator/Denominator, 0 when there is nothing to count.
func (c FigureCounts) Rate() float64 { return ratio(c.Numerator, c.Denominator) }

// FigureDayView is a day's figures as a reader of one clearance sees them.
type FigureDayView struct {
	Clearance  schemas.Grade
	Collection FigureCounts // 数据归集率
	Items      FigureCounts // the same at item (信息项) level
	Coverage   FigureCounts // 业务事项覆盖率
	OneThing   FigureCounts // "一件事"上线运行率
}

// FigureDayDetail is what a day keeps compressed: the breakdowns of each view and the entries
// that held the collection figure back.
type FigureDayDetail struct {
	Views   []FigureDayBreakdowns
	Lagging []DayLag // by resource code
}

// FigureDayBreakdowns are one view's breakdowns of the three figures.
type FigureDayBreakdowns struct {
	Clearance                      schemas.Grade
	Collection, Coverage, OneThing FigureBreakdowns
}

// FigureBreakdowns is a figure broken down four ways.
type FigureBreakdowns struct {
	ByDepartment, ByDistrict, ByDomain, BySourceKind []Breakdown
}

// DayLag is an entry that held the collection figure back that day; its grade and district
// decide who is shown it.
type DayLag struct {
	Entry      string
	Grade      schemas.Grade
	District   string
	Department string
	Reason     string    // as Lag.Reason
	LastLoad   time.Time `json:",omitzero"`
	Run        string    `json:",omitempty"` // the failed run, for the failure reasons
}

// MaxHistoryDays is the longest period one history read covers.
const MaxHistoryDays = 400

const (
	tableFigureDays              = "figure_days"
	cmdPutFigureDay      cmdType = "put_figure_day"
	ckptFigureDay        cmdType = "figure_day"
	figureDayLayout              = "2006-01-02"
	maxFigureDetailBytes         = 64 << 20
)

func figureDaysTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{Name: tableFigureDays, Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Day")}}
}

type putFigureDayCmd struct {
	Day FigureDay `json:"day"`
}

func init() {
	appliers[cmdPutFigureDay] = applier{cmdVersion1, decodeApply(applyPutFigureDay)}
}

// RecordFigures keeps a day's figures, unless that day is kept already (ErrConflict): a day is
// taken once. detail is compressed into the record.
func (s *Store) RecordFigures(ctx context.Context, d *FigureDay, detail *FigureDayDetail) error {
	if _, err := time.Parse(figureDayLayout, d.Day); err != nil {
		return schemas.Userf(ErrInvalid, "日期“%s”应为 YYYY-MM-DD", d.Day)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(detail); err != nil {
		return fmt.Errorf("encode figures of %s: %w", d.Day, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress figures of %s: %w", d.Day, err)
	}
	rec := *d
	rec.Detail = buf.Bytes()
	return s.submit(ctx, cmdPutFigureDay, putFigureDayCmd{Day: rec}, func(txn *memdb.Txn) error {
		if lookup[FigureDay](txn, tableFigureDays, d.Day) != nil {
			return fmt.Errorf("figures of %s: %w", d.Day, ErrConflict)
		}
		return nil
	})
}

func applyPutFigureDay(txn *memdb.Txn, rec *record, cmd *putFigureDayCmd) error {
	d := cmd.Day
	d.Revision = rec.Index
	if err := txn.Insert(tableFigureDays, &d); err != nil {
		return fmt.Errorf("insert figures of %s: %w", d.Day, err)
	}
	return nil
}

// HasFigures reports whether day's figures are kept.
func (v *View) HasFigures(day string) bool {
	return lookup[FigureDay](v.txn, tableFigureDays, day) != nil
}

// FirstFigureDay is the earliest day kept, "" when none is.
func (v *View) FirstFigureDay() string {
	raw, err := v.txn.First(tableFigureDays, indexID)
	if err != nil || raw == nil {
		return ""
	}
	return raw.(*FigureDay).Day
}

// DayFigures is one day of the history as a reader sees it.
type DayFigures struct {
	Day        string
	At         time.Time
	Backfilled bool
	FigureDayView
}

// historyView picks the view of p's clearance, refusing those not given the history.
func historyView(p *Principal, d *FigureDay) (FigureDayView, bool) {
	for _, v := range d.Views {
		if v.Clearance == p.Clearance {
			return v, true
		}
	}
	return FigureDayView{}, false
}

func mayReadHistory(p *Principal) error {
	switch {
	case !known(p):
		return schemas.Userf(schemas.ErrForbidden, "无权查看指标历史")
	case p.Role == RoleDistrict:
		return schemas.Userf(schemas.ErrForbidden, "指标历史按全市记录，区县账号请查看当前指标")
	}
	return nil
}

// FigureHistory lists the days kept from from to to (YYYY-MM-DD, both included), as p's
// clearance sees them, oldest first.
func (v *View) FigureHistory(p *Principal, from, to string) ([]DayFigures, error) {
	if err := mayReadHistory(p); err != nil {
		return nil, err
	}
	f, err1 := time.Parse(figureDayLayout, from)
	t, err2 := time.Parse(figureDayLayout, to)
	switch {
	case err1 != nil || err2 != nil:
		return nil, schemas.Userf(ErrInvalid, "起止日期应为 YYYY-MM-DD（收到“%s”至“%s”）", from, to)
	case t.Before(f):
		return nil, schemas.Userf(ErrInvalid, "结束日期 %s 早于开始日期 %s", to, from)
	case t.Sub(f) > MaxHistoryDays*24*time.Hour:
		return nil, schemas.Userf(ErrInvalid, "一次最多查询 %d 天", MaxHistoryDays)
	}
	it, err := v.txn.LowerBound(tableFigureDays, indexID, from)
	if err != nil {
		return nil, fmt.Errorf("figure history: %w", err)
	}
	out := []DayFigures{}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		d := raw.(*FigureDay)
		if d.Day > to {
			break
		}
		if fv, ok := historyView(p, d); ok {
			out = append(out, DayFigures{Day: d.Day, At: d.At, Backfilled: d.Backfilled, FigureDayView: fv})
		}
	}
	return out, nil
}

// DayDetail is one day's figures with their breakdowns and the entries that held the
// collection figure back, as a reader sees them.
type DayDetail struct {
	DayFigures
	Breakdowns FigureDayBreakdowns
	Lagging    []DayLag
}

// FigureDayFor returns day's figures as p sees them: the view of its clearance, and of the
// entries that held the figure back only those graded within it.
func (v *View) FigureDayFor(p *Principal, day string) (*DayDetail, error) {
	if err := mayReadHistory(p); err != nil {
		return nil, err
	}
	d := lookup[FigureDay](v.txn, tableFigureDays, day)
	if d == nil {
		return nil, schemas.Userf(ErrNotFound, "没有 %s 的指标记录", day)
	}
	fv, ok := historyView(p, d)
	if !ok {
		return nil, schemas.Userf(ErrNotFound, "没有 %s 的指标记录", day)
	}
	detail, err := decodeFigureDetail(d)
	if err != nil {
		return nil, err
	}
	out := &DayDetail{DayFigures: DayFigures{Day: d.Day, At: d.At, Backfilled: d.Backfilled, FigureDayView: fv}, Lagging: []DayLag{}}
	for _, b := range detail.Views {
		if b.Clearance == p.Clearance {
			out.Breakdowns = b
		}
	}
	for _, l := range detail.Lagging {
		if existsAt(p, l.Grade, l.District) {
			out.Lagging = append(out.Lagging, l)
		}
	}
	return out, nil
}

func decodeFigureDetail(d *FigureDay) (*FigureDayDetail, error) {
	zr, err := gzip.NewReader(bytes.NewReader(d.Detail))
	if err != nil {
		return nil, fmt.Errorf("figures of %s: %w", d.Day, err)
	}
	var detail FigureDayDetail
	if err := json.NewDecoder(io.LimitReader(zr, maxFigureDetailBytes)).Decode(&detail); err != nil {
		return nil, fmt.Errorf("figures of %s: %w", d.Day, err)
	}
	return &detail, nil
}
