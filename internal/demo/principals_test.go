package demo

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

func openDemoStore(t *testing.T) (*catalog.Store, lake.Bucket) {
	t.Helper()
	cfg := catalog.DefaultConfig()
	cfg.Dir = t.TempDir()
	cat, err := catalog.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { cat.Close() })
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { bucket.Close() })
	return cat, bucket
}

// opens returns the id of the principal that token opens now, "" for none.
func opens(t *testing.T, cat *catalog.Store, token string) string {
	t.Helper()
	p, err := cat.View().PrincipalByToken(token, time.Now())
	if err != nil {
		require.ErrorIs(t, err, catalog.ErrNotFound)
		return ""
	}
	return p.ID
}

func demoToken(id string) string {
	for _, p := range Principals {
		if p.ID == id {
			return p.Token
		}
	}
	panic("no demo principal " + id)
}

// TestRealAccountsWithDemoIDsAreLeftAlone creates real accounts named "manager" and "steward" and
// expects neither a start without --demo nor one with it to change them.
func TestRealAccountsWithDemoIDsAreLeftAlone(t *testing.T) {
	ctx := context.Background()
	cat, bucket := openDemoStore(t)
	real := map[string]catalog.Principal{
		"manager": {ID: "manager", Name: "张三", Role: catalog.RoleManager, Clearance: schemas.General1},
		"steward": {ID: "steward", Name: "李四", Role: catalog.RoleReviewer, Clearance: schemas.General2},
	}
	secrets := map[string]string{}
	for id, p := range real {
		require.NoError(t, cat.CreatePrincipal(ctx, p))
		_, secret, err := cat.CreateToken(ctx, catalog.NewToken{Principal: id, TTL: time.Hour})
		require.NoError(t, err)
		secrets[id] = secret
	}
	before := map[string]catalog.Principal{}
	for id := range real {
		p, err := cat.View().Principal(id)
		require.NoError(t, err)
		before[id] = *p
	}
	unchanged := func(when string) {
		t.Helper()
		for id, secret := range secrets {
			p, err := cat.View().Principal(id)
			require.NoError(t, err)
			assert.Equal(t, before[id], *p, "%s: %s", when, id)
			assert.Equal(t, id, opens(t, cat, secret), "%s: the real token of %s still opens it", when, id)
		}
	}

	idx := cat.Index()
	require.NoError(t, Disable(ctx, cat))
	unchanged("disable before any demo")
	assert.Equal(t, idx, cat.Index(), "nothing of the demo to disable, nothing written")

	var logs bytes.Buffer
	require.NoError(t, Load(ctx, cat, bucket, time.Now, slog.New(slog.NewTextHandler(&logs, nil))))
	unchanged("load")
	for id := range real {
		assert.Empty(t, opens(t, cat, demoToken(id)), "the demo token of %s opens nothing", id)
		assert.Contains(t, logs.String(), "principal="+id, "a warning names %s", id)
	}
	assert.Equal(t, "wanzhou", opens(t, cat, demoToken("wanzhou")), "the demo ids that are free are the demo's")

	require.NoError(t, Disable(ctx, cat))
	unchanged("disable after the demo")
	assert.Empty(t, opens(t, cat, demoToken("wanzhou")), "the demo's own principals are disabled")
}

// TestDemoPrincipalsFollowTheFlag switches the demo principals off without --demo and on again
// with it.
func TestDemoPrincipalsFollowTheFlag(t *testing.T) {
	ctx := context.Background()
	cat, bucket := openDemoStore(t)
	log := slog.New(slog.DiscardHandler)
	require.NoError(t, Load(ctx, cat, bucket, time.Now, log))
	for _, p := range Principals {
		assert.Equal(t, p.ID, opens(t, cat, p.Token))
	}

	require.NoError(t, Disable(ctx, cat))
	for _, p := range Principals {
		assert.Empty(t, opens(t, cat, p.Token), "disabled: %s", p.ID)
		pr, err := cat.View().Principal(p.ID)
		require.NoError(t, err)
		assert.True(t, pr.Disabled, p.ID)
	}
	idx := cat.Index()
	require.NoError(t, Disable(ctx, cat))
	assert.Equal(t, idx, cat.Index(), "disabling again writes nothing")

	require.NoError(t, Load(ctx, cat, bucket, time.Now, log))
	for _, p := range Principals {
		assert.Equal(t, p.ID, opens(t, cat, p.Token), "enabled again: %s", p.ID)
	}
}

// TestOlderDemoPrincipalIsBroughtUpToDate loads the demo over an "air-app" written by an earlier
// version with another role: it carries the demo hash, so it is the demo's and is updated.
func TestOlderDemoPrincipalIsBroughtUpToDate(t *testing.T) {
	ctx := context.Background()
	cat, bucket := openDemoStore(t)
	old := catalog.Principal{ID: "air-app", Name: "巴渝治气应用(旧)", Role: catalog.RoleAnalyst, Clearance: schemas.General1,
		TokenHash: catalog.HashToken(demoToken("air-app"))}
	require.NoError(t, cat.PutPrincipal(ctx, old))

	require.NoError(t, Load(ctx, cat, bucket, time.Now, slog.New(slog.DiscardHandler)))
	pr, err := cat.View().Principal("air-app")
	require.NoError(t, err)
	assert.Equal(t, catalog.RoleScene, pr.Role)
	assert.Equal(t, schemas.General3, pr.Clearance)
	assert.Equal(t, "巴渝治气应用(演示)", pr.Name)
	assert.Equal(t, "air-app", opens(t, cat, demoToken("air-app")))
}
