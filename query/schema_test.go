package query

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql/language/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

func TestSDLGolden(t *testing.T) {
	f := newFixture(t)
	sdl := func(g schemas.Grade) (string, error) {
		return f.svc.SDL(&catalog.Principal{ID: "x", Role: catalog.RoleAnalyst, Clearance: g})
	}
	high, err := sdl(schemas.Core)
	require.NoError(t, err)
	golden(t, "schema_core.graphql", high)
	low, err := sdl(schemas.General2)
	require.NoError(t, err)
	golden(t, "schema_general_2.graphql", low)
	assert.NotContains(t, low, "EnterprisePenalty")
	none, err := sdl(schemas.Grade("NOPE"))
	require.NoError(t, err)
	assert.NotContains(t, none, "AirStationHourly", "an unknown clearance sees no table")
}

func TestSchemaSwap(t *testing.T) {
	f := newFixture(t)
	g1 := f.svc.generationFor(f.cat.View())
	old := f.cat.View()

	// A data load of an entry already loaded keeps the generation, and finds it without reading
	// the directory again: the catalogue's metadata generation did not move.
	scans, meta := f.svc.scans.Load(), f.cat.View().Generation()
	f.load(airCode, airRows()[:2])
	g := f.svc.generationFor(f.cat.View())
	assert.Same(t, g1, g)
	assert.Equal(t, meta, f.cat.View().Generation(), "a data load is no metadata change")
	assert.Equal(t, scans, f.svc.scans.Load(), "no read of the directory for a data load")

	// A metadata change that leaves the queryable entries as they were (an entry without data)
	// keeps the generation: the entries changed since are looked at, not the directory.
	followed := f.svc.followed.Load()
	require.NoError(t, f.cat.PutEntry(f.ctx, baseEntry("0103/000002", "no_data_yet", "尚无数据的监测井", []catalog.Item{
		{Name: "井号", Field: "well", Type: schemas.String, Grade: schemas.General1, IsKey: true},
	})))
	assert.Greater(t, f.cat.View().Generation(), meta)
	assert.Same(t, g1, f.svc.generationFor(f.cat.View()))
	assert.Greater(t, f.svc.followed.Load(), followed)
	assert.Equal(t, scans, f.svc.scans.Load(), "no read of the directory for a change to one entry")

	// A new entry with data appears after the swap, in a new generation.
	e := baseEntry("0103/000001", "groundwater_well", "地下水监测井", []catalog.Item{
		{Name: "井号", Field: "well", Type: schemas.String, Grade: schemas.General1, IsKey: true},
		{Name: "水位", Field: "level", Type: schemas.Float, Grade: schemas.General1},
	})
	require.NoError(t, f.cat.PutEntry(f.ctx, e))
	assert.Greater(t, f.cat.View().Generation(), meta)
	_, errs := f.do(lowPrincipal, `{ groundwater_well { well } }`, nil)
	require.NotEmpty(t, errs, "no snapshot yet: no field")
	f.load("0103/000001", [][]any{{"W1", 3.5}, {"W2", nil}})
	data := f.mustDo(lowPrincipal, `{ groundwater_well { well level } groundwater_well_aggregate { count sum { level } } }`)
	assert.JSONEq(t, `[{"well":"W1","level":3.5},{"well":"W2","level":null}]`, jsonOf(t, data["groundwater_well"]))
	assert.JSONEq(t, `[{"count":2,"sum":{"level":3.5}}]`, jsonOf(t, data["groundwater_well_aggregate"]))
	g2 := f.svc.generationFor(f.cat.View())
	assert.Greater(t, g2.gen, g1.gen)
	assert.Equal(t, scans, f.svc.scans.Load(), "a new queryable entry is followed too")

	// An older view never brings an older generation back.
	assert.Same(t, g2, f.svc.generationFor(old))
	assert.Same(t, g2, f.svc.cur.Load().g)

	// Retiring the entry removes it again.
	require.NoError(t, f.cat.SetEntryStatus(f.ctx, "0103/000001", catalog.StatusRetired))
	_, errs = f.do(lowPrincipal, `{ groundwater_well { well } }`, nil)
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0], "查询校验失败: 字段 groundwater_well 不存在")
}

