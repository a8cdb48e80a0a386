package catalog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// The random commands of TestCollectionFigureCellsAgainstTheWalk.

// step runs one random operation and returns its name.
func (r *figureRun) step() string {
	t := r.t
	t.Helper()
	ops := []struct {
		name   string
		weight int
		run    func() error
	}{
		{"put", 6, r.put},
		{"create", 4, r.create},
		{"edit", 6, r.edit},
		{"retire", 2, r.retire},
		{"restore", 3, r.restore},
		{"grade", 2, r.grade},
		{"status", 2, r.status},
		{"load", 8, r.load},
		{"fail", 3, r.fail},
		{"begin", 2, r.begin},
		{"clock", 4, func() error { r.clock.Advance(time.Duration(1+r.rng.IntN(72)) * time.Hour); return nil }},
		{"crash", 1, r.crash},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	n := r.rng.IntN(total)
	for _, o := range ops {
		if n -= o.weight; n >= 0 {
			continue
		}
		err := o.run()
		if err == nil {
			r.ok[o.name]++
			return o.name
		}
		// A command may be refused (the random entry breaks a rule); it must be a refusal, and
		// never a fault of the cells.
		require.NotContains(t, err.Error(), "figure cell", o.name)
		require.True(t, errors.Is(err, schemas.ErrInvalid) || errors.Is(err, schemas.ErrConflict) ||
			errors.Is(err, schemas.ErrForbidden) || errors.Is(err, schemas.ErrNotFound), "%s: %v", o.name, err)
		return o.name + " (refused)"
	}
	panic("unreachable")
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// vary sets the fields the figure and the access decision look at: each mostly to a common
// value, so that cells hold many entries and their trees grow, sometimes to another.
func (r *figureRun) vary(e *Entry) {
	rng := r.rng
	often := func() bool { return rng.IntN(10) != 0 }
	e.District = schemas.CityCode
	if !often() {
		e.District = pick(rng, "500101", "500102", "500103")
	}
	e.Department = "AIR_DIV"
	if !often() {
		e.Department = "WATER_DIV"
	}
	e.SourceKind = "LOCAL_SYSTEM"
	if !often() {
		e.SourceKind = pick(rng, "ONLINE_MONITORING", "DISTRICT_SUBMISSION")
	}
	e.UpdateCycle = schemas.Daily
	if !often() {
		e.UpdateCycle = pick(rng, schemas.Weekly, schemas.Monthly, schemas.Irregular, schemas.Realtime)
	}
	e.Domains = []string{"AIR"}
	if !often() {
		domains := []string{"WATER", "AIR", "SOIL", "WASTE"}
		rng.Shuffle(len(domains), func(i, j int) { domains[i], domains[j] = domains[j], domains[i] })
		e.Domains = domains[:1+rng.IntN(3)] // in any order: the cell sorts them
	}
	items := e.Items.Slice()
	for i := range items {
		items[i].Grade = schemas.General1
		if rng.IntN(8) == 0 {
			items[i].Grade = pick(rng, schemas.General2, schemas.General3, schemas.General4, schemas.Important, schemas.Core)
		}
	}
	if rng.IntN(3) == 0 {
		items = append(items, Item{Name: fmt.Sprintf("指标%d", len(items)), Field: fmt.Sprintf("x%d", rng.IntN(1000)), Type: schemas.Float, Grade: schemas.General1})
	} else if len(items) > 2 && rng.IntN(3) == 0 {
		items = items[:len(items)-1]
	}
	e.Items = ItemsOf(items...)
	e.GradeOverride = ""
	if rng.IntN(8) == 0 {
		e.GradeOverride = pick(rng, schemas.General2, schemas.General4)
	}
	e.Secret = rng.IntN(12) == 0
	e.Exempt, e.ExemptReason = false, ""
	if rng.IntN(12) == 0 {
		e.Exempt, e.ExemptReason = true, "数据由国家平台直接归集"
	}
	// Narrow sharing with a basis, so that any grade may be published.
	e.ShareType, e.OpenType, e.SharingBasis = ShareNotShared, openNever, "《数据安全法》第二十一条"
}

func (r *figureRun) put() error {
	var e *Entry
	if len(r.codes) > 0 && r.rng.IntN(2) == 0 {
		cur, err := r.s.View().Entry(pick(r.rng, r.codes...))
		require.NoError(r.t, err)
		e = cur
	} else {
		n := len(r.codes) + 1
		e = validEntry(fmt.Sprintf("%06d", 500000+n), fmt.Sprintf("t_fig_%d", n))
	}
	r.vary(e)
	e.Status = pick(r.rng, StatusPublished, StatusPublished, StatusPublished, StatusPublished, StatusDraft, StatusRetired)
	err := r.s.PutEntry(context.Background(), e)
	if err == nil && !slices.Contains(r.codes, e.ResourceCode) {
		r.codes = append(r.codes, e.ResourceCode)
	}
	return err
}

func (r *figureRun) base(code string) uint64 {
	v := r.s.View()
	e, err := v.Entry(code)
	require.NoError(r.t, err)
	c, _ := v.Change(code)
	return Revision(e, c)
}

// publish submits and approves the working version of code.
func (r *figureRun) publish(code string) error {
	ctx := context.Background()
	if err := r.s.SubmitEntry(ctx, figAdmin, code, r.base(code), "请审核"); err != nil {
		return err
	}
	if err := r.s.ApproveEntry(ctx, figReviewer, code, r.base(code), "同意"); err != nil {
		return err
	}
	r.ok["publish"]++
	return nil
}

func (r *figureRun) create() error {
	e := validEntry("000000", "")
	e.ResourceCode, e.Table = "", ""
	r.vary(e)
	created, err := r.s.CreateEntry(context.Background(), figAdmin, e, "登记")
	if err != nil {
		return err
	}
	r.codes = append(r.codes, created.ResourceCode)
	if r.rng.IntN(4) == 0 {
		return nil // stays a draft
	}
	return r.publish(created.ResourceCode)
}

// edit changes the working version of an entry and, mostly, has it approved.
func (r *figureRun) edit() error {
	if len(r.codes) == 0 {
		return nil
	}
	code := pick(r.rng, r.codes...)
	v := r.s.View()
	e, err := v.Entry(code)
	require.NoError(r.t, err)
	if c, err := v.Change(code); err == nil {
		e = c.Proposed.Copy()
	}
	r.vary(e)
	if err := r.s.EditEntry(context.Background(), figAdmin, e, r.base(code), "修改"); err != nil {
		return err
	}
	if r.rng.IntN(4) == 0 {
		return nil
	}
	return r.publish(code)
}

func (r *figureRun) retire() error {
	if len(r.codes) == 0 {
		return nil
	}
	code := pick(r.rng, r.codes...)
	return r.s.RetireEntry(context.Background(), figAdmin, code, r.base(code), "停止更新")
}

func (r *figureRun) restore() error {
	if len(r.codes) == 0 {
		return nil
	}
	code := pick(r.rng, r.codes...)
	if err := r.s.RestoreEntry(context.Background(), figAdmin, code, r.base(code), "恢复"); err != nil {
		return err
	}
	if e, _ := r.s.View().Entry(code); e.Status == StatusPendingReview {
		return r.s.ApproveEntry(context.Background(), figReviewer, code, r.base(code), "同意")
	}
	return nil
}

// grade raises an item's grade, which takes effect at once on a published entry.
func (r *figureRun) grade() error {
	if len(r.codes) == 0 {
		return nil
	}
	code := pick(r.rng, r.codes...)
	e, err := r.s.View().Entry(code)
	require.NoError(r.t, err)
	it := e.Items.Slice()[r.rng.IntN(e.Items.Len())]
	_, err = r.s.GradeEntry(context.Background(), figAdmin, Grading{Code: code, Base: r.base(code),
		Items: map[string]schemas.Grade{it.Field: pick(r.rng, schemas.General3, schemas.Important, schemas.Core)}, Reason: "升级"})
	return err
}

func (r *figureRun) status() error {
	if len(r.codes) == 0 {
		return nil
	}
	return r.s.SetEntryStatus(context.Background(), pick(r.rng, r.codes...), pick(r.rng, StatusPublished, StatusRetired, StatusDraft))
}

func (r *figureRun) runID() string {
	r.runs++
	return fmt.Sprintf("fig-run-%d", r.runs)
}

// load commits a snapshot committed up to ten days ago (or, rarely, later than an earlier one).
func (r *figureRun) load() error {
	if len(r.codes) == 0 {
		return nil
	}
	ctx := context.Background()
	code := pick(r.rng, r.codes...)
	e, err := r.s.View().Entry(code)
	require.NoError(r.t, err)
	id := r.runID()
	if err := r.s.BeginRun(ctx, Run{ID: id, Entry: code, Status: RunRunning, District: e.District}); err != nil {
		return err
	}
	at := r.clock.Now().Add(-time.Duration(r.rng.IntN(10*24*60)) * time.Minute)
	return r.s.CommitSnapshot(ctx, Snapshot{ID: "snap-" + id, Entry: code, Parent: e.CurrentSnapshot, ManifestKey: "m/" + id, CommittedAt: at},
		Run{ID: id, Status: RunSucceeded}, e.CurrentSnapshot)
}

func (r *figureRun) fail() error {
	if len(r.codes) == 0 {
		return nil
	}
	ctx := context.Background()
	id := r.runID()
	district := pick(r.rng, schemas.CityCode, "500101", "500103")
	if err := r.s.BeginRun(ctx, Run{ID: id, Entry: pick(r.rng, r.codes...), Status: RunRunning, District: district}); err != nil {
		return err
	}
	return r.s.FailRun(ctx, Run{ID: id, Error: pick(r.rng, "连接超时", "文件缺少表头", "")})
}

// begin starts a run left running: the newest run is then not a failed one.
func (r *figureRun) begin() error {
	if len(r.codes) == 0 {
		return nil
	}
	return r.s.BeginRun(context.Background(), Run{ID: r.runID(), Entry: pick(r.rng, r.codes...), Status: RunRunning})
}

// crash drops the store without a checkpoint and opens it again, and goes on from the restored
// cells.
func (r *figureRun) crash() error {
	r.s.crash()
	r.s = openTest(r.t, r.cfg)
	return nil
}
