package catalog

import (
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Taking a day's figures for the history (figure_history.go). One walk of the due entries
// decides each entry's collection once and counts it in every clearance view that may see it,
// then the business items and scenes are counted per view from their entries: the same rules as
// CollectionRateFor, CoverageRate and OneThingRate (a test holds them equal), but for every
// clearance at once and at any past moment, which the cells cannot answer. It runs once a day,
// and once per day back-filled: its cost, a walk of the directory, is paid in the background.

// entryAt decides whether a due entry was collected at a moment, when it had data, and its
// last run when that had failed by then (nil otherwise).
type entryAt func(e *Entry) (collected bool, lastLoad time.Time, loaded bool, failed *Run)

// collectedNow decides from the entry's current data, as the live figures do.
func collectedNow(txn *memdb.Txn, now time.Time) entryAt {
	return func(e *Entry) (bool, time.Time, bool, *Run) {
		st := loadStateTxn(txn, e.ResourceCode)
		var failed *Run
		if last := st.last(); last != nil && last.Status == RunFailed {
			failed = last
		}
		snap := currentData(e, st)
		if snap == nil {
			return false, time.Time{}, false, failed
		}
		return collected(e, now, st), snap.CommittedAt, true, failed
	}
}

// failedBy returns the last run of entry code started before at when it had failed by then.
func failedBy(st *loadState, at time.Time) *Run {
	r := st.runBefore(at)
	if r == nil || r.Status != RunFailed || r.FinishedAt.After(at) {
		return nil
	}
	return r
}

// collectedAsOf decides from the newest snapshot of the entry committed before at: what the
// runs' history says of a past day.
func collectedAsOf(txn *memdb.Txn, at time.Time) entryAt {
	return func(e *Entry) (bool, time.Time, bool, *Run) {
		st := loadStateTxn(txn, e.ResourceCode)
		failed := failedBy(&st, at)
		snap := st.snapshotBefore(at)
		if snap == nil {
			return false, time.Time{}, false, failed
		}
		ok := e.UpdateCycle == schemas.Irregular || !at.After(deadline(e, snap))
		return ok, snap.CommittedAt, true, failed
	}
}

// views are the clearance grades, lowest first: a day's figures are kept for each.
func figureViews() []schemas.Grade {
	codes := schemas.Grades.Codes()
	out := make([]schemas.Grade, 0, len(codes))
	for _, c := range codes {
		out = append(out, schemas.Grade(c.ID))
	}
	slices.SortFunc(out, func(a, b schemas.Grade) int { return a.Rank() - b.Rank() })
	return out
}

// take computes a day's figures at at for every clearance, deciding entries with state;
// pastDay leaves out the entries registered after at.
func (v *View) take(day string, at time.Time, state entryAt, used SceneUse, pastDay bool) (*FigureDay, *FigureDayDetail) {
	grades := figureViews()
	n := len(grades)
	type acc struct {
		collection, items, coverage, oneThing FigureCounts
		bd                                    [3]*breakdowns // collection, coverage, one thing
	}
	views := make([]acc, n)
	for i := range views {
		for k := range views[i].bd {
			views[i].bd[k] = newBreakdowns(v)
		}
	}
	detail := &FigureDayDetail{}
	// from is the first view that sees an entry of grade g: views are by rank.
	from := func(g schemas.Grade) int {
		return slices.IndexFunc(grades, func(c schemas.Grade) bool { return c.Covers(g) })
	}
	collectedSet := map[string]bool{}
	v.EachEntry("", func(e *Entry) bool {
		if due := isDue(e); pastDay {
			if !wasDue(v.txn, e, at) {
				return true
			}
		} else if !due || registeredAfter(e, at) {
			return true
		}
		ok, last, loaded, failed := state(e)
		g := e.Grade()
		if ok {
			collectedSet[e.ResourceCode] = true
		} else {
			lag := DayLag{Entry: e.ResourceCode, Grade: g, District: e.District, Department: e.Department, Reason: LagNeverLoaded}
			if loaded {
				lag.Reason, lag.LastLoad = LagStale, last
			}
			if failed != nil { // as lagOf says it
				lag.Reason, lag.Run = LagLastLoadFailed, failed.ID
				if failed.RowsRejected > 0 && failed.RejectedKey != "" {
					lag.Reason = LagRejected
				}
			}
			detail.Lagging = append(detail.Lagging, lag)
		}
		first := from(g)
		if first < 0 {
			return true
		}
		for i := first; i < n; i++ {
			a := &views[i]
			a.collection.add(ok)
			a.items.Denominator += e.Items.Len()
			if ok {
				a.items.Numerator += e.Items.Len()
			}
			b := a.bd[0]
			b.dept.add(e.Department, 1, count(ok))
			b.district.add(e.District, 1, count(ok))
			b.kind.add(e.SourceKind, 1, count(ok))
			for _, d := range e.Domains {
				b.domain.add(d, 1, count(ok))
			}
		}
		return true
	})
	for i, g := range grades {
		p := &Principal{ID: "figures", Role: RoleManager, Clearance: g}
		s := served{txn: v.txn, now: at, p: p, decide: func(e *Entry) bool { return collectedSet[e.ResourceCode] },
			skip: func(e *Entry) bool { return registeredAfter(e, at) }}
		each(v.txn, tableBusinessItems, indexID, func(b *BusinessItem) {
			if b.Retired {
				return
			}
			covered := false
			keys := s.walk(indexBusiness, b.Code, func(_ *Entry, c bool) bool { covered = covered || c; return true })
			views[i].coverage.add(covered)
			views[i].bd[1].add(b.Department, keys, covered)
		})
		since := at.AddDate(0, 0, -InUseDays)
		each(v.txn, tableScenes, indexID, func(sc *Scene) {
			if sc.Retired || sc.Kind != SceneOneThing {
				return
			}
			required, got := 0, 0
			keys := s.walk(indexScene, sc.Code, func(_ *Entry, c bool) bool { required++; got += count(c); return true })
			inUse := false
			for _, a := range sc.Accounts {
				if used != nil {
					if t := used(a); !t.IsZero() && !t.Before(since) && !t.After(at) {
						inUse = true
					}
				}
			}
			running := required > 0 && got == required && inUse
			views[i].oneThing.add(running)
			views[i].bd[2].add(sc.Department, keys, running)
		})
	}
	fd := &FigureDay{Day: day, At: at.UTC(), Backfilled: pastDay}
	for i, g := range grades {
		a := views[i]
		fd.Views = append(fd.Views, FigureDayView{Clearance: g, Collection: a.collection, Items: a.items, Coverage: a.coverage, OneThing: a.oneThing})
		detail.Views = append(detail.Views, FigureDayBreakdowns{Clearance: g,
			Collection: breakdownsOf(a.bd[0]), Coverage: breakdownsOf(a.bd[1]), OneThing: breakdownsOf(a.bd[2])})
	}
	slices.SortFunc(detail.Lagging, func(a, b DayLag) int { return strings.Compare(a.Entry, b.Entry) })
	return fd, detail
}

func breakdownsOf(b *breakdowns) FigureBreakdowns {
	var f FigureBreakdowns
	f.ByDepartment, f.ByDistrict, f.ByDomain, f.BySourceKind = b.sorted()
	return f
}

func (c *FigureCounts) add(ok bool) {
	c.Denominator++
	if ok {
		c.Numerator++
	}
}

// registeredAfter reports whether e was registered or first published after at: it was not due
// at at, whatever it is now.
func registeredAfter(e *Entry, at time.Time) bool {
	return e.CreatedAt.After(at) || e.PublishDate.After(at)
}

// TakeFigures computes the figures of day as they stand at at, from the entries' current data,
// for the history (Store.RecordFigures): taken shortly after the day's end, an entry registered
// or first published since is left out, as it was not due that day.
func (v *View) TakeFigures(day string, at time.Time, used SceneUse) (*FigureDay, *FigureDayDetail) {
	return v.take(day, at, collectedNow(v.txn, at), used, false)
}

// BackfillFigures computes the figures of a past day as of at, its end, from the runs' history:
// an entry counts collected when a snapshot committed by at was still within its cycle then.
// Whether an entry was due then comes from its history (wasDue): entries registered or first
// published after at, and those retired at at, are left out; its grade, links, cycle and its
// secret and exemption marks are today's. A day that ended before the history purge's horizon
// (history_purge.go) is not back-filled: the records it would be computed from may be gone, and
// both results are nil.
func (v *View) BackfillFigures(day string, at time.Time, used SceneUse) (*FigureDay, *FigureDayDetail) {
	if at.Before(purgedBefore(v.txn)) {
		return nil, nil
	}
	return v.take(day, at, collectedAsOf(v.txn, at), used, true)
}

// wasDue reports whether e was due at the past moment at: registered and first published by
// then, not retired then (its history's last retirement, approval or restoration by at says so),
// and not secret or exempt (today's marks). An entry without history is judged by its status
// today.
func wasDue(txn *memdb.Txn, e *Entry, at time.Time) bool {
	if e.Secret || e.Exempt || e.CreatedAt.After(at) || e.PublishDate.IsZero() || e.PublishDate.After(at) {
		return false
	}
	row := historyRowOf(txn, e.ResourceCode)
	if row == nil {
		return e.Status == StatusPublished
	}
	recs, err := row.versions()
	if err != nil {
		return e.Status == StatusPublished
	}
	published := true // first published by at
	for i := range recs {
		h := &recs[i]
		if h.At.After(at) {
			break
		}
		switch {
		case h.Action == HistRetire:
			published = false
		case h.Status == StatusPublished && (h.Action == HistApprove || h.Action == HistRestore || h.Action == HistCreate):
			published = true
		}
	}
	return published
}
