// Package lineage answers where data came from and what depends on it. Its facts are the
// catalogue's own, written in the commands that make them true (catalog/derived.go): a load's
// run names its source, a derived entry's transform names its inputs and the input items of
// each output item, a derived run names the input snapshots it read. Nothing here is typed by
// hand or kept apart from the catalogue, so lineage can never disagree with the data.
//
// Traversal walks the catalogue's indexes from the entry asked about (the inputs of a
// transform one way, the derived-from index the other), so its cost is the part of the graph
// it visits, never the directory. Every entry it reaches is shown only if it exists for the
// principal asking (catalog's decision); the walk does not pass through one that does not,
// and the answer counts them as hidden.
package lineage

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Direction of a traversal.
type Direction string

const (
	Upstream   Direction = "upstream"   // where it came from
	Downstream Direction = "downstream" // what depends on it
)

// Level of a traversal: entries, or their items.
type Level string

const (
	TableLevel  Level = "table"
	ColumnLevel Level = "column"
)

// NodeKind is what a node stands for.
type NodeKind string

const (
	KindEntry    NodeKind = "entry"         // a directory entry (table level)
	KindColumn   NodeKind = "column"        // an entry's item (column level)
	KindSource   NodeKind = "source"        // where a load read: a district, a connection, a file
	KindScene    NodeKind = "scene"         // an application scene the entry serves
	KindBusiness NodeKind = "business_item" // a business item the entry serves
	KindJob      NodeKind = "external_job"  // an outside tool's job (OpenLineage events posted to us)
	KindDataset  NodeKind = "external_dataset"
)

// Edge kinds beside the catalog.Via… of column lineage.
const (
	EdgeDerived = "derived" // an input of a transform
	EdgeLoad    = "load"    // a source a load read
	EdgeServes  = "serves"  // an entry serving a scene or a business item
	EdgeReads   = "reads"   // a dataset an outside job reads
	EdgeWrites  = "writes"  // a dataset an outside job writes
)

// KindNames are the Chinese names of the node kinds.
var KindNames = map[NodeKind]string{
	KindEntry: "目录", KindColumn: "信息项", KindSource: "数据来源", KindScene: "应用场景", KindBusiness: "业务事项",
	KindJob: "外部作业", KindDataset: "外部数据集", KindConsumer: "使用方",
}

// EdgeName is the Chinese name of an edge kind.
func EdgeName(kind string) string {
	switch kind {
	case EdgeDerived:
		return "加工输入"
	case EdgeLoad:
		return "归集"
	case EdgeServes:
		return "服务"
	case EdgeReads:
		return "外部作业读取"
	case EdgeWrites:
		return "外部作业写入"
	case EdgeConsumed:
		return "查询使用"
	}
	if n, ok := catalog.ViaNames[kind]; ok {
		return n
	}
	return kind
}

// Node is one node of a lineage graph.
type Node struct {
	ID       string // unique in the graph: "entry:0101/000001", "column:0101/000001.pm25", …
	Kind     NodeKind
	Entry    string // resource code, for entries and columns
	Field    string // for columns
	Name     string // Chinese name
	Snapshot string // the entry's snapshot this lineage is of (as of a snapshot), when known
	Depth    int    // hops from the root
}

// Edge runs from what is read to what is made of it, whichever way the traversal went. Its
// ends are indexes into Graph.Nodes (a traversal may make tens of thousands of edges: small
// edges keep it from spending its time collecting garbage); Graph.Ends names them.
type Edge struct {
	From, To int32
	Kind     string // EdgeDerived, EdgeLoad, EdgeServes, or a catalog.Via… between columns
}

// Options of a traversal.
type Options struct {
	Direction Direction
	Level     Level
	Field     string // column level: start from this item only ("" for every item)
	Depth     int    // hops, 1 to MaxDepth; 0 for DefaultDepth
	AsOf      string // upstream only: the root's snapshot to trace (its run's input snapshots)
	MaxNodes  int    // 0 for DefaultMaxNodes, at most MaxNodes
	// Consumers, downstream, gives the recent readers of each entry reached (from the query
	// audit); nil shows none (a caller who may not read the audit).
	Consumers ConsumersFunc
}

// Bounds of a traversal.
const (
	DefaultDepth    = 5
	MaxDepth        = 20
	DefaultMaxNodes = 2000
	MaxNodes        = 10000
)

// Graph is the answer of a traversal.
type Graph struct {
	Root      string // the root node's ID
	Nodes     []Node // in the order reached (breadth first), the root first
	Edges     []Edge
	Hidden    int  // neighbouring entries that do not exist for the principal (not traversed)
	Truncated bool // MaxNodes was reached: some nodes were left out
}

