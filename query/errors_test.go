package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestGraphQLErrorCodes checks that errors meant for the query's author carry extensions.code
// from schemas.CodeOf, the table the HTTP doors use as well.
func TestGraphQLErrorCodes(t *testing.T) {
	f := newFixture(t)
	f.svc.cfg.MaxLimit = 2
	cases := []struct{ name, query, code string }{
		{"invalid argument", `{ air_station_hourly(limit: 3) { station } }`, schemas.CodeInvalid},
		{"too many groups", `{ air_station_hourly_aggregate(groupBy: [station]) { count } }`, schemas.CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: c.query})
			require.NotEmpty(t, res.Errors)
			assert.Equal(t, c.code, res.Errors[0].Extensions["code"], res.Errors[0].Message)
		})
	}
	assert.Equal(t, map[string]any{"code": schemas.CodeNotFound}, notFound("0101/999999").(*userError).Extensions())
	assert.ErrorIs(t, ErrTooLarge, schemas.ErrTooLarge)
	assert.Equal(t, schemas.CodeInternal, schemas.CodeOf(ErrClosed))
}
