package catalog

import (
	"fmt"
	"sort"
	"time"

	"github.com/cqeco/ecolake/schemas"
)

// Lag reasons.
const (
	LagNeverLoaded    = "NEVER_LOADED"
	LagStale          = "STALE"
	LagLastLoadFailed = "LAST_LOAD_FAILED"
)

// CollectionFigure is 数据归集率 with everything needed to audit it.
type CollectionFigure struct {
	Rate            float64  // Numerator/Denominator, 0 when Denominator is 0
	Numerator       int      // entries collected
	Denominator     int      // entries due
	Due             []string // resource codes counted in the denominator
	Collected       []string // resource codes counted in the numerator
	ItemRate        float64  // same at 信息项 level: items of collected entries / items of due entries
	ItemNumerator   int
	ItemDenominator int
	ByDepartment    []Breakdown
	ByDistrict      []Breakdown
	ByDomain        []Breakdown // an entry with several domains counts in each
	BySourceKind    []Breakdown
	Lagging         []Lag // due entries not collected, with why
}

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
	Reason     string    // LagNeverLoaded, LagStale, LagLastLoadFailed
	ReasonText string    // Chinese, shown to managers
	Since      time.Time // when it became stale (last load + period + grace); zero for never loaded
	LastLoad   time.Time
}

// displayZone is the bureau's local time, used in reason texts.
var displayZone = time.FixedZone("CST", 8*3600)

// CollectionRate computes 数据归集率 at now (STANDARDS.md §5). Due: published, not 涉密, not
// exempt. Collected: has a current snapshot committed within its update cycle plus grace, or any
// current snapshot for 不定时 entries.
func (v *View) CollectionRate(now time.Time) *CollectionFigure {
	return v.collectionRate(now, nil)
}

// CollectionRateFor computes 数据归集率 over the entries that exist for p (Decide): numerator,
// denominator, breakdowns and lists alike, so that a caller can infer nothing about entries
// hidden from it. A lag's reason names a failed load only when p may see that run.
func (v *View) CollectionRateFor(now time.Time, p *Principal) *CollectionFigure {
	if p == nil {
		p = &Principal{} // nobody: an empty figure, never the whole directory
	}
	return v.collectionRate(now, p)
}

// collectionRate computes the figure over the entries that exist for p, or over all when p is nil.
func (v *View) collectionRate(now time.Time, p *Principal) *CollectionFigure {
	f := &CollectionFigure{}
	var due, coll chunks[string]
	var lagging chunks[Lag]
	depts := map[string]*Breakdown{}
	dists := map[string]*Breakdown{}
	domains := map[string]*Breakdown{}
	kinds := map[string]*Breakdown{}
	// One ordered pass over the stored entries, read and never copied, with their last runs
	// read alongside (lastrun.go): per entry a few comparisons, its grade remembered, a lookup
	// of its current snapshot when it has one, and the counts. The figure changes with the
	// clock (a load goes stale), so it is computed when asked, not kept.
	loads := v.loadStates()
	each(v.txn, tableEntries, indexID, func(e *Entry) {
		if e.Status != StatusPublished || e.Secret || e.Exempt {
			return
		}
		if p != nil && !exists(p, e) {
			return
		}
		collected, lag := v.collected(e, now, p, loads.of(e.ResourceCode))
		f.Denominator++
		f.ItemDenominator += len(e.Items)
		due.add(e.ResourceCode)
		if collected {
			f.Numerator++
			f.ItemNumerator += len(e.Items)
			coll.add(e.ResourceCode)
		} else {
			lagging.add(lag)
		}
		count(depts, e.Department, v.departmentName, collected)
		count(dists, e.District, v.districtName, collected)
		count(kinds, e.SourceKind, schemas.SourceKinds.NameOf, collected)
		for _, d := range e.Domains {
			count(domains, d, schemas.Domains.NameOf, collected)
		}
	})
	f.Due, f.Collected, f.Lagging = due.all(), coll.all(), lagging.all()
	f.Rate = ratio(f.Numerator, f.Denominator)
	f.ItemRate = ratio(f.ItemNumerator, f.ItemDenominator)
	f.ByDepartment = sorted(depts)
	f.ByDistrict = sorted(dists)
	f.ByDomain = sorted(domains)
	f.BySourceKind = sorted(kinds)
	return f
}

// collected decides one due entry and, when it is not collected, says why.
func (v *View) collected(e *Entry, now time.Time, p *Principal, st loadState) (bool, Lag) {
	lag := Lag{Entry: e.ResourceCode, Name: e.Name}
	snap := st.Current
	if snap != nil && snap.ID != e.CurrentSnapshot {
		snap = nil
	}
	if snap == nil {
		lag.Reason, lag.ReasonText = LagNeverLoaded, "从未归集"
	} else {
		lag.LastLoad = snap.CommittedAt
		if e.UpdateCycle == schemas.Irregular {
			return true, Lag{}
		}
		deadline := snap.CommittedAt.Add(e.UpdateCycle.Period() + e.UpdateCycle.Grace())
		if !now.After(deadline) {
			return true, Lag{}
		}
		lag.Since = deadline
		lag.Reason = LagStale
		lag.ReasonText = fmt.Sprintf("数据已过期 (自 %s 起)", deadline.In(displayZone).Format("2006-01-02 15:04"))
	}
	if last := st.Last; last != nil && last.Status == RunFailed {
		lag.Reason = LagLastLoadFailed
		msg := last.Error
		if p != nil && !maySeeRun(p, e, last) {
			msg = "" // another district's run: that it failed is the entry's state, its text is not
		}
		if msg == "" {
			msg = "未记录原因"
		}
		lag.ReasonText += "; 最近一次归集失败: " + msg
	}
	return false, lag
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

func count(m map[string]*Breakdown, key string, name func(string) string, collected bool) {
	b, ok := m[key]
	if !ok {
		b = &Breakdown{Key: key, Name: name(key)}
		m[key] = b
	}
	b.Denominator++
	if collected {
		b.Numerator++
	}
}

func sorted(m map[string]*Breakdown) []Breakdown {
	out := make([]Breakdown, 0, len(m))
	for _, b := range m {
		b.Rate = ratio(b.Numerator, b.Denominator)
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// chunks collects a list of unknown length in fixed chunks and copies it once into a slice of
// its exact length: doubling a slice of a province's lagging entries copied and faulted in
// several times its size, most of the figure's cost.
type chunks[T any] struct {
	full [][]T
	cur  []T
	n    int
}

const chunkLen = 4096

func (c *chunks[T]) add(v T) {
	if len(c.cur) == cap(c.cur) {
		if c.cur != nil {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]T, 0, chunkLen)
	}
	c.cur = append(c.cur, v)
	c.n++
}

// all returns the list, empty but not nil when nothing was added.
func (c *chunks[T]) all() []T {
	out := make([]T, 0, c.n)
	for _, ch := range c.full {
		out = append(out, ch...)
	}
	return append(out, c.cur...)
}
