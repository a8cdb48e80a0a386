package query

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/cqeco/ecolake/catalog"
)

// tableTypes is one table's root fields (<table>, <table>_aggregate, <table>_page) with the types
// behind them, as readers with one view of the table see them: the same visible items, the same
// aggregates-only rule, the same type names. They are built once and shared by every schema
// whose reader sees the table so, across access profiles and across generations for as long as
// the entry's types do not change: a schema build then costs the tables that changed and the
// root's fields, not the types of the whole directory, and many schemas hold one copy of them.
type tableTypes struct {
	root *tableRoot
	used uint64 // the newest generation that used them
}

// maxTableTypes bounds the table type sets the service keeps (a table has one per distinct view
// of its items, most have one; a set is about 18 KB for 20 items): past it, the sets the current
// generation has not used are dropped, and if that is not enough, all, to be rebuilt on use.
var maxTableTypes = wholeSchemaTables // a variable for tests

// tableTypesFor returns the table's shared root fields for the decision a, building them on
// first use. Types kept from an older generation are reused when the entry's version is the
// same, so a catalogue change rebuilds only the types of the entries it changed. The types are
// built outside the cache's lock and complete (warmFields) before any other build can see them.
func (s *Service) tableTypesFor(g *generation, e *catalog.Entry, a catalog.Access, base string) *tableRoot {
	ti := g.table(e.Table)
	cols := visibleColumns(e, a)
	var k strings.Builder
	k.WriteString(ti.hash())
	k.WriteString(base)
	k.WriteByte('|')
	k.WriteString(strconv.FormatBool(a.AggregatesOnly))
	for _, c := range cols {
		k.WriteByte('|')
		k.WriteString(c.Field)
	}
	key := k.String()

	s.typesMu.Lock()
	if g.gen > s.typesGen {
		// A newer generation: drop what neither it nor the one before it used.
		for k, t := range s.types {
			if t.used < s.typesGen {
				delete(s.types, k)
			}
		}
		s.typesGen = g.gen
	}
	if t, ok := s.types[key]; ok {
		t.used = max(t.used, g.gen)
		s.typesMu.Unlock()
		return t.root
	}
	s.typesMu.Unlock()

	root := s.tableFields(e, cols, a.AggregatesOnly, base)
	// The field enum's lookups are built when a request first reaches it (warmDocument).
	warmFields(root.fields(), map[graphql.Type]bool{root.fieldEnum: true})

	s.typesMu.Lock()
	defer s.typesMu.Unlock()
	if t, ok := s.types[key]; ok {
		return t.root // another build made them meanwhile: one copy is kept
	}
	if len(s.types) >= maxTableTypes {
		for k, t := range s.types {
			if t.used < g.gen {
				delete(s.types, k)
			}
		}
		if len(s.types) >= maxTableTypes {
			clear(s.types)
		}
	}
	s.types[key] = &tableTypes{root: root, used: g.gen}
	return root
}

// init completes the types every schema holds by reference (the tables' types point at them)
// and graphql-go's introspection types once, before any build, so that concurrent builds and
// requests only ever read them.
func init() {
	seen := map[graphql.Type]bool{}
	for _, t := range filterTypes {
		warmType(t, seen)
	}
	for _, t := range []graphql.Type{Long, orderDirection, pageInfoType, nonNullLong, nonNullPageInfo} {
		warmType(t, seen)
	}
	probe := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"page": {Type: pageInfoType}, "direction": {Type: orderDirection}, "count": {Type: Long},
	}})
	sc, err := graphql.NewSchema(graphql.SchemaConfig{Query: probe})
	if err != nil {
		panic("query: shared types: " + err.Error())
	}
	warmEnums(&sc, nil)
}

// warmEnums builds the lookups of every enum of a schema but those in skip (graphql-go builds
// them on first use, without locks), so that the requests the schema answers at once only read
// them.
func warmEnums(sc *graphql.Schema, skip map[*graphql.Enum]bool) {
	for _, t := range sc.TypeMap() {
		if e, ok := t.(*graphql.Enum); ok && !skip[e] {
			warmEnum(e)
		}
	}
}

// enumWarming serialises the building of the tables' field enums' lookups, which schemas of
// several generations share (warmDocument).
var enumWarming sync.Mutex

