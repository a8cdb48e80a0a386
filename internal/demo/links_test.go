package demo

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// linkStore is a demo store with the departments, ready for putLinks.
func linkStore(t *testing.T) *catalog.Store {
	t.Helper()
	cat, _ := openDemoStore(t)
	for _, d := range departments {
		require.NoError(t, cat.PutDepartment(context.Background(), d))
	}
	return cat
}

// TestDemoSceneNamesItsAccount: 污染天应对 names the 巴渝治气 application, so that its queries put
// the scene in use; the other "一件事" name none.
func TestDemoSceneNamesItsAccount(t *testing.T) {
	ctx := context.Background()
	cat := linkStore(t)
	require.NoError(t, putPrincipals(ctx, cat, slog.New(slog.DiscardHandler)))
	require.NoError(t, putLinks(ctx, cat))
	sc, err := cat.View().Scene("YJS_POLLUTION_DAY")
	require.NoError(t, err)
	assert.Equal(t, []string{"air-app"}, sc.Accounts)
	now := time.Now()
	f := cat.View().OneThingRate(now, catalog.Operator(), func(a string) time.Time {
		if a == "air-app" {
			return now.Add(-time.Hour)
		}
		return time.Time{}
	})
	for _, st := range f.Scenes {
		assert.Equal(t, st.Code == "YJS_POLLUTION_DAY", st.InUse, st.Code)
	}
	idx := cat.Index()
	require.NoError(t, putLinks(ctx, cat))
	assert.Equal(t, idx, cat.Index(), "nothing new the second time")
}

// TestOlderDemoSceneGetsItsAccount: a scene an earlier demo registered without accounts gets
// them once; one a steward has changed since is left alone.
func TestOlderDemoSceneGetsItsAccount(t *testing.T) {
	ctx := context.Background()
	cat := linkStore(t)
	require.NoError(t, putPrincipals(ctx, cat, slog.New(slog.DiscardHandler)))
	op := catalog.Operator()
	require.NoError(t, cat.PutScene(ctx, op, catalog.Scene{Code: "YJS_POLLUTION_DAY", Name: "污染天应对", Kind: catalog.SceneOneThing, Department: "DIV_AIR"}, 0))
	steward := &catalog.Principal{ID: "s", Name: "数据员", Role: catalog.RoleSteward, Clearance: schemas.Core, Department: "DIV_WATER"}
	require.NoError(t, cat.PutScene(ctx, steward, catalog.Scene{Code: "YJS_RIVER", Name: "守护一江碧水", Kind: catalog.SceneOneThing, Department: "DIV_WATER",
		Accounts: []string{}}, 0))
	require.NoError(t, putLinks(ctx, cat))
	sc, err := cat.View().Scene("YJS_POLLUTION_DAY")
	require.NoError(t, err)
	assert.Equal(t, []string{"air-app"}, sc.Accounts)
	river, err := cat.View().Scene("YJS_RIVER")
	require.NoError(t, err)
	assert.Equal(t, "数据员", river.UpdatedBy)
}

// TestDemoSceneAccountHeldByARealAccount: a real account holding the demo application's id, not
// a scene account, is not named.
func TestDemoSceneAccountHeldByARealAccount(t *testing.T) {
	ctx := context.Background()
	cat := linkStore(t)
	require.NoError(t, cat.CreatePrincipal(ctx, catalog.Principal{ID: "air-app", Name: "王五", Role: catalog.RoleAnalyst, Clearance: schemas.General1}))
	require.NoError(t, putPrincipals(ctx, cat, slog.New(slog.DiscardHandler)))
	require.NoError(t, putLinks(ctx, cat))
	sc, err := cat.View().Scene("YJS_POLLUTION_DAY")
	require.NoError(t, err)
	assert.Empty(t, sc.Accounts)
}
