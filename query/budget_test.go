package query

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// serviceWith opens a second service over the fixture's catalogue and lake with the fixture's
// configuration changed by mut, logging into the fixture's buffer.
func serviceWith(f *fixture, mut func(*Config)) *Service {
	f.t.Helper()
	cfg := f.svc.cfg
	if cfg.NativeBytes > 0 {
		cfg.NativeDir = f.t.TempDir() // one service's copies are not another's
	}
	mut(&cfg)
	svc, err := New(f.cat, f.bucket, f.cache, cfg, slog.New(slog.NewJSONHandler(f.logBuf, nil)))
	require.NoError(f.t, err)
	f.t.Cleanup(func() { require.NoError(f.t, svc.Close()) })
	return svc
}

// repeatField repeats one field n times under aliases a0, a1, ...
func repeatField(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\n a%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

// TestRowBudget: the air table has 5 rows; a budget of 10 rows admits two aliases of it exactly
// and refuses whatever comes after, in the same words and kind for rows and groups.
func TestRowBudget(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.MaxRowsPerRequest = 10 })
	const refusal = "本次请求返回的行数超过上限 10, 请减少别名或 limit"
	cases := []struct {
		name, query string
		refused     bool
	}{
		{"two aliases fit exactly", repeatField(2, "air_station_hourly(limit: 1000) { station }"), false},
		{"the budget is per request", repeatField(2, "air_station_hourly { station pm25 }"), false},
		{"a third alias is refused", repeatField(3, "air_station_hourly(limit: 1000) { station }"), true},
		{"199 aliases of the hostile request",
			repeatField(199, "air_station_hourly(limit: 1000) { station district observed_at obs_date pm25 aqi valid }"), true},
		{"an aggregate after the rows is refused",
			`{ a: air_station_hourly { station } b: air_station_hourly { station } g: air_station_hourly_aggregate { count } }`, true},
		{"groups count against the budget",
			`{ a: air_station_hourly { station } g: air_station_hourly_aggregate(groupBy: [station]) { count } h: air_station_hourly_aggregate(groupBy: [station]) { count } }`,
			true},
		{"limit 0 costs nothing", `{ a: air_station_hourly { station } b: air_station_hourly { station } c: air_station_hourly(limit: 0) { station } }`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: c.query})
			if !c.refused {
				require.Empty(t, res.Errors)
				data := res.Data.(map[string]any)
				require.NotEmpty(t, data)
				for k, v := range data {
					assert.NotNil(t, v, k)
				}
				return
			}
			// The data fields are non-null: the first refused field refuses the whole answer,
			// and graphql-go runs no field after it. It runs them in no fixed order, so which
			// field is refused is not known.
			require.Len(t, res.Errors, 1)
			assert.Equal(t, refusal, res.Errors[0].Message)
			assert.Equal(t, schemas.CodeOf(ErrTooLarge), res.Errors[0].Extensions["code"])
			assert.Len(t, res.Errors[0].Path, 1)
			assert.Nil(t, res.Data)
		})
	}
}

