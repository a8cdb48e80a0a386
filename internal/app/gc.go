package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
)

// GCArgs are the arguments of `ecolake gc`; the rest is Config.GC.
type GCArgs struct {
	DryRun bool
}

// RunGC applies snapshot retention (catalog/retention.go) and removes the lake objects no kept
// snapshot, manifest or run references: the files of expired snapshots and the orphans a killed
// load or a lost compare-and-swap leaves behind. It holds the catalogue lock, so no load of this
// data directory and no read of its snapshots runs meanwhile; MinAge also protects loads of other
// writers of the same bucket.
func RunGC(ctx context.Context, cfg Config, args GCArgs, out io.Writer, log *slog.Logger) int {
	if err := cfg.GC.Validate(); err != nil {
		fmt.Fprintf(out, "错误: %v\n", err)
		return ExitFailed
	}
	a := openForCLI(ctx, cfg, out, log)
	if a == nil {
		return ExitFailed
	}
	defer a.Close()
	if cfg.GC.ReadDays > 0 {
		// The reads the audit holds pin their snapshots offline too. The serving process, which
		// writes the audit, cannot be running: it holds the catalogue lock.
		l, err := audit.Open(cfg.auditDir(), time.Duration(cfg.AuditRetentionDays)*24*time.Hour, nil)
		if err != nil {
			log.Error("gc: audit", "err", err)
			fmt.Fprintln(out, "错误: 无法读取查询审计记录, 不能确定近期读取过的快照, 未做任何清理（详情见日志）")
			return ExitFailed
		}
		defer l.Close()
		a.gc.reads = l.SnapshotReads()
	}
	res, err := a.collect(ctx, cfg.GC, time.Now(), args.DryRun)
	printGC(out, res, args.DryRun)
	if err != nil {
		log.Error("gc", "err", api.Detail(err))
		fmt.Fprintf(out, "错误: %s（详情见日志）\n", gcFailure(res, err))
		return ExitFailed
	}
	return ExitOK
}

// gcFailure says in Chinese which step of a collection failed.
func gcFailure(res gcResult, err error) string {
	switch res.step {
	case stepReads:
		return "无法读取查询审计记录, 不能确定近期读取过的快照, 未做任何清理"
	case stepExpire:
		return "快照过期失败: " + api.Message(err)
	case stepPurge:
		return "历史记录清理失败: " + api.Message(err)
	case stepLive:
		return "无法确定仍被引用的文件, 未删除任何文件"
	}
	return "清理无引用文件失败: " + api.Message(err)
}

// printGC writes what a collection did (or, in a dry run, would do).
func printGC(out io.Writer, res gcResult, dryRun bool) {
	if res.step <= stepReads {
		return
	}
	p := res.plan
	if p.Entries == 0 {
		fmt.Fprintln(out, "快照保留: 没有目录设置保留策略 (--retain-snapshots / --retain-days), 保留全部快照")
	} else {
		verb := "过期"
		if dryRun {
			verb = "将过期 (试运行)"
		}
		fmt.Fprintf(out, "快照保留: 检查 %d 个目录的 %d 个快照, %s %d 个, 因血缘或近期查询而保留 %d 个\n",
			p.Entries, p.Snapshots, verb, len(p.Expire), p.Pinned)
		for _, e := range p.Expire {
			fmt.Fprintf(out, "  %s 快照 %s (%s 入库, %s 被替换, %d 行)\n", e.Entry, e.Snapshot,
				e.CommittedAt.In(audit.Zone).Format("2006-01-02 15:04"), e.SupersededAt.In(audit.Zone).Format("2006-01-02 15:04"), e.Rows)
		}
	}
	if h := res.history; !h.Before.IsZero() {
		verb := "清理"
		if dryRun {
			verb = "将清理 (试运行)"
		}
		fmt.Fprintf(out, "历史记录: %s %s 之前的 %d 个目录的 %d 个已过期快照记录和 %d 个运行记录\n", verb,
			h.Before.In(audit.Zone).Format("2006-01-02"), h.Entries, len(h.Snapshots), len(h.Runs))
	}
	if res.step <= stepLive {
		return
	}
	verb := "删除"
	if dryRun {
		verb = "将删除 (试运行)"
	}
	l := res.lake
	fmt.Fprintf(out, "扫描 %d 个对象: 仍被引用 %d 个, 新近写入而保留 %d 个, %s无引用文件 %d 个 (%.1f MB)\n",
		l.Scanned, l.Live, l.Young, verb, len(l.Deleted), float64(l.Bytes)/1e6)
	for _, k := range l.Deleted {
		fmt.Fprintln(out, "  "+k)
	}
}

