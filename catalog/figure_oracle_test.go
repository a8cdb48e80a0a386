package catalog

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// walked is the collection figure as a walk of every entry computes it (the figure before its
// cells), with the lists behind it: the oracle the cells and the lagging pages are checked
// against. It reads the entries, snapshots and runs tables, not the derived tables.
type walked struct {
	fig            *CollectionFigure
	due, collected []string
	lags           []Lag
}

// walkFigure computes the figure at now over the entries that exist for p (every entry when p is
// nil), as STANDARDS §5 defines it.
func walkFigure(t *testing.T, v *View, now time.Time, p *Principal) walked {
	t.Helper()
	w := walked{fig: &CollectionFigure{}, due: []string{}, collected: []string{}, lags: []Lag{}}
	f := w.fig
	by := map[string]map[string]*Breakdown{}
	count := func(dim, key, name string, got bool) {
		if by[dim] == nil {
			by[dim] = map[string]*Breakdown{}
		}
		b := by[dim][key]
		if b == nil {
			b = &Breakdown{Key: key, Name: name}
			by[dim][key] = b
		}
		b.Denominator++
		if got {
			b.Numerator++
		}
	}
	v.EachEntry("", func(e *Entry) bool {
		if e.Status != StatusPublished || e.Secret || e.Exempt {
			return true
		}
		if p != nil && !walkSees(p, e) {
			return true
		}
		lag := Lag{Entry: e.ResourceCode, Name: e.Name, Department: e.Department, District: e.District}
		got := false
		var snap *Snapshot
		if e.CurrentSnapshot != "" {
			s, err := v.Snapshot(e.CurrentSnapshot)
			require.NoError(t, err, "current snapshot of %s", e.ResourceCode)
			snap = s
		}
		if snap == nil {
			lag.Reason, lag.ReasonText = LagNeverLoaded, "从未归集"
			lag.Since = e.CreatedAt
			hist, err := v.HistoryFor(Operator(), e.ResourceCode, 1000)
			require.NoError(t, err)
			for _, h := range hist { // newest first
				if h.Status == StatusPublished && (h.Action == HistApprove || h.Action == HistRestore || h.Action == HistCreate) {
					lag.Since = h.At
					break
				}
			}
		} else {
			lag.LastLoad = snap.CommittedAt
			dl := snap.CommittedAt.Add(e.UpdateCycle.Period() + e.UpdateCycle.Grace())
			if e.UpdateCycle == schemas.Irregular || !now.After(dl) {
				got = true
			} else {
				lag.Reason, lag.Since = LagStale, dl
				lag.ReasonText = "数据已过期 (自 " + dl.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04") + " 起)"
			}
		}
		if runs := v.Runs(e.ResourceCode); !got && len(runs) > 0 && runs[0].Status == RunFailed {
			what := "; 最近一次归集失败: "
			lag.Reason = LagLastLoadFailed
			if runs[0].RowsRejected > 0 && runs[0].RejectedKey != "" {
				lag.Reason, what = LagRejected, "; 拒收行超过上限: "
			}
			msg := runs[0].Error
			lag.Run = runs[0].ID
			if p != nil && p.Role == RoleDistrict && !slices.Contains(p.Districts, runs[0].District) {
				msg, lag.Run = "", ""
			}
			if msg == "" {
				msg = "未记录原因"
			}
			lag.ReasonText += what + msg
		}
		f.Denominator++
		f.ItemDenominator += e.Items.Len()
		w.due = append(w.due, e.ResourceCode)
		if got {
			f.Numerator++
			f.ItemNumerator += e.Items.Len()
			w.collected = append(w.collected, e.ResourceCode)
		} else {
			w.lags = append(w.lags, lag)
		}
		dept := e.Department
		if d, err := v.Department(e.Department); err == nil {
			dept = d.Name
		}
		dist := e.District
		if d, err := v.District(e.District); err == nil {
			dist = d.Name
		}
		count("department", e.Department, dept, got)
		count("district", e.District, dist, got)
		count("source", e.SourceKind, schemas.SourceKinds.NameOf(e.SourceKind), got)
		for _, d := range e.Domains {
			count("domain", d, schemas.Domains.NameOf(d), got)
		}
		return true
	})
	rate := func(n, d int) float64 {
		if d == 0 {
			return 0
		}
		return float64(n) / float64(d)
	}
	list := func(dim string) []Breakdown {
		out := []Breakdown{}
		for _, b := range by[dim] {
			b.Rate = rate(b.Numerator, b.Denominator)
			out = append(out, *b)
		}
		slices.SortFunc(out, func(a, b Breakdown) int { return strings.Compare(a.Key, b.Key) })
		return out
	}
	f.Rate, f.ItemRate = rate(f.Numerator, f.Denominator), rate(f.ItemNumerator, f.ItemDenominator)
	f.ByDepartment, f.ByDistrict, f.ByDomain, f.BySourceKind = list("department"), list("district"), list("domain"), list("source")
	return w
}

// walkSees is the access decision's first question (Decide's Exists) restated here, so that the
// oracle does not share the code it checks: an enabled principal of a known role and clearance,
// cleared for the entry's grade, and a district account only for its own districts' entries
// and city-level ones.
func walkSees(p *Principal, e *Entry) bool {
	if p.Disabled || !slices.Contains(Roles, p.Role) || !p.Clearance.Valid() {
		return false
	}
	if p.Role == RoleDistrict && (len(p.Districts) == 0 || slices.Contains(p.Districts, schemas.CityCode)) {
		return false
	}
	if p.Clearance.Rank() < e.Grade().Rank() {
		return false
	}
	return p.Role != RoleDistrict || e.District == schemas.CityCode || slices.Contains(p.Districts, e.District)
}

// allLagging reads every page of View.Lagging of the given size and checks that each page says
// rightly whether more follow.
func allLagging(t *testing.T, v *View, now time.Time, p *Principal, size int) []Lag {
	t.Helper()
	out := []Lag{}
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10_000, "lagging pages never end")
		page := v.Lagging(now, p, size, after)
		require.LessOrEqual(t, len(page.Lags), size)
		out = append(out, page.Lags...)
		if !page.HasNext {
			return out
		}
		require.Len(t, page.Lags, size, "a page that is not the last is full")
		after = page.Lags[len(page.Lags)-1].Entry
	}
}

// figureCase names a principal for failure messages.
func figureCase(p *Principal) string {
	if p == nil {
		return "everyone"
	}
	return fmt.Sprintf("%s/%s/%s%v", p.ID, p.Role, p.Clearance, p.Districts)
}
