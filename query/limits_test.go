package query

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// TestLimitsPerRole: a role's limits apply to its accounts' requests only, on page size,
// aliases, depth, rows per request and time.
func TestLimitsPerRole(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) {
		c.Roles = map[string]Limits{catalog.RoleScene: {MaxLimit: 2, MaxAliases: 1, MaxDepth: 3}}
	})
	do := func(who, q string) (*map[string]any, []string) {
		res := svc.Do(f.ctx, f.principal(who), Request{Query: q})
		var msgs []string
		for _, e := range res.Errors {
			msgs = append(msgs, e.Message)
		}
		data, _ := res.Data.(map[string]any)
		return &data, msgs
	}
	_, errs := do(lowPrincipal, `{ air_station_hourly(limit: 3) { station } }`)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "limit 不能超过 2")
	data, errs := do(lowPrincipal, `{ air_station_hourly { station } }`)
	require.Empty(t, errs)
	assert.Len(t, (*data)["air_station_hourly"], 2, "the default page shrinks to the role's limit")
	_, errs = do(lowPrincipal, `{ a: air_station_hourly(limit: 1) { station } b: air_station_hourly(limit: 1) { station } }`)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "查询别名过多")
	_, errs = do(lowPrincipal, `{ directory { nodes { items { name } } } }`)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "查询层级过深")

	// The steward's requests keep the service's limits.
	data, errs = do(hiPrincipal, `{ a: air_station_hourly(limit: 1000) { station } b: air_station_hourly(limit: 3) { station } }`)
	require.Empty(t, errs)
	assert.Len(t, (*data)["a"], 5)

	slow := serviceWith(f, func(c *Config) { c.Roles = map[string]Limits{catalog.RoleScene: {Timeout: time.Nanosecond}} })
	res := slow.Do(f.ctx, f.principal(lowPrincipal), Request{Query: `{ air_station_hourly { station } }`})
	require.Len(t, res.Errors, 1)
	assert.Equal(t, codeTimeout, res.Errors[0].Extensions["code"], "the role's timeout")
	res = slow.Do(f.ctx, f.principal(hiPrincipal), Request{Query: `{ air_station_hourly { station } }`})
	assert.Empty(t, res.Errors, "not the steward's")
}

func TestLimitsAreChecked(t *testing.T) {
	c := DefaultConfig()
	c.Roles = map[string]Limits{"superuser": {MaxLimit: 5}}
	assert.ErrorIs(t, c.Validate(), ErrInvalid)
	c.Roles = map[string]Limits{catalog.RoleScene: {MaxLimit: -1}}
	assert.ErrorIs(t, c.Validate(), ErrInvalid)
	c.Roles = nil
	c.DuckDBMemoryBytes = -1
	assert.ErrorIs(t, c.Validate(), ErrInvalid)
	c.DuckDBMemoryBytes = 0
	c.NativeBytes = -1
	assert.ErrorIs(t, c.Validate(), ErrInvalid)
	c.NativeBytes, c.NativeDir = 1<<20, "relative/copies"
	assert.ErrorIs(t, c.Validate(), ErrInvalid, "native copies need an absolute directory")
	c.NativeDir = t.TempDir()
	assert.NoError(t, c.Validate())
}

func TestDuckDBMemoryCap(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.DuckDBMemoryBytes = 256 << 20 })
	var v string
	require.NoError(t, svc.db.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&v))
	assert.Equal(t, "256.0 MiB", v)
}

// TestRoleLimitsOnDocumentsAndIntrospection: a role's bounds on the query text, the variables and
// introspection apply to its accounts only.
func TestRoleLimitsOnDocumentsAndIntrospection(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) {
		c.Roles = map[string]Limits{catalog.RoleScene: {MaxDocumentBytes: 60, MaxVariableBytes: 40, MaxIntrospectionValues: 10}}
	})
	limitOf := func(who, q string, vars map[string]any) any {
		res := svc.Do(f.ctx, f.principal(who), Request{Query: q, Variables: vars})
		if len(res.Errors) == 0 {
			return nil
		}
		return res.Errors[0].Extensions["limit"]
	}
	long := `{ air_station_hourly(limit: 1) { station district observed_at pm25 aqi } }`
	assert.Equal(t, "maxDocumentBytes", limitOf(lowPrincipal, long, nil))
	assert.Nil(t, limitOf(hiPrincipal, long, nil))
	vars := map[string]any{"s": strings.Repeat("站", 20)}
	const withVar = `query($s: String) { air_station_hourly(where: {station: {eq: $s}}) { station } }`
	assert.Equal(t, "maxVariableBytes", limitOf(lowPrincipal, withVar, vars))
	assert.Nil(t, limitOf(hiPrincipal, withVar, vars))
	const intro = `{ __type(name: "Query") { fields { name } } }`
	assert.Equal(t, "maxIntrospectionValues", limitOf(lowPrincipal, intro, nil))
	assert.Nil(t, limitOf(hiPrincipal, intro, nil))
}

// TestParseRoleLimits: the role limits file sets the limits it names per role, and every mistake
// in it is refused naming the role and the key.
func TestParseRoleLimits(t *testing.T) {
	got, err := ParseRoleLimits(strings.NewReader(`{"scene": {"max_limit": 2000, "timeout": "10s", "max_introspection_values": 5000},
		"district": {"max_rows_per_request": 5000, "max_document_bytes": 8192}}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]Limits{
		catalog.RoleScene:    {MaxLimit: 2000, Timeout: 10 * time.Second, MaxIntrospectionValues: 5000},
		catalog.RoleDistrict: {MaxRowsPerRequest: 5000, MaxDocumentBytes: 8192},
	}, got)
	for doc, want := range map[string][]string{
		`{"superuser": {"max_limit": 5}}`:              {"未知角色", "superuser", "scene"},
		`{"scene": {"max_rows": 5}}`:                   {"scene", "未知限额", "max_rows", "max_rows_per_request"},
		`{"scene": {"max_limit": -5}}`:                 {"scene", "max_limit", "正整数"},
		`{"scene": {"max_limit": "many"}}`:             {"scene", "max_limit", "正整数"},
		`{"scene": {"timeout": "soon"}}`:               {"scene", "timeout", "soon"},
		`{"scene": {"timeout": 10}}`:                   {"scene", "timeout", "时长"},
		`["scene"]`:                                    {"JSON 对象"},
		`{"scene": {"max_limit": 5}`:                   {"JSON 对象"},
		`{"scene": {"max_limit": 5}} {"district": {}}`: nil,
	} {
		_, err := ParseRoleLimits(strings.NewReader(doc))
		if want == nil {
			continue
		}
		require.Error(t, err, doc)
		assert.ErrorIs(t, err, ErrInvalid)
		for _, w := range want {
			assert.Contains(t, err.Error(), w, doc)
		}
	}
	_, err = ParseRoleLimits(strings.NewReader(`{"scene": {"max_limit": 1}, "x": "` + strings.Repeat("y", maxLimitsFile) + `"}`))
	assert.ErrorContains(t, err, "超过")
}