// Steps of a collection, in order: how far one went.
const (
	stepReads  = iota // reading the audit's recent reads
	stepExpire        // expiring snapshots
	stepPurge         // purging the record of past loads
	stepLive          // listing the lake and what is live
	stepDelete        // deleting
	stepDone
)

// gcResult is what one collection did, and how far it went.
type gcResult struct {
	step    int
	plan    catalog.RetentionPlan
	history catalog.HistoryPlan  // the records due for purging; Before zero when they are kept for ever
	purged  catalog.HistoryPurge // the records purged
	lake    lake.GCResult
	read    int64 // audit bytes read
	// postponed: a backup was copying, so nothing was deleted (the expiry went on)
	postponed bool
	taken     time.Duration
}

// collect is one collection at now: the retention plan (past the snapshots lineage or a recent
// read pins), the expiry, then the objects nothing live references, older than MinAge. One runs
// at a time. Inside serve, the files of a snapshot this process expired stay for MinAge more, for
// the reads and derived runs that had begun on it; a new process has none under way.
func (a *App) collect(ctx context.Context, gc GCConfig, now time.Time, dryRun bool) (gcResult, error) {
	a.gc.mu.Lock()
	defer a.gc.mu.Unlock()
	if a.gc.graced == nil {
		a.gc.graced = map[string]time.Time{}
	}
	start := time.Now()
	var res gcResult
	defer func() { res.taken = time.Since(start) }()
	var pinned map[string]time.Time
	if a.gc.reads != nil && gc.ReadDays > 0 {
		var err error
		if pinned, res.read, err = a.gc.reads.Since(ctx, now.AddDate(0, 0, -gc.ReadDays)); err != nil {
			return res, fmt.Errorf("recent reads: %w", err)
		}
	}
	res.step = stepExpire
	res.plan = a.Cat.View().PlanRetention(gc.Retention, now, func(id string) bool { _, ok := pinned[id]; return ok })
	ids := make([]string, len(res.plan.Expire))
	for i, e := range res.plan.Expire {
		ids[i] = e.Snapshot
	}
	expiring := map[string]bool{}
	if dryRun {
		for _, id := range ids {
			expiring[id] = true
		}
	} else {
		n, err := a.Cat.ExpireSnapshots(ctx, ids)
		for _, id := range ids[:n] {
			a.gc.graced[id] = now
		}
		if err != nil {
			res.plan.Expire = res.plan.Expire[:n]
			return res, fmt.Errorf("expire snapshots: %w", err)
		}
	}
	for id, at := range a.gc.graced {
		if now.Sub(at) >= gc.MinAge {
			delete(a.gc.graced, id)
		}
	}
	if gc.HistoryDays > 0 {
		// Before the lake is listed: the rejected-rows files of the runs purged are then no
		// longer referenced.
		res.step = stepPurge
		res.history = a.Cat.View().PlanHistoryPurge(now.AddDate(0, 0, -gc.HistoryDays))
		if !dryRun {
			var err error
			if res.purged, err = a.Cat.PurgePlanned(ctx, res.history); err != nil {
				return res, fmt.Errorf("purge history: %w", err)
			}
		}
	}
	if a.gc.holds.Load() > 0 {
		// A backup of this service is copying the files of its checkpoint: deleting waits for
		// the next collection. A backup that begins after this check lists only snapshots
		// live in a later view than the one deletions are judged by.
		res.postponed = true
		res.step = stepDone
		return res, nil
	}
	res.step = stepLive
	if !dryRun && len(ids) > 0 {
		// The Iceberg catalogue serves metadata without the expired snapshots before their files go.
		codes := make([]string, len(res.plan.Expire))
		for i, e := range res.plan.Expire {
			codes[i] = e.Entry
		}
		if err := a.publishIceberg(ctx, a.Cat.View(), codes); err != nil {
			return res, err
		}
	}
	live := func(s *catalog.Snapshot) bool {
		if expiring[s.ID] {
			return false
		}
		_, graced := a.gc.graced[s.ID]
		return !s.Expired() || graced
	}
	var err error
	res.lake, err = lake.CollectListed(ctx, a.Bucket, "tables/", func(ctx context.Context) (func(string) bool, error) {
		v := a.Cat.View()
		keys, err := a.liveKeys(ctx, v, live)
		if err != nil {
			return nil, err
		}
		ice := icebergLive(v, live)
		res.step = stepDelete
		return func(k string) bool { return keys[k] || ice(k) }, nil
	}, now.Add(-gc.MinAge), dryRun)
	if err != nil {
		return res, err
	}
	res.step = stepDone
	return res, nil
}

