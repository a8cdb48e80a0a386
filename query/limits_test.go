package query

import (
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
}

func TestDuckDBMemoryCap(t *testing.T) {
	f := newFixture(t)
	svc := serviceWith(f, func(c *Config) { c.DuckDBMemoryBytes = 256 << 20 })
	var v string
	require.NoError(t, svc.db.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&v))
	assert.Equal(t, "256.0 MiB", v)
}