func TestSnapshotAtRequestStart(t *testing.T) {
	f := newFixture(t)
	// The manifest of the current snapshot is read after the request took its view; a load
	// committed at that moment must not be seen by this request, only by the next.
	hb := &hookBucket{BucketReader: f.bucket}
	svc, err := New(f.cat, hb, f.cache, DefaultConfig(), nil)
	require.NoError(t, err)
	defer svc.Close()
	var committed string
	hb.before = func(key string) {
		committed = f.load(penaltyCode, [][]any{{"新公司", int64(1)}})
	}
	q := `{ enterprise_penalty { company } }`
	res := svc.Do(context.Background(), f.principal(hiPrincipal), Request{Query: q})
	require.Empty(t, res.Errors)
	assert.NotEmpty(t, committed)
	assert.JSONEq(t, `[{"company":"某化工有限公司"},{"company":"某建材有限公司"}]`, jsonOf(t, res.Data.(map[string]any)["enterprise_penalty"]))
	res = svc.Do(context.Background(), f.principal(hiPrincipal), Request{Query: q})
	require.Empty(t, res.Errors)
	assert.JSONEq(t, `[{"company":"新公司"}]`, jsonOf(t, res.Data.(map[string]any)["enterprise_penalty"]))
}

func TestEmptySnapshot(t *testing.T) {
	f := newFixture(t)
	f.load(penaltyCode, nil)
	data := f.mustDo(hiPrincipal, `{ enterprise_penalty { company } enterprise_penalty_aggregate { count max { amount } } g: enterprise_penalty_aggregate(groupBy: [company]) { count } }`)
	assert.Equal(t, `[]`, jsonOf(t, data["enterprise_penalty"]))
	assert.JSONEq(t, `[{"count":0,"max":{"amount":null}}]`, jsonOf(t, data["enterprise_penalty_aggregate"]))
	assert.Equal(t, `[]`, jsonOf(t, data["g"]))
}

func TestCamelAndTypeNames(t *testing.T) {
	assert.Equal(t, "AirStationHourly", camel("air_station_hourly"))
	assert.Equal(t, "A1B", camel("a1_b"))
	taken := map[string]bool{}
	for _, n := range fixedTypeNames {
		taken[n] = true
	}
	assert.Equal(t, "AirStationHourly", typeBase("air_station_hourly", taken))
	assert.Equal(t, "ItemTable", typeBase("item", taken), "a table named like a fixed type")
	assert.Equal(t, "AB", typeBase("a_b", taken))
	assert.Equal(t, "ABTable", typeBase("a__b", taken), "two tables with the same camel name")
	assert.Equal(t, "AWhereTable", typeBase("a_where", map[string]bool{"AWhere": true}))
}

func TestLongScalar(t *testing.T) {
	cases := []struct {
		in   any
		want any
	}{
		{int64(5000000000), int64(5000000000)},
		{"9007199254740993", int64(9007199254740993)},
		{float64(42), int64(42)},
		{1.5, nil},
		{"12a", nil},
		{true, nil},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, parseLong(c.in), "%#v", c.in)
	}
	assert.Equal(t, int64(9223372036854775807), parseLongLiteral(&ast.IntValue{Value: "9223372036854775807"}))
	assert.Nil(t, parseLongLiteral(&ast.IntValue{Value: "9223372036854775808"}))
	assert.Equal(t, int64(7), serializeLong(7))
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	for name, mut := range map[string]func(*Config){
		"zero default": func(c *Config) { c.DefaultLimit = 0 },
		"max below":    func(c *Config) { c.MaxLimit = 10 },
		"no timeout":   func(c *Config) { c.Timeout = 0 },
	} {
		c := DefaultConfig()
		mut(&c)
		err := c.Validate()
		assert.ErrorIs(t, err, ErrInvalid, name)
		assert.True(t, strings.HasPrefix(err.Error(), "config: "), name)
	}
	_, err := New(nil, nil, nil, DefaultConfig(), nil)
	assert.ErrorIs(t, err, ErrInvalid)
}

