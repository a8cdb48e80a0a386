package query

import (
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/stretchr/testify/require"
)

// errors runs a query for a principal and returns its errors whole, extensions included.
func (f *fixture) errors(id, query string, vars map[string]any) []gqlerrors.FormattedError {
	f.t.Helper()
	res := f.svc.Do(f.ctx, f.principal(id), Request{Query: query, Variables: vars})
	require.NotNil(f.t, res)
	return res.Errors
}
