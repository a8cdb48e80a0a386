package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errors runs a query for a principal and returns its errors whole, extensions included.
func (f *fixture) errors(id, query string, vars map[string]any) []gqlerrors.FormattedError {
	f.t.Helper()
	res := f.svc.Do(f.ctx, f.principal(id), Request{Query: query, Variables: vars})
	require.NotNil(f.t, res)
	return res.Errors
}

// nested opens n brackets, puts inner, closes them, breaking lines so that no line is long.
func nested(open, inner, closing string, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(open)
		if i%200 == 199 {
			b.WriteString("\n")
		}
	}
	b.WriteString(inner)
	for i := range n {
		b.WriteString(closing)
		if i%200 == 199 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// padTo pads s with spaces to n bytes.
func padTo(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }

// repeatLines repeats a line n times.
func repeatLines(line string, n int) string { return strings.Repeat(line+"\n", n) }

// fanOut is the fragment bomb: F0 spreads F1 ten times, F1 spreads F2 ten times, and so on;
// expanded it selects 10^levels fields.
func fanOut(levels int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on Query {%s}\n", i, strings.Repeat(fmt.Sprintf(" ...F%d", i+1), 10))
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", levels)
	return b.String()
}

// fragmentChain nests one field level per fragment, n fragments deep.
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("{ entries { ...F0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Entry { items { ...F%d } }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Item { field }\n", n)
	return b.String()
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range n {
		fmt.Fprintf(&b, "a%d: __typename\n", i)
	}
	b.WriteString("}")
	return b.String()
}

func operations(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "query Q%d { __typename }\n", i)
	}
	return b.String()
}

func TestGuardRefuses(t *testing.T) {
	cfg := DefaultConfig()
	type limit struct {
		name  string
		value int
	}
	cases := []struct {
		name, doc string
		msg       string
		limit     *limit // nil for a refusal that is not a limit
	}{
		{"a fragment spreading itself (47 bytes)", `{ ...A } fragment A on Query { ...A }`, "片段循环引用 (A → A)", nil},
		{"mutual fragments", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, "片段循环引用 (A → B → A)", nil},
		{"a cycle through fields and inline fragments", `{ ...A } fragment A on Query { entries { ... on Entry { ...B } } }
			fragment B on Entry { items { ...C } } fragment C on Item { ...B }`, "片段循环引用 (B → C → B)", nil},
		{"an unused cycle", `{ __typename } fragment A on Query { ...B } fragment B on Query { ...A }`, "片段循环引用 (A → B → A)", nil},
		{"an unknown fragment", `{ ...Nope }`, "片段 Nope 未定义", nil},
		{"an unknown fragment in a fragment", `{ ...A } fragment A on Query { entries { ...Nope } }`, "片段 Nope 未定义", nil},
		{"a fragment defined twice", `{ ...A } fragment A on Query { __typename } fragment A on Query { entries { name } }`, "片段 A 重复定义", nil},
		{"a type definition", `type X { a: Int }`, "文档只能包含查询、修改操作与片段定义", nil},
		{"a document over the size limit", "{\n" + repeatLines("__typename", 7000) + "}", "查询文档过大: 77003 字节", &limit{"maxDocumentBytes", 77003}},
		{"a long line", "{" + strings.Repeat(" __typename", 400) + " }", "查询文档单行过长: 4403 字节", &limit{"maxLineBytes", 4403}},
		{"too many tokens", "{\n" + repeatLines("a", 20001) + "}", "查询文档过于复杂: 20003 个词法单元", &limit{"maxTokens", 20003}},
		{"a list literal nested 2,000 deep", `{ entry(code: ` + nested("[", `"x"`, "]", 2000) + `) { name } }`, "括号嵌套 2002 层", &limit{"maxNesting", 2002}},
		{"a list literal nested 10,000 deep", `{ entry(code: ` + nested("[", `"x"`, "]", 10000) + `) { name } }`, "括号嵌套 10002 层", &limit{"maxNesting", 10002}},
		{"an object literal nested deep", `{ air_station_hourly(where: ` + nested("{and: [", `{valid: {eq: true}}`, "]}", 100) + `) { station } }`,
			"括号嵌套 204 层", &limit{"maxNesting", 204}},
		{"inline fragments nested 3,000 deep", "{" + nested("... on Query {", "__typename", "}", 3000) + "}", "括号嵌套 3001 层", &limit{"maxNesting", 3001}},
		{"fields nested 21 deep", nested("{ entries ", "{ name }", "}", 20), "查询层级过深: 展开片段后 21 层", &limit{"maxDepth", 21}},
		{"depth through a chain of fragments", fragmentChain(20), "查询层级过深: 展开片段后 22 层", &limit{"maxDepth", 22}},
		{"a fragment fan-out bomb", fanOut(6), "查询字段过多: 展开片段后 2111111 个", &limit{"maxFields", 2111111}},
		{"a fan-out bomb past any integer", fanOut(40), "查询字段过多", &limit{"maxFields", saturate}},
		{"201 aliases", aliases(201), "查询别名过多: 展开片段后 201 个, 上限 200 个", &limit{"maxAliases", 201}},
		{"aliases multiplied by a fragment", "{ a: entries { ...A } b: entries { ...A } } fragment A on Entry {" + strings.Repeat(" x: name", 100) + " }",
			"查询别名过多: 展开片段后 202 个", &limit{"maxAliases", 202}},
		{"one field 46 times", "{" + strings.Repeat(" __typename", 46) + " }", "需两两比较 1035 对, 上限 1000 对", &limit{"maxMerges", 1035}},
		{"one field with arguments 300 times", "{\n" + repeatLines(`air_station_hourly(limit: 1) { station }`, 300) + "}", "需两两比较 89700 对", &limit{"maxMerges", 89700}},
		{"51 operations", operations(51), "查询文档包含 51 个操作, 上限 50 个", &limit{"maxOperations", 51}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, errs := cfg.guard(c.doc)
			assert.Nil(t, doc)
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0].Message, c.msg)
			if c.limit == nil {
				assert.Equal(t, codeValidation, errs[0].Extensions["code"])
				return
			}
			assert.Equal(t, codeTooComplex, errs[0].Extensions["code"])
			assert.Equal(t, c.limit.name, errs[0].Extensions["limit"])
			assert.Equal(t, c.limit.value, errs[0].Extensions["value"])
		})
	}
}

