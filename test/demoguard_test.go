package test

import (
	"context"
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeDemoRefusesARealDirectory: `serve --demo` on a directory initialised for real use
// stops at start-up with exit code 2 and says why, before it creates the demo accounts (whose
// tokens README publishes) or writes a demo entry; the directory then serves without --demo as
// before, and the demo tokens open nothing there.
func TestServeDemoRefusesARealDirectory(t *testing.T) {
	dir := t.TempDir()
	code, out := ecolake(t, "init", "--data", dir)
	require.Equal(t, 0, code, out)
	admin := oneMatch(t, secretRE, out)

	// Bounded, so that a server that started after all fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	raw, err := exec.CommandContext(ctx, binary, "serve", "--demo", "--data", dir, "--addr", freeAddr(t)).CombinedOutput()
	out = string(raw)
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "serve --demo must exit: %v\n%s", err, out)
	require.NoError(t, ctx.Err(), "serve --demo was still running:\n%s", out)
	assert.Equal(t, 2, ee.ExitCode(), out)
	assert.Contains(t, out, "数据目录中已有真实账号 (admin 等 1 个), 不能以 --demo 启动")
	assert.Contains(t, out, "请为演示另用一个独立的数据目录")

	code, out = ecolake(t, "principal", "list", "--data", dir)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "admin")
	assert.NotContains(t, out, "演示", "no demo principal was created")

	s := startServer(t, dir, nil)
	assert.Equal(t, 401, s.gql("demo-steward", `{ entries { resourceCode } }`, nil).Status)
	r := s.gql(admin, `{ entries { resourceCode } }`, nil)
	assert.Empty(t, rows(t, r.ok(t), "entries"), "no demo entry was written")
	s.stop(syscall.SIGTERM)
}
