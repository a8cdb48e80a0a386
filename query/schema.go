package query

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/cqeco/ecolake/catalog"
)

// maxSchemas bounds the whole schemas a generation keeps, maxParts the partial ones; past the
// bound they are all dropped and rebuilt on their next use.
const (
	maxSchemas = 32
	maxParts   = 256
	// wholeSchemaTables is the tables all cached whole schemas may hold together (about 200 MB
	// per 10,000 tables).
	wholeSchemaTables = 20000
)

// generationFor returns the generation matching the view. While the catalogue's metadata
// generation has not moved (data loads, runs, accounts) that is the current one, found in O(1);
// otherwise the entries changed since the current one was made are looked at (tables.followed),
// or, when many did, the queryable entries are read again (readTables), and a new generation is
// swapped in when what the schemas depend on changed. A rebuild from an older view never
// replaces a newer one.
func (s *Service) generationFor(v *catalog.View) *generation {
	meta, index := v.Generation(), v.Index()
	for {
		cur := s.cur.Load()
		if cur != nil && cur.meta >= meta {
			return cur.g
		}
		var (
			next    tables
			changed = true
			ok      bool
		)
		if cur != nil {
			var err error
			next, changed, ok, err = cur.g.tables.followed(v, cur.index)
			if err != nil { // the lists and the feed disagree: read the entries again
				s.log.Error("follow the catalogue's changed entries", "err", err)
				ok = false
			}
			if ok {
				s.followed.Add(1)
			}
		}
		if !ok {
			s.scans.Add(1)
			var prev tables
			if cur != nil {
				prev = cur.g.tables
			}
			next, changed = readTables(v, prev)
		}
		fresh := cur == nil || changed
		var g *generation
		if fresh {
			g = newGeneration(s.gens.Add(1), next)
		} else {
			g = cur.g
		}
		if s.cur.CompareAndSwap(cur, &current{meta: meta, index: index, g: g}) {
			if fresh {
				s.log.Debug("query schema swapped", "generation", g.gen, "metadata_generation", meta, "tables", next.len())
			}
			return g
		}
		// Another request swapped meanwhile: a newer view wins, an older one is followed from.
	}
}

// schema returns the generation's whole schema for the principal's access key, building it on
// first use: for introspection and the SDL. A province's directory has thousands of queryable
// tables, and their types cost tens of kilobytes and a few hundred microseconds each, so a
// request that names its tables gets schemaFor's instead.
func (s *Service) schema(g *generation, rd reader) (*graphql.Schema, error) {
	// A whole schema holds every table's types: fewer of them are kept as the directory grows
	// (two at 10,000 tables), so that distinct access profiles cannot fill the memory.
	bound := min(maxSchemas, max(2, wholeSchemaTables/max(1, g.len())))
	return s.cachedSchema(g, g.byKey, bound, rd.key(), func() ([]*catalog.Entry, map[string]string) {
		return slices.Collect(g.entries()), g.typeNames(rd)
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
	for e := range g.entries() {
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
