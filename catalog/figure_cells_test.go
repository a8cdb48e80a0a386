package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// The principals the figure is checked for: nil is CollectionRate (every entry).
var figurePrincipals = []*Principal{
	nil,
	{ID: "fig-admin", Role: RoleAdmin, Clearance: schemas.Core},
	{ID: "fig-steward", Role: RoleSteward, Clearance: schemas.Core, Department: "AIR_DIV"},
	{ID: "fig-district", Role: RoleDistrict, Clearance: schemas.General3, Districts: []string{"500101", "500102"}},
	{ID: "fig-low", Role: RoleAnalyst, Clearance: schemas.General1},
	{ID: "fig-manager", Role: RoleManager, Clearance: schemas.General4},
	{ID: "fig-disabled", Role: RoleAdmin, Clearance: schemas.Core, Disabled: true},
	{ID: "fig-unknown", Role: "visitor", Clearance: schemas.Core},
}

var (
	figAdmin    = &Principal{ID: "fig-editor", Name: "管理员", Role: RoleAdmin, Clearance: schemas.Core}
	figReviewer = &Principal{ID: "fig-reviewer", Name: "审核员", Role: RoleReviewer, Clearance: schemas.Core}
)

// figureRun drives a store with random catalogue commands and checks the figure after each.
type figureRun struct {
	t     *testing.T
	rng   *rand.Rand
	cfg   Config
	clock *testClock
	s     *Store
	codes []string       // entries registered
	ok    map[string]int // successful operations by kind
	runs  int
}

// TestCollectionFigureCellsAgainstTheWalk: over random sequences of real commands — entries put
// by the loader and taken through the workflow, edits of district, department, domains, source
// kind, grade and cycle, 涉密 and exemption, retire and restore, loads, failed and running runs —
// and clock moves, the figure from the cells equals the walk of every entry for every kind of
// principal at several times, the lagging pages list what the walk lists, the cells equal a
// fresh bulk build of them, and all of it holds again after a crash (checkpoint restore and
// journal replay) and after a clean reopen, and on views taken earlier (the cells are persistent).
func TestCollectionFigureCellsAgainstTheWalk(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			clock := newClock()
			cfg := testConfig(t.TempDir(), clock)
			if seed%2 == 0 {
				cfg.CheckpointEvery = 13 // restores from a checkpoint plus a journal tail
			}
			r := &figureRun{t: t, rng: rand.New(rand.NewPCG(seed, 7)), cfg: cfg, clock: clock, ok: map[string]int{}}
			r.s = openTest(t, cfg)
			defer func() { _ = r.s.Close() }()
			ctx := context.Background()
			require.NoError(t, r.s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
			require.NoError(t, r.s.PutDepartment(ctx, Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))

			type earlier struct {
				v   *View
				now time.Time
			}
			var views []earlier
			for step := range 250 {
				op := r.step()
				r.check(fmt.Sprintf("step %d (%s)", step, op), r.s.View())
				if step%10 == 0 {
					// Views taken before the last few dozen writes still show their own state.
					views = append(views, earlier{r.s.View(), r.clock.Now()})
					if len(views) > 4 {
						views = views[1:]
					}
					for i, e := range views {
						r.checkAt(fmt.Sprintf("step %d: view %d taken earlier", step, i), e.v, e.now)
					}
				}
			}
			r.logCells()
			before := r.s.View()
			want := map[string]*CollectionFigure{}
			now := r.clock.Now()
			for _, p := range figurePrincipals {
				want[figureCase(p)] = figureOf(before, now, p)
			}
			r.s.crash()
			r.s = openTest(t, cfg)
			r.check("after a crash", r.s.View())
			require.NoError(t, r.s.Close())
			r.s = openTest(t, cfg)
			r.check("after a clean reopen", r.s.View())
			for _, p := range figurePrincipals {
				assert.Equal(t, want[figureCase(p)], figureOf(r.s.View(), now, p), "%s across restarts", figureCase(p))
			}
			for _, kind := range []string{"put", "create", "publish", "edit", "retire", "restore", "grade", "status", "load", "fail", "begin", "crash"} {
				assert.Positive(t, r.ok[kind], "no successful %s: the sequence did not exercise it", kind)
			}
			t.Logf("operations: %v", r.ok)
		})
	}
}

// logCells reports how many cells there are and how many entries the largest holds.
func (r *figureRun) logCells() {
	cells, largest := 0, 0
	each(r.s.View().txn, tableFigureCells, indexID, func(c *figureCell) {
		cells++
		n, _ := c.due()
		largest = max(largest, n)
	})
	r.t.Logf("%d entries, %d cells, the largest of %d entries", len(r.codes), cells, largest)
}

func figureOf(v *View, now time.Time, p *Principal) *CollectionFigure {
	if p == nil {
		return v.CollectionRate(now)
	}
	return v.CollectionRateFor(now, p)
}

