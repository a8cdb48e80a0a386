package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/internal/api"
)

// Scheduled collection inside serve: every Config.GC.Interval (the first soon after start, so
// that a service restarted more often than its interval still collects), never two at once,
// stopped with the service before the catalogue closes. Each result is logged and kept for
// LastGC, which the metrics read.

// gcFirstDelay is how long after start the first scheduled collection runs, at most.
const gcFirstDelay = 10 * time.Minute

// GCStatus is the result of the last collection.
type GCStatus struct {
	Started   time.Time // zero when none has run
	Took      time.Duration
	Expired   int   // snapshots retention expired
	Pinned    int   // snapshots past their retention kept because lineage or a recent read pins them
	Scanned   int   // lake objects listed
	Deleted   int   // objects removed
	Bytes     int64 // their size
	Young     int   // unreferenced objects kept because they are newer than MinAge
	Err       error // why it stopped short; nil when it completed
	Postponed bool  // deletions were left to the next collection: a backup was copying
	AuditRead int64 // audit bytes read to find the recent reads
	Purged    int   // records of past loads purged (catalog/history_purge.go): snapshots and runs
}

// gcState is the App's collection state.
type gcState struct {
	mu     sync.Mutex           // one collection at a time; guards graced and reads
	graced map[string]time.Time // snapshots this process expired, with when
	reads  *audit.SnapshotReads // nil without an audit
	lastMu sync.Mutex           // guards last
	last   GCStatus
	holds  atomic.Int32 // backups under way: the lake's deletions wait for them (holdGC)
}

// holdGC postpones the deletions of collections until release is called; the expiry of
// snapshots goes on (it only marks them).
func (a *App) holdGC() (release func()) {
	a.gc.holds.Add(1)
	var once sync.Once
	return func() { once.Do(func() { a.gc.holds.Add(-1) }) }
}

// LastGC returns the result of the last scheduled collection (zero Started when none has run).
func (a *App) LastGC() GCStatus {
	a.gc.lastMu.Lock()
	defer a.gc.lastMu.Unlock()
	return a.gc.last
}

// gcSchedule runs the collections of one serving process.
type gcSchedule struct {
	a     *App
	cfg   GCConfig
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// startGC starts the scheduled collection of the App's configuration (none when its interval is
// 0) and returns what stops it: it ends the collection under way and waits for it.
func (a *App) startGC(ctx context.Context) (stop func()) {
	return a.startGCWith(ctx, gcSchedule{a: a, cfg: a.cfg.GC, now: time.Now, after: time.After})
}

func (a *App) startGCWith(ctx context.Context, s gcSchedule) (stop func()) {
	if s.cfg.Interval <= 0 {
		return func() {}
	}
	if a.Audit != nil {
		a.gc.mu.Lock()
		a.gc.reads = a.Audit.SnapshotReads()
		a.gc.mu.Unlock()
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.run(ctx) }()
	return func() { cancel(); <-done }
}

func (s gcSchedule) run(ctx context.Context) {
	wait := min(s.cfg.Interval, gcFirstDelay)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.after(wait):
		}
		s.once(ctx)
		wait = s.cfg.Interval
	}
}

// once runs one collection and records its result.
func (s gcSchedule) once(ctx context.Context) {
	now := s.now()
	res, err := s.a.collect(ctx, s.cfg, now, false)
	st := GCStatus{Started: now, Took: res.taken, Expired: len(res.plan.Expire), Pinned: res.plan.Pinned,
		Scanned: res.lake.Scanned, Deleted: len(res.lake.Deleted), Bytes: res.lake.Bytes, Young: res.lake.Young,
		Err: err, AuditRead: res.read, Postponed: res.postponed, Purged: res.purged.Snapshots + res.purged.Runs}
	s.a.gc.lastMu.Lock()
	s.a.gc.last = st
	s.a.gc.lastMu.Unlock()
	attrs := []any{"expired", st.Expired, "pinned", st.Pinned, "scanned", st.Scanned, "deleted", st.Deleted,
		"bytes", st.Bytes, "young", st.Young, "audit_bytes", st.AuditRead, "took", st.Took, "postponed", st.Postponed, "purged", st.Purged}
	if err != nil {
		s.a.log.Error("gc", append(attrs, "err", api.Detail(err))...)
		return
	}
	s.a.log.Info("gc", attrs...)
}
