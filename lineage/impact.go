package lineage

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Impact is what depends on an entry and which of it is stale now because of it: the answer
// to "what breaks if this district is late".
type Impact struct {
	Root string
	// Lag says why the root itself is not collected now, nil when it is (or is not due).
	Lag           *catalog.Lag
	Entries       []ImpactedEntry // derived from the root at any depth, breadth first
	Scenes        []Ref           // scenes the root or an entry derived from it serves
	BusinessItems []Ref           // business items likewise
	Figures       []FigureImpact  // management figures that count any of them
	Hidden        int             // dependants that do not exist for the principal
	Truncated     bool            // MaxNodes reached
}

// ImpactedEntry is one entry derived, directly or not, from the root.
type ImpactedEntry struct {
	Code, Name string
	Depth      int
	Stale      bool
	Reason     string // why it is stale, in Chinese
}

// Ref names a scene or business item.
type Ref struct{ Code, Name, Kind string }

// FigureImpact is a management figure that counts the root or what depends on it.
type FigureImpact struct {
	Figure  string // FigureCollection, FigureBusinessCoverage, FigureOneThing
	Name    string
	Entries int // of the entries above (the root included), those the figure counts
}

// The management figures (STANDARDS §5).
const (
	FigureCollection       = "collection_rate"
	FigureBusinessCoverage = "business_coverage"
	FigureOneThing         = "one_thing_rate"
)

var figureNames = map[string]string{
	FigureCollection: "数据归集率", FigureBusinessCoverage: "业务事项覆盖率", FigureOneThing: "“一件事”上线运行率",
}

// ImpactOf answers, for p at now, what depends on entry code and what of it is stale now
// because of it (a derived entry not made from its inputs' current data, or made from an
// entry that is itself not collected on time).
func ImpactOf(v *catalog.View, p *catalog.Principal, now time.Time, code string) (*Impact, error) {
	root, ok := v.LineageOf(p, code)
	if !ok {
		return nil, fmt.Errorf("目录 %s 不存在: %w", code, ErrNotFound)
	}
	out := &Impact{Root: root.Code}
	if lag, ok := v.LagOf(root.Code, now, p); ok {
		out.Lag = &lag
	}
	t := newTracer(v, p, now, Options{Direction: Downstream, Level: TableLevel, Depth: MaxDepth, MaxNodes: MaxNodes}, root)
	return impactFrom(v, t, out, []step{{code: root.Code, snap: root.CurrentSnapshot}}, false), nil
}

// ImpactOfDistrict answers the same for a source: a district whose submissions are late. The
// entries of the district that exist for p (at most MaxNodes) come first, at depth 0, each
// stale when it is not collected now, then everything derived from them.
func ImpactOfDistrict(v *catalog.View, p *catalog.Principal, now time.Time, district string) (*Impact, error) {
	d, ok := schemas.LookupDistrict(district)
	if !ok {
		return nil, schemas.Userf(ErrInvalid, "“%s”不是重庆市的区县", district)
	}
	var roots []step
	after := ""
	for len(roots) < MaxNodes {
		page := v.Directory(p, catalog.DirectoryFilter{District: d.Code}, min(500, MaxNodes-len(roots)), after)
		for _, e := range page.Entries {
			roots = append(roots, step{code: e.ResourceCode, snap: e.CurrentSnapshot})
		}
		if !page.HasNext || len(page.Entries) == 0 {
			break
		}
		after = page.Entries[len(page.Entries)-1].ResourceCode
	}
	t := newTracer(v, p, now, Options{Direction: Downstream, Level: TableLevel, Depth: MaxDepth, MaxNodes: MaxNodes})
	return impactFrom(v, t, &Impact{Root: "district:" + d.Code}, roots, true), nil
}

// impactFrom walks downstream of roots with t and fills out: the entries reached (the roots
// too when withRoots, at depth 0), stale or not, the scenes, business items and figures.
func impactFrom(v *catalog.View, t *tracer, out *Impact, roots []step, withRoots bool) *Impact {
	g := t.tablesFrom(roots)
	out.Hidden, out.Truncated = g.Hidden, g.Truncated

	// Staleness flows down the edges: an entry is stale when it was not made from its inputs'
	// current snapshots, or when an input is late or stale itself.
	late := map[string]string{} // code → why it is stale or late
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[r.code] = true
		if lag, ok := v.LagOf(r.code, t.now, t.p); ok {
			late[r.code] = lag.ReasonText
		}
	}
	scenes, business := map[string]Ref{}, map[string]Ref{}
	due, oneThing, served := 0, 0, 0
	for _, n := range g.Nodes {
		switch n.Kind {
		case KindScene:
			scenes[n.ID] = sceneRef(v, n.ID[len("scene:"):])
		case KindBusiness:
			business[n.ID] = Ref{Code: n.ID[len("business:"):], Name: n.Name, Kind: "business_item"}
		case KindEntry:
			e := t.entry(n.Entry)
			if e.Due {
				due++
			}
			if len(e.BusinessItems) > 0 {
				served++
			}
			ie := ImpactedEntry{Code: n.Entry, Name: n.Name, Depth: n.Depth}
			switch {
			case !isRoot[n.Entry]:
				ie.Reason = staleness(v, e, late)
			case withRoots:
				ie.Reason = late[n.Entry]
			default:
				continue
			}
			if ie.Reason != "" {
				ie.Stale = true
				late[n.Entry] = ie.Reason
			}
			out.Entries = append(out.Entries, ie)
		}
	}
	for _, r := range scenes {
		out.Scenes = append(out.Scenes, r)
		if r.Kind == catalog.SceneOneThing {
			oneThing++
		}
	}
	for _, r := range business {
		out.BusinessItems = append(out.BusinessItems, r)
	}
	byCode := func(a, b Ref) int { return strings.Compare(a.Code, b.Code) }
	slices.SortFunc(out.Scenes, byCode)
	slices.SortFunc(out.BusinessItems, byCode)
	for _, f := range []struct {
		figure string
		n      int
	}{{FigureCollection, due}, {FigureBusinessCoverage, served}, {FigureOneThing, oneThing}} {
		if f.n > 0 {
			out.Figures = append(out.Figures, FigureImpact{Figure: f.figure, Name: figureNames[f.figure], Entries: f.n})
		}
	}
	return out
}

// staleness says why derived entry e is stale, "" when it is not: an input that is late or stale
// itself (late), or what the catalogue says of its data and its inputs (View.DerivedStale).
func staleness(v *catalog.View, e *known, late map[string]string) string {
	if e.Transform == nil {
		return ""
	}
	for _, in := range e.Transform.Inputs {
		if why, ok := late[in]; ok {
			return fmt.Sprintf("输入 %s 未按时更新（%s）", in, why)
		}
	}
	reason, _ := v.DerivedStale(e.Code)
	return reason
}

func sceneRef(v *catalog.View, code string) Ref {
	r := Ref{Code: code, Name: code}
	if sc, err := v.Scene(code); err == nil {
		r.Name, r.Kind = sc.Name, sc.Kind
	}
	return r
}
