package query

import (
	"fmt"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/kinds"
	"github.com/graphql-go/graphql/language/visitor"
)

// validationRules are graphql-go's specified rules, except that the three which name unknown
// fields, arguments and types do so without suggestions: graphql-go computes an edit distance
// from every unknown name to every candidate (every type of the schema for a type), which a
// document of a few thousand unknown names turns into seconds of work. Our versions report the
// same English text, minus the "Did you mean" part.
var validationRules = []graphql.ValidationRuleFn{
	graphql.ArgumentsOfCorrectTypeRule,
	graphql.DefaultValuesOfCorrectTypeRule,
	fieldsOnCorrectType,
	graphql.FragmentsOnCompositeTypesRule,
	knownArgumentNames,
	graphql.KnownDirectivesRule,
	graphql.KnownFragmentNamesRule,
	knownTypeNames,
	graphql.LoneAnonymousOperationRule,
	graphql.NoFragmentCyclesRule,
	graphql.NoUndefinedVariablesRule,
	graphql.NoUnusedFragmentsRule,
	graphql.NoUnusedVariablesRule,
	graphql.OverlappingFieldsCanBeMergedRule,
	graphql.PossibleFragmentSpreadsRule,
	graphql.ProvidedNonNullArgumentsRule,
	graphql.ScalarLeafsRule,
	graphql.UniqueArgumentNamesRule,
	graphql.UniqueFragmentNamesRule,
	graphql.UniqueInputFieldNamesRule,
	graphql.UniqueOperationNamesRule,
	graphql.UniqueVariableNamesRule,
	graphql.VariablesAreInputTypesRule,
	graphql.VariablesInAllowedPositionRule,
}

// rule builds a rule instance that looks at one kind of node.
func rule(kind string, check func(p visitor.VisitFuncParams)) *graphql.ValidationRuleInstance {
	return &graphql.ValidationRuleInstance{VisitorOpts: &visitor.VisitorOptions{
		KindFuncMap: map[string]visitor.NamedVisitFuncs{kind: {Kind: func(p visitor.VisitFuncParams) (string, any) {
			check(p)
			return visitor.ActionNoChange, nil
		}}},
	}}
}

func report(ctx *graphql.ValidationContext, node ast.Node, format string, args ...any) {
	ctx.ReportError(gqlerrors.NewError(fmt.Sprintf(format, args...), []ast.Node{node}, "", nil, nil, nil))
}

func fieldsOnCorrectType(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
	return rule(kinds.Field, func(p visitor.VisitFuncParams) {
		node, ok := p.Node.(*ast.Field)
		parent := ctx.ParentType()
		if !ok || parent == nil || ctx.FieldDef() != nil {
			return
		}
		report(ctx, node, `Cannot query field "%s" on type "%s".`, node.Name.Value, parent.Name())
	})
}

func knownArgumentNames(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
	return rule(kinds.Argument, func(p visitor.VisitFuncParams) {
		node, ok := p.Node.(*ast.Argument)
		if !ok || len(p.Ancestors) == 0 {
			return
		}
		switch p.Ancestors[len(p.Ancestors)-1].GetKind() {
		case kinds.Field:
			def := ctx.FieldDef()
			if def == nil || hasArg(def.Args, node.Name.Value) {
				return
			}
			parent := ""
			if t := ctx.ParentType(); t != nil {
				parent = t.Name()
			}
			report(ctx, node, `Unknown argument "%s" on field "%s" of type "%s".`, node.Name.Value, def.Name, parent)
		case kinds.Directive:
			d := ctx.Directive()
			if d == nil || hasArg(d.Args, node.Name.Value) {
				return
			}
			report(ctx, node, `Unknown argument "%s" on directive "@%s".`, node.Name.Value, d.Name)
		}
	})
}

func hasArg(args []*graphql.Argument, name string) bool {
	for _, a := range args {
		if a.Name() == name {
			return true
		}
	}
	return false
}

// knownTypeNames needs no exceptions for type definitions: the guard lets none through.
func knownTypeNames(ctx *graphql.ValidationContext) *graphql.ValidationRuleInstance {
	return rule(kinds.Named, func(p visitor.VisitFuncParams) {
		node, ok := p.Node.(*ast.Named)
		if !ok || ctx.Schema().Type(node.Name.Value) != nil {
			return
		}
		report(ctx, node, `Unknown type "%s".`, node.Name.Value)
	})
}
