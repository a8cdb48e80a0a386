package query

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestCachedSchemasAnswerDuringABuild: while a whole schema is being built (introspection over
// a large directory takes seconds), requests whose schemas are cached are answered, and a second
// introspection of the same access profile waits for that build instead of starting its own.
func TestCachedSchemasAnswerDuringABuild(t *testing.T) {
	f := newFixture(t)
	const data = `{ air_station_hourly_aggregate { count } }`
	f.mustDo(lowPrincipal, data) // its partial schema is cached now

	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free() // a failure must not leave the builder blocked
	var builds atomic.Int32
	f.svc.buildHook = func() {
		builds.Add(1)
		<-release
	}
	introspected := make(chan []string, 2)
	for range 2 {
		go func() {
			_, errs := f.do(hiPrincipal, `{ __schema { queryType { name } } }`, nil)
			introspected <- errs
		}()
	}
	for builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	answered := make(chan []string, 1)
	go func() {
		// Another account: the steward's own share of the admission slots is taken by its two
		// introspections.
		_, errs := f.do(lowPrincipal, data, nil)
		answered <- errs
	}()
	select {
	case errs := <-answered:
		assert.Empty(t, errs)
	case <-time.After(5 * time.Second):
		t.Fatal("a request with a cached schema waited for another's build")
	}
	free()
	for range 2 {
		require.Empty(t, <-introspected)
	}
	assert.EqualValues(t, 1, builds.Load(), "one build for the two introspections of one profile")
}

// TestTableTypesSharedBetweenSchemas: a table's types are built once and shared by the schemas
// of every reader who sees the table the same way, and kept across a catalogue change that
// does not touch the entry; a reader who sees fewer items gets types of its own, and the changed
// entry gets new ones.
func TestTableTypesSharedBetweenSchemas(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.cat.PutPrincipal(f.ctx, catalog.Principal{ID: "analyst-core", Name: "分析", Role: catalog.RoleAnalyst,
		Clearance: schemas.Core}))
	whole := func(id string) *graphql.Schema {
		rd := reader{view: f.cat.View(), p: f.principal(id), now: f.now}
		sc, err := f.svc.schema(f.svc.generationFor(rd.view), rd)
		require.NoError(t, err)
		return sc
	}
	steward, analyst := whole(hiPrincipal), whole("analyst-core")
	require.NotSame(t, steward, analyst, "two access profiles, two schemas")
	for _, name := range []string{"AirStationHourly", "AirStationHourlyWhere", "AirStationHourlyField", "EnterprisePenaltyAggregate"} {
		assert.Same(t, steward.Type(name), analyst.Type(name), "%s shared by the steward's and the analyst's schemas", name)
	}
	// A grant of two of the air table's items to a reader outside its sharing: types of its own.
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	e.ShareType, e.ShareCondition = catalog.ShareConditional, "用于大气污染防治"
	require.NoError(t, f.cat.PutEntry(f.ctx, e))
	g, err := f.cat.RequestGrant(f.ctx, f.principal(hiPrincipal), catalog.Grant{Entry: airCode, Grantee: lowPrincipal,
		Purpose: "区县大气污染溯源", Expires: f.now.Add(24 * time.Hour), Mode: catalog.GrantRows, Items: []string{"station", "pm25"}})
	require.NoError(t, err)
	require.NoError(t, f.cat.ApproveGrant(f.ctx, &catalog.Principal{ID: "admin", Role: catalog.RoleAdmin, Clearance: schemas.Core},
		g.ID, g.Revision, "同意"))
	steward = whole(hiPrincipal)
	low := whole(lowPrincipal)
	require.NotNil(t, low.Type("AirStationHourly"))
	assert.NotSame(t, steward.Type("AirStationHourly"), low.Type("AirStationHourly"))
	assert.ElementsMatch(t, []string{"station", "pm25"}, slices.Collect(maps.Keys(low.Type("AirStationHourly").(*graphql.Object).Fields())))
	assert.Len(t, steward.Type("AirStationHourly").(*graphql.Object).Fields(), 8)

	// A change to the penalty entry: a new generation, new types for that entry only.
	pen, err := f.cat.View().Entry(penaltyCode)
	require.NoError(t, err)
	c := pen.Copy()
	c.Name = "企业行政处罚决定"
	require.NoError(t, f.cat.PutEntry(f.ctx, c))
	after := whole(hiPrincipal)
	require.NotSame(t, steward, after)
	assert.Same(t, steward.Type("AirStationHourly"), after.Type("AirStationHourly"), "unchanged entry keeps its types")
	assert.NotSame(t, steward.Type("EnterprisePenalty"), after.Type("EnterprisePenalty"))
	assert.Contains(t, after.Type("EnterprisePenalty").Description(), "企业行政处罚决定")
}