// check compares the figure at several times around the clock, at the deadline of some loaded
// entries and a nanosecond after, and the cells against a bulk build.
func (r *figureRun) check(what string, v *View) {
	t := r.t
	t.Helper()
	now := r.clock.Now()
	nows := []time.Time{now, now.Add(time.Duration(r.rng.IntN(60*24)-30*24) * time.Hour)}
	if len(r.codes) > 0 {
		e, err := v.Entry(r.codes[r.rng.IntN(len(r.codes))])
		require.NoError(t, err)
		if snap, err := v.Snapshot(e.CurrentSnapshot); err == nil {
			dl := snap.CommittedAt.Add(e.UpdateCycle.Period() + e.UpdateCycle.Grace())
			nows = append(nows, dl, dl.Add(time.Nanosecond))
		}
	}
	for _, at := range nows {
		r.checkAt(what, v, at)
	}
	checkRebuild(t, what, v)
}

func (r *figureRun) checkAt(what string, v *View, now time.Time) {
	t := r.t
	t.Helper()
	for _, p := range figurePrincipals {
		w := walkFigure(t, v, now, p)
		require.Equal(t, w.fig, figureOf(v, now, p), "%s: figure of %s at %s", what, figureCase(p), now)
		lp := p
		if p == nil {
			lp = Operator()
		}
		require.Equal(t, w.lags, allLagging(t, v, now, lp, 1+r.rng.IntN(6)), "%s: lagging of %s at %s", what, figureCase(p), now)
		if p != nil {
			require.Equal(t, &CollectionFigure{ByDepartment: []Breakdown{}, ByDistrict: []Breakdown{}, ByDomain: []Breakdown{}, BySourceKind: []Breakdown{}},
				v.CollectionRateFor(now, nil), "nobody's figure is empty")
		}
	}
}

// checkRebuild compares the cells kept by the writes with the cells a restore would build: the
// same cells, and trees of the same shape (a treap's shape follows from its keys).
func checkRebuild(t *testing.T, what string, v *View) {
	t.Helper()
	kept := cellsIn(t, v.txn)
	db, err := memdb.NewMemDB(dbSchema())
	require.NoError(t, err)
	txn := db.Txn(true)
	for _, table := range []string{tableEntries, tableLoadStates} {
		it, err := v.txn.Get(table, indexID)
		require.NoError(t, err)
		for raw := it.Next(); raw != nil; raw = it.Next() {
			require.NoError(t, txn.Insert(table, raw))
		}
	}
	require.NoError(t, buildFigureCells(txn))
	built := cellsIn(t, txn)
	require.Equal(t, len(built), len(kept), "%s: number of cells", what)
	for key, b := range built {
		k := kept[key]
		require.NotNil(t, k, "%s: cell %q missing", what, key)
		assert.Equal(t, b.Unloaded, k.Unloaded, "%s: cell %q", what, key)
		assert.Equal(t, b.UnloadedItems, k.UnloadedItems, "%s: cell %q", what, key)
		assert.Equal(t, b.Domains, k.Domains, "%s: cell %q", what, key)
		assert.True(t, sameShape(b.Loaded, k.Loaded), "%s: tree of cell %q", what, key)
		n, _ := k.due()
		assert.Positive(t, n, "%s: empty cell %q kept", what, key)
	}
}

func cellsIn(t *testing.T, txn *memdb.Txn) map[string]*figureCell {
	t.Helper()
	out := map[string]*figureCell{}
	each(txn, tableFigureCells, indexID, func(c *figureCell) {
		checkTree(t, c.Loaded)
		out[c.Key] = c
	})
	return out
}

// TestFigureCellsStayUntouched: a write that changes nothing the figure counts (a name, a run,
// an entry that is not due) leaves every cell object as it was.
func TestFigureCellsStayUntouched(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	e := validEntry("000001", "t_one")
	e.Status = StatusPublished
	require.NoError(t, s.PutEntry(ctx, e))
	loadEntry(t, s, e.ResourceCode, "r1", "s1", "", clock.Now())
	draft := validEntry("000002", "t_two")
	require.NoError(t, s.PutEntry(ctx, draft))
	cells := func() map[string]*figureCell {
		out := map[string]*figureCell{}
		each(s.View().txn, tableFigureCells, indexID, func(c *figureCell) { out[c.Key] = c })
		return out
	}
	before := cells()
	require.Len(t, before, 1)

	renamed, err := s.View().Entry(e.ResourceCode)
	require.NoError(t, err)
	renamed.Name = "改名后的名称"
	renamed.Abstract = "新的摘要"
	require.NoError(t, s.PutEntry(ctx, renamed))
	require.NoError(t, s.BeginRun(ctx, Run{ID: "r2", Entry: e.ResourceCode, Status: RunRunning}))
	require.NoError(t, s.FailRun(ctx, Run{ID: "r2", Error: "连接超时"}))
	draft.Department, draft.Domains = "AIR_DIV", []string{"WATER"}
	require.NoError(t, s.PutEntry(ctx, draft))
	after := cells()
	require.Len(t, after, 1)
	for k, c := range before {
		assert.Same(t, c, after[k], "cell %q rewritten by a write that changes nothing it counts", k)
	}

	// A new load does change it: the old view keeps the old cell.
	old := s.View()
	clock.Advance(time.Hour)
	loadEntry(t, s, e.ResourceCode, "r3", "s2", "s1", clock.Now())
	for k, c := range cells() {
		assert.NotSame(t, before[k], c)
	}
	at := clock.Now().Add(47*time.Hour + 30*time.Minute) // within the second load's deadline only
	assert.Equal(t, 0, old.CollectionRate(at).Numerator, "the view taken before the load")
	assert.Equal(t, 1, s.View().CollectionRate(at).Numerator)
}