// introspection is the introspection query of GraphQL tools, with nine levels of ofType.
var introspection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ` + nested("ofType { kind name ", "", "}", 9) + ` }`

func TestGuardAccepts(t *testing.T) {
	cfg := DefaultConfig()
	for name, doc := range map[string]string{
		"introspection": introspection,
		"brackets in strings, block strings and comments do not nest": `{ entry(code: "` + strings.Repeat(`{[(\"`, 100) + `") { name }
			# ` + strings.Repeat("{", 100) + `
			x: entry(code: """` + strings.Repeat("[", 100) + ` \""" ` + strings.Repeat("(", 100) + `""") { name } }`,
		"a diamond of fragments is no cycle": `{ ...A } fragment A on Query { ...B ...C } fragment B on Query { ...D }
			fragment C on Query { ...D } fragment D on Query { __typename }`,
		"one field 45 times":       "{" + strings.Repeat(" __typename", 45) + " }",
		"200 aliases":              aliases(200),
		"fields nested 20 deep":    nested("{ entries ", "{ name }", "}", 19),
		"50 operations":            operations(50),
		"a fan-out within limits":  fanOut(2),
		"a list nested 62 deep":    `{ entry(code: ` + nested("[", `"x"`, "]", 62) + `) { name } }`,
		"a line of 4096 bytes":     "{" + strings.Repeat(" ", 4083) + "__typename}",
		"a document of 64 KiB":     padTo("{\n"+repeatLines(strings.Repeat(" ", 1023), 63), 64<<10-11) + "__typename}",
		"20,000 tokens":            "{ entry(code: [\n" + repeatLines("1", 19988) + "]) { name } }",
		"a fragment chain 18 deep": fragmentChain(18),
	} {
		t.Run(name, func(t *testing.T) {
			doc, errs := cfg.guard(doc)
			require.Empty(t, errs)
			assert.NotNil(t, doc)
		})
	}
}

// TestHostileDocumentsThroughDo sends the reported documents through the service: each used to
// kill the process or keep it busy for minutes; now each is one error, and the service answers.
func TestHostileDocumentsThroughDo(t *testing.T) {
	f := newFixture(t)
	for name, doc := range map[string]string{
		"fragment cycle":        `{ ...A } fragment A on Query { ...A }`,
		"mutual fragment cycle": `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`,
		"list nested 10,000":    `{ entry(code: ` + nested("[", `"x"`, "]", 10000) + `) { name } }`,
		"inline fragments":      "{" + nested("... on Query {", "__typename", "}", 4000) + "}",
		"fan-out bomb":          fanOut(8),
	} {
		t.Run(name, func(t *testing.T) {
			errs := f.errors(lowPrincipal, doc, nil)
			require.Len(t, errs, 1)
			assert.Contains(t, []any{codeTooComplex, codeValidation}, errs[0].Extensions["code"])
		})
	}
	data := f.mustDo(lowPrincipal, introspection)
	assert.Contains(t, jsonOf(t, data), `"AirStationHourly"`)
}

// schemaWithLiteral is a schema whose one argument's literal is read by parse, which runs
// during validation, where graphql-go neither watches the context nor recovers panics.
func schemaWithLiteral(t *testing.T, parse func(ast.Value) any) *graphql.Schema {
	slow := graphql.NewScalar(graphql.ScalarConfig{
		Name:         "Slow",
		Serialize:    func(v any) any { return v },
		ParseValue:   func(v any) any { return v },
		ParseLiteral: parse,
	})
	sc, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"f": {Type: graphql.Int, Args: graphql.FieldConfigArgument{"x": {Type: slow}}, Resolve: func(graphql.ResolveParams) (any, error) { return 1, nil }},
	}})})
	require.NoError(t, err)
	return &sc
}

// TestAnswerReturnsAtTheDeadline: graphql-go's executor watches the context, its validator
// does not. Here validation is stuck in a literal parser that ignores the context; the answer
// must come at the deadline all the same.
func TestAnswerReturnsAtTheDeadline(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	var released atomic.Bool
	sc := schemaWithLiteral(t, func(ast.Value) any { <-release; return 1 })
	// Without the deadline answer would wait for this; it must not come to that.
	stuck := time.AfterFunc(30*time.Second, func() { released.Store(true); close(release) })
	ctx, cancel := context.WithTimeout(f.ctx, 100*time.Millisecond)
	defer cancel()
	res := f.svc.answer(ctx, fixedGeneration(f.principal(lowPrincipal), sc), &request{view: f.cat.View(), principal: f.principal(lowPrincipal), cfg: f.svc.cfg}, Request{Query: `{ f(x: 1) }`})
	assert.False(t, released.Load(), "answer waited for the stuck validation")
	assert.Nil(t, res, "Do words the timeout")
	if stuck.Stop() {
		close(release)
	}
}

// TestAnswerSurvivesAPanic: the work runs on a goroutine no HTTP server recovers, so a panic
// there must become an error rather than end the process.
func TestAnswerSurvivesAPanic(t *testing.T) {
	f := newFixture(t)
	sc := schemaWithLiteral(t, func(ast.Value) any { panic("literal parser broke") })
	res := f.svc.answer(f.ctx, fixedGeneration(f.principal(lowPrincipal), sc), &request{view: f.cat.View(), principal: f.principal(lowPrincipal), cfg: f.svc.cfg}, Request{Query: `{ f(x: 1) }`})
	require.NotNil(t, res)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, "查询服务内部错误", res.Errors[0].Message)
	assert.Equal(t, codeInternal, res.Errors[0].Extensions["code"])
	assert.Contains(t, f.logBuf.String(), "literal parser broke")
}

func TestConfigLimitsMustBePositive(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	for name, set := range map[string]func(*Config){
		"document":   func(c *Config) { c.MaxDocumentBytes = 0 },
		"line":       func(c *Config) { c.MaxLineBytes = 0 },
		"tokens":     func(c *Config) { c.MaxTokens = -1 },
		"nesting":    func(c *Config) { c.MaxNesting = 0 },
		"depth":      func(c *Config) { c.MaxDepth = 0 },
		"fields":     func(c *Config) { c.MaxFields = 0 },
		"aliases":    func(c *Config) { c.MaxAliases = 0 },
		"merges":     func(c *Config) { c.MaxMerges = 0 },
		"operations": func(c *Config) { c.MaxOperations = 0 },
		"variables":  func(c *Config) { c.MaxVariableBytes = 0 },
		"errors":     func(c *Config) { c.MaxErrors = 0 },
		"error text": func(c *Config) { c.MaxErrorText = 63 },
	} {
		c := DefaultConfig()
		set(&c)
		assert.ErrorIs(t, c.Validate(), ErrInvalid, name)
	}
}

// jsonSize is how many bytes v takes as JSON, the way the handler writes it.
func jsonSize(t *testing.T, v any) int {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return len(b)
}

// FuzzGuard: whatever the text, the guard answers with a document or with errors, never both,
// never neither, and never by panicking or running away.
func FuzzGuard(f *testing.F) {
	for _, seed := range []string{
		`{ ...A } fragment A on Query { ...A }`, `{ entry(code: [[["x"]]]) { name } }`, introspection,
		`{ a: entries { ...F } } fragment F on Entry { name """x\""" y""" # c {`, fanOut(3), `{ "unterminated`,
		"query($b: Boolean!) { x(where: {f: {eq: $b}}) @include(if: $b) { ... on T { y } } }",
	} {
		f.Add(seed)
	}
	cfg := DefaultConfig()
	f.Fuzz(func(t *testing.T, doc string) {
		got, errs := cfg.guard(doc)
		if (got == nil) == (len(errs) == 0) {
			t.Fatalf("document %v with errors %v", got != nil, errs)
		}
	})
}