// TestConcurrentBuildsAnswerAlike: schemas are built without a global lock, sharing table types:
// whole and partial builds for several access profiles at once, on a fresh service, answer what
// they answer one at a time (run with -race, this also shows the shared types are only read).
func TestConcurrentBuildsAnswerAlike(t *testing.T) {
	// The tables' field enums get their lookups when a request first reaches them: through a
	// root field's arguments, in a part of the schema or in the whole one (introspecting), or
	// through a variable's type or default value.
	queries := []string{
		`{ __type(name: "AirStationHourly") { name description } }`,
		`{ air_station_hourly_aggregate(groupBy: [district]) { count group { district districtName } } }`,
		`{ enterprise_penalty(orderBy: [{field: amount, direction: DESC}]) { company } }`,
		`{ __schema { queryType { name } } air_station_hourly_aggregate(groupBy: [district]) { count } }`,
		`query($g: [AirStationHourlyField!]) { air_station_hourly_aggregate(groupBy: $g) { count } }`,
		`query($o: [EnterprisePenaltyOrderBy!]) { __schema { queryType { name } } enterprise_penalty(orderBy: $o) { company } }`,
		`query($f: AirStationHourlyField = district) { __schema { queryType { name } } }`,
	}
	vars := map[string]any{"g": []any{"district"}, "o": []any{map[string]any{"field": "amount", "direction": "DESC"}}}
	ids := []string{hiPrincipal, lowPrincipal}
	want := map[string]string{}
	sequential := newFixture(t)
	for _, id := range ids {
		for _, q := range queries {
			data, errs := sequential.do(id, q, vars)
			want[id+q] = jsonOf(t, data) + fmt.Sprint(errs)
		}
	}
	// What the enums answer: values parsed from literals and variables, and an unknown one refused.
	data, errs := sequential.do(hiPrincipal, queries[4], vars)
	require.Empty(t, errs)
	require.NotEmpty(t, data["air_station_hourly_aggregate"])
	_, errs = sequential.do(hiPrincipal, queries[4], map[string]any{"g": []any{"no_such_item"}})
	require.NotEmpty(t, errs, "a value outside the field enum is refused")
	f := newFixture(t)
	var wg sync.WaitGroup
	got := make(chan [2]string, 4*len(ids)*len(queries))
	for range 4 {
		for _, id := range ids {
			for _, q := range queries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					data, errs := f.do(id, q, vars)
					got <- [2]string{id + q, jsonOf(t, data) + fmt.Sprint(errs)}
				}()
			}
		}
	}
	wg.Wait()
	close(got)
	for g := range got {
		assert.Equal(t, want[g[0]], g[1], g[0])
	}
}

// TestTableTypesBounded: the shared table types are bounded: past the bound, the sets the current
// generation has not used go first, and answers stay right.
func TestTableTypesBounded(t *testing.T) {
	f := newFixture(t)
	defer func(n int) { maxTableTypes = n }(maxTableTypes)
	maxTableTypes = 2
	const q = `{ air_station_hourly_aggregate { count } }`
	want := jsonOf(t, f.mustDo(hiPrincipal, q))
	for range 3 {
		// The penalty entry renamed: a new generation each time, whose tables need new types.
		e, err := f.cat.View().Entry(penaltyCode)
		require.NoError(t, err)
		c := e.Copy()
		c.Name += "改"
		require.NoError(t, f.cat.PutEntry(f.ctx, c))
		f.mustDo(hiPrincipal, `{ __type(name: "EnterprisePenalty") { name } }`)
		assert.Equal(t, want, jsonOf(t, f.mustDo(hiPrincipal, q)))
		f.svc.typesMu.Lock()
		n := len(f.svc.types)
		f.svc.typesMu.Unlock()
		assert.LessOrEqual(t, n, maxTableTypes)
	}
}

