package app

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSetProcs: serve runs one Go processor beyond the CPUs by default, none when told so, and
// leaves GOMAXPROCS alone when the operator set it in the environment.
func TestSetProcs(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(base) })
	t.Setenv("GOMAXPROCS", "") // unset for SetProcs: it tests the variable's emptiness

	runtime.SetDefaultGOMAXPROCS()
	goDefault := runtime.GOMAXPROCS(0)
	assert.Equal(t, 1, DefaultConfig().ExtraProcs)
	for range 2 { // a second service in the same process sets the same, not one more
		procs, changed := SetProcs(DefaultConfig().ExtraProcs)
		assert.True(t, changed)
		assert.Equal(t, goDefault+1, procs)
		assert.Equal(t, goDefault+1, runtime.GOMAXPROCS(0))
	}

	procs, changed := SetProcs(0)
	assert.False(t, changed)
	assert.Equal(t, goDefault, procs, "Go's default restored")
	assert.Equal(t, goDefault, runtime.GOMAXPROCS(0))

	runtime.GOMAXPROCS(goDefault + 5) // as the runtime set it from the variable at start
	t.Setenv("GOMAXPROCS", fmt.Sprint(goDefault+5))
	procs, changed = SetProcs(3)
	assert.False(t, changed, "the environment's GOMAXPROCS wins")
	assert.Equal(t, goDefault+5, procs)
	assert.Equal(t, goDefault+5, runtime.GOMAXPROCS(0))
}

// TestConfigExtraProcs: the setting is bounded, in Chinese.
func TestConfigExtraProcs(t *testing.T) {
	for _, n := range []int{0, 1, MaxExtraProcs} {
		cfg := DefaultConfig()
		cfg.ExtraProcs = n
		require.NoError(t, cfg.Validate(), "%d", n)
	}
	for _, n := range []int{-1, MaxExtraProcs + 1} {
		cfg := DefaultConfig()
		cfg.ExtraProcs = n
		err := cfg.Validate()
		require.Error(t, err, "%d", n)
		assert.Contains(t, err.Error(), fmt.Sprintf("--extra-procs 应在 0 到 %d 之间, 而不是 %d", MaxExtraProcs, n))
	}
}

// TestServeRefusesExtraProcsFirst: serve checks the setting before it raises GOMAXPROCS, so a
// refused configuration leaves the process as it was.
func TestServeRefusesExtraProcsFirst(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(base) })
	t.Setenv("GOMAXPROCS", "")
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.ExtraProcs = MaxExtraProcs + 1
	err := Serve(context.Background(), cfg, slog.New(slog.DiscardHandler), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--extra-procs 应在 0 到")
	assert.Equal(t, base, runtime.GOMAXPROCS(0))
}
