package search

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// checkAll asserts that a search for every entry (empty text) and for a word finds exactly what
// the catalogue view holds.
func checkAll(t *testing.T, ix *Index, s *catalog.Store, text string) {
	t.Helper()
	v := s.View()
	for _, q := range []string{"", text} {
		names, others, _ := expect(v, admin, q, nil)
		got, first := all(t, ix, v, admin, Query{Text: q, Limit: MaxLimit})
		require.ElementsMatch(t, append(names, others...), got, q)
		require.Equal(t, len(got), first.Total)
	}
}

// TestCatchUpAfterRestart: entries written while the index is closed are found after it is
// opened again, from the journal index it covered, without a rebuild.
func TestCatchUpAfterRestart(t *testing.T) {
	s := newStore(t, t.TempDir())
	defer s.Close()
	dir := filepath.Join(t.TempDir(), "search")
	putGenerated(t, s, genSeed, 0, 50)
	ix := openIndex(t, s, dir)
	covered := ix.Covered()
	require.Equal(t, s.Index(), covered)
	require.NoError(t, ix.Close())

	added := putGenerated(t, s, genSeed, 50, 80)
	g := newGated(s, 1) // the follower waits until the index on disk has been looked at
	ix = openGated(t, g, dir)
	assert.False(t, ix.Rebuilding(), "an index on disk catches up, it is not rebuilt")
	assert.Equal(t, covered, ix.Covered(), "the index on disk covers what it covered when closed")
	g.open()
	require.NoError(t, ix.Wait(context.Background()))
	assert.Equal(t, s.Index(), ix.Covered())
	r, err := ix.Search(context.Background(), s.View(), admin, Query{Text: added[len(added)-1].Name})
	require.NoError(t, err)
	assert.Contains(t, handCodes(r), added[len(added)-1].ResourceCode)
	checkAll(t, ix, s, "监测")
}

// gated is a source whose View blocks, from a given call on, until released: it holds the
// follower still at a chosen moment.
type gated struct {
	*catalog.Store
	calls, from atomic.Int64
	release     chan struct{}
	once        sync.Once
}

func newGated(s *catalog.Store, from int64) *gated {
	g := &gated{Store: s, release: make(chan struct{})}
	g.from.Store(from)
	return g
}

func (g *gated) View() *catalog.View {
	if g.calls.Add(1) > g.from.Load() {
		<-g.release
	}
	return g.Store.View()
}

func (g *gated) open() { g.once.Do(func() { close(g.release) }) }

func openGated(t *testing.T, g *gated, dir string) *Index {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir, cfg.MaxWait = dir, 50*time.Millisecond
	ix, err := Open(context.Background(), cfg, g, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { g.open(); _ = ix.Close() })
	return ix
}

// TestRebuildWhenDeleted: an index directory that is gone is rebuilt from the catalogue in the
// background; until it is complete a search answers ErrRebuilding instead of a part of the
// directory.
func TestRebuildWhenDeleted(t *testing.T) {
	s := newStore(t, t.TempDir())
	defer s.Close()
	dir := filepath.Join(t.TempDir(), "search")
	putGenerated(t, s, genSeed, 0, 60)
	ix := openIndex(t, s, dir)
	require.NoError(t, ix.Close())
	require.NoError(t, os.RemoveAll(dir))

	g := newGated(s, 1) // Open's own look passes, the rebuild waits
	ix = openGated(t, g, dir)
	assert.True(t, ix.Rebuilding())
	_, err := ix.Search(context.Background(), s.View(), admin, Query{Text: "监测"})
	require.ErrorIs(t, err, ErrRebuilding)
	assert.Equal(t, schemas.CodeBusy, schemas.CodeOf(err))
	msg, _ := schemas.UserMessage(err)
	assert.Contains(t, msg, "索引重建中")
	g.open()
	require.NoError(t, ix.Wait(context.Background()))
	assert.False(t, ix.Rebuilding())
	checkAll(t, ix, s, "监测")
}

// TestRebuildWhenUnusable: an index that cannot be read, is of another mapping version, or
// claims more of the journal than the catalogue holds (a catalogue restored from an older
// backup) is rebuilt, and then answers exactly what the catalogue holds.
func TestRebuildWhenUnusable(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"corrupt", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{not json"), 0o600))
		}},
		{"version", func(t *testing.T, dir string) {
			bi, err := bleve.OpenUsing(dir, map[string]any{"unsafe_batch": false}) // written before Close returns
			require.NoError(t, err)
			require.NoError(t, bi.SetInternal(keyVersion, []byte("0")))
			require.NoError(t, bi.Close())
		}},
		{"ahead", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t, t.TempDir())
			defer s.Close()
			dir := filepath.Join(t.TempDir(), "search")
			putGenerated(t, s, genSeed, 0, 40)
			ix := openIndex(t, s, dir)
			require.NoError(t, ix.Close())
			if c.spoil != nil {
				c.spoil(t, dir)
			} else {
				// The same index opened on a younger catalogue.
				require.NoError(t, s.Close())
				s = newStore(t, t.TempDir())
				putGenerated(t, s, genSeed+1, 0, 5)
			}
			g := newGated(s, 1)
			ix = openGated(t, g, dir)
			require.True(t, ix.Rebuilding())
			g.open()
			require.NoError(t, ix.Wait(context.Background()))
			checkAll(t, ix, s, "监测")
		})
	}
}

// TestSearchWaitsForTheIndex: a search on a catalogue view the index does not cover yet waits
// for it, and answers ErrBehind when it does not come within MaxWait.
func TestSearchWaitsForTheIndex(t *testing.T) {
	s := newStore(t, t.TempDir())
	defer s.Close()
	putGenerated(t, s, genSeed, 0, 10)
	g := newGated(s, 1<<40)
	ix := openGated(t, g, t.TempDir())
	g.open()
	require.NoError(t, ix.Wait(context.Background()))

	g.release = make(chan struct{}) // from now on the follower's look at the catalogue waits
	g.once = sync.Once{}
	g.from.Store(g.calls.Load())
	added := putGenerated(t, s, genSeed, 10, 11)[0]
	_, err := ix.Search(context.Background(), s.View(), admin, Query{Text: added.Name})
	require.ErrorIs(t, err, ErrBehind)
	ix.cfg.MaxWait = time.Minute // the search waits for the follower, released now
	g.open()
	r, err := ix.Search(context.Background(), s.View(), admin, Query{Text: added.Name})
	require.NoError(t, err)
	assert.Contains(t, handCodes(r), added.ResourceCode)
}
