package query

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// statusPublished is the directory status (schemas.EntryStatuses) of entries that may be queried.
const statusPublished = "PUBLISHED"

// generation is the catalogue as far as GraphQL is concerned: the queryable entries, with one
// immutable schema per access key (catalog.View.AccessKey: principals the decision cannot
// tell apart share it), built on first use and bounded in number. A catalogue change that alters the
// entries makes a new generation; the old one is dropped whole, never edited.
type generation struct {
	gen     uint64
	entries []*catalog.Entry      // queryable entries as stored (read only), ordered by table
	info    map[string]*tableInfo // what the schemas derive from each entry, by table

	mu       sync.Mutex
	byKey    map[string]*graphql.Schema // whole schemas, per access key
	parts    map[string]*graphql.Schema // schemas of some tables, per access key and tables
	names    map[string]map[string]string
	building map[string]*build                // schemas being built, by cache and key: one build per key
	sizes    map[*graphql.Schema]*schemaSizes // of the schemas introspected (introspect_cost.go)
	valid    map[validKey]bool                // document texts found valid (schema_cache.go)
	warmed   map[warmKey]bool                 // root fields and variable types whose enums are built (warmDocument)
}

// tableInfo is what the schemas derive from one version of a queryable entry, computed once,
// when first needed, and handed from generation to generation while the catalogue keeps that
// version (stored entries are never edited in place, so the same pointer is the same version).
type tableInfo struct {
	e        *catalog.Entry
	hashOnce sync.Once
	h        string // entryHash(e)
}

func (ti *tableInfo) hash() string {
	ti.hashOnce.Do(func() { ti.h = entryHash(ti.e) })
	return ti.h
}

func newGeneration(gen uint64, entries []*catalog.Entry, info map[string]*tableInfo) *generation {
	return &generation{gen: gen, entries: entries, info: info,
		byKey: map[string]*graphql.Schema{}, parts: map[string]*graphql.Schema{}, names: map[string]map[string]string{},
		building: map[string]*build{}, sizes: map[*graphql.Schema]*schemaSizes{}, valid: map[validKey]bool{}, warmed: map[warmKey]bool{}}
}

// fieldEntries calls fn with each entry a root field may belong to: the table of its name, and
// the table whose _aggregate or _page field it is. Derived from the field's name rather than
// kept in a map of three keys per table (19 MB at 100,000 tables).
func (g *generation) fieldEntries(field string, fn func(*catalog.Entry)) {
	if ti := g.info[field]; ti != nil {
		fn(ti.e)
	}
	for _, suffix := range []string{"_aggregate", "_page"} {
		if table, ok := strings.CutSuffix(field, suffix); ok {
			if ti := g.info[table]; ti != nil {
				fn(ti.e)
			}
		}
	}
}

// sameEntries reports whether two generations hold the same queryable tables with what the
// schemas derive from them: the same tables in order, each the same stored version or one of
// equal hash. Only the entries whose version differs are hashed (a version is hashed once, its
// tableInfo handed on), so a change costs the entries it touched, not a hash of the directory.
func sameEntries(a, b *generation) bool {
	if len(a.entries) != len(b.entries) {
		return false
	}
	for i, e := range a.entries {
		f := b.entries[i]
		if e == f {
			continue
		}
		if e.Table != f.Table || a.info[e.Table].hash() != b.info[f.Table].hash() {
			return false
		}
	}
	return true
}

// maxSchemas bounds the whole schemas a generation keeps, maxParts the partial ones; past the
// bound they are all dropped and rebuilt on their next use.
const (
	maxSchemas = 32
	maxParts   = 256
	// wholeSchemaTables is the tables all cached whole schemas may hold together (about 200 MB
	// per 10,000 tables).
	wholeSchemaTables = 20000
)

// current pairs a generation with the catalogue's metadata generation (catalog.View.Generation)
// it was built from: until that moves, no entry changed and the generation stands without a look
// at the directory.
type current struct {
	meta uint64
	g    *generation
}

