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

// TestCheckDirectory: the demo may run on a fresh directory and on one that only ever ran the
// demo (its principals enabled or disabled), never on one with a real account, even one that
// holds a demo principal's id.
func TestCheckDirectory(t *testing.T) {
	ctx := context.Background()
	cat, bucket := openDemoStore(t)
	require.NoError(t, CheckDirectory(cat.View()), "a fresh directory")

	require.NoError(t, Load(ctx, cat, bucket, time.Now, slog.New(slog.DiscardHandler)))
	require.NoError(t, CheckDirectory(cat.View()), "a directory that ran the demo")
	require.NoError(t, Disable(ctx, cat))
	require.NoError(t, CheckDirectory(cat.View()), "a directory that ran the demo, then ran without it")

	for name, p := range map[string]catalog.Principal{
		"a real account": {ID: "admin", Name: "系统管理员", Role: catalog.RoleAdmin, Clearance: schemas.Core},
		"a real account holding a demo id": {ID: "manager", Name: "张三", Role: catalog.RoleManager, Clearance: schemas.General1,
			TokenHash: catalog.HashToken("demo-steward")},
	} {
		t.Run(name, func(t *testing.T) {
			cat, _ := openDemoStore(t)
			require.NoError(t, cat.PutPrincipal(ctx, p))
			err := CheckDirectory(cat.View())
			require.ErrorIs(t, err, ErrRealDirectory)
			assert.ErrorIs(t, err, schemas.ErrConflict)
			assert.Contains(t, err.Error(), "数据目录中已有真实账号 ("+p.ID+" 等 1 个), 不能以 --demo 启动")
			assert.Contains(t, err.Error(), "请为演示另用一个独立的数据目录")
		})
	}
}
