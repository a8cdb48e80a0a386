package local_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake/local"
)

// TestProbe: the probe passes while the lake folder is there and fails once it is removed or
// replaced by a file.
func TestProbe(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "lake")
	b, err := local.New(dir)
	require.NoError(t, err)
	require.NoError(t, b.Probe(ctx))

	require.NoError(t, os.RemoveAll(dir))
	assert.Error(t, b.Probe(ctx), "a removed lake folder")
	require.NoError(t, os.WriteFile(dir, []byte("x"), 0o644))
	assert.Error(t, b.Probe(ctx), "a file where the lake folder was")
	require.NoError(t, os.Remove(dir))
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, b.Probe(ctx), "the folder back")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, b.Probe(cancelled), context.Canceled)
}
