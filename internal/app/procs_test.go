package app

import (
	"fmt"
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

	assert.Equal(t, 1, DefaultConfig().ExtraProcs)
	procs, changed := SetProcs(DefaultConfig().ExtraProcs)
	assert.True(t, changed)
	assert.Equal(t, base+1, procs)
	assert.Equal(t, base+1, runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(base)

	procs, changed = SetProcs(0)
	assert.False(t, changed)
	assert.Equal(t, base, procs)
	assert.Equal(t, base, runtime.GOMAXPROCS(0))

	t.Setenv("GOMAXPROCS", fmt.Sprint(base))
	procs, changed = SetProcs(3)
	assert.False(t, changed, "the environment's GOMAXPROCS wins")
	assert.Equal(t, base, procs)
	assert.Equal(t, base, runtime.GOMAXPROCS(0))
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
