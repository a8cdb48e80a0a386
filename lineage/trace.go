package lineage

import (
	"slices"

	"github.com/cqeco/ecolake/catalog"
)

// Run kinds whose source lineage names (ingest's; lineage may not import ingest).
const (
	runDistrictSubmission = "district_submission"
	runConnectorPull      = catalog.RunKindPull
	runDerived            = "derived_transform"
)

// step is a root of a walk.
type step struct {
	code, snap string
}

// tables walks entries from root, whose data is its snapshot snap ("" for none).
func (w *tracer) tables(root catalog.LineageEntry, snap string) *Graph {
	w.g.Root = entryID(root.Code)
	return w.tablesFrom([]step{{code: root.Code, snap: snap}})
}

// tablesFrom walks entries from the roots, each an entry w has looked up and may show. The walk
// is breadth first and its queue is the graph itself: the entries' nodes are expanded in the
// order they were added, each once.
func (w *tracer) tablesFrom(roots []step) *Graph {
	up := w.o.Direction == Upstream
	for _, r := range roots {
		w.addEntry(w.entry(r.code), r.snap, 0)
	}
	for i := 0; i < len(w.g.Nodes); i++ {
		h := w.g.Nodes[i] // a copy: adding nodes may move them
		if h.Kind != KindEntry || h.Depth >= w.o.Depth {
			continue
		}
		e, at, depth := w.entry(h.Entry), int32(i), h.Depth
		if up {
			inputs := w.source(e, h.Snapshot, at, depth)
			w.external(h.Entry, at, depth, true)
			if e.Transform == nil {
				continue
			}
			for _, in := range e.Transform.Inputs {
				ie := w.entry(in)
				if ie == nil {
					w.g.Hidden++
					continue
				}
				s, ok := inputs[in]
				if !ok {
					s = ie.CurrentSnapshot // not materialised yet: what it would read now
				}
				w.addEntry(ie, s, depth+1)
				w.link(at, ie, EdgeDerived, true)
			}
			continue
		}
		for _, d := range w.v.DerivedFrom(h.Entry) {
			de := w.entry(d)
			if de == nil {
				w.g.Hidden++
				continue
			}
			w.addEntry(de, de.CurrentSnapshot, depth+1)
			w.link(at, de, EdgeDerived, false)
		}
		w.external(h.Entry, at, depth, false)
		w.serves(e, at, depth)
		w.consumers(h.Entry, e.Table, "", at, depth)
	}
	return &w.g
}

// source adds the source the run of e's snapshot snap read (for a principal who may read e's
// data, as its runs are), and returns the input snapshots that run recorded.
func (w *tracer) source(e *known, snap string, at int32, depth int) map[string]string {
	if snap == "" {
		return nil
	}
	s, err := w.v.Snapshot(snap)
	if err != nil || s.Run == "" {
		return nil
	}
	r, err := w.v.Run(s.Run)
	if err != nil {
		return nil
	}
	inputs := make(map[string]string, len(r.Inputs))
	for _, in := range r.Inputs {
		inputs[in.Entry] = in.Snapshot
	}
	if !w.v.ReadsData(w.p, e.Code, w.now) {
		return inputs
	}
	var n Node
	switch {
	case r.Kind == runDerived:
		return inputs
	case r.Kind == runDistrictSubmission && r.District != "":
		name := r.District
		if d, err := w.v.District(r.District); err == nil {
			name = d.Name
		}
		n = Node{ID: "source:district:" + r.District, Name: name + " 报送"}
	case r.Kind == runConnectorPull:
		n = Node{ID: "source:connection:" + r.Entry, Name: "接口拉取：" + r.Source}
	default:
		n = Node{ID: "source:file:" + r.Source, Name: "文件：" + r.Source}
	}
	n.Kind, n.Depth = KindSource, depth+1
	i, _ := w.add(n)
	w.edge(at, i, EdgeLoad, true)
	return inputs
}

// external adds the outside jobs that write entry code (upstream) or read it (downstream), the
// datasets on their other side, and the entries among those.
func (w *tracer) external(code string, at int32, depth int, up bool) {
	if !w.hasExternal {
		return
	}
	for _, j := range w.v.ExternalJobsOf(code, up) {
		jid, _ := w.add(Node{ID: "job:" + j.Key, Kind: KindJob, Name: j.Name, Depth: depth + 1})
		other := j.Inputs
		if up {
			w.edge(at, jid, EdgeWrites, true)
		} else {
			w.edge(at, jid, EdgeReads, false)
			other = j.Outputs
		}
		kind := EdgeReads
		if !up {
			kind = EdgeWrites
		}
		for _, d := range other {
			if d.Entry == "" {
				id, _ := w.add(Node{ID: "dataset:" + d.Namespace + "/" + d.Name, Kind: KindDataset, Name: d.Name, Depth: depth + 1})
				w.edge(jid, id, kind, up)
				continue
			}
			de := w.entry(d.Entry)
			if de == nil {
				w.g.Hidden++
				continue
			}
			w.addEntry(de, de.CurrentSnapshot, depth+1)
			w.link(jid, de, kind, up)
		}
	}
}

