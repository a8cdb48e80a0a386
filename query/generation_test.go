package query

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// tableKey is what the schemas see of a queryable entry.
type tableKey struct{ code, table, hash string }

func keysOf(t tables, order func(tables) []*tableInfo) []tableKey {
	var out []tableKey
	for _, ti := range order(t) {
		out = append(out, tableKey{ti.e.ResourceCode, ti.e.Table, entryHash(ti.e)})
	}
	return out
}

func inTableOrder(t tables) []*tableInfo { return slices.Collect(t.byTable.All()) }
func inCodeOrder(t tables) []*tableInfo  { return slices.Collect(t.byCode.All()) }

// TestTablesFollowTheFeed: entries registered, loaded, edited in what the schemas see and in
// what they do not, graded, hidden as secret, retired and published again, one or several
// changes at a time; after each batch the tables followed from the feed of changed entries are
// what a read of every loaded entry gives, in both orders, with the same tables and digests, and
// "changed" is reported exactly when a schema would differ. Every digest is its entry's hash: a
// digest handed on to a new version is one the version has. Past maxFollowed changes, following
// gives up and the read is taken.
func TestTablesFollowTheFeed(t *testing.T) {
	ctx := context.Background()
	cat, err := catalog.Open(ctx, catalog.Config{Dir: t.TempDir()}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer cat.Close()
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	r := rand.New(rand.NewPCG(6, 7))

	var codes []string
	entry := func(code string) *catalog.Entry {
		e, err := cat.View().Entry(code)
		require.NoError(t, err)
		return e
	}
	put := func(e *catalog.Entry) { require.NoError(t, cat.PutEntry(ctx, e)) }
	load := func(code string) {
		e := entry(code)
		if e.Secret {
			return // never collected
		}
		run := catalog.Run{ID: lake.NewID(), Entry: code, Kind: "test", Source: "test", Status: catalog.RunRunning}
		require.NoError(t, cat.BeginRun(ctx, run))
		run.Status = catalog.RunSucceeded
		snap := catalog.Snapshot{ID: lake.NewID(), Entry: code, Parent: e.CurrentSnapshot, Run: run.ID,
			ManifestKey: "manifests/" + code, SchemaVersion: 1}
		require.NoError(t, cat.CommitSnapshot(ctx, snap, run, e.CurrentSnapshot))
	}
	steps := map[string]func(){
		"register": func() {
			code := fmt.Sprintf("0101/%06d", len(codes)+1)
			codes = append(codes, code)
			table := fmt.Sprintf("t%03d", r.IntN(1000)) // not in code order
			put(baseEntry(code, table+"_"+strings.ReplaceAll(code, "/", "_"), "监测数据"+code, airItems()))
		},
		"load": func() { load(codes[r.IntN(len(codes))]) },
		"rename (what the schema shows)": func() {
			e := entry(codes[r.IntN(len(codes))])
			e.Name += "（修订）"
			put(e)
		},
		"abstract (what it does not)": func() {
			e := entry(codes[r.IntN(len(codes))])
			e.Abstract += "。"
			put(e)
		},
		"grade an item": func() {
			e := entry(codes[r.IntN(len(codes))])
			items := e.Items.Slice()
			it := &items[r.IntN(len(items))]
			it.Grade = []schemas.Grade{schemas.General1, schemas.General2, schemas.Important}[r.IntN(3)]
			e.Items = catalog.ItemsOf(items...)
			put(e)
		},
		"an item's bound (what the schema does not show)": func() {
			e := entry(codes[r.IntN(len(codes))])
			items := e.Items.Slice()
			items[0].Length++
			e.Items = catalog.ItemsOf(items...)
			put(e)
		},
		"secret": func() {
			e := entry(codes[r.IntN(len(codes))])
			e.Secret = !e.Secret
			put(e)
		},
		"retire or publish": func() {
			code := codes[r.IntN(len(codes))]
			status := catalog.StatusRetired
			if entry(code).Status != catalog.StatusPublished {
				status = catalog.StatusPublished
			}
			require.NoError(t, cat.SetEntryStatus(ctx, code, status))
		},
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range steps {
			if !yield(n) {
				return
			}
		}
	})

	var cur tables
	index := cat.View().Index()
	sawChanged, sawSame := 0, 0
	for round := range 400 {
		var did []string
		for range 1 + r.IntN(3) {
			n := names[r.IntN(len(names))]
			if len(codes) == 0 || round < 5 {
				n = "register"
			}
			steps[n]()
			did = append(did, n)
		}
		v := cat.View()
		want, _ := readTables(v, tables{})
		next, changed, ok, err := cur.followed(v, index)
		require.NoError(t, err)
		require.True(t, ok, "a few changes are followed")
		assert.Equal(t, keysOf(want, inTableOrder), keysOf(next, inTableOrder), "round %d: %v", round, did)
		assert.Equal(t, keysOf(want, inCodeOrder), keysOf(next, inCodeOrder), "round %d: %v", round, did)
		assert.Equal(t, !slices.Equal(keysOf(cur, inTableOrder), keysOf(want, inTableOrder)), changed, "round %d: %v", round, did)
		for ti := range next.byTable.All() {
			require.Equal(t, entryHash(ti.e), ti.hash(), "round %d: the digest of %s", round, ti.e.ResourceCode)
		}
		// The read from the tables before tells the same.
		read, readChanged := readTables(v, cur)
		assert.Equal(t, keysOf(want, inTableOrder), keysOf(read, inTableOrder))
		assert.Equal(t, changed, readChanged, "round %d: %v", round, did)
		// As generationFor does: the tables before stand while no schema can tell the change.
		if changed {
			cur = next
			sawChanged++
		} else {
			sawSame++
		}
		index = v.Index()
	}
	assert.Greater(t, cur.len(), 10, "entries became queryable")
	assert.Greater(t, sawChanged, 50)
	assert.Greater(t, sawSame, 50)

	// Past maxFollowed changed entries, following gives up.
	limit := maxFollowed(cur.len())
	for range limit {
		steps["register"]()
	}
	_, _, ok, err := cur.followed(cat.View(), index)
	require.NoError(t, err)
	assert.True(t, ok, "%d changed entries are followed", limit)
	steps["register"]()
	_, _, ok, err = cur.followed(cat.View(), index)
	require.NoError(t, err)
	assert.False(t, ok, "%d are not", limit+1)
}
