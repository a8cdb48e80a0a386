package query

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// The cost of an introspection answer. A steward's schema over 10,000 tables with data has about
// 90,000 types and a million fields: the standard introspection query (GraphiQL's) over it is a
// 200 MB answer that takes half a minute and gigabytes to build. Before such a document runs,
// introspectionCost bounds the values it would produce from the schema's own sizes, so that
// one larger than Config.MaxIntrospectionValues is refused at once; the SDL download (streamed)
// and __type(name:) serve the large schemas instead.

// schemaSizes are the totals and maxima an introspection bound is computed from.
type schemaSizes struct {
	types                         int64
	fields, args, inputs, enums   int64 // over all types
	maxFields, maxArgs, maxInputs int64 // of one type; of one field for args
	maxEnums                      int64
	maxWrap                       int // list and non-null wrappers around one field's type
}

// wraps is the list and non-null wrappers around a type.
func wraps(t graphql.Type) int {
	n := 0
	for {
		switch w := t.(type) {
		case *graphql.List:
			t = w.OfType
		case *graphql.NonNull:
			t = w.OfType
		default:
			return n
		}
		n++
	}
}

func sizesOf(sc *graphql.Schema) schemaSizes {
	var z schemaSizes
	for _, t := range sc.TypeMap() {
		z.types++
		switch t := t.(type) {
		case *graphql.Object:
			fs := t.Fields()
			z.fields += int64(len(fs))
			z.maxFields = max(z.maxFields, int64(len(fs)))
			for _, f := range fs {
				z.args += int64(len(f.Args))
				z.maxArgs = max(z.maxArgs, int64(len(f.Args)))
				z.maxWrap = max(z.maxWrap, wraps(f.Type))
				for _, a := range f.Args {
					z.maxWrap = max(z.maxWrap, wraps(a.Type))
				}
			}
		case *graphql.InputObject:
			fs := t.Fields()
			n := int64(len(fs))
			z.inputs += n
			z.maxInputs = max(z.maxInputs, n)
			for _, f := range fs {
				z.maxWrap = max(z.maxWrap, wraps(f.Type))
			}
		case *graphql.Enum:
			n := int64(len(t.Values()))
			z.enums += n
			z.maxEnums = max(z.maxEnums, n)
		}
	}
	return z
}

// typeSet is the __Type values a selection applies to: n of them, every type of the schema
// (all), or the one type known by name (one); otherwise any n types. wrapped is how many
// ofType levels below them may still be types: none below a named type, up to the schema's
// deepest wrapping below a field's type.
type typeSet struct {
	n       int64
	all     bool
	one     graphql.Type
	wrapped int
}

// introWalk walks a document's introspection selections, fragments expanded (the guard
// has checked that they are acyclic and bounded the depth).
type introWalk struct {
	sc    *graphql.Schema
	size  func() *schemaSizes
	z     *schemaSizes
	frags map[string]*ast.FragmentDefinition
	vars  map[string]any
}

// introspectionCost bounds the objects the introspection fields of doc produce; 0 when it
// introspects nothing. The schema's sizes are asked of size only for a document that needs them.
func introspectionCost(sc *graphql.Schema, size func() *schemaSizes, doc *ast.Document, vars map[string]any) int64 {
	in := &introWalk{sc: sc, size: size, frags: map[string]*ast.FragmentDefinition{}, vars: vars}
	for _, d := range doc.Definitions {
		if f, ok := d.(*ast.FragmentDefinition); ok && f.Name != nil {
			in.frags[f.Name.Value] = f
		}
	}
	var total int64
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		in.each(op.SelectionSet, func(f *ast.Field) {
			switch f.Name.Value {
			case "__schema":
				total = sat(total + 1 + in.schema(f.SelectionSet))
			case "__type":
				t := in.sc.Type(in.stringArg(f, "name"))
				if t == nil {
					return
				}
				total = sat(total + 1 + in.types(f.SelectionSet, typeSet{n: 1, one: t}))
			}
		})
	}
	return total
}

func sat(v int64) int64 { return min(v, saturate) }

// sizes asks the schema's sizes on first need.
func (in *introWalk) sizes() *schemaSizes {
	if in.z == nil {
		in.z = in.size()
	}
	return in.z
}

// sizesOf returns the sizes of a schema of the generation, computed once per schema (a pass
// over every type: a tenth of a second over a province's).
func (g *generation) sizesOf(sc *graphql.Schema) *schemaSizes {
	g.mu.Lock()
	z, ok := g.sizes[sc]
	g.mu.Unlock()
	if ok {
		return z
	}
	v := sizesOf(sc)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sizes) >= maxSchemas+maxParts {
		clear(g.sizes)
	}
	g.sizes[sc] = &v
	return &v
}

// each calls fn for every field of ss, inline fragments and fragment spreads expanded.
func (in *introWalk) each(ss *ast.SelectionSet, fn func(*ast.Field)) {
	if ss == nil {
		return
	}
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != nil {
				fn(s)
			}
		case *ast.InlineFragment:
			in.each(s.SelectionSet, fn)
		case *ast.FragmentSpread:
			if s.Name != nil {
				if f := in.frags[s.Name.Value]; f != nil {
					in.each(f.SelectionSet, fn)
				}
			}
		}
	}
}