// warmDocument builds, before the document is validated, the lookups of the enums it can reach
// that are not built yet: a table's field enum (groupBy, orderBy) gets them when a request
// first names its table, not with the schema, since they cost about 2 KB a table and a
// province's whole schema holds ten thousand tables whose enums introspection only lists. A
// document reaches an enum through the arguments of the root fields it names and through its
// variables' types: enum values are parsed nowhere else (the tables' enums are input types with
// no default values). The generation remembers the root fields and variable types it warmed
// per schema, so that a request walks and takes the shared lock only for what its generation
// has not seen.
func (g *generation) warmDocument(sc *graphql.Schema, doc *ast.Document) {
	roots, _ := rootFields(doc)
	var vars []string
	for _, d := range doc.Definitions {
		if op, ok := d.(*ast.OperationDefinition); ok {
			for _, v := range op.VariableDefinitions {
				if v != nil {
					if n := namedTypeOf(v.Type); n != "" {
						vars = append(vars, n)
					}
				}
			}
		}
	}
	g.mu.Lock()
	var cold []warmKey
	for i, name := range slices.Concat(roots, vars) {
		k := warmKey{sc: sc, name: name, variable: i >= len(roots)}
		if !g.warmed[k] {
			cold = append(cold, k)
		}
	}
	g.mu.Unlock()
	if len(cold) == 0 {
		return
	}

	var enums []*graphql.Enum
	seen := map[graphql.Type]bool{}
	var walk func(t graphql.Type)
	walk = func(t graphql.Type) {
		t = namedType(t)
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *graphql.Enum:
			enums = append(enums, t)
		case *graphql.InputObject:
			for _, f := range t.Fields() {
				walk(f.Type)
			}
		}
	}
	var defs graphql.FieldDefinitionMap
	if q := sc.QueryType(); q != nil {
		defs = q.Fields()
	}
	for _, k := range cold {
		if k.variable {
			if t := sc.Type(k.name); t != nil {
				walk(t)
			}
		} else if fd := defs[k.name]; fd != nil {
			for _, a := range fd.Args {
				walk(a.Type)
			}
		}
	}
	enumWarming.Lock()
	for _, e := range enums {
		warmEnum(e)
	}
	enumWarming.Unlock()
	g.mu.Lock()
	if len(g.warmed)+len(cold) > maxWarmed {
		clear(g.warmed)
	}
	for _, k := range cold {
		g.warmed[k] = true
	}
	g.mu.Unlock()
}

// warmKey names what warmDocument made sure of: a root field, or a variable type, of a schema.
type warmKey struct {
	sc       *graphql.Schema
	name     string
	variable bool
}

// maxWarmed bounds the root fields and variable types a generation remembers as warmed; past it
// they are forgotten (and walked again, under the shared lock, when next reached).
const maxWarmed = 1 << 16

// namedTypeOf is the name of the type a variable is declared with, lists and non-null unwrapped.
func namedTypeOf(t ast.Type) string {
	for {
		switch w := t.(type) {
		case *ast.List:
			t = w.Type
		case *ast.NonNull:
			t = w.Type
		case *ast.Named:
			if w.Name == nil {
				return ""
			}
			return w.Name.Value
		default:
			return ""
		}
	}
}

func warmEnum(e *graphql.Enum) {
	if vals := e.Values(); len(vals) > 0 {
		e.Serialize(vals[0].Value) // builds the value lookup
		e.ParseValue(vals[0].Name) // and the name lookup
	}
}

// warmFields defines every type the fields reach (graphql-go defines fields, interfaces and enum
// lookups lazily, on first use, without locks): shared types are complete before any schema or request
// reads them, so that concurrent requests only ever read them.
func warmFields(fields graphql.Fields, seen map[graphql.Type]bool) {
	for _, f := range fields {
		warmType(f.Type, seen)
		for _, a := range f.Args {
			warmType(a.Type, seen)
		}
	}
}

// namedType is t without its list and non-null wrappers.
func namedType(t graphql.Type) graphql.Type {
	for {
		switch w := t.(type) {
		case *graphql.List:
			t = w.OfType
		case *graphql.NonNull:
			t = w.OfType
		default:
			return t
		}
	}
}

func warmType(t graphql.Type, seen map[graphql.Type]bool) {
	t = namedType(t)
	if t == nil || seen[t] {
		return
	}
	seen[t] = true
	switch t := t.(type) {
	case *graphql.Object:
		t.Interfaces()
		for _, f := range t.Fields() {
			warmType(f.Type, seen)
			for _, a := range f.Args {
				warmType(a.Type, seen)
			}
		}
	case *graphql.InputObject:
		for _, f := range t.Fields() {
			warmType(f.Type, seen)
		}
	case *graphql.Enum:
		warmEnum(t)
	}
}

// entryHash hashes what an entry's generated types and its access decision depend on. Each value
// is written with its length, so that no two lists of values hash the same text.
func entryHash(e *catalog.Entry) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	put := func(ss ...string) {
		for _, s := range ss {
			h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
			io.WriteString(h, s)
		}
	}
	// The sharing type and the owning department are in the access decision too.
	put(e.ResourceCode, e.Table, e.Name, string(e.Grade()), e.District, e.ShareType, e.Department, strconv.Itoa(e.Items.Len()))
	for _, it := range e.Items.All() {
		put(it.Field, it.Name, it.Description, string(it.Type), string(it.Grade), it.PIType, it.CodeList,
			strconv.FormatBool(it.Required), strconv.FormatBool(it.IsKey))
	}
	return string(h.Sum(nil))
}
