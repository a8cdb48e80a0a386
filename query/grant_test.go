package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestGrantsOpenConditionalDataPerRequest: a 有条件共享 table is absent from the schema of a
// reader without a grant; an approved grant opens it from the next request on, within the same
// schema generation (grants do not move the metadata generation), and revocation or expiry
// closes it again: the request's time and grants are in the decision and in the schema's key.
func TestGrantsOpenConditionalDataPerRequest(t *testing.T) {
	f := newFixture(t)
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	e.ShareType, e.ShareCondition = catalog.ShareConditional, "用于大气污染防治"
	require.NoError(t, f.cat.PutEntry(f.ctx, e))
	reviewer := &catalog.Principal{ID: "air-reviewer", Name: "大气处审核员", Role: catalog.RoleReviewer,
		Clearance: schemas.Core, Department: "AIR_DIV"}
	require.NoError(t, f.cat.PutPrincipal(f.ctx, *reviewer))

	const rows = `{ air_station_hourly(limit: 1) { station } }`
	const count = `{ air_station_hourly_aggregate { count } }`
	closed := func(query string) {
		t.Helper()
		_, errs := f.do(lowPrincipal, query, nil)
		require.NotEmpty(t, errs, query)
	}
	closed(rows)
	closed(count)
	assert.NotContains(t, mustSDL(t, f, lowPrincipal), "air_station_hourly")

	grant := func(mode string) *catalog.Grant {
		g, err := f.cat.RequestGrant(f.ctx, f.principal(lowPrincipal), catalog.Grant{Entry: airCode, Grantee: lowPrincipal,
			Purpose: "区县大气污染溯源", Expires: f.now.Add(24 * time.Hour), Mode: mode})
		require.NoError(t, err)
		require.NoError(t, f.cat.ApproveGrant(f.ctx, reviewer, g.ID, g.Revision, "同意"))
		g, err = f.cat.View().Grant(g.ID)
		require.NoError(t, err)
		return g
	}
	agg := grant(catalog.GrantAggregates)
	closed(rows) // aggregates only: no row field
	assert.Equal(t, `{"air_station_hourly_aggregate":[{"count":5}]}`, jsonOf(t, f.mustDo(lowPrincipal, count)))

	require.NoError(t, f.cat.RevokeGrant(f.ctx, f.principal(lowPrincipal), agg.ID, agg.Revision, ""))
	closed(count)

	grant(catalog.GrantRows)
	assert.Equal(t, `{"air_station_hourly":[{"station":"S1"}]}`, jsonOf(t, f.mustDo(lowPrincipal, rows)))
	f.now = f.now.Add(25 * time.Hour) // the grant expired: nothing opens it any more
	closed(rows)
}

func mustSDL(t *testing.T, f *fixture, id string) string {
	t.Helper()
	sdl, err := f.svc.SDL(f.principal(id))
	require.NoError(t, err)
	return sdl
}
