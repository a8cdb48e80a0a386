package catalog

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The two figures served by entries (STANDARDS.md §5):
//   - 业务事项覆盖率: business items served by at least one collected entry ÷ business items listed;
//   - "一件事"上线运行率: "一件事" scenes online (every entry that serves it collected) and in use
//     (queried by one of its accounts within InUseDays) ÷ "一件事" scenes listed.
//
// Both are computed over the entries that exist for the principal asking, as 数据归集率 is: a
// caller learns nothing of entries hidden from it. Business items and scenes are not graded and
// are listed to everyone who may read figures. Each business item and scene is counted from the
// cells of its serving entries (figure_served_cells.go), so the cost is their cells, never a walk
// of the directory; only a scene that is not online walks its own entries, to name the missing.

// InUseDays is how recently a scene must have been queried to count as in use.
const InUseDays = 30

// MaxSceneMissing is how many of a scene's uncollected entries its state lists.
const MaxSceneMissing = 200

// CoverageFigure is 业务事项覆盖率 with its breakdowns and every listed business item's state.
// By department: the business item's own department; by district, domain and source kind: the
// business items served by entries of that key (Denominator), and those served by a collected one
// (Numerator).
type CoverageFigure struct {
	Rate        float64
	Numerator   int // business items served by a collected entry
	Denominator int // business items listed (not retired)
	FigureBreakdowns
	Items []ItemCoverage // by code
}

// ItemCoverage is one business item as the coverage figure sees it.
type ItemCoverage struct {
	Code, Name, Department string
	Entries                int // due entries serving it that exist for the principal
	Collected              int // of those, collected now
	Covered                bool
}

// OneThingFigure is "一件事"上线运行率 with its breakdowns and every listed scene's state. By
// department: the scene's own; by district, domain and source kind: the scenes served by entries
// of that key, running or not.
type OneThingFigure struct {
	Rate        float64
	Numerator   int // scenes running: online and in use
	Denominator int // "一件事" scenes listed (not retired)
	FigureBreakdowns
	Scenes []SceneState // by code
}

// SceneState is one "一件事" as the figure sees it.
type SceneState struct {
	Code, Name, Department string
	Required               int      // due entries serving it that exist for the principal
	Collected              int      // of those, collected now
	Missing                []string // resource codes of the others, at most MaxSceneMissing
	LastUsed               time.Time
	Online                 bool // it has required entries and all are collected
	InUse                  bool // one of its accounts queried within InUseDays
	Running                bool // online and in use: counted
	Reason                 string
}

// SceneUse says when scene account last made a successful request ("zero" for never, in the
// period the caller read); the query audit knows, which the catalogue does not import.
type SceneUse func(account string) time.Time

// CoverageRate computes 业务事项覆盖率 at now over the entries that exist for p.
func (v *View) CoverageRate(now time.Time, p *Principal) *CoverageFigure {
	f := &CoverageFigure{Items: []ItemCoverage{}}
	bd := newBreakdowns(v)
	states := served{txn: v.txn, now: now, p: p}
	each(v.txn, tableBusinessItems, indexID, func(b *BusinessItem) {
		if b.Retired {
			return
		}
		ic := ItemCoverage{Code: b.Code, Name: b.Name, Department: b.Department}
		var keys servedKeys
		ic.Entries, ic.Collected, keys = states.cells(servedRef{indexBusiness, b.Code})
		ic.Covered = ic.Collected > 0
		f.Denominator++
		if ic.Covered {
			f.Numerator++
		}
		bd.add(b.Department, keys, ic.Covered)
		f.Items = append(f.Items, ic)
	})
	f.Rate = ratio(f.Numerator, f.Denominator)
	f.FigureBreakdowns = breakdownsOf(bd)
	return f
}

// OneThingRate computes "一件事"上线运行率 at now over the entries that exist for p; used says when
// each scene account last queried.
func (v *View) OneThingRate(now time.Time, p *Principal, used SceneUse) *OneThingFigure {
	f := &OneThingFigure{Scenes: []SceneState{}}
	bd := newBreakdowns(v)
	states := served{txn: v.txn, now: now, p: p}
	since := now.AddDate(0, 0, -InUseDays)
	each(v.txn, tableScenes, indexID, func(sc *Scene) {
		if sc.Retired || sc.Kind != SceneOneThing {
			return
		}
		st := SceneState{Code: sc.Code, Name: sc.Name, Department: sc.Department}
		var keys servedKeys
		st.Required, st.Collected, keys = states.cells(servedRef{indexScene, sc.Code})
		if st.Collected < st.Required { // which: a walk of this scene's entries only
			states.walk(indexScene, sc.Code, func(e *Entry, collected bool) bool {
				if !collected && len(st.Missing) < MaxSceneMissing {
					st.Missing = append(st.Missing, e.ResourceCode)
				}
				return len(st.Missing) < MaxSceneMissing
			})
		}
		for _, a := range sc.Accounts {
			if used == nil {
				break
			}
			if at := used(a); at.After(st.LastUsed) {
				st.LastUsed = at
			}
		}
		st.Online = st.Required > 0 && st.Collected == st.Required
		st.InUse = !st.LastUsed.IsZero() && !st.LastUsed.Before(since)
		st.Running = st.Online && st.InUse
		st.Reason = sceneReason(st, len(sc.Accounts))
		f.Denominator++
		if st.Running {
			f.Numerator++
		}
		bd.add(sc.Department, keys, st.Running)
		f.Scenes = append(f.Scenes, st)
	})
	f.Rate = ratio(f.Numerator, f.Denominator)
	f.FigureBreakdowns = breakdownsOf(bd)
	return f
}

