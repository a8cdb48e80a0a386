package query

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCachedSchemasAnswerDuringABuild: while a whole schema is being built (introspection over
// a large directory takes seconds), requests whose schemas are cached are answered, and a second
// introspection of the same access profile waits for that build instead of starting its own.
func TestCachedSchemasAnswerDuringABuild(t *testing.T) {
	f := newFixture(t)
	const data = `{ air_station_hourly_aggregate { count } }`
	f.mustDo(lowPrincipal, data) // its partial schema is cached now

	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free() // a failure must not leave the builder blocked
	var builds atomic.Int32
	f.svc.buildHook = func() {
		builds.Add(1)
		<-release
	}
	introspected := make(chan []string, 2)
	for range 2 {
		go func() {
			_, errs := f.do(hiPrincipal, `{ __schema { queryType { name } } }`, nil)
			introspected <- errs
		}()
	}
	for builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	answered := make(chan []string, 1)
	go func() {
		// Another account: the steward's own share of the admission slots is taken by its two
		// introspections.
		_, errs := f.do(lowPrincipal, data, nil)
		answered <- errs
	}()
	select {
	case errs := <-answered:
		assert.Empty(t, errs)
	case <-time.After(5 * time.Second):
		t.Fatal("a request with a cached schema waited for another's build")
	}
	free()
	for range 2 {
		require.Empty(t, <-introspected)
	}
	assert.EqualValues(t, 1, builds.Load(), "one build for the two introspections of one profile")
}
