package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
)

// The daily history of the management figures (catalog/figure_history.go) is kept by the
// service: shortly after each midnight in Chongqing it takes the day that ended; at start it
// catches up on the days it missed, back-filling them from the runs' history, and on the first
// start back-fills up to BackfillDays before today. Days before anything was due are not kept,
// nor days that ended before the catalogue purged the record of loads (catalog/history_purge.go).

// figureRecorder takes the figures' days.
type figureRecorder struct {
	cat          *catalog.Store
	log          *slog.Logger
	clock        func() time.Time
	backfillDays int
	// used says when the scene accounts last queried in a period (from the audit); nil when no
	// audit is kept, and then no scene counts as in use.
	used func(from, to time.Time) catalog.SceneUse
}

// takeWindow is how soon after a day's end it is taken from the entries' current data; later,
// it is back-filled from the runs' history.
const takeWindow = time.Hour

// dayStart is the start of the Chongqing day holding t.
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(audit.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, audit.Zone)
}

// catchUp records every day not kept yet, from the first kept (or BackfillDays before today on
// the first start) to yesterday, and returns how many it recorded.
func (r *figureRecorder) catchUp(ctx context.Context) (int, error) {
	now := r.clock()
	today := dayStart(now)
	start := today.AddDate(0, 0, -r.backfillDays)
	if first := r.cat.View().FirstFigureDay(); first != "" {
		if t, err := time.ParseInLocation("2006-01-02", first, audit.Zone); err == nil && t.After(start) {
			start = t
		}
	}
	n := 0
	for d := start; d.Before(today); d = d.AddDate(0, 0, 1) {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		day := d.Format("2006-01-02")
		v := r.cat.View()
		if v.HasFigures(day) {
			continue
		}
		end := d.AddDate(0, 0, 1).Add(-time.Nanosecond)
		var used catalog.SceneUse
		if r.used != nil {
			used = r.used(end.AddDate(0, 0, -catalog.InUseDays), end)
		}
		var fd *catalog.FigureDay
		var detail *catalog.FigureDayDetail
		if now.Sub(end) <= takeWindow {
			fd, detail = v.TakeFigures(day, end, used)
		} else if fd, detail = v.BackfillFigures(day, end, used); fd == nil {
			continue // before the history purge's horizon: the day cannot be rebuilt
		}
		if top := fd.Views[len(fd.Views)-1]; top.Collection.Denominator == 0 && v.FirstFigureDay() == "" {
			continue // nothing was due yet: no history to keep
		}
		if err := r.cat.RecordFigures(ctx, fd, detail); err != nil && !errors.Is(err, catalog.ErrConflict) {
			return n, err
		}
		n++
	}
	return n, nil
}

// run catches up now and then after every midnight, until ctx ends.
func (r *figureRecorder) run(ctx context.Context) {
	for {
		start := time.Now()
		n, err := r.catchUp(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.Error("figures history", "err", err)
		case n > 0:
			r.log.Info("figures history recorded", "days", n, "took", time.Since(start).Round(time.Millisecond))
		}
		next := dayStart(r.clock()).AddDate(0, 0, 1).Add(time.Minute)
		wait := time.Until(next)
		if err != nil && ctx.Err() == nil {
			wait = min(wait, 10*time.Minute) // a failed write is tried again soon
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// figureBackfillDays is how many days before the first start the history is back-filled.
const figureBackfillDays = 90

// figureRecorder is the service's recorder of the figures' days.
func (a *App) figureRecorder(log *slog.Logger) *figureRecorder {
	r := &figureRecorder{cat: a.Cat, log: log, clock: time.Now, backfillDays: figureBackfillDays}
	if a.Audit != nil {
		r.used = func(from, to time.Time) catalog.SceneUse {
			u, err := a.Audit.ScenesUsed(from, to)
			if err != nil {
				log.Warn("figures history: scenes in use", "err", err)
				return nil
			}
			if len(u.Incomplete) > 0 {
				log.Warn("figures history: the audit does not count every request of some days", "days", u.Incomplete)
			}
			return u.Last
		}
	}
	return r
}
