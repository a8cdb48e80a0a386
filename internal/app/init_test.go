package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

func TestBootstrapAdminOnlyOnce(t *testing.T) {
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	defer cat.Close()
	// an earlier init that stopped after the principal: the next one completes it
	require.NoError(t, cat.CreatePrincipal(ctx, catalog.Principal{ID: adminID, Name: "管理员", Role: catalog.RoleAdmin, Clearance: schemas.Core}))
	var out bytes.Buffer
	created, err := bootstrapAdmin(ctx, cat, InitArgs{}, &out)
	require.NoError(t, err)
	require.True(t, created)
	assert.Contains(t, out.String(), "只显示这一次")
	p, err := cat.View().PrincipalByToken(secretIn(t, out.String()), time.Now())
	require.NoError(t, err)
	assert.True(t, catalog.Allowed(p, catalog.ActManagePrincipals))

	out.Reset()
	created, err = bootstrapAdmin(ctx, cat, InitArgs{}, &out)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Empty(t, out.String())
}

// secretIn finds the one token secret printed in out.
func secretIn(t *testing.T, out string) string {
	t.Helper()
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, catalog.TokenPrefix) {
			return f
		}
	}
	t.Fatalf("no token in output:\n%s", out)
	return ""
}
