package ingest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cqeco/ecolake/catalog"
)

// derivedLane is the scheduler's lane for derived entries: at each tick, unless its last sweep
// is still going, one goroutine materialises the stale entries (Service.StaleDerived) one at a
// time, as the system (catalog.Operator, as for pulls). It takes no pull worker: a long
// transform never holds up a due pull. A failing entry is retried after the pulls' back-off
// (ScheduleConfig.RetryBase doubled per failure in a row, up to RetryMax); an entry refused
// before a run began waits RetryMax. The back-off holds for the transform and the input
// snapshots that failed: an edited SQL or a new input snapshot is tried at the next tick. It
// lives in memory: the failed runs are in the catalogue, and after a restart an entry is tried
// once more at once.
type derivedLane struct {
	mu      sync.Mutex
	running bool
	retry   map[string]derivedRetry
}

type derivedRetry struct {
	sig      string // the transform and inputs that failed (derivedSig)
	failures int
	at       time.Time // not before
}

// tickDerived starts a sweep of the stale derived entries unless one is running.
func (s *Scheduler) tickDerived(ctx context.Context) {
	l := &s.derived
	l.mu.Lock()
	if l.running || ctx.Err() != nil {
		l.mu.Unlock()
		return
	}
	l.running = true
	l.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			l.mu.Lock()
			l.running = false
			l.mu.Unlock()
		}()
		s.sweepDerived(ctx)
	}()
}

// sweepDerived materialises the stale derived entries that are due, in resource-code order. An
// entry with a stale input waits for it: it is materialised at a later tick, from the input's
// new snapshot, rather than now from the one about to be replaced.
func (s *Scheduler) sweepDerived(ctx context.Context) {
	view := s.svc.cat.View()
	stale := s.svc.StaleDerived(view)
	for _, code := range stale {
		if ctx.Err() != nil {
			return
		}
		e, err := view.Entry(code)
		if err != nil || slices.ContainsFunc(e.Transform.Inputs, func(in string) bool { _, ok := slices.BinarySearch(stale, in); return ok }) {
			continue
		}
		sig := derivedSig(view, e)
		if !s.derived.due(code, sig, s.svc.now()) {
			continue
		}
		res, err := s.svc.Materialise(ctx, catalog.Operator(), code)
		log := s.log.With("dataset", code)
		switch {
		case err != nil && res == nil:
			log.Warn("scheduled materialisation not started", "err", err)
			s.derived.hold(code, sig, s.svc.now(), func(int) time.Duration { return s.cfg.RetryMax })
		case err != nil:
			log.Warn("scheduled materialisation failed", "run", res.Run.ID, "err", strings.TrimSpace(res.Run.Error))
			s.derived.hold(code, sig, s.svc.now(), s.cfg.backoff)
		default:
			s.derived.succeeded(code)
			log.Info("scheduled materialisation", "run", res.Run.ID, "status", res.Run.Status, "accepted", res.Run.RowsAccepted)
		}
	}
}

// derivedSig names what a materialisation of e would run: its transform and its inputs' current
// snapshots.
func derivedSig(v *catalog.View, e *catalog.Entry) string {
	var b strings.Builder
	b.WriteString(e.Transform.Fingerprint())
	ins, _ := currentInputs(v, e.Transform)
	for _, in := range ins {
		b.WriteString(" " + in.Entry + "@" + in.Snapshot)
	}
	return b.String()
}

// due reports whether code may be tried at now: not held back, or held for another sig.
func (l *derivedLane) due(code, sig string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.retry[code]
	return !ok || r.sig != sig || !now.Before(r.at)
}

// hold counts a failure of code with sig and holds it back until now plus the wait for its
// failures in a row (counted afresh for another sig).
func (l *derivedLane) hold(code, sig string, now time.Time, wait func(failures int) time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.retry == nil {
		l.retry = map[string]derivedRetry{}
	}
	r := l.retry[code]
	if r.sig != sig {
		r = derivedRetry{sig: sig}
	}
	r.failures++
	r.at = now.Add(wait(r.failures))
	l.retry[code] = r
}

func (l *derivedLane) succeeded(code string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.retry, code)
}