// liveKeys lists every object the catalogue still references: the manifest and data files of
// each snapshot live says is kept, and each run's rejected-rows file (the Iceberg metadata is
// judged by its keys, icebergLive). Any manifest that cannot be read is an error, so that nothing
// is deleted on a partial picture.
//
// A province keeps hundreds of thousands of snapshots, one manifest each: on S3 each read is a
// round trip, so they are read by manifestReaders goroutines at once rather than one after
// another (0.8–1.0 ms each on a MinIO on loopback: 100,000 manifests take over a minute and a
// half in turn, 2.5 times less with 16; BenchmarkLiveKeysMinIO).
func (a *App) liveKeys(ctx context.Context, v *catalog.View, live func(*catalog.Snapshot) bool) (map[string]bool, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	keys := map[string]bool{}
	var mu sync.Mutex // keys, while the readers run
	todo := make(chan *catalog.Snapshot)
	var wg sync.WaitGroup
	for range manifestReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range todo {
				m, err := lake.ReadManifest(ctx, a.Bucket, s.ManifestKey)
				if err != nil {
					cancel(fmt.Errorf("snapshot %s of %s: %w", s.ID, s.Entry, err))
					continue // drain: the sender stops at the cancellation
				}
				mu.Lock()
				keys[s.ManifestKey] = true
				for _, f := range m.Files {
					keys[f.Key] = true
				}
				mu.Unlock()
			}
		}()
	}
	var rejected []string
send:
	for _, e := range v.Entries() {
		for _, s := range v.Snapshots(e.ResourceCode) {
			if !live(s) {
				continue
			}
			select {
			case todo <- s:
			case <-ctx.Done():
				break send
			}
		}
		for _, r := range v.Runs(e.ResourceCode) {
			if r.RejectedKey != "" {
				rejected = append(rejected, r.RejectedKey)
			}
		}
	}
	close(todo)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	for _, k := range rejected {
		keys[k] = true
	}
	return keys, nil
}

// manifestReaders is how many manifests liveKeys reads at once (a variable for the benchmark).
var manifestReaders = 16

// GCConfig is how the lake is collected: snapshot retention first, then the objects nothing
// kept references.
type GCConfig struct {
	// Interval is how often `serve` collects, the first time soon after it starts; 0 never
	// (then `ecolake gc` does it by hand).
	Interval time.Duration
	// MinAge keeps unreferenced objects younger than this (loads in flight), and, inside serve,
	// the files of snapshots expired less than this ago (reads begun on them).
	MinAge time.Duration
	// Retention is the default of entries that set none of their own; zero keeps every snapshot.
	Retention catalog.Retention
	// ReadDays keeps the snapshots the audit shows were read within this many days, so that a
	// read under investigation can be repeated on its data; 0 pins none.
	ReadDays int
	// HistoryDays keeps the catalogue's record of past loads (expired snapshots, runs) for this
	// many days (catalog/history_purge.go); 0 keeps it for ever.
	HistoryDays int
}

// DefaultHistoryDays keeps the record of past loads for about thirteen months: a year's
// figures can be compared with the year before's, and the catalogue's memory stays bounded
// however long the service runs.
const DefaultHistoryDays = 400

// DefaultGCConfig collects daily, keeps every snapshot unless an entry or the operator sets a
// retention, pins what was read in the last week and keeps the record of past loads for
// DefaultHistoryDays.
func DefaultGCConfig() GCConfig {
	return GCConfig{Interval: 24 * time.Hour, MinAge: time.Hour, ReadDays: 7, HistoryDays: DefaultHistoryDays}
}

// Validate checks c, in Chinese: its errors reach the operator as they are.
func (c GCConfig) Validate() error {
	var errs []error
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("清理间隔 %s 不能为负数 (0 为不自动清理)", c.Interval))
	} else if c.Interval > 0 && c.Interval < time.Minute {
		errs = append(errs, fmt.Errorf("清理间隔 %s 太短, 至少 1m", c.Interval))
	}
	if c.MinAge < 0 {
		errs = append(errs, fmt.Errorf("--min-age %s 不能为负数", c.MinAge))
	}
	if c.ReadDays < 0 {
		errs = append(errs, fmt.Errorf("近期查询保留天数 %d 不能为负数", c.ReadDays))
	}
	if c.HistoryDays < 0 || c.HistoryDays > catalog.MaxRetainDays {
		errs = append(errs, fmt.Errorf("历史记录保留天数 %d 应在 0 到 %d 之间 (0 为永久保留)", c.HistoryDays, catalog.MaxRetainDays))
	}
	if err := c.Retention.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
