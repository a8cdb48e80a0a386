package query

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// selection is what a query asks of the field being resolved: the names of its sub-fields, and
// for each of them the names of their own sub-fields. Aliases and fragments are flattened, so
// that the plan reads only the columns and computes only the aggregates that were asked for.
type selection map[string]map[string]bool

func selected(info graphql.ResolveInfo) selection {
	out := selection{}
	for _, f := range info.FieldASTs {
		if f.SelectionSet == nil {
			continue
		}
		walkSelections(info, f.SelectionSet, func(child *ast.Field) {
			name := child.Name.Value
			if out[name] == nil {
				out[name] = map[string]bool{}
			}
			if child.SelectionSet != nil {
				walkSelections(info, child.SelectionSet, func(gc *ast.Field) {
					out[name][gc.Name.Value] = true
				})
			}
		})
	}
	return out
}

func walkSelections(info graphql.ResolveInfo, set *ast.SelectionSet, fn func(*ast.Field)) {
	for _, s := range set.Selections {
		switch s := s.(type) {
		case *ast.Field:
			fn(s)
		case *ast.InlineFragment:
			if s.SelectionSet != nil {
				walkSelections(info, s.SelectionSet, fn)
			}
		case *ast.FragmentSpread:
			if def, ok := info.Fragments[s.Name.Value].(*ast.FragmentDefinition); ok && def.SelectionSet != nil {
				walkSelections(info, def.SelectionSet, fn)
			}
		}
	}
}
