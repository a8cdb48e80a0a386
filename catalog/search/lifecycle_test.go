package search

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// checkAll asserts that a search for every entry (empty text) and for a word finds exactly what
// the catalogue view holds, the empty one in resource-code order.
func checkAll(t *testing.T, ix *Index, s *catalog.Store, text string) {
	t.Helper()
	v := s.View()
	for _, q := range []string{"", text} {
		names, others, _ := expect(v, admin, q, nil)
		got, first := all(t, ix, v, admin, Query{Text: q, Limit: 7})
		require.ElementsMatch(t, append(names, others...), got, q)
		require.Equal(t, len(got), first.Total)
		if q == "" {
			require.True(t, slices.IsSorted(got), "by resource code")
		}
	}
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

// TestBuildAtOpen: the index is built from the catalogue in the background at every open; until
// it is complete a search answers ErrRebuilding instead of a part of the directory. The bleve
// index an earlier version left in the data directory is removed.
func TestBuildAtOpen(t *testing.T) {
	s := newStore(t, t.TempDir())
	defer s.Close()
	dir := filepath.Join(t.TempDir(), "search")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte(`{"storage":"scorch"}`), 0o600))
	putGenerated(t, s, genSeed, 0, 60)

	g := newGated(s, 0) // the build waits
	ix := openGated(t, g, dir)
	assert.True(t, ix.Rebuilding())
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "the earlier index is removed")
	_, err = ix.Search(context.Background(), s.View(), admin, Query{Text: "监测"})
	require.ErrorIs(t, err, ErrRebuilding)
	assert.Equal(t, schemas.CodeBusy, schemas.CodeOf(err))
	msg, _ := schemas.UserMessage(err)
	assert.Contains(t, msg, "索引重建中")
	g.open()
	require.NoError(t, ix.Wait(context.Background()))
	assert.False(t, ix.Rebuilding())
	assert.Equal(t, s.Index(), ix.Covered())
	checkAll(t, ix, s, "监测")

	// Entries written while it is closed are there when it is opened again.
	require.NoError(t, ix.Close())
	added := putGenerated(t, s, genSeed, 60, 90)
	ix = openIndex(t, s, dir)
	r, err := ix.Search(context.Background(), s.View(), admin, Query{Text: added[len(added)-1].Name})
	require.NoError(t, err)
	assert.Contains(t, handCodes(r), added[len(added)-1].ResourceCode)
	checkAll(t, ix, s, "排放")
}

// TestFollowsChanges: an entry changed in the catalogue is found by what it says now, never by
// what it said, and counts under its new codes; entries registered after the build come in
// resource-code order among the others.
func TestFollowsChanges(t *testing.T) {
	s, ix := handFixture(t)
	ctx := context.Background()
	e, err := s.View().Entry("0101/000002") // 地表水国控断面水质监测, 断面名称, 水质类别, 渝北区
	require.NoError(t, err)
	e.Name = "饮用水源地水量台账"
	e.Items = catalog.ItemsOf(e.Items.Slice()[:2]...) // 备注, 断面名称
	e.District = "500101"                             // 万州区
	require.NoError(t, s.PutEntry(ctx, e))
	for text, want := range map[string][]string{
		"国控断面": nil, "水质类别": nil, "渝北": nil, "水质": nil,
		"水源地水量": {"0101/000002"}, "断面名称": {"0101/000002"}, "万州": {"0101/000002", "0101/000004"},
	} {
		r, err := ix.Search(ctx, s.View(), admin, Query{Text: text, Facets: true})
		require.NoError(t, err, text)
		got := handCodes(r)
		slices.Sort(got)
		assert.Equal(t, want, got, text)
		assert.Equal(t, len(want), r.Total, text)
		if text == "水源地水量" {
			assert.Equal(t, []FacetCount{{Code: "500101", Name: "万州区", Count: 1}}, r.Facets[FacetDistrict])
		}
	}

	later := handEntry("000000", "空气质量小时值", "臭氧") // sorts before every entry of the build
	require.NoError(t, s.PutEntry(ctx, later))
	checkAll(t, ix, s, "空气")
	got, _ := all(t, ix, s.View(), admin, Query{Text: "空气", Limit: 1})
	assert.Equal(t, []string{"0101/000000", "0101/000003"}, got, "both names hold the word: by resource code")
}

// TestRebuildWhenDrifted: once many entries have been registered since the build (numbered out of
// resource-code order), the index is rebuilt in the background and swapped in; before and after,
// it answers exactly what the catalogue holds, pages in resource-code order.
func TestRebuildWhenDrifted(t *testing.T) {
	saved := reorderMin
	reorderMin = 25
	t.Cleanup(func() { reorderMin = saved })
	s := newStore(t, t.TempDir())
	defer s.Close()
	putGenerated(t, s, genSeed, 0, 40)
	ix := openIndex(t, s, "")
	putGenerated(t, s, genSeed, 40, 60) // 20: under reorderMin
	require.NoError(t, ix.Wait(context.Background()))
	assert.Zero(t, ix.reordered.Load())
	checkAll(t, ix, s, "监测")

	putGenerated(t, s, genSeed, 60, 80)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a bound, not a measure
	defer cancel()
	for {
		ch := ix.movedCh()
		if ix.reordered.Load() > 0 {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the drifted index was not rebuilt")
		}
	}
	require.NoError(t, ix.Wait(context.Background()))
	ix.rw.RLock()
	// The rebuild started once 26 were out of order: its view held at least 66 entries, numbered
	// in order; those written while it ran were caught up after them.
	assert.GreaterOrEqual(t, ix.eng.sorted, 66, "entries numbered in order again")
	ix.rw.RUnlock()
	checkAll(t, ix, s, "监测")
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