// queryable reports whether an entry gets data fields: published, loaded, and with an
// identifier and columns (columns(e)) that may reach SQL.
func queryable(e *catalog.Entry) bool {
	return e.Status == statusPublished && e.CurrentSnapshot != "" && !e.Secret &&
		schemas.CheckIdent(e.Table) == nil && hasColumns(e)
}

// queryableEntries lists the queryable entries of the view, ordered by table, with what the
// schemas derive from each, reading only the entries with data (View.EachLoaded), not the whole
// directory. An entry prev holds in the same version keeps its tableInfo, so a change costs
// the entries it touched. They are the catalogue's stored entries, not copies (a copy of every
// loaded entry of a province would double the directory's memory): the schemas only read them,
// and a generation keeps an older version alive only until the next one replaces it.
func queryableEntries(v *catalog.View, prev *generation) ([]*catalog.Entry, map[string]*tableInfo) {
	var (
		out  []*catalog.Entry
		info map[string]*tableInfo
	)
	if prev != nil {
		// Sized as the last: most of a province's tables are still there.
		out, info = make([]*catalog.Entry, 0, len(prev.entries)), make(map[string]*tableInfo, len(prev.entries))
	} else {
		info = map[string]*tableInfo{}
	}
	v.EachLoaded(func(e *catalog.Entry) bool {
		if prev != nil {
			if ti := prev.info[e.Table]; ti != nil && ti.e == e {
				out = append(out, e)
				info[e.Table] = ti
				return true
			}
		}
		if queryable(e) {
			out = append(out, e)
			info[e.Table] = &tableInfo{e: e}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out, info
}

// generationFor returns the generation matching the view. While the catalogue's metadata
// generation has not moved (data loads, runs, accounts) that is the current one, found in O(1);
// otherwise the queryable entries are read again and a new generation is swapped in when what
// the schemas depend on changed. A rebuild from an older view never replaces a newer one.
func (s *Service) generationFor(v *catalog.View) *generation {
	meta := v.Generation()
	cur := s.cur.Load()
	if cur != nil && cur.meta >= meta {
		return cur.g
	}
	s.scans.Add(1)
	var prev *generation
	if cur != nil {
		prev = cur.g
	}
	entries, info := queryableEntries(v, prev)
	var built *generation
	for {
		cur = s.cur.Load()
		if cur != nil && cur.meta >= meta {
			return cur.g // a request with a newer view swapped meanwhile: it wins
		}
		if built == nil {
			built = newGeneration(s.gens.Add(1), entries, info)
		}
		g := built
		if cur != nil && sameEntries(cur.g, built) {
			g = cur.g
		}
		if s.cur.CompareAndSwap(cur, &current{meta: meta, g: g}) {
			if cur == nil || cur.g != g {
				s.log.Debug("query schema swapped", "generation", g.gen, "metadata_generation", meta, "tables", len(entries))
			}
			return g
		}
	}
}

// schema returns the generation's whole schema for the principal's access key, building it on
// first use: for introspection and the SDL. A province's directory has thousands of queryable
// tables, and their types cost tens of kilobytes and a few hundred microseconds each, so a
// request that names its tables gets schemaFor's instead.
func (s *Service) schema(g *generation, rd reader) (*graphql.Schema, error) {
	// A whole schema holds every table's types: fewer of them are kept as the directory grows
	// (two at 10,000 tables), so that distinct access profiles cannot fill the memory.
	bound := min(maxSchemas, max(2, wholeSchemaTables/max(1, len(g.entries))))
	return s.cachedSchema(g, g.byKey, bound, rd.key(), func() ([]*catalog.Entry, map[string]string) {
		return g.entries, g.typeNames(rd)
	}, rd)
}

// schemaFor returns the schema a document is validated and executed against: the whole schema
// when it introspects, otherwise the part of it that holds the catalogue fields and the tables the
// document's root fields name (the catalogue fields alone when it names none). Types keep the
// names they have in the whole schema, and a field outside the part is unknown in both, so the
// answer, errors included, is the whole schema's. A request scoped to some tables
// (Request.Tables) gets the part with those tables too, and introspects that part, not the whole.
func (s *Service) schemaFor(g *generation, rd reader, doc *ast.Document, scope []string) (*graphql.Schema, error) {
	fields, introspects := rootFields(doc)
	if introspects && len(scope) == 0 {
		return s.schema(g, rd)
	}
	fields = append(fields, scope...)
	var entries []*catalog.Entry
	seen := map[string]bool{}
	for _, f := range fields {
		g.fieldEntries(f, func(e *catalog.Entry) {
			if !seen[e.Table] {
				seen[e.Table] = true
				entries = append(entries, e)
			}
		})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Table < entries[j].Table })
	tables := make([]string, len(entries))
	for i, e := range entries {
		tables[i] = e.Table
	}
	key := rd.key() + "|" + strings.Join(tables, ",")
	return s.cachedSchema(g, g.parts, maxParts, key, func() ([]*catalog.Entry, map[string]string) {
		var names map[string]string
		if len(entries) > 0 {
			names = g.typeNames(rd)
		}
		return entries, names
	}, rd)
}

// typeNames gives each table the reader may read the base name of its types, as the whole schema names
// them: in table order, a name taken by an earlier table gets a suffix. Callers hold g.mu.
func (g *generation) typeNames(rd reader) map[string]string {
	key := rd.key()
	if names, ok := g.names[key]; ok {
		return names
	}
	names := map[string]string{}
	taken := map[string]bool{}
	for _, n := range fixedTypeNames {
		taken[n] = true
	}
	for _, e := range g.entries {
		a := rd.decide(e)
		if !a.Read || !anyVisible(e, a) {
			continue
		}
		names[e.Table] = typeBase(e.Table, taken)
	}
	if len(g.names) >= maxSchemas {
		clear(g.names)
	}
	g.names[key] = names
	return names
}

// rootFields lists the names of the fields a document selects on its root type, through
// fragments, and whether it introspects the schema (__schema, __type), which needs all of it.
func rootFields(doc *ast.Document) ([]string, bool) {
	frags := map[string]*ast.FragmentDefinition{}
	for _, d := range doc.Definitions {
		if f, ok := d.(*ast.FragmentDefinition); ok && f.Name != nil {
			frags[f.Name.Value] = f
		}
	}
	var out []string
	introspects := false
	visited := map[string]bool{}
	var walk func(ss *ast.SelectionSet)
	walk = func(ss *ast.SelectionSet) {
		if ss == nil {
			return
		}
		for _, sel := range ss.Selections {
			switch n := sel.(type) {
			case *ast.Field:
				if n.Name == nil {
					continue
				}
				switch n.Name.Value {
				case "__schema", "__type":
					introspects = true
				default:
					out = append(out, n.Name.Value)
				}
			case *ast.InlineFragment:
				walk(n.SelectionSet)
			case *ast.FragmentSpread:
				if n.Name == nil || visited[n.Name.Value] {
					continue
				}
				visited[n.Name.Value] = true
				if f := frags[n.Name.Value]; f != nil {
					walk(f.SelectionSet)
				}
			}
		}
	}
	for _, d := range doc.Definitions {
		if op, ok := d.(*ast.OperationDefinition); ok {
			walk(op.SelectionSet)
		}
	}
	return out, introspects
}

// fixedTypeNames are the names the generated table types must not take.
var fixedTypeNames = []string{
	"Query", "Entry", "Item", "Grade", "Snapshot", "Run", "CollectionRate", "Breakdown", "Lag",
	"CoverageRate", "BusinessItemCoverage", "OneThingRate", "SceneState", // schema_figures.go
	"EntryConnection", "PageInfo",
	"Long", "OrderDirection", "StringFilter", "LongFilter", "FloatFilter", "BooleanFilter",
	"DateFilter", "TimestampFilter", "String", "Int", "Float", "Boolean", "ID",
	// The directory workflow's (schema_workflow.go, schema_input.go, schema_mutation.go).
	"Mutation", "Actor", "Review", "ChangeRequest", "FieldChange", "History", "Grading", "GradeResult",
	"BusinessItem", "Scene", "EntryInput", "ItemInput", "ItemGradeInput", "EvidenceInput",
	"BusinessItemInput", "SceneInput", "Department",
	"SearchResult", "SearchHit", "SearchHighlight", "SearchFacets", "FacetCount",
	"AuditEvent", "AuditPage",
	"Grant", "GrantEvent", "GrantPage", "GrantInput", // schema_grant.go
	"LineageGraph", "LineageNode", "LineageEdge", "Impact", "ImpactedEntry", "LineageRef", "FigureImpact", // schema_lineage.go
	"Viewer", "CodeList", "Code", // schema_viewer.go
}

// buildSchema builds the schema the reader sees over entries, their types named by names
// (typeNames): entries whose data the decision does not let it read are absent, so they appear
// in no field, type or introspection answer; an aggregates-only reader gets no row field. Every
// schema has the Mutation root of the directory workflow: the catalogue decides each operation
// itself.
func (s *Service) buildSchema(g *generation, entries []*catalog.Entry, rd reader, names map[string]string) (*graphql.Schema, error) {
	if s.buildHook != nil {
		s.buildHook()
	}
	ct := newCatalogTypes()
	_, auditPage := newAuditTypes()
	tables := s.tableTypesOf(g, entries, rd, names)
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.FieldsThunk(func() graphql.Fields {
		fields := catalogFields(ct)
		s.figureFields(ct, fields)
		for k, f := range ct.wf.queryFields() {
			fields[k] = f
		}
		s.searchFields(ct, fields)
		s.auditFields(auditPage, fields)
		s.lineageFields(fields)
		s.figureHistoryFields(ct, fields)
		s.viewerFields(ct.wf.grade, fields)
		for i, e := range entries {
			if tables[i] == nil {
				continue
			}
			for name, f := range tables[i].fields() {
				if _, dup := fields[name]; dup {
					s.log.Warn("query field name taken, skipped", "dataset", e.Table, "field", name)
					continue
				}
				fields[name] = f
			}
		}
		return fields
	})})
	sc, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: s.mutation(ct.wf)})
	if err != nil {
		return nil, err
	}
	skip := make(map[*graphql.Enum]bool, len(tables))
	for _, t := range tables {
		if t != nil {
			skip[t.fieldEnum] = true
		}
	}
	warmEnums(&sc, skip) // the tables' field enums are warmed by the requests that reach them
	return &sc, nil
}