// stringArg is the value of a string argument given literally or as a variable.
func (in *introWalk) stringArg(f *ast.Field, name string) string {
	for _, a := range f.Arguments {
		if a.Name == nil || a.Name.Value != name {
			continue
		}
		switch v := a.Value.(type) {
		case *ast.StringValue:
			return v.Value
		case *ast.Variable:
			if v.Name != nil {
				s, _ := in.vars[v.Name.Value].(string)
				return s
			}
		}
	}
	return ""
}

func (in *introWalk) schema(ss *ast.SelectionSet) int64 {
	var total int64
	in.each(ss, func(f *ast.Field) {
		switch f.Name.Value {
		case "types":
			n := in.sizes().types
			total = sat(total + n + in.types(f.SelectionSet, typeSet{n: n, all: true}))
		case "queryType":
			total = sat(total + 1 + in.types(f.SelectionSet, typeSet{n: 1, one: in.sc.QueryType()}))
		case "mutationType":
			if m := in.sc.MutationType(); m != nil {
				total = sat(total + 1 + in.types(f.SelectionSet, typeSet{n: 1, one: m}))
			}
		case "directives":
			var n, args int64
			for _, d := range in.sc.Directives() {
				n++
				args += int64(len(d.Args))
			}
			total = sat(total + n + args + in.values(f.SelectionSet, args))
		}
	})
	return total
}

// types bounds what a selection on the __Type values of set produces.
func (in *introWalk) types(ss *ast.SelectionSet, set typeSet) int64 {
	if set.n == 0 {
		return 0
	}
	var total int64
	in.each(ss, func(f *ast.Field) {
		switch f.Name.Value {
		case "fields":
			n, args := in.fieldsOf(set)
			total = sat(total + n + in.fields(f.SelectionSet, n, args))
		case "inputFields":
			n := in.count(set, func(z *schemaSizes) (int64, int64) { return z.inputs, z.maxInputs }, func(t graphql.Type) int64 {
				if o, ok := t.(*graphql.InputObject); ok {
					return int64(len(o.Fields()))
				}
				return 0
			})
			total = sat(total + n + in.values(f.SelectionSet, n))
		case "enumValues":
			total = sat(total + in.count(set, func(z *schemaSizes) (int64, int64) { return z.enums, z.maxEnums }, func(t graphql.Type) int64 {
				if e, ok := t.(*graphql.Enum); ok {
					return int64(len(e.Values()))
				}
				return 0
			}))
		case "ofType":
			if set.wrapped > 0 {
				total = sat(total + set.n + in.types(f.SelectionSet, typeSet{n: set.n, wrapped: set.wrapped - 1}))
			}
		case "interfaces", "possibleTypes":
			// Our schemas have no interfaces or unions: bounded by one each.
			total = sat(total + set.n + in.types(f.SelectionSet, typeSet{n: set.n}))
		}
	})
	return total
}

// count is the elements a list field of the types of set holds: all of them over every type,
// the one type's own, or the set's size times the largest.
func (in *introWalk) count(set typeSet, whole func(*schemaSizes) (sum, most int64), one func(graphql.Type) int64) int64 {
	switch {
	case set.all:
		sum, _ := whole(in.sizes())
		return sum
	case set.one != nil:
		return one(set.one)
	default:
		_, most := whole(in.sizes())
		return sat(set.n * most)
	}
}

// fieldsOf is the fields of the types of set and their arguments.
func (in *introWalk) fieldsOf(set typeSet) (n, args int64) {
	switch {
	case set.all:
		z := in.sizes()
		return z.fields, z.args
	case set.one != nil:
		o, ok := set.one.(*graphql.Object)
		if !ok {
			return 0, 0
		}
		for _, f := range o.Fields() {
			n++
			args += int64(len(f.Args))
		}
		return n, args
	default:
		z := in.sizes()
		n = sat(set.n * z.maxFields)
		return n, sat(n * z.maxArgs)
	}
}

// fields bounds a selection on n __Field values with args arguments among them.
func (in *introWalk) fields(ss *ast.SelectionSet, n, args int64) int64 {
	var total int64
	in.each(ss, func(f *ast.Field) {
		switch f.Name.Value {
		case "args":
			total = sat(total + args + in.values(f.SelectionSet, args))
		case "type":
			total = sat(total + n + in.types(f.SelectionSet, typeSet{n: n, wrapped: in.sizes().maxWrap}))
		}
	})
	return total
}

// values bounds a selection on n __InputValue values.
func (in *introWalk) values(ss *ast.SelectionSet, n int64) int64 {
	var total int64
	in.each(ss, func(f *ast.Field) {
		if f.Name.Value == "type" {
			total = sat(total + n + in.types(f.SelectionSet, typeSet{n: n, wrapped: in.sizes().maxWrap}))
		}
	})
	return total
}