// Ends returns the IDs of the nodes e runs from and to.
func (g *Graph) Ends(e Edge) (from, to string) { return g.Nodes[e.From].ID, g.Nodes[e.To].ID }

// Errors of a traversal, wrapped with the detail in Chinese.
var (
	ErrNotFound = catalog.ErrNotFound
	ErrInvalid  = schemas.ErrInvalid
)

// Trace walks the lineage of entry code for p at now.
func Trace(v *catalog.View, p *catalog.Principal, now time.Time, code string, o Options) (*Graph, error) {
	if err := o.normalise(); err != nil {
		return nil, err
	}
	root, ok := v.LineageOf(p, code)
	if !ok {
		return nil, fmt.Errorf("目录 %s 不存在: %w", code, ErrNotFound)
	}
	w := newTracer(v, p, now, o, root)
	defer w.release() // after the graph is copied out of its buffers (detached)
	snap := root.CurrentSnapshot
	if o.AsOf != "" {
		s, err := v.Snapshot(o.AsOf)
		if err != nil || s.Entry != root.Code {
			return nil, schemas.Userf(ErrInvalid, "快照 %s 不是目录 %s 的快照", o.AsOf, root.Code)
		}
		snap = s.ID
	}
	if o.Level == ColumnLevel {
		g, err := w.columns(root, snap)
		if err != nil {
			return nil, err
		}
		return g.detached(), nil
	}
	return w.tables(root, snap).detached(), nil
}

// detached is a copy of g whose nodes and edges are slices of their exact size, of their own:
// g's are a traversal's buffers, used again by the next.
func (g *Graph) detached() *Graph {
	c := *g
	c.Nodes = slices.Clone(g.Nodes)
	c.Edges = slices.Clone(g.Edges)
	return &c
}

func (o *Options) normalise() error {
	switch o.Direction {
	case Upstream, Downstream:
	default:
		return schemas.Userf(ErrInvalid, "方向应为 upstream（上游）或 downstream（下游），不是“%s”", o.Direction)
	}
	switch o.Level {
	case "":
		o.Level = TableLevel
	case TableLevel, ColumnLevel:
	default:
		return schemas.Userf(ErrInvalid, "层级应为 table（表）或 column（字段），不是“%s”", o.Level)
	}
	if o.Depth == 0 {
		o.Depth = DefaultDepth
	}
	if o.Depth < 1 || o.Depth > MaxDepth {
		return schemas.Userf(ErrInvalid, "深度应在 1 到 %d 之间（请求为 %d）", MaxDepth, o.Depth)
	}
	if o.MaxNodes == 0 {
		o.MaxNodes = DefaultMaxNodes
	}
	if o.MaxNodes < 1 || o.MaxNodes > MaxNodes {
		return schemas.Userf(ErrInvalid, "节点数上限应在 1 到 %d 之间（请求为 %d）", MaxNodes, o.MaxNodes)
	}
	if o.AsOf != "" && o.Direction != Upstream {
		return schemas.Userf(ErrInvalid, "按快照追溯（asOf）只适用于上游")
	}
	return nil
}

// tracer is one traversal's state.
type tracer struct {
	v       *catalog.View
	p       *catalog.Principal
	now     time.Time
	o       Options
	g       Graph
	seen    map[string]int32  // nodes other than entries, by ID: their index in g.Nodes
	entries map[string]*known // nil value: does not exist for p
	slab    []known           // where entries are kept, allocated a block at a time
	// hasExternal: outside jobs are recorded (catalog.View.HasExternalJobs), so each entry reached
	// is looked up among them.
	hasExternal bool
	sc          *scratch // where the traversal's buffers come from and go back to (release)
}

// scratch is what traversals work in, kept between them (scratchPool): a walk of thousands of
// nodes would otherwise grow its node and edge slices and maps step by step, garbage several
// times what it returns, and its tail would wait on the collector. Trace copies the graph out
// (detached) and gives the buffers back (release).
type scratch struct {
	nodes   []Node
	edges   []Edge
	seen    map[string]int32
	entries map[string]*known
	slabs   [][]known // blocks of entries looked up; the first used of them in use
	used    int
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{seen: make(map[string]int32, 64), entries: make(map[string]*known, 256)}
}}

// maxScratchNodes bounds the buffers a released scratch keeps: a rare huge walk does not pin its
// memory.
const maxScratchNodes = 1 << 14

// known is an entry a traversal has looked up, with the index of its node in the graph, -1
// while it is not there (entries are most of a graph: they are not in seen).
type known struct {
	catalog.LineageEntry
	node int32
}

// slabSize is how many entries a traversal keeps per allocation.
const slabSize = 256

