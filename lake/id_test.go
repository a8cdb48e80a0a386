package lake_test

import (
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

var idRE = regexp.MustCompile(`^\d{8}T\d{6}Z-[0-9a-f]{16}$`)

func TestNewID(t *testing.T) {
	before := time.Now().UTC().Truncate(time.Second)
	id := lake.NewID()
	require.Regexp(t, idRE, id)
	ts, err := time.Parse("20060102T150405Z", id[:16])
	require.NoError(t, err)
	assert.False(t, ts.Before(before), "%s before %s", ts, before)
	assert.WithinDuration(t, time.Now(), ts, 2*time.Second)

	prev := id
	for range 10000 {
		next := lake.NewID()
		require.Regexp(t, idRE, next)
		require.Greater(t, next, prev, "ids are strictly increasing")
		prev = next
	}
}

func TestNewIDConcurrentUnique(t *testing.T) {
	const workers, each = 8, 2000
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]string, 0, each)
			for range each {
				local = append(local, lake.NewID())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range local {
				seen[id] = true
			}
		}()
	}
	wg.Wait()
	assert.Len(t, seen, workers*each)
}