// TestConcurrentRequestsDuringChanges runs requests of both clearances while the catalogue
// changes under them; run with -race to check the swap.
func TestConcurrentRequestsDuringChanges(t *testing.T) {
	f := newFixture(t)
	low, high := f.principal(lowPrincipal), f.principal(hiPrincipal)
	done := make(chan struct{})
	errs := make(chan error, 64)
	for i := 0; i < 4; i++ {
		p := low
		if i%2 == 1 {
			p = high
		}
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				res := f.svc.Do(context.Background(), p, Request{Query: `{ entries { table } air_station_hourly_aggregate { count } }`})
				if len(res.Errors) > 0 {
					errs <- assert.AnError
					return
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		f.load(airCode, airRows()[:i+1])
		e, err := f.cat.View().Entry(waterCode)
		require.NoError(t, err)
		e.Name = "地表水月报" + strings.Repeat("I", i)
		require.NoError(t, f.cat.PutEntry(f.ctx, e))
	}
	close(done)
	for i := 0; i < 4; i++ {
		require.NoError(t, <-errs)
	}
	data := f.mustDo(lowPrincipal, `{ air_station_hourly_aggregate { count } }`)
	assert.JSONEq(t, `[{"count":5}]`, jsonOf(t, data["air_station_hourly_aggregate"]))
}

// TestSchemaForNamesOnlyItsTables: a request is validated against the catalogue fields and the
// tables its root fields name (through fragments too), so that a directory of thousands of tables
// does not build them all for one question; introspection gets the whole schema, and a table the
// request does not name is unknown exactly as in the whole schema.
func TestSchemaForNamesOnlyItsTables(t *testing.T) {
	f := newFixture(t)
	p := f.principal(hiPrincipal)
	g := f.svc.generationFor(f.cat.View())
	rd := reader{view: f.cat.View(), p: p, now: time.Now()}
	fieldsOf := func(query string) []string {
		t.Helper()
		doc, errs := f.svc.cfg.guard(query)
		require.Empty(t, errs)
		sc, err := f.svc.schemaFor(g, rd, doc, nil)
		require.NoError(t, err)
		var out []string
		for name := range sc.QueryType().Fields() {
			out = append(out, name)
		}
		sort.Strings(out)
		return out
	}
	catalogOnly := fieldsOf(`{ entry(code: "x") { name } }`)
	assert.NotContains(t, catalogOnly, "air_station_hourly")
	assert.Contains(t, catalogOnly, "collectionRate")

	air := fieldsOf(`query Q { ...F } fragment F on Query { a: air_station_hourly_aggregate { count } }`)
	assert.Contains(t, air, "air_station_hourly")
	assert.Contains(t, air, "air_station_hourly_aggregate")
	assert.NotContains(t, air, "enterprise_penalty")

	whole, err := f.svc.schema(g, rd)
	require.NoError(t, err)
	assert.Len(t, fieldsOf(`{ __schema { queryType { name } } }`), len(whole.QueryType().Fields()))

	// Answers are the whole schema's: data through a fragment, a type named as in the whole
	// schema, an unknown table refused with the same words.
	data := f.mustDo(hiPrincipal, `query Q($w: AirStationHourlyWhere) { ...F } fragment F on Query { air_station_hourly(where: $w, limit: 1) { station } }`)
	assert.Equal(t, `{"air_station_hourly":[{"station":"S1"}]}`, jsonOf(t, data))
	_, errs := f.do(hiPrincipal, `{ no_such_table { x } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "字段 no_such_table 不存在")
	_, errs = f.do(lowPrincipal, `{ enterprise_penalty { company } }`, nil)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "字段 enterprise_penalty 不存在", "above the reader's clearance: as unknown as a missing table")
}
