package query

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// The guard bounds what a document may cost before graphql-go sees it. graphql-go's parser and
// validator recurse without limit and ignore the request's context: one self-spreading fragment
// overflows the stack and kills the process, and a list literal nested a few thousand deep keeps
// the validator busy for minutes. So the text is measured first (size, line length, tokens,
// bracket nesting) by a scanner that cannot recurse, then parsed once, and the parsed document
// is measured with fragments expanded by memoisation, never by following them.

// codeTooComplex marks a refusal for exceeding a limit of Config.
const codeTooComplex = "QUERY_TOO_COMPLEX"

// guardError is a refusal by the guard, already in the words the author reads.
type guardError struct {
	msg  string
	code string
	ext  map[string]any
}

func (e *guardError) Error() string { return e.msg }

// tooComplex reports a measured value above its limit.
func tooComplex(limit string, value, max int, format string) *guardError {
	return &guardError{
		msg:  fmt.Sprintf(format, value, max),
		code: codeTooComplex,
		ext:  map[string]any{"limit": limit, "value": value, "max": max},
	}
}

func invalidDocument(format string, args ...any) *guardError {
	return &guardError{msg: fmt.Sprintf(format, args...), code: codeValidation}
}

// guard measures and parses a document; on refusal the document is nil and the errors say why.
func (c Config) guard(query string) (*ast.Document, []gqlerrors.FormattedError) {
	if err := c.scan(query); err != nil {
		return nil, []gqlerrors.FormattedError{err.formatted()}
	}
	src := source.NewSource(&source.Source{Body: []byte(query), Name: "GraphQL request"})
	// NoSource: graphql-go would otherwise locate every error by scanning the whole text with a
	// regular expression, so that many errors in a long document cost seconds; localise
	// locates them from the positions instead.
	doc, err := parser.Parse(parser.ParseParams{Source: src, Options: parser.ParseOptions{NoSource: true}})
	if err != nil {
		return nil, []gqlerrors.FormattedError{syntaxError(err)}
	}
	if err := c.inspect(doc); err != nil {
		return nil, []gqlerrors.FormattedError{err.formatted()}
	}
	return doc, nil
}

// execute is graphql.Do on a document parsed once, by the guard, validated by our rule set.
// graphql.Do adds only the schema's extensions, which our schemas do not have.
func (s *Service) execute(ctx context.Context, g *generation, r *request, req Request) *graphql.Result {
	if err := r.cfg.measureVariables(req.Variables); err != nil {
		return &graphql.Result{Errors: []gqlerrors.FormattedError{err.formatted()}}
	}
	doc, errs := r.cfg.guard(req.Query)
	if errs != nil {
		return &graphql.Result{Errors: errs}
	}
	if err := readOnly(doc, req); err != nil {
		return &graphql.Result{Errors: []gqlerrors.FormattedError{err.formatted()}}
	}
	sc, err := s.schemaFor(g, r.reader(), doc, req.Tables)
	if err != nil {
		s.log.Error("query schema", "user", r.principal.ID, "err", err)
		return &graphql.Result{Errors: []gqlerrors.FormattedError{coded(codeInternal, "查询服务内部错误")}}
	}
	g.warmDocument(sc, doc)
	lines := newLines(req.Query)
	if !g.validated(sc, req.Query) {
		if v := graphql.ValidateDocument(sc, doc, validationRules); !v.IsValid {
			return &graphql.Result{Errors: localise(v.Errors, validationPhase, lines)}
		}
		g.noteValid(sc, req.Query)
	}
	if err := strictVariables(sc, doc, req.OperationName, req.Variables); err != nil {
		return &graphql.Result{Errors: []gqlerrors.FormattedError{err.formatted()}}
	}
	if n, limit := introspectionCost(sc, func() *schemaSizes { return g.sizesOf(sc) }, doc, req.Variables), int64(r.cfg.MaxIntrospectionValues); n > limit {
		err := tooComplex("maxIntrospectionValues", int(n), int(limit),
			"内省结果过大: 约 %d 个值, 上限 %d 个; 完整模式请下载 GET /api/v1/schema.graphql, 或在地址上加 ?tables=表名,表名 只内省这些数据表, 或用 __type(name: \"类型名\") 逐个查询")
		return &graphql.Result{Errors: []gqlerrors.FormattedError{err.formatted()}}
	}
	res := graphql.Execute(graphql.ExecuteParams{
		Schema:        *sc,
		AST:           doc,
		OperationName: req.OperationName,
		Args:          req.Variables,
		Context:       withRequest(ctx, r),
	})
	res.Errors = localise(res.Errors, executionPhase, lines)
	return res
}