// sceneReason says in Chinese why a scene is not running, "" when it is.
func sceneReason(st SceneState, accounts int) string {
	var why []string
	switch {
	case st.Required == 0:
		why = append(why, "未关联已发布的目录")
	case !st.Online:
		why = append(why, fmt.Sprintf("%d 个所需目录未归集", st.Required-st.Collected))
	}
	switch {
	case accounts == 0:
		why = append(why, "未登记场景账号")
	case st.LastUsed.IsZero():
		why = append(why, fmt.Sprintf("近 %d 天无查询", InUseDays))
	case !st.InUse:
		why = append(why, fmt.Sprintf("近 %d 天无查询（最近一次 %s）", InUseDays, st.LastUsed.In(displayZone).Format("2006-01-02")))
	}
	return strings.Join(why, "；")
}

// served walks the due entries serving a business item or a scene that exist for p, deciding
// each one's collection at now.
type served struct {
	txn *memdb.Txn
	now time.Time
	p   *Principal
	// decide, when set, says whether an entry is collected (a day of the history); else its
	// load state decides at now.
	decide func(e *Entry) bool
	skip   func(e *Entry) bool // when set, entries left out (registered after a past day)
}

// servedKeys are the district, domain and source-kind keys of the entries a walk saw, and
// those of the collected ones.
type servedKeys struct {
	all, collected map[dimKey]bool
}

type dimKey struct {
	dim int // 0 district, 1 domain, 2 source kind
	key string
}

// cells counts the due entries serving ref that exist for s.p, and those collected at s.now,
// from ref's cells (figure_served_cells.go), and returns the keys of their cells.
func (s served) cells(ref servedRef) (due, got int, k servedKeys) {
	k = servedKeys{all: map[dimKey]bool{}, collected: map[dimKey]bool{}}
	eachServedCell(s.txn, ref, func(c *figureCell) {
		if s.p != nil && !existsAt(s.p, c.Grade, c.District) {
			return
		}
		n, _ := c.due()
		g, _ := c.collectedAt(s.now)
		due += n
		got += g
		k.note(c.District, c.SourceKind, c.Domains, g > 0)
	})
	return due, got, k
}

// note records the keys of entries, collected or not.
func (k servedKeys) note(district, sourceKind string, domains []string, collected bool) {
	k.all[dimKey{0, district}], k.all[dimKey{2, sourceKind}] = true, true
	if collected {
		k.collected[dimKey{0, district}], k.collected[dimKey{2, sourceKind}] = true, true
	}
	for _, d := range domains {
		k.all[dimKey{1, d}] = true
		if collected {
			k.collected[dimKey{1, d}] = true
		}
	}
}

// walk calls fn with each due entry that exists for s.p and serves code (through index) and
// whether it is collected, until fn returns false, and returns the keys of all those entries.
func (s served) walk(index, code string, fn func(e *Entry, collected bool) bool) servedKeys {
	k := servedKeys{all: map[dimKey]bool{}, collected: map[dimKey]bool{}}
	stop := false
	each(s.txn, tableEntryMarks, index, func(e *Entry) {
		if !isDue(e) || s.p != nil && !exists(s.p, e) || s.skip != nil && s.skip(e) {
			return
		}
		var c bool
		if s.decide != nil {
			c = s.decide(e)
		} else {
			c = collected(e, s.now, loadStateTxn(s.txn, e.ResourceCode))
		}
		if !stop {
			stop = !fn(e, c)
		}
		k.note(e.District, e.SourceKind, e.Domains, c)
	}, code)
	return k
}

// breakdowns tallies a served figure by the object's department and its entries' keys.
type breakdowns struct {
	dept, district, domain, kind tally
}

func newBreakdowns(v *View) *breakdowns {
	return &breakdowns{dept: tally{name: v.departmentName}, district: tally{name: v.districtName},
		domain: tally{name: schemas.Domains.NameOf}, kind: tally{name: schemas.SourceKinds.NameOf}}
}

// add counts one business item or scene: under its department, and under each key its entries
// have; it counts in the numerator of a key when it counts overall (ok) and, for a key of its
// entries, when a collected entry has that key too.
func (b *breakdowns) add(department string, k servedKeys, ok bool) {
	b.dept.add(department, 1, count(ok))
	for dk := range k.all {
		got := count(ok && k.collected[dk])
		switch dk.dim {
		case 0:
			b.district.add(dk.key, 1, got)
		case 1:
			b.domain.add(dk.key, 1, got)
		default:
			b.kind.add(dk.key, 1, got)
		}
	}
}

func (b *breakdowns) sorted() (dept, district, domain, kind []Breakdown) {
	return b.dept.sorted(), b.district.sorted(), b.domain.sorted(), b.kind.sorted()
}

func count(ok bool) int {
	if ok {
		return 1
	}
	return 0
}