// TestRowBudgetBoundsTheQuery: a field that needs more than is left reads one row beyond what
// is left, not its limit, before it is refused (the audit line counts the rows read).
func TestRowBudgetBoundsTheQuery(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.MaxRowsPerRequest = 2 })
	f.logBuf.Reset()
	res := svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: `{ air_station_hourly(limit: 1000) { station } }`})
	require.Len(t, res.Errors, 1)
	assert.Equal(t, "本次请求返回的行数超过上限 2, 请减少别名或 limit", res.Errors[0].Message)
	var line struct {
		Rows int `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(f.logBuf.Bytes(), &line), f.logBuf.String())
	assert.Equal(t, 3, line.Rows)
}

func TestRowBudgetReserveAndSettle(t *testing.T) {
	r := newRequest(nil, nil, time.Time{}, 10)
	g, err := r.reserve(4)
	require.NoError(t, err)
	assert.Equal(t, 4, g)
	g2, err := r.reserve(100)
	require.NoError(t, err)
	assert.Equal(t, 6, g2, "what is left")
	require.NoError(t, r.settle(4, 1)) // 3 given back
	err = r.settle(6, 7)               // cut: refused, its grant stays spent
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorIs(t, err, schemas.ErrTooLarge)
	g, err = r.reserve(100)
	require.NoError(t, err)
	assert.Equal(t, 3, g)
	_, err = r.reserve(1)
	assert.ErrorIs(t, err, ErrTooLarge, "spent")
	g, err = r.reserve(0)
	require.NoError(t, err, "nothing asked, nothing refused")
	assert.Zero(t, g)
}

// TestConcurrencyLimit: with one slot held, a request waits for it and answers busy at its
// deadline; once the slot is free the same request runs.
func TestConcurrencyLimit(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.MaxConcurrent = 1 })
	q := Request{Query: `{ air_station_hourly(limit: 1) { station } }`}
	svc.slots <- struct{}{} // a request executing
	ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
	defer cancel()
	res := svc.Do(ctx, f.principal(hiPrincipal), q)
	require.Len(t, res.Errors, 1)
	assert.Contains(t, res.Errors[0].Message, "查询服务繁忙: 同时执行的查询已达上限 1")
	assert.Equal(t, codeTimeout, res.Errors[0].Extensions["code"])
	assert.Nil(t, res.Data)

	<-svc.slots
	res = svc.Do(f.ctx, f.principal(hiPrincipal), q)
	require.Empty(t, res.Errors)
	assert.Equal(t, `{"air_station_hourly":[{"station":"S1"}]}`, jsonOf(t, res.Data))
	assert.Empty(t, svc.slots, "the slot is given back")
}

// TestAbandonedRunHoldsItsSlot: a request answered at its deadline while its validation is
// still stuck keeps its slot until that work ends, so abandoned work counts against the bound.
func TestAbandonedRunHoldsItsSlot(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.MaxConcurrent = 1 })
	release := make(chan struct{})
	var stuck atomic.Bool
	sc := schemaWithLiteral(t, func(ast.Value) any { stuck.Store(true); <-release; return 1 })
	ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
	defer cancel()
	r := &request{view: f.cat.View(), principal: f.principal(lowPrincipal), cfg: svc.cfg}
	assert.Nil(t, svc.answer(ctx, fixedGeneration(r.principal, sc), r, Request{Query: `{ f(x: 1) }`}), "answered at the deadline")
	assert.True(t, r.admitted)
	require.True(t, stuck.Load())

	ctx2, cancel2 := context.WithTimeout(f.ctx, 50*time.Millisecond)
	defer cancel2()
	res := svc.Do(ctx2, f.principal(hiPrincipal), Request{Query: `{ air_station_hourly(limit: 1) { station } }`})
	require.Len(t, res.Errors, 1)
	assert.Contains(t, res.Errors[0].Message, "查询服务繁忙")

	close(release)
	// The abandoned run now ends and gives its slot back; the next request waits for it.
	res = svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: `{ air_station_hourly(limit: 1) { station } }`})
	require.Empty(t, res.Errors)
	assert.Equal(t, `{"air_station_hourly":[{"station":"S1"}]}`, jsonOf(t, res.Data))
}

// TestPrincipalShare: one principal at its share of slots cannot take the others. Its next
// request waits without holding a global slot, so another principal is still admitted, and it
// is answered busy at its deadline, naming the principal's bound; the share is forgotten once
// unused.
func TestPrincipalShare(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.MaxConcurrent = 2; c.MaxConcurrentPerPrincipal = 1 })
	q := Request{Query: `{ air_station_hourly(limit: 1) { station } }`}
	users := func(id string) int {
		svc.shares.mu.Lock()
		defer svc.shares.mu.Unlock()
		if s := svc.shares.by[id]; s != nil {
			return s.users
		}
		return 0
	}

	// The low principal's one request runs on, stuck in validation.
	release := make(chan struct{})
	var stuck atomic.Bool
	sc := schemaWithLiteral(t, func(ast.Value) any { stuck.Store(true); <-release; return 1 })
	ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
	defer cancel()
	assert.Nil(t, svc.answer(ctx, fixedGeneration(f.principal(lowPrincipal), sc), &request{view: f.cat.View(), principal: f.principal(lowPrincipal), cfg: svc.cfg}, Request{Query: `{ f(x: 1) }`}))
	require.True(t, stuck.Load())
	require.Len(t, svc.slots, 1)

	// Its next request waits for its share...
	waitCtx, stopWaiting := context.WithCancel(f.ctx)
	waited := make(chan *graphql.Result, 1)
	go func() { waited <- svc.Do(waitCtx, f.principal(lowPrincipal), q) }()
	require.Eventually(t, func() bool { return users(lowPrincipal) == 2 }, 5*time.Second, time.Millisecond)
	assert.Len(t, svc.slots, 1, "a request waiting for its share holds no global slot")

	// ...while another principal takes the second global slot and is answered.
	hiCtx, hiCancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer hiCancel()
	res := svc.Do(hiCtx, f.principal(hiPrincipal), q)
	require.Empty(t, res.Errors)
	assert.Equal(t, `{"air_station_hourly":[{"station":"S1"}]}`, jsonOf(t, res.Data))

	stopWaiting()
	busy := <-waited
	require.Len(t, busy.Errors, 1)
	assert.Contains(t, busy.Errors[0].Message, "查询服务繁忙: 本账户同时执行的查询已达上限 1")
	assert.Equal(t, codeTimeout, busy.Errors[0].Extensions["code"])
	assert.Nil(t, busy.Data)

	close(release)
	require.Eventually(t, func() bool { return len(svc.slots) == 0 && users(lowPrincipal) == 0 }, 5*time.Second, time.Millisecond)
	assert.Empty(t, svc.shares.by, "unused shares are removed")
	res = svc.Do(f.ctx, f.principal(lowPrincipal), q)
	require.Empty(t, res.Errors, "the share is free again")
}

func TestConfigBudgetsMustBePositive(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"rows":          func(c *Config) { c.MaxRowsPerRequest = 0 },
		"concurrent":    func(c *Config) { c.MaxConcurrent = -1 },
		"per principal": func(c *Config) { c.MaxConcurrentPerPrincipal = 0 },
	} {
		c := DefaultConfig()
		set(&c)
		assert.ErrorIs(t, c.Validate(), ErrInvalid, name)
	}
}

// TestEmptyWhereIsRefused: graphql-go drops a null field of a variable's object, so
// {"district": null} arrives as an empty filter; it, and an empty literal, must not match every
// row.
func TestEmptyWhereIsRefused(t *testing.T) {
	f := newFixture(t)
	const byVar = `query($w: AirStationHourlyWhere) { air_station_hourly(where: $w) { station } }`
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"null field through a variable", byVar, map[string]any{"w": map[string]any{"district": nil}}, "where: 条件为空 (值为 null 或未提供)"},
		{"empty object through a variable", byVar, map[string]any{"w": map[string]any{}}, "where: 条件为空 (值为 null 或未提供)"},
		{"literal", `{ air_station_hourly(where: {}) { station } }`, nil, "where: 条件为空 (值为 null 或未提供)"},
		{"inside and", byVar, map[string]any{"w": map[string]any{"and": []any{map[string]any{"station": map[string]any{"eq": "S1"}}, map[string]any{"district": nil}}}},
			"where.and[1]: 条件为空 (值为 null 或未提供)"},
		{"inside or", `{ air_station_hourly(where: {or: [{}]}) { station } }`, nil, "where.or[0]: 条件为空 (值为 null 或未提供)"},
		{"aggregate", `query($w: AirStationHourlyWhere) { air_station_hourly_aggregate(where: $w) { count } }`,
			map[string]any{"w": map[string]any{"district": nil}}, "where: 条件为空 (值为 null 或未提供)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, errs := f.do(hiPrincipal, c.query, c.vars)
			assert.Equal(t, []string{c.want}, errs)
			for k, v := range data {
				assert.Nil(t, v, k)
			}
		})
	}
	// A where left out, or null, is no filter at all, as before.
	data, errs := f.do(hiPrincipal, byVar, map[string]any{"w": nil})
	require.Empty(t, errs)
	assert.Len(t, data["air_station_hourly"], 5)
}

// fixedGeneration is a generation whose schema, for p and a document naming no table, is sc.
func fixedGeneration(p *catalog.Principal, sc *graphql.Schema) *generation {
	g := newGeneration(0, tables{})
	g.parts[p.AccessKey()+"|"] = sc
	return g
}