// newTracer starts a traversal; roots, looked up already, are not looked up again.
func newTracer(v *catalog.View, p *catalog.Principal, now time.Time, o Options, roots ...catalog.LineageEntry) *tracer {
	sc := scratchPool.Get().(*scratch)
	w := &tracer{v: v, p: p, now: now, o: o, seen: sc.seen, entries: sc.entries, hasExternal: v.HasExternalJobs(), sc: sc}
	w.g.Nodes, w.g.Edges = sc.nodes[:0], sc.edges[:0]
	if w.g.Nodes == nil {
		w.g.Nodes = make([]Node, 0, 64)
	}
	for _, r := range roots {
		w.entries[r.Code] = w.keep(r)
	}
	return w
}

// release gives the traversal's buffers back, emptied, for the next; w is not used after.
func (w *tracer) release() {
	sc := w.sc
	if sc == nil {
		return
	}
	w.sc = nil
	clear(w.g.Nodes)
	clear(w.g.Edges)
	sc.nodes, sc.edges = w.g.Nodes[:0], w.g.Edges[:0]
	if cap(sc.nodes) > maxScratchNodes || cap(sc.edges) > 8*maxScratchNodes {
		sc.nodes, sc.edges = nil, nil
	}
	clear(sc.seen)
	clear(sc.entries)
	for _, b := range sc.slabs[:sc.used] {
		clear(b[:cap(b)])
	}
	sc.slabs, sc.used = sc.slabs[:min(len(sc.slabs), maxScratchNodes/slabSize)], 0
	scratchPool.Put(sc)
}

// keep keeps an entry looked up, not yet in the graph.
func (w *tracer) keep(e catalog.LineageEntry) *known {
	if len(w.slab) == cap(w.slab) {
		if sc := w.sc; sc.used < len(sc.slabs) {
			w.slab = sc.slabs[sc.used][:0]
		} else {
			w.slab = make([]known, 0, slabSize)
			sc.slabs = append(sc.slabs, w.slab)
		}
		w.sc.used++
	}
	w.slab = append(w.slab, known{LineageEntry: e, node: -1})
	return &w.slab[len(w.slab)-1]
}

// entry returns code as p sees it, nil when it does not exist for p (looked up once).
func (w *tracer) entry(code string) *known {
	if e, ok := w.entries[code]; ok {
		return e
	}
	var out *known
	if e, ok := w.v.LineageOf(w.p, code); ok {
		out = w.keep(e)
	}
	w.entries[code] = out
	return out
}

// add adds n unless it is there already or the graph is full; it returns the index of n's node
// (-1 when the graph is full) and whether n is new.
func (w *tracer) add(n Node) (int32, bool) {
	if i, ok := w.seen[n.ID]; ok {
		return i, false
	}
	if len(w.g.Nodes) >= w.o.MaxNodes {
		w.g.Truncated = true
		return -1, false
	}
	i := int32(len(w.g.Nodes))
	w.seen[n.ID] = i
	w.g.Nodes = append(w.g.Nodes, n)
	return i, true
}

// addEntry adds k's node, with the snapshot the lineage is of, unless it is there already or the
// graph is full; it reports whether the node is new.
func (w *tracer) addEntry(k *known, snap string, depth int) bool {
	if k.node >= 0 {
		return false
	}
	if len(w.g.Nodes) >= w.o.MaxNodes {
		w.g.Truncated = true
		return false
	}
	k.node = int32(len(w.g.Nodes))
	w.g.Nodes = append(w.g.Nodes, Node{ID: entryID(k.Code), Kind: KindEntry, Entry: k.Code, Name: k.Name, Snapshot: snap, Depth: depth})
	return true
}

// link adds an edge between at and entry k, as edge does.
func (w *tracer) link(at int32, k *known, kind string, up bool) { w.edge(at, k.node, kind, up) }

// edge adds an edge between the nodes at and other, from what is read to what is made of it,
// unless other was left out (-1: MaxNodes); up says the traversal goes upstream, from made to
// read.
func (w *tracer) edge(at, other int32, kind string, up bool) {
	if other < 0 {
		return
	}
	if w.g.Edges == nil {
		w.g.Edges = make([]Edge, 0, 256)
	}
	if up {
		w.g.Edges = append(w.g.Edges, Edge{From: other, To: at, Kind: kind})
	} else {
		w.g.Edges = append(w.g.Edges, Edge{From: at, To: other, Kind: kind})
	}
}

func entryID(code string) string { return "entry:" + code }

func columnID(code, field string) string { return "column:" + code + "." + field }

func errNoItem(code, field string) error {
	return schemas.Userf(ErrInvalid, "目录 %s 没有信息项“%s”", code, field)
}