// TestValidationRemembered: a document text found valid against a schema is not validated again
// (the same text with other variables answers per its variables); an invalid one is refused
// every time and never remembered.
func TestValidationRemembered(t *testing.T) {
	f := newFixture(t)
	const q = `query($s: String) { air_station_hourly(where: {station: {eq: $s}}) { station aqi } }`
	one, errs := f.do(hiPrincipal, q, map[string]any{"s": "S1"})
	require.Empty(t, errs)
	rd := reader{view: f.cat.View(), p: f.principal(hiPrincipal), now: f.now}
	g := f.svc.generationFor(rd.view)
	doc, gerrs := f.svc.cfg.guard(q)
	require.Empty(t, gerrs)
	sc, err := f.svc.schemaFor(g, rd, doc, nil)
	require.NoError(t, err)
	assert.True(t, g.validated(sc, q), "remembered")
	two, errs := f.do(hiPrincipal, q, map[string]any{"s": "S2"})
	require.Empty(t, errs)
	assert.NotEqual(t, jsonOf(t, one), jsonOf(t, two))
	assert.Contains(t, jsonOf(t, two), "S2")

	const bad = `{ air_station_hourly { station nope } }`
	for range 2 {
		_, errs := f.do(hiPrincipal, bad, nil)
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0], "nope")
	}
	bdoc, gerrs := f.svc.cfg.guard(bad)
	require.Empty(t, gerrs)
	bsc, err := f.svc.schemaFor(g, rd, bdoc, nil)
	require.NoError(t, err)
	assert.False(t, g.validated(bsc, bad), "an invalid text is not remembered")
}

// enumBuilt reports whether graphql-go has built the enum's name and value lookups (read through
// reflection: they are unexported, and are what warmDocument builds).
func enumBuilt(e *graphql.Enum) (names, values bool) {
	v := reflect.ValueOf(e).Elem()
	return v.FieldByName("nameLookup").Len() > 0, v.FieldByName("valuesLookup").Len() > 0
}

// TestFieldEnumsWarmedByTheirRequests: a whole schema does not build its tables' field enum
// lookups (introspection only lists the values); a request that reaches a table's enum, through
// a root field's arguments or a variable's type, builds them before it is validated, under the
// lock the generations share, so that concurrent first requests of several generations do not
// race (under the race detector in make test).
func TestFieldEnumsWarmedByTheirRequests(t *testing.T) {
	f := newFixture(t)
	_, errs := f.do(hiPrincipal, `{ __schema { queryType { name } } }`, nil)
	require.Empty(t, errs)
	rd := reader{view: f.cat.View(), p: f.principal(hiPrincipal), now: f.now}
	g := f.svc.generationFor(rd.view)
	whole, err := f.svc.schema(g, rd)
	require.NoError(t, err)
	enumOf := func(name string) *graphql.Enum {
		e, ok := whole.Type(name).(*graphql.Enum)
		require.True(t, ok, name)
		return e
	}
	hourly, penalty := enumOf("AirStationHourlyField"), enumOf("EnterprisePenaltyField")
	for _, e := range []*graphql.Enum{hourly, penalty} {
		n, v := enumBuilt(e)
		assert.False(t, n || v, "%s: built with the whole schema", e.Name())
	}
	assert.True(t, func() bool { n, v := enumBuilt(orderDirection); return n && v }(), "shared enums are built")

	warm := func(g *generation, q string) {
		doc, gerrs := f.svc.cfg.guard(q)
		require.Empty(t, gerrs)
		g.warmDocument(whole, doc)
	}
	warm(g, `{ __schema { queryType { name } } enterprise_penalty(limit: 1) { company } }`)
	n, v := enumBuilt(penalty)
	assert.True(t, n && v, "reached through enterprise_penalty's orderBy")
	n, v = enumBuilt(hourly)
	assert.False(t, n || v, "a table the request does not name")
	warm(g, `query($g: [AirStationHourlyField!]) { __typename }`)
	n, v = enumBuilt(hourly)
	assert.True(t, n && v, "reached through a variable's type")

	// First requests of several generations at once, over fresh types.
	f2 := newFixture(t)
	rd2 := reader{view: f2.cat.View(), p: f2.principal(hiPrincipal), now: f2.now}
	whole2, err := f2.svc.schema(f2.svc.generationFor(rd2.view), rd2)
	require.NoError(t, err)
	doc, gerrs := f2.svc.cfg.guard(`{ air_station_hourly_aggregate(groupBy: [district]) { count } }`)
	require.Empty(t, gerrs)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			newGeneration(uint64(100+i), tables{}).warmDocument(whole2, doc)
		}()
	}
	wg.Wait()
	n, v = enumBuilt(whole2.Type("AirStationHourlyField").(*graphql.Enum))
	assert.True(t, n && v)
}
