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

// step is one node of the breadth-first walk still to expand.
type step struct {
	code, field, snap string
	depth             int
}

// tables walks entries from root, whose data is its snapshot snap ("" for none).
func (w *tracer) tables(root catalog.LineageEntry, snap string) *Graph {
	w.g.Root = entryID(root.Code)
	return w.tablesFrom([]step{{code: root.Code, snap: snap}})
}

// tablesFrom walks entries from the roots, each an entry w has looked up and may show.
func (w *tracer) tablesFrom(roots []step) *Graph {
	up := w.o.Direction == Upstream
	var queue []step
	for _, r := range roots {
		if w.addEntry(w.entry(r.code), r.snap, 0) {
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		e := w.entry(h.code)
		if e == nil || h.depth >= w.o.Depth {
			continue
		}
		at := e.id
		if up {
			inputs := w.source(e, h.snap, at, h.depth)
			queue = w.external(queue, h.code, at, h.depth, true)
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
				if w.addEntry(ie, s, h.depth+1) {
					queue = append(queue, step{code: in, snap: s, depth: h.depth + 1})
				}
				w.link(at, ie, EdgeDerived, true)
			}
			continue
		}
		for _, d := range w.v.DerivedFrom(h.code) {
			de := w.entry(d)
			if de == nil {
				w.g.Hidden++
				continue
			}
			if w.addEntry(de, de.CurrentSnapshot, h.depth+1) {
				queue = append(queue, step{code: d, depth: h.depth + 1})
			}
			w.link(at, de, EdgeDerived, false)
		}
		queue = w.external(queue, h.code, at, h.depth, false)
		w.serves(e, at, h.depth)
		w.consumers(h.code, e.Table, "", at, h.depth)
	}
	return &w.g
}

// source adds the source the run of e's snapshot snap read (for a principal who may read e's
// data, as its runs are), and returns the input snapshots that run recorded.
func (w *tracer) source(e *known, snap, at string, depth int) map[string]string {
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
	w.add(n)
	w.edge(at, n.ID, EdgeLoad, true)
	return inputs
}

// external adds the outside jobs that write entry code (upstream) or read it (downstream), the
// datasets on their other side, and queues the entries among those.
func (w *tracer) external(queue []step, code, at string, depth int, up bool) []step {
	if !w.hasExternal {
		return queue
	}
	for _, j := range w.v.ExternalJobsOf(code, up) {
		jid := "job:" + j.Key
		w.add(Node{ID: jid, Kind: KindJob, Name: j.Name, Depth: depth + 1})
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
				id := "dataset:" + d.Namespace + "/" + d.Name
				w.add(Node{ID: id, Kind: KindDataset, Name: d.Name, Depth: depth + 1})
				w.edge(jid, id, kind, up)
				continue
			}
			de := w.entry(d.Entry)
			if de == nil {
				w.g.Hidden++
				continue
			}
			if w.addEntry(de, de.CurrentSnapshot, depth+1) {
				queue = append(queue, step{code: d.Entry, snap: de.CurrentSnapshot, depth: depth + 1})
			}
			w.link(jid, de, kind, up)
		}
	}
	return queue
}

// serves adds the scenes and business items e serves, downstream of it.
func (w *tracer) serves(e *known, at string, depth int) {
	for _, code := range e.Scenes {
		name := code
		if sc, err := w.v.Scene(code); err == nil {
			name = sc.Name
		}
		w.add(Node{ID: "scene:" + code, Kind: KindScene, Name: name, Depth: depth + 1})
		w.edge(at, "scene:"+code, EdgeServes, false)
	}
	for _, code := range e.BusinessItems {
		name := code
		if b, err := w.v.BusinessItem(code); err == nil {
			name = b.Name
		}
		w.add(Node{ID: "business:" + code, Kind: KindBusiness, Name: name, Depth: depth + 1})
		w.edge(at, "business:"+code, EdgeServes, false)
	}
}

// columns walks items from root's (one, or all of them).
func (w *tracer) columns(root catalog.LineageEntry, snap string) (*Graph, error) {
	up := w.o.Direction == Upstream
	w.g.Root = entryID(root.Code)
	var queue []step
	for _, it := range root.Items.All() {
		if w.o.Field != "" && it.Field != w.o.Field {
			continue
		}
		id := columnID(root.Code, it.Field)
		if w.g.Root == entryID(root.Code) {
			w.g.Root = id
		}
		if w.add(Node{ID: id, Kind: KindColumn, Entry: root.Code, Field: it.Field, Name: root.Name + "." + it.Name, Snapshot: snap}) {
			queue = append(queue, step{code: root.Code, field: it.Field, snap: snap})
		}
	}
	if len(queue) == 0 {
		return nil, errNoItem(root.Code, w.o.Field)
	}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		e := w.entry(h.code)
		if e == nil || h.depth >= w.o.Depth {
			continue
		}
		at := columnID(h.code, h.field)
		if up {
			if e.Transform == nil {
				continue
			}
			for _, s := range columnSources(e.Transform, h.field) {
				queue = w.column(queue, s.Entry, s.Field, at, s.Via, h.depth, true)
			}
			continue
		}
		for _, d := range w.v.DerivedFrom(h.code) {
			de := w.entry(d)
			if de == nil {
				w.g.Hidden++
				continue
			}
			for _, c := range de.Transform.Columns {
				if via, ok := reads(de.Transform, c, h.code, h.field); ok {
					queue = w.column(queue, d, c.Field, at, via, h.depth, false)
				}
			}
		}
		w.consumers(h.code, e.Table, h.field, at, h.depth)
	}
	return &w.g, nil
}

// column adds item field of entry code next to at and queues it when new.
func (w *tracer) column(queue []step, code, field, at, via string, depth int, up bool) []step {
	e := w.entry(code)
	if e == nil {
		w.g.Hidden++
		return queue
	}
	name := field
	if it, _, ok := e.Items.Field(field); ok {
		name = it.Name
	}
	id := columnID(code, field)
	if w.add(Node{ID: id, Kind: KindColumn, Entry: code, Field: field, Name: e.Name + "." + name, Depth: depth + 1}) {
		queue = append(queue, step{code: code, field: field, depth: depth + 1})
	}
	w.edge(at, id, via, up)
	return queue
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
