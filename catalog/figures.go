package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Lag reasons.
const (
	LagNeverLoaded    = "NEVER_LOADED"
	LagStale          = "STALE"
	LagLastLoadFailed = "LAST_LOAD_FAILED"
	LagRejected       = "REJECTED_ROWS" // the last load had more invalid rows than the entry allows
)

// LagReasonNames are the Chinese names of the lag reasons.
var LagReasonNames = map[string]string{
	LagNeverLoaded: "从未归集", LagStale: "数据过期", LagLastLoadFailed: "最近一次归集失败", LagRejected: "拒收行超过上限",
}

// CollectionFigure is 数据归集率 with its breakdowns. The entries that hold it back are listed,
// a page at a time, by View.Lagging.
type CollectionFigure struct {
	Rate            float64 // Numerator/Denominator, 0 when Denominator is 0
	Numerator       int     // entries collected
	Denominator     int     // entries due
	ItemRate        float64 // same at 信息项 level: items of collected entries / items of due entries
	ItemNumerator   int
	ItemDenominator int
	ByDepartment    []Breakdown
	ByDistrict      []Breakdown
	ByDomain        []Breakdown // an entry with several domains counts in each
	BySourceKind    []Breakdown
}

// LaggingCount is the number of due entries not collected: what View.Lagging lists.
func (f *CollectionFigure) LaggingCount() int { return f.Denominator - f.Numerator }

// Breakdown is a figure restricted to one department, district, domain or source kind.
type Breakdown struct {
	Key         string
	Name        string
	Numerator   int
	Denominator int
	Rate        float64
}

// Lag explains why a due entry is not collected.
type Lag struct {
	Entry      string // resource code
	Name       string
	Department string // Department.Code
	District   string // district code
	Reason     string // LagNeverLoaded, LagStale, LagLastLoadFailed, LagRejected
	ReasonText string // Chinese, shown to managers
	// Since is when it began to hold the figure back: when its data went stale (last load +
	// period + grace), or, never loaded, when it was last published.
	Since    time.Time
	LastLoad time.Time
	// Run is the last load's run id when it failed (its rejected rows can be downloaded), "" else.
	Run string
}

// HeldFor is how long the entry has held the figure back at now.
func (l Lag) HeldFor(now time.Time) time.Duration {
	if l.Since.IsZero() || now.Before(l.Since) {
		return 0
	}
	return now.Sub(l.Since)
}

// HeldDays is how many whole days the entry has held the figure back at now.
func (l Lag) HeldDays(now time.Time) int { return int(l.HeldFor(now) / (24 * time.Hour)) }

// LagPage is one page of the lagging entries.
type LagPage struct {
	Lags    []Lag
	HasNext bool // more lagging entries follow the last of Lags
}

// displayZone is the bureau's local time, used in reason texts.
var displayZone = time.FixedZone("CST", 8*3600)

// CollectionRate computes 数据归集率 at now (STANDARDS.md §5) over the whole directory. Due:
// published, not 涉密, not exempt. Collected: has a current snapshot committed within its update
// cycle plus grace, or any current snapshot for 不定时 entries.
func (v *View) CollectionRate(now time.Time) *CollectionFigure {
	return v.collectionRate(now, nil)
}

// CollectionRateFor computes 数据归集率 over the entries that exist for p (Decide): numerator,
// denominator and breakdowns alike, so that a caller can infer nothing about entries hidden from
// it.
func (v *View) CollectionRateFor(now time.Time, p *Principal) *CollectionFigure {
	if p == nil {
		p = &Principal{} // nobody: an empty figure, never the whole directory
	}
	return v.collectionRate(now, p)
}

// collectionRate computes the figure over the entries that exist for p, or over all when p is
// nil, from the cells of due entries (figure_cells.go): per cell p may see, one access question
// for all its entries and one descent of its tree, whatever the size of the directory; a
// district account reads only the city's cells and its districts'. The figure changes with the
// clock (a load goes stale), so it is computed when asked, not kept.
func (v *View) collectionRate(now time.Time, p *Principal) *CollectionFigure {
	f := &CollectionFigure{}
	depts := tally{name: v.departmentName}
	dists := tally{name: v.districtName}
	domains := tally{name: schemas.Domains.NameOf}
	kinds := tally{name: schemas.SourceKinds.NameOf}
	add := func(c *figureCell) {
		if p != nil && !existsAt(p, c.Grade, c.District) {
			return
		}
		due, dueItems := c.due()
		got, gotItems := c.collectedAt(now)
		f.Denominator += due
		f.ItemDenominator += dueItems
		f.Numerator += got
		f.ItemNumerator += gotItems
		depts.add(c.Department, due, got)
		dists.add(c.District, due, got)
		kinds.add(c.SourceKind, due, got)
		for _, d := range c.Domains {
			domains.add(d, due, got)
		}
	}
	switch {
	case p == nil || known(p) && p.Role != RoleDistrict:
		each(v.txn, tableFigureCells, indexID, add)
	case known(p):
		for _, d := range append([]string{schemas.CityCode}, compactSorted(p.Districts)...) {
			districtCells(v.txn, d, add)
		}
	}
	f.Rate = ratio(f.Numerator, f.Denominator)
	f.ItemRate = ratio(f.ItemNumerator, f.ItemDenominator)
	f.ByDepartment = depts.sorted()
	f.ByDistrict = dists.sorted()
	f.ByDomain = domains.sorted()
	f.BySourceKind = kinds.sorted()
	return f
}