// cost is what a selection set amounts to with its fragments expanded. Fields counts every
// selection, spreads and inline fragments too: a chain of spreads costs a walk even when it ends
// in one field, and the merge check below walks the expansion.
type cost struct {
	depth, fields, aliases int
}

// saturate keeps sums of expanded counts from overflowing: a fan-out of fragments multiplies.
const saturate = 1 << 40

func (a cost) plus(b cost) cost {
	return cost{depth: max(a.depth, b.depth), fields: min(a.fields+b.fields, saturate), aliases: min(a.aliases+b.aliases, saturate)}
}

// inspector measures a parsed document. Fragments are checked for cycles and unknown names
// before any cost is computed, and each fragment's cost is computed once.
type inspector struct {
	frags map[string]*ast.FragmentDefinition
	state map[string]int // 0 unseen, 1 on the current path, 2 done
	path  []string
	memo  map[string]cost
}

func (c Config) inspect(doc *ast.Document) *guardError {
	in := &inspector{frags: map[string]*ast.FragmentDefinition{}, state: map[string]int{}, memo: map[string]cost{}}
	var ops []*ast.OperationDefinition
	var order []string // fragment names in document order, so that the first problem is stable
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			if d.Operation == ast.OperationTypeSubscription {
				return invalidDocument("查询校验失败: 不支持订阅 (subscription) 操作")
			}
			ops = append(ops, d)
		case *ast.FragmentDefinition:
			name := d.Name.Value
			if in.frags[name] != nil {
				return invalidDocument("查询校验失败: 片段 %s 重复定义", name)
			}
			in.frags[name] = d
			order = append(order, name)
		default:
			return invalidDocument("查询校验失败: 文档只能包含查询、修改操作与片段定义")
		}
	}
	if len(ops) > c.MaxOperations {
		return tooComplex("maxOperations", len(ops), c.MaxOperations, "查询文档包含 %d 个操作, 上限 %d 个")
	}
	spread := map[string]bool{}
	for _, name := range order {
		if err := in.acyclic(name); err != nil {
			return err
		}
		for _, s := range spreads(in.frags[name].SelectionSet, nil) {
			spread[s] = true
		}
	}
	// graphql-go validates every operation and every fragment definition; a fragment spread
	// somewhere is validated as part of where it is spread, so only the others add to the sum.
	var roots []*ast.SelectionSet
	for _, op := range ops {
		if err := in.spreadsKnown(op.SelectionSet); err != nil {
			return err
		}
		for _, s := range spreads(op.SelectionSet, nil) {
			spread[s] = true
		}
		roots = append(roots, op.SelectionSet)
	}
	for _, name := range order {
		if !spread[name] {
			roots = append(roots, in.frags[name].SelectionSet)
		}
	}
	var total cost
	for _, r := range roots {
		total = total.plus(in.cost(r))
	}
	switch {
	case total.depth > c.MaxDepth:
		return tooComplex("maxDepth", total.depth, c.MaxDepth, "查询层级过深: 展开片段后 %d 层, 上限 %d 层")
	case total.fields > c.MaxFields:
		return tooComplex("maxFields", total.fields, c.MaxFields, "查询字段过多: 展开片段后 %d 个 (片段引用也计入), 上限 %d 个")
	case total.aliases > c.MaxAliases:
		return tooComplex("maxAliases", total.aliases, c.MaxAliases, "查询别名过多: 展开片段后 %d 个, 上限 %d 个")
	}
	if err := c.mutations(in, ops); err != nil {
		return err
	}
	// Now the expansion is known to be small, it is walked once to count what graphql-go's
	// overlapping-fields rule compares: every pair of fields answering at the same path.
	m := &merger{in: in, ids: map[mergeKey]int{}, spread: map[mergeKey]bool{}}
	for i, r := range roots {
		m.walk(r, m.node(-1, strconv.Itoa(i))) // operations and fragments are not compared
	}
	if merges := m.pairs(); merges > c.MaxMerges {
		return tooComplex("maxMerges", merges, c.MaxMerges, "查询中同名字段过多: 需两两比较 %d 对, 上限 %d 对")
	}
	return nil
}

