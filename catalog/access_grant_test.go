package catalog

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// grantCase is what a principal holds on each entry of the matrix.
type grantCase struct {
	name     string
	mode     string // "" for no grant of its own
	items    []string
	unmasked []string
	min      int
	end      string // the grant's fate: approved, expired, revoked, refused, requested
}

var matrixCases = []grantCase{
	{name: "none"},
	{name: "other", end: "other"}, // another principal's approved grant, none of its own
	{name: "rows", mode: GrantRows, end: "approved"},
	{name: "aggregates", mode: GrantAggregates, end: "approved"},
	{name: "aggregates-12", mode: GrantAggregates, min: 12, end: "approved"},
	{name: "items", mode: GrantRows, items: []string{"district", "phone"}, end: "approved"},
	{name: "unmasked", mode: GrantRows, unmasked: []string{"phone"}, end: "approved"},
	{name: "items-unmasked", mode: GrantRows, items: []string{"district", "phone"}, unmasked: []string{"phone"}, end: "approved"},
	{name: "aggregates-unmasked", mode: GrantAggregates, unmasked: []string{"phone"}, end: "approved"},
	{name: "expired", mode: GrantRows, unmasked: []string{"phone"}, end: "expired"},
	{name: "revoked", mode: GrantRows, unmasked: []string{"phone"}, end: "revoked"},
	{name: "refused", mode: GrantRows, unmasked: []string{"phone"}, end: "refused"},
	{name: "requested", mode: GrantRows, unmasked: []string{"phone"}, end: "requested"},
}

// matrixItems are the items of the matrix's entries, their pi types beside them.
var matrixItems = []struct{ field, pi string }{{"district", ""}, {"pm25", ""}, {"phone", "MOBILE"}, {"contact", "CN_NAME"}}

// expectAccess states the rule of the decision for one cell, independently of its code: what
// Read, AggregatesOnly, MinGroupSize and each item's visibility, mask and Unmasked must be.
func expectAccess(role string, ownDept bool, share string, c grantCase) (read, aggOnly bool, minGroup int, items []ItemAccess) {
	opens := c.end == "approved" && share != ShareNotShared
	ownRight := share == ShareUnconditional || role == RoleAdmin || role == RoleSteward || ownDept
	read = ownRight || share == ShareConditional && opens
	aggOnly = role == RoleManager
	if aggOnly {
		minGroup = MinGroupAggregatesOnly
	}
	if read && opens && c.mode == GrantAggregates && (!ownRight || aggOnly) {
		aggOnly, minGroup = true, max(MinGroupAggregatesOnly, c.min)
	}
	for _, it := range matrixItems {
		visible := !read || ownRight || !opens || len(c.items) == 0 || slices.Contains(c.items, it.field)
		clear := read && opens && visible && it.pi != "" && slices.Contains(c.unmasked, it.field) &&
			(c.mode == GrantRows || aggOnly)
		mask := it.pi
		if clear {
			mask = ""
		}
		items = append(items, ItemAccess{Field: it.field, Visible: visible, Mask: mask, Unmasked: clear})
	}
	return read, aggOnly, minGroup, items
}