// serves adds the scenes and business items e serves, downstream of it.
func (w *tracer) serves(e *known, at int32, depth int) {
	for _, code := range e.Scenes {
		name := code
		if sc, err := w.v.Scene(code); err == nil {
			name = sc.Name
		}
		i, _ := w.add(Node{ID: "scene:" + code, Kind: KindScene, Name: name, Depth: depth + 1})
		w.edge(at, i, EdgeServes, false)
	}
	for _, code := range e.BusinessItems {
		name := code
		if b, err := w.v.BusinessItem(code); err == nil {
			name = b.Name
		}
		i, _ := w.add(Node{ID: "business:" + code, Kind: KindBusiness, Name: name, Depth: depth + 1})
		w.edge(at, i, EdgeServes, false)
	}
}

// columns walks items from root's (one, or all of them). As tablesFrom, its queue is the graph.
func (w *tracer) columns(root catalog.LineageEntry, snap string) (*Graph, error) {
	up := w.o.Direction == Upstream
	w.g.Root = entryID(root.Code)
	for _, it := range root.Items.All() {
		if w.o.Field != "" && it.Field != w.o.Field {
			continue
		}
		id := columnID(root.Code, it.Field)
		if w.g.Root == entryID(root.Code) {
			w.g.Root = id
		}
		w.add(Node{ID: id, Kind: KindColumn, Entry: root.Code, Field: it.Field, Name: root.Name + "." + it.Name, Snapshot: snap})
	}
	if len(w.g.Nodes) == 0 {
		return nil, errNoItem(root.Code, w.o.Field)
	}
	for i := 0; i < len(w.g.Nodes); i++ {
		h := w.g.Nodes[i]
		if h.Kind != KindColumn || h.Depth >= w.o.Depth {
			continue
		}
		e, at, depth := w.entry(h.Entry), int32(i), h.Depth
		if e == nil {
			continue
		}
		w.externalColumns(h.Entry, h.Field, at, depth, up)
		if up {
			if e.Transform == nil {
				continue
			}
			for _, s := range columnSources(e.Transform, h.Field) {
				w.column(s.Entry, s.Field, at, s.Via, depth, true)
			}
			continue
		}
		for _, d := range w.v.DerivedFrom(h.Entry) {
			de := w.entry(d)
			if de == nil {
				w.g.Hidden++
				continue
			}
			for _, c := range de.Transform.Columns {
				if via, ok := reads(de.Transform, c, h.Entry, h.Field); ok {
					w.column(d, c.Field, at, via, depth, false)
				}
			}
		}
		w.consumers(h.Entry, e.Table, h.Field, at, depth)
	}
	return &w.g, nil
}

// column adds item field of entry code next to at.
func (w *tracer) column(code, field string, at int32, via string, depth int, up bool) {
	e := w.entry(code)
	if e == nil {
		w.g.Hidden++
		return
	}
	name := field
	if it, _, ok := e.Items.Field(field); ok {
		name = it.Name
	}
	i, _ := w.add(Node{ID: columnID(code, field), Kind: KindColumn, Entry: code, Field: field, Name: e.Name + "." + name, Depth: depth + 1})
	w.edge(at, i, via, up)
}

// columnSources are the input items output field of t is made from, the filters included.
func columnSources(t *catalog.Transform, field string) []catalog.ColumnSource {
	var out []catalog.ColumnSource
	for _, c := range t.Columns {
		if c.Field == field {
			out = append(out, c.Sources...)
		}
	}
	return append(out, t.Filters...)
}

// reads reports whether output column c of t is made from input item (code, field), and how.
func reads(t *catalog.Transform, c catalog.DerivedColumn, code, field string) (string, bool) {
	match := func(s catalog.ColumnSource) bool { return s.Entry == code && s.Field == field }
	if i := slices.IndexFunc(c.Sources, match); i >= 0 {
		return c.Sources[i].Via, true
	}
	if i := slices.IndexFunc(t.Filters, match); i >= 0 {
		return t.Filters[i].Via, true
	}
	return "", false
}