// acyclic walks the spread graph from one fragment depth first and refuses a spread of an
// unknown fragment or of a fragment already on the path. The path is bounded by the number of
// fragments, and the scan has bounded that.
func (in *inspector) acyclic(name string) *guardError {
	switch in.state[name] {
	case 2:
		return nil
	case 1:
		start := 0
		for i, n := range in.path {
			if n == name {
				start = i
			}
		}
		cycle := append(append([]string{}, in.path[start:]...), name)
		return invalidDocument("查询校验失败: 片段循环引用 (%s)", strings.Join(cycle, " → "))
	}
	f := in.frags[name]
	in.state[name] = 1
	in.path = append(in.path, name)
	for _, s := range spreads(f.SelectionSet, nil) {
		if in.frags[s] == nil {
			return invalidDocument("查询校验失败: 片段 %s 未定义", s)
		}
		if err := in.acyclic(s); err != nil {
			return err
		}
	}
	in.path = in.path[:len(in.path)-1]
	in.state[name] = 2
	return nil
}

func (in *inspector) spreadsKnown(set *ast.SelectionSet) *guardError {
	for _, s := range spreads(set, nil) {
		if in.frags[s] == nil {
			return invalidDocument("查询校验失败: 片段 %s 未定义", s)
		}
	}
	return nil
}

// spreads lists the fragment names spread anywhere in a selection set, without entering them.
// Recursion here follows the text's own nesting, which the scan has bounded.
func spreads(set *ast.SelectionSet, out []string) []string {
	if set == nil {
		return out
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			out = spreads(sel.SelectionSet, out)
		case *ast.InlineFragment:
			out = spreads(sel.SelectionSet, out)
		case *ast.FragmentSpread:
			out = append(out, sel.Name.Value)
		}
	}
	return out
}

// cost measures a selection set; only called once every fragment is known to be acyclic.
func (in *inspector) cost(set *ast.SelectionSet) cost {
	var total cost
	if set == nil {
		return total
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			sub := in.cost(sel.SelectionSet)
			c := cost{depth: sub.depth + 1, fields: min(sub.fields+1, saturate), aliases: sub.aliases}
			if sel.Alias != nil {
				c.aliases = min(c.aliases+1, saturate)
			}
			total = total.plus(c)
		case *ast.InlineFragment:
			sub := in.cost(sel.SelectionSet)
			sub.fields = min(sub.fields+1, saturate)
			total = total.plus(sub)
		case *ast.FragmentSpread:
			sub := in.fragment(sel.Name.Value)
			sub.fields = min(sub.fields+1, saturate)
			total = total.plus(sub)
		}
	}
	return total
}

func (in *inspector) fragment(name string) cost {
	if c, ok := in.memo[name]; ok {
		return c
	}
	c := in.cost(in.frags[name].SelectionSet)
	in.memo[name] = c
	return c
}

// merger counts the fields of the expanded document per response path (a trie of response
// keys): graphql-go compares every two fields at one path, with arguments printed each time.
// Like graphql-go, it takes a fragment spread again at the same path only once.
type merger struct {
	in     *inspector
	ids    map[mergeKey]int
	count  []int
	spread map[mergeKey]bool // fragments already expanded at a path
}

type mergeKey struct {
	parent int
	key    string
}

func (m *merger) node(parent int, key string) int {
	k := mergeKey{parent, key}
	id, ok := m.ids[k]
	if !ok {
		id = len(m.count)
		m.ids[k] = id
		m.count = append(m.count, 0)
	}
	return id
}

func (m *merger) walk(set *ast.SelectionSet, parent int) {
	if set == nil {
		return
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			key := sel.Name.Value
			if sel.Alias != nil {
				key = sel.Alias.Value
			}
			id := m.node(parent, key)
			m.count[id]++
			m.walk(sel.SelectionSet, id)
		case *ast.InlineFragment:
			m.walk(sel.SelectionSet, parent)
		case *ast.FragmentSpread:
			k := mergeKey{parent, sel.Name.Value}
			if !m.spread[k] {
				m.spread[k] = true
				m.walk(m.in.frags[sel.Name.Value].SelectionSet, parent)
			}
		}
	}
}

func (m *merger) pairs() int {
	n := 0
	for _, c := range m.count {
		n += c * (c - 1) / 2
	}
	return n
}