// TestDecideSharingAndGrantsMatrix: every role, in and out of the owning department, on every
// sharing type, under every state a grant can be in, through the catalogue's own commands and
// its (grantee, entry) lookup.
func TestDecideSharingAndGrantsMatrix(t *testing.T) {
	ctx := context.Background()
	s, clock := newTestStore(t) // department AIR_DIV, which owns the entries
	t0 := clock.Now()
	approver := &Principal{ID: "m-reviewer", Name: "大气处审核员", Role: RoleReviewer, Clearance: schemas.Core, Department: "AIR_DIV"}
	stranger := &Principal{ID: "m-stranger", Name: "他人", Role: RoleAnalyst, Clearance: schemas.Core, Department: "WATER_DIV"}
	require.NoError(t, s.PutPrincipal(ctx, *approver))
	require.NoError(t, s.PutPrincipal(ctx, *stranger))

	// The 不予共享 entry was 有条件共享 when its grants were approved: they must open nothing now.
	shares := []string{ShareUnconditional, ShareConditional, ShareNotShared}
	entries := map[string]*Entry{}
	for i, share := range shares {
		e := validEntry(fmt.Sprintf("%06d", i+1), fmt.Sprintf("matrix_%d", i+1))
		addItems(e, Item{Name: "联系电话", Field: "phone", Type: schemas.String, Grade: schemas.General2, PIType: "MOBILE"},
			Item{Name: "联系人", Field: "contact", Type: schemas.String, Grade: schemas.General2, PIType: "CN_NAME"})
		e.Status, e.ShareType = StatusPublished, share
		if share != ShareUnconditional {
			e.ShareType, e.ShareCondition = ShareConditional, "用于监测分析"
		}
		require.NoError(t, s.PutEntry(ctx, e))
		entries[share] = e
	}

	type cell struct {
		p       *Principal
		ownDept bool
		c       grantCase
	}
	var cells []cell
	for _, role := range Roles {
		for _, ownDept := range []bool{false, true} {
			for _, c := range matrixCases {
				p := &Principal{ID: fmt.Sprintf("m-%s-%v-%s", role, ownDept, c.name), Name: "矩阵账号", Role: role,
					Clearance: schemas.Core, Department: "WATER_DIV"}
				if ownDept {
					p.Department = "AIR_DIV"
				}
				if role == RoleDistrict {
					p.Districts = []string{"500101"}
				}
				cells = append(cells, cell{p, ownDept, c})
			}
		}
	}
	parallel(t, len(cells), func(i int) error { return s.PutPrincipal(ctx, *cells[i].p) })

	// Each cell's grant on each entry, requested by its grantee and taken to its fate, all
	// through the commands (concurrently, so that group commit keeps the test short).
	type job struct {
		grantee *Principal
		c       grantCase
		entry   string
	}
	var jobs []job
	for _, cl := range cells {
		for _, e := range entries {
			switch {
			case cl.c.end == "other":
				jobs = append(jobs, job{stranger, grantCase{mode: GrantRows, unmasked: []string{"phone"}, end: "approved"}, e.ResourceCode})
			case cl.c.mode != "":
				jobs = append(jobs, job{cl.p, cl.c, e.ResourceCode})
			}
		}
	}
	parallel(t, len(jobs), func(i int) error {
		j := jobs[i]
		expires := t0.Add(30 * 24 * time.Hour)
		if j.c.end == "expired" {
			expires = t0.Add(time.Hour)
		}
		g, err := s.RequestGrant(ctx, j.grantee, Grant{Entry: j.entry, Grantee: j.grantee.ID, Purpose: "矩阵测试",
			Expires: expires, Mode: j.c.mode, MinGroupSize: j.c.min, Items: j.c.items, Unmasked: j.c.unmasked})
		if err != nil || j.c.end == "requested" {
			return err
		}
		if j.c.end == "refused" {
			return s.RefuseGrant(ctx, approver, g.ID, g.Revision, "不符合共享条件")
		}
		if err := s.ApproveGrant(ctx, approver, g.ID, g.Revision, "同意"); err != nil {
			return err
		}
		if j.c.end == "revoked" {
			g, err = s.View().Grant(g.ID)
			if err != nil {
				return err
			}
			return s.RevokeGrant(ctx, j.grantee, g.ID, g.Revision, "不再需要")
		}
		return nil
	})
	never := entries[ShareNotShared]
	never.ShareType, never.ShareCondition, never.SharingBasis = ShareNotShared, "", "《数据安全法》第二十一条"
	require.NoError(t, s.PutEntry(ctx, never))

	now := t0.Add(2 * time.Hour) // the expired grants ended an hour ago
	v := s.View()
	checked := map[string]int{}
	for _, cl := range cells {
		for _, share := range shares {
			e, err := v.Entry(entries[share].ResourceCode)
			require.NoError(t, err)
			require.Equal(t, share, e.ShareType)
			a := v.Decide(cl.p, e, now)
			name := fmt.Sprintf("%s on %s", cl.p.ID, share)
			read, aggOnly, minGroup, items := expectAccess(cl.p.Role, cl.ownDept, share, cl.c)
			require.True(t, a.Exists, name)
			assert.Equal(t, read, a.Read, name+": Read")
			assert.Equal(t, aggOnly, a.AggregatesOnly, name+": AggregatesOnly")
			assert.Equal(t, minGroup, a.MinGroupSize, name+": MinGroupSize")
			assert.Equal(t, items, a.Items, name+": items")
			// District scope holds on top of every grant; loading is the role's alone.
			assert.Equal(t, cl.p.Role == RoleDistrict, a.Rows != nil, name+": row scope")
			assert.Equal(t, decideRole(cl.p, e).Load, a.Load, name+": load")
			if read {
				checked[share]++
			}
		}
	}
	// The matrix reaches every kind of answer.
	assert.Positive(t, checked[ShareConditional])
	assert.Positive(t, checked[ShareNotShared])
}

