package lineage

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
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
	g := t.tables(root, root.CurrentSnapshot)
	out.Hidden, out.Truncated = g.Hidden, g.Truncated

	// Staleness flows down the edges: an entry is stale when it was not made from its inputs'
	// current snapshots, or when an input is late or stale itself.
	late := map[string]string{} // code → why it is stale or late
	if out.Lag != nil {
		late[root.Code] = out.Lag.ReasonText
	}
	scenes, business := map[string]Ref{}, map[string]Ref{}
	due, oneThing, served := 0, 0, 0
	count := func(e catalog.LineageEntry) {
		if e.Due {
			due++
		}
		if len(e.BusinessItems) > 0 {
			served++
		}
	}
	count(root)
	for _, n := range g.Nodes {
		switch n.Kind {
		case KindScene:
			scenes[n.ID] = sceneRef(v, n.ID[len("scene:"):])
		case KindBusiness:
			business[n.ID] = Ref{Code: n.ID[len("business:"):], Name: n.Name, Kind: "business_item"}
		case KindEntry:
			if n.Entry == root.Code {
				continue
			}
			e := t.entry(n.Entry)
			count(e.LineageEntry)
			ie := ImpactedEntry{Code: n.Entry, Name: n.Name, Depth: n.Depth}
			ie.Reason = staleness(v, e, late)
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
	return out, nil
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
