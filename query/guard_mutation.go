package query

import (
	"github.com/graphql-go/graphql/language/ast"
)

// Mutations pass the same guard as queries (size, depth, fields, aliases, merges, variables),
// the same admission and the same deadline. Two more bounds are theirs: a mutation's root fields
// are journal writes, each made durable before the next, so their number is bounded apart from
// the fields a query may select; and a GET request, which a link or a cache may repeat, never
// runs one.

// mutations refuses a mutation with more root fields than Config.MaxMutations, fragments
// expanded. Called once the expansion is known to be small.
func (c Config) mutations(in *inspector, ops []*ast.OperationDefinition) *guardError {
	for _, op := range ops {
		if op.Operation != ast.OperationTypeMutation {
			continue
		}
		if n := in.rootFields(op.SelectionSet); n > c.MaxMutations {
			return tooComplex("maxMutations", n, c.MaxMutations, "修改操作过多: 一次请求 %d 个, 上限 %d 个")
		}
	}
	return nil
}

// rootFields counts the fields of a selection set at its own level, through fragments.
func (in *inspector) rootFields(set *ast.SelectionSet) int {
	n := 0
	if set == nil {
		return 0
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += in.rootFields(sel.SelectionSet)
		case *ast.FragmentSpread:
			if f := in.frags[sel.Name.Value]; f != nil {
				n += in.rootFields(f.SelectionSet)
			}
		}
	}
	return n
}

// readOnly refuses a mutation sent by GET.
func readOnly(doc *ast.Document, req Request) *guardError {
	if !req.readOnly {
		return nil
	}
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok || op.Operation != ast.OperationTypeMutation {
			continue
		}
		if req.OperationName == "" || (op.Name != nil && op.Name.Value == req.OperationName) {
			return &guardError{msg: "修改操作须以 POST 请求提交, GET 请求只能查询", code: codeBadInput}
		}
	}
	return nil
}