// parallel runs fn(0..n-1) on a few goroutines and fails the test with the first error.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%d: %w", i, err))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	require.Empty(t, errs)
}

// TestDecideCombinesGrants: of several applicable grants, rows grants win over aggregates ones,
// items are their union, and the minimum group is the largest of the aggregates ones.
func TestDecideCombinesGrants(t *testing.T) {
	e := grantEntry("000001", "combined", ShareConditional)
	p := &Principal{ID: "a", Role: RoleAnalyst, Clearance: schemas.Core, Department: "WATER_DIV"}
	rows := func(items ...string) *Grant { return &Grant{Mode: GrantRows, Items: items} }
	aggs := func(min int, items ...string) *Grant {
		return &Grant{Mode: GrantAggregates, MinGroupSize: min, Items: items}
	}
	visible := func(a Access) []string {
		var out []string
		for _, it := range a.Items {
			if it.Visible {
				out = append(out, it.Field)
			}
		}
		return out
	}
	for _, c := range []struct {
		name     string
		gs       []*Grant
		aggOnly  bool
		minGroup int
		visible  []string
	}{
		{"rows over aggregates", []*Grant{aggs(9), rows("pm25")}, false, 0, []string{"pm25"}},
		{"items of the rows grants together", []*Grant{rows("pm25"), rows("district"), aggs(0)}, false, 0, []string{"district", "pm25"}},
		{"one grant of every item", []*Grant{rows("pm25"), rows()}, false, 0, []string{"district", "pm25", "phone"}},
		{"largest group", []*Grant{aggs(7, "pm25"), aggs(12, "district")}, true, 12, []string{"district", "pm25"}},
		{"default group", []*Grant{aggs(0)}, true, MinGroupAggregatesOnly, []string{"district", "pm25", "phone"}},
	} {
		a := applySharing(decideRole(p, e), p, e, c.gs)
		assert.True(t, a.Read, c.name)
		assert.Equal(t, c.aggOnly, a.AggregatesOnly, c.name)
		assert.Equal(t, c.minGroup, a.MinGroupSize, c.name)
		assert.Equal(t, c.visible, visible(a), c.name)
	}
}

// TestGrantNeverOutranksClearance: an approved grant on an entry regraded above the grantee's
// clearance opens nothing; the entry does not exist for it at all.
func TestGrantNeverOutranksClearance(t *testing.T) {
	ctx := context.Background()
	s, clock := newGrantStore(t)
	g, err := s.RequestGrant(ctx, gAnalyst, request(clock))
	require.NoError(t, err)
	require.NoError(t, s.ApproveGrant(ctx, gReviewer, g.ID, g.Revision, ""))
	e, err := s.View().Entry(gCond)
	require.NoError(t, err)
	require.True(t, s.View().Decide(gAnalyst, e, clock.Now()).Read)

	setItem(e, 1, func(it *Item) { it.Grade = schemas.Important })
	require.NoError(t, s.PutEntry(ctx, e))
	e, err = s.View().Entry(gCond)
	require.NoError(t, err)
	assert.Equal(t, Access{}, s.View().Decide(gAnalyst, e, clock.Now()))
	_, _, err = s.View().EntryFor(gAnalyst, gCond, clock.Now())
	require.ErrorIs(t, err, ErrNotFound)
	assert.Empty(t, s.View().Grants(gAnalyst, GrantFilter{}), "nor is its grant listed to it")
}
