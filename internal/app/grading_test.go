package app

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestGradeChangesReachTheQueryLayer: raising a grade takes an entry out of the schema of every
// principal below it at once; a downgrade leaves it out until a reviewer approves it.
func TestGradeChangesReachTheQueryLayer(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	analyst := env.principal("analyst-g1", catalog.RoleAnalyst, schemas.General1)
	steward := &catalog.Principal{ID: "steward-water", Name: "水处数据员", Role: catalog.RoleSteward, Clearance: schemas.Core, Department: "DIV_WATER"}
	reviewer := &catalog.Principal{ID: "reviewer-1", Name: "审核员", Role: catalog.RoleReviewer, Clearance: schemas.Core}
	const code, table = "0102/900003", "city_water_index"
	sees := func() bool {
		return queryFields(env.get(t, analyst, "/api/v1/schema.graphql", http.StatusOK))[table]
	}
	require.True(t, sees())

	e, err := env.a.Cat.View().Entry(code)
	require.NoError(t, err)
	pending, err := env.a.Cat.GradeEntry(ctx, steward, catalog.Grading{Code: code, Base: e.Revision,
		Items: map[string]schemas.Grade{"amount": schemas.General2}})
	require.NoError(t, err)
	require.False(t, pending)
	assert.False(t, sees(), "an upgrade applies at once")
	errs := env.gqlErr(t, analyst, `{ city_water_index(limit: 1) { amount } }`, nil)
	require.NotEmpty(t, errs)

	e, _ = env.a.Cat.View().Entry(code)
	pending, err = env.a.Cat.GradeEntry(ctx, steward, catalog.Grading{Code: code, Base: e.Revision,
		Items: map[string]schemas.Grade{"amount": schemas.General1}, Reason: "数值为全市汇总指数，不含敏感信息"})
	require.NoError(t, err)
	require.True(t, pending)
	assert.False(t, sees(), "a downgrade waits for review")
	cr, err := env.a.Cat.View().ChangeFor(reviewer, code)
	require.NoError(t, err)
	require.NoError(t, env.a.Cat.ApproveEntry(ctx, reviewer, code, cr.Revision, "同意"))
	assert.True(t, sees(), "approved: the entry is back for the analyst")
}
