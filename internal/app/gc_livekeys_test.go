package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// gatedBucket holds every manifest read until want of them are under way at once, so that a
// caller reading them one after another never gets past the first (it fails after a while).
type gatedBucket struct {
	lake.Bucket
	want int

	mu      sync.Mutex
	waiting int
	most    int
	open    chan struct{}
}

func (g *gatedBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if !strings.Contains(key, "/metadata/") {
		return g.Bucket.Get(ctx, key)
	}
	g.mu.Lock()
	g.waiting++
	g.most = max(g.most, g.waiting)
	if g.waiting == g.want {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(5 * time.Second):
		return nil, errors.New("manifest reads were not under way together")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Bucket.Get(ctx, key)
}

// openWithLoads opens the service of cfg (closed with the test) and loads the grant entry n
// times, each load appending a row or, with replace, replacing the table's rows.
func openWithLoads(t testing.TB, cfg Config, n int, replace bool) *App {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	for i := range n {
		sub := ingestAsOperator(grantEntryCode, "", fmt.Sprintf("排污口,联系电话\nK%d,13800138000\n", i))
		sub.Replace = replace
		_, err := a.Ingest.Submit(ctx, sub)
		require.NoError(t, err)
	}
	return a
}

// TestLiveKeysReadsManifestsTogether: the collection reads the kept snapshots' manifests several
// at a time (each is a round trip on S3), and lists exactly their manifests and data files.
func TestLiveKeysReadsManifestsTogether(t *testing.T) {
	ctx := context.Background()
	cfg := grantSetup(t)
	a := openWithLoads(t, cfg, 6, false)
	snaps := a.Cat.View().Snapshots(grantEntryCode)
	require.Len(t, snaps, 6)
	want := map[string]bool{}
	files := map[string][]string{} // by snapshot id
	for _, s := range snaps {
		files[s.ID] = snapshotFiles(t, a, s)
		for _, k := range files[s.ID] {
			want[k] = true
		}
	}

	gate := &gatedBucket{Bucket: a.Bucket, want: len(snaps), open: make(chan struct{})}
	a.Bucket = gate
	defer func() { a.Bucket = gate.Bucket }()
	keys, err := a.liveKeys(ctx, a.Cat.View(), func(*catalog.Snapshot) bool { return true })
	require.NoError(t, err)
	assert.Equal(t, len(snaps), gate.most, "every manifest read under way at once")
	assert.Equal(t, slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(keys)))

	// Only the snapshots live says are kept are read.
	kept := []string{snaps[1].ID, snaps[4].ID}
	gate.want, gate.waiting, gate.most, gate.open = len(kept), 0, 0, make(chan struct{})
	keys, err = a.liveKeys(ctx, a.Cat.View(), func(s *catalog.Snapshot) bool { return slices.Contains(kept, s.ID) })
	require.NoError(t, err)
	assert.Equal(t, len(kept), gate.most)
	wantKept := map[string]bool{} // the table appends: a snapshot's files are its parent's and more
	for _, id := range kept {
		for _, k := range files[id] {
			wantKept[k] = true
		}
	}
	assert.Equal(t, slices.Sorted(maps.Keys(wantKept)), slices.Sorted(maps.Keys(keys)))
	assert.Less(t, len(keys), len(want))
}

// TestLiveKeysMissingManifest: a kept snapshot whose manifest cannot be read fails the
// collection, naming the snapshot and its entry, and nothing is deleted on that partial picture.
func TestLiveKeysMissingManifest(t *testing.T) {
	ctx := context.Background()
	cfg := grantSetup(t)
	a := openWithLoads(t, cfg, 20, false)
	snaps := a.Cat.View().Snapshots(grantEntryCode)
	require.Len(t, snaps, 20)
	lost := snaps[7]
	require.NoError(t, a.Bucket.Delete(ctx, lost.ManifestKey))
	// An orphan that a collection would delete if it went on.
	orphan := lake.DataPrefix("outfall_contacts") + "orphan.parquet"
	require.NoError(t, a.Bucket.Upload(ctx, orphan, strings.NewReader("x"), 1))

	_, err := a.liveKeys(ctx, a.Cat.View(), func(*catalog.Snapshot) bool { return true })
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("snapshot %s of %s", lost.ID, grantEntryCode))
	assert.ErrorIs(t, err, lake.ErrNotFound)

	gc := cfg.GC
	gc.MinAge = 0
	res, err := a.collect(ctx, gc, time.Now().Add(time.Hour), false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), lost.ID)
	assert.Empty(t, res.lake.Deleted)
	ok, err := present(a, orphan)
	require.NoError(t, err)
	assert.True(t, ok, "nothing deleted on a partial picture")
	for _, s := range snaps {
		if s.ID != lost.ID {
			for _, k := range snapshotFiles(t, a, s) {
				ok, err := present(a, k)
				require.NoError(t, err)
				assert.True(t, ok, k)
			}
		}
	}
}