// Lagging lists, in resource-code order after the code after ("" for the first page), up to
// first of the due entries that exist for p and are not collected at now, with why. It walks
// the entries only until the page is full: a page costs the entries before its last, not the
// directory. The figure's cells count first how many lag for p (collectionRate, a descent per
// cell): when none does there is nothing to walk for, as in a province that collects on time,
// and the first page stops once it holds them all. A lag's reason names a failed load's message
// only when p may see that run. A nil p is nobody.
func (v *View) Lagging(now time.Time, p *Principal, first int, after string) LagPage {
	var page LagPage
	if first < 1 || !known(p) {
		return page
	}
	lagging := v.collectionRate(now, p).LaggingCount()
	if lagging == 0 {
		return page
	}
	loads := newLoadStates(v.txn, after)
	v.EachEntry(after, func(e *Entry) bool {
		if after == "" && len(page.Lags) == lagging {
			return false // every one listed
		}
		if !isDue(e) || !exists(p, e) {
			return true
		}
		st := loads.of(e.ResourceCode)
		if collected(e, now, st) {
			return true
		}
		if len(page.Lags) == first {
			page.HasNext = true
			return false
		}
		page.Lags = append(page.Lags, lagOf(v.txn, e, now, p, st))
		return true
	})
	return page
}

// currentData returns the snapshot of st that is e's current data, nil when it has none.
func currentData(e *Entry, st loadState) *Snapshot {
	if snap := st.Current; snap != nil && snap.ID == e.CurrentSnapshot {
		return snap
	}
	return nil
}

// collected decides one due entry at now. The figure's cells (figureCell.collectedAt) decide
// the same.
func collected(e *Entry, now time.Time, st loadState) bool {
	snap := currentData(e, st)
	if snap == nil {
		return false
	}
	return e.UpdateCycle == schemas.Irregular || !now.After(deadline(e, snap))
}

func deadline(e *Entry, snap *Snapshot) time.Time {
	return snap.CommittedAt.Add(e.UpdateCycle.Period() + e.UpdateCycle.Grace())
}

// lagOf says why a due entry that is not collected at now is not.
func lagOf(txn *memdb.Txn, e *Entry, now time.Time, p *Principal, st loadState) Lag {
	lag := Lag{Entry: e.ResourceCode, Name: e.Name, Department: e.Department, District: e.District}
	if snap := currentData(e, st); snap == nil {
		lag.Reason, lag.ReasonText = LagNeverLoaded, "从未归集"
		lag.Since = publishedAt(txn, e)
	} else {
		lag.LastLoad = snap.CommittedAt
		lag.Since = deadline(e, snap)
		lag.Reason = LagStale
		lag.ReasonText = fmt.Sprintf("数据已过期 (自 %s 起)", lag.Since.In(displayZone).Format("2006-01-02 15:04"))
	}
	if last := st.last(); last != nil && last.Status == RunFailed {
		lag.Reason = LagLastLoadFailed
		if last.RowsRejected > 0 && last.RejectedKey != "" {
			lag.Reason = LagRejected // refused whole for its invalid rows (ingest's threshold)
		}
		msg := last.Error
		if maySeeRun(p, e, last) {
			lag.Run = last.ID
		} else {
			msg = "" // another district's run: that it failed is the entry's state, its text is not
		}
		if msg == "" {
			msg = "未记录原因"
		}
		lag.ReasonText += "; " + LagReasonNames[lag.Reason] + ": " + msg
	}
	return lag
}

// publishedAt is when e was last published (approved, restored, or registered published), from
// its history; its registration time when the history does not say.
func publishedAt(txn *memdb.Txn, e *Entry) time.Time {
	if row := historyRowOf(txn, e.ResourceCode); row != nil {
		if recs, err := row.versions(); err == nil {
			for i := len(recs) - 1; i >= 0; i-- {
				if h := recs[i]; h.Status == StatusPublished && (h.Action == HistApprove || h.Action == HistRestore || h.Action == HistCreate) {
					return h.At
				}
			}
		}
	}
	return e.CreatedAt
}

func (v *View) departmentName(code string) string {
	if d, err := v.Department(code); err == nil {
		return d.Name
	}
	return code
}

func (v *View) districtName(code string) string {
	if d, err := v.District(code); err == nil {
		return d.Name
	}
	return code
}

// compactSorted returns the distinct values of ss, sorted.
func compactSorted(ss []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(ss)))
}

// tally sums a breakdown by key; name gives a key's Chinese name, asked once per key.
type tally struct {
	m    map[string]*Breakdown
	name func(string) string
}

func (t *tally) add(key string, due, collected int) {
	b, ok := t.m[key]
	if !ok {
		if t.m == nil {
			t.m = map[string]*Breakdown{}
		}
		b = &Breakdown{Key: key, Name: t.name(key)}
		t.m[key] = b
	}
	b.Denominator += due
	b.Numerator += collected
}

// sorted returns the breakdown by key, empty but not nil when there is none.
func (t *tally) sorted() []Breakdown {
	out := make([]Breakdown, 0, len(t.m))
	for _, b := range t.m {
		b.Rate = ratio(b.Numerator, b.Denominator)
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Breakdown) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