// tableTypesOf returns the root fields of each of entries the reader may read (nil for the
// others), from the shared cache (tableTypesFor), building what it lacks on every core: the
// first whole schema over a province builds thousands of tables' types. The decisions are asked
// first, in order, of the one view.
func (s *Service) tableTypesOf(g *generation, entries []*catalog.Entry, rd reader, names map[string]string) []*tableRoot {
	decided := make([]catalog.Access, len(entries))
	for i, e := range entries {
		if _, ok := names[e.Table]; ok {
			decided[i] = rd.decide(e)
		}
	}
	out := make([]*tableRoot, len(entries))
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Value
	for range min(runtime.GOMAXPROCS(0), len(entries)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				// Raised again on the request's goroutine, which turns it into an error: a panic
				// here would take the process down.
				if v := recover(); v != nil {
					panicked.CompareAndSwap(nil, fmt.Sprint(v))
				}
			}()
			for i := int(next.Add(1) - 1); i < len(entries); i = int(next.Add(1) - 1) {
				e := entries[i]
				if base, ok := names[e.Table]; ok { // otherwise not readable by the reader (typeNames)
					out[i] = s.tableTypesFor(g, e, decided[i], base)
				}
			}
		}()
	}
	wg.Wait()
	if v := panicked.Load(); v != nil {
		panic(v)
	}
	return out
}

// reader is whom a schema is built for: the principal with the catalogue view and the time of
// its request, which together give the access decision, grants included (catalog.View.Decide).
type reader struct {
	view *catalog.View
	p    *catalog.Principal
	now  time.Time
}

// key is the reader's access key: readers with the same key are given the same schema.
func (rd reader) key() string { return rd.view.AccessKey(rd.p, rd.now) }

func (rd reader) decide(e *catalog.Entry) catalog.Access { return rd.view.Decide(rd.p, e, rd.now) }
