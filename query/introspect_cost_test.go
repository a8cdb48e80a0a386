package query

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// objectsIn counts the objects of an answer, its own included: the values introspectionCost
// bounds are the __Schema, __Type, __Field, __InputValue and __EnumValue objects.
func objectsIn(v any) int64 {
	var n int64
	switch v := v.(type) {
	case map[string]any:
		n++
		for _, x := range v {
			n += objectsIn(x)
		}
	case []any:
		for _, x := range v {
			n += objectsIn(x)
		}
	}
	return n
}

// TestIntrospectionCostBoundsTheAnswer: for the introspections tools send, the bound computed
// before execution is at least the values the answer holds, and not far above them; a document
// without introspection costs nothing.
func TestIntrospectionCostBoundsTheAnswer(t *testing.T) {
	f := newFixture(t)
	rd := reader{view: f.cat.View(), p: f.principal(hiPrincipal), now: f.now}
	g := f.svc.generationFor(rd.view)
	sc, err := f.svc.schema(g, rd)
	require.NoError(t, err)
	size := func() *schemaSizes { return g.sizesOf(sc) }
	for name, q := range map[string]string{
		"standard introspection": introspection,
		"one type":               `{ __type(name: "AirStationHourly") { name fields { name type { name kind ofType { name } } } } }`,
		"type names":             `{ __schema { types { name } } }`,
		"root fields":            `{ __schema { queryType { fields { name args { name type { name } } } } } }`,
		"enum values":            `{ __type(name: "AirStationHourlyField") { enumValues { name } } }`,
		"input fields":           `{ __type(name: "AirStationHourlyWhere") { inputFields { name type { name } } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := parser.Parse(parser.ParseParams{Source: q})
			require.NoError(t, err)
			bound := introspectionCost(sc, size, doc, nil)
			actual := objectsIn(f.mustDo(hiPrincipal, q)) - 1 // the answer's data object
			assert.GreaterOrEqual(t, bound, actual, "the bound is below the answer")
			assert.LessOrEqual(t, bound, 4*actual, "the bound is far above the answer")
		})
	}
	doc, err := parser.Parse(parser.ParseParams{Source: `{ air_station_hourly(limit: 1) { station __typename } }`})
	require.NoError(t, err)
	assert.Zero(t, introspectionCost(sc, size, doc, nil))
}

// TestLargeIntrospectionRefused: an introspection whose bound passes the limit is refused
// before it runs, naming the limit and where the whole schema is found; one type still answers.
func TestLargeIntrospectionRefused(t *testing.T) {
	f := newFixture(t)
	f.svc.cfg.MaxIntrospectionValues = 500
	errs := f.errors(hiPrincipal, introspection, nil)
	require.Len(t, errs, 1)
	assert.Equal(t, codeTooComplex, errs[0].Extensions["code"])
	assert.Equal(t, "maxIntrospectionValues", errs[0].Extensions["limit"])
	assert.Contains(t, errs[0].Message, "/api/v1/schema.graphql")
	// The same bound through a variable naming the type.
	f.svc.cfg.MaxIntrospectionValues = 100
	errs = f.errors(hiPrincipal, `query($t: String!) { __type(name: $t) { fields { name args { name type { name ofType { name ofType { name } } } } } } }`,
		map[string]any{"t": "Query"})
	require.Len(t, errs, 1)
	assert.Equal(t, "maxIntrospectionValues", errs[0].Extensions["limit"])

	data := f.mustDo(hiPrincipal, `{ __type(name: "AirStationHourly") { fields { name } } }`)
	assert.Contains(t, jsonOf(t, data), `"pm25"`)
}

// TestScopedIntrospection: ?tables= scopes a request's schema to the catalogue fields and the
// tables it names, so that GraphQL tools can introspect a province's schema a few tables at a
// time; a table the caller may not read adds nothing, and the list is bounded.
func TestScopedIntrospection(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.Handler())
	defer srv.Close()
	post := func(token, path string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(`{"query":"{ __schema { types { name } } }"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, whole := post(highToken, "/")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, whole, `"EnterprisePenalty"`)
	status, scoped := post(highToken, "/?tables=air_station_hourly,%20no_such_table,air_station_hourly")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, scoped, `"AirStationHourly"`)
	assert.Contains(t, scoped, `"Entry"`, "the catalogue's types stay")
	assert.NotContains(t, scoped, `"EnterprisePenalty"`)
	status, hidden := post(lowToken, "/?tables=enterprise_penalty,air_station_hourly")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, hidden, `"AirStationHourly"`)
	assert.NotContains(t, hidden, `"EnterprisePenalty"`, "a table the caller may not read")
	many := make([]string, maxScopeTables+1)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	status, text := post(highToken, "/?tables="+strings.Join(many, ","))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, text, "tables 最多")
}
