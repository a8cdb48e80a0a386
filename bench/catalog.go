package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// catalogProfile, when set, is where the CPU profile of each writing run goes (suffixed .Nw).
var catalogProfile string

// procsNote says how many Go processors the run has and why.
var procsNote string

// catalogMemProfile, when set, is where the start-up child writes a heap profile (suffixed .Nw).
var catalogMemProfile string

// catalogSlices is the number of equal slices the run is cut into to show that throughput stays
// flat as the directory grows.
const catalogSlices = 10

// loadEvery: one entry in loadEvery also gets a data load (a run and a committed snapshot), so
// that the collection figure has collected entries to find (-catalog-load-every: 1 loads every
// entry, a province past its 90% target).
var loadEvery = 10

// catalogBench writes n entries of 20 items through the directory workflow once per writer
// count, each in a fresh directory, and then starts a catalogue and a query service on the
// result in a child process (so that its memory is the start-up's alone, not what the writing
// left behind).
func catalogBench(ctx context.Context, dir string, n int, writers []int) error {
	for _, w := range writers {
		d := filepath.Join(dir, fmt.Sprintf("catalog-%dw", w))
		if _, err := os.Stat(d); err == nil {
			return fmt.Errorf("%s exists: the catalogue benchmark starts from an empty directory", d)
		}
		if err := writeEntries(ctx, d, n, w); err != nil {
			return err
		}
		if err := reopenChild(d, w, ""); err != nil {
			return err
		}
		if w == slices.Max(writers) {
			// Once more under the soft memory limit the README recommends at this size.
			if err := reopenChild(d, w, benchMemoryLimit); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchMemoryLimit is the GOMEMLIMIT a start-up is measured under a second time: what the README
// recommends for a province's 100,000 entries on two cores.
const benchMemoryLimit = "500MiB"

// inParallel calls fn(i) for every i in [0, n) on writers goroutines, each taking the next i, and
// returns the first error (a goroutine that meets one stops).
func inParallel(n, writers int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// benchActors are the accounts the workflow runs as: a steward per department (a steward edits
// only its own department's entries) and a reviewer, who may approve what it did not write.
type benchActors struct {
	stewards map[string]*catalog.Principal
	reviewer *catalog.Principal
}

func setUpActors(ctx context.Context, cat *catalog.Store) (*benchActors, error) {
	a := &benchActors{stewards: map[string]*catalog.Principal{}}
	for _, d := range benchDepartments {
		if err := cat.PutDepartment(ctx, catalog.Department{Code: d, Name: "处室" + d, Kind: "division"}); err != nil {
			return nil, err
		}
		p := catalog.Principal{ID: "steward-" + strings.ToLower(d), Name: "数据管理员" + d, Role: catalog.RoleSteward,
			Clearance: schemas.Core, Department: d}
		if err := cat.PutPrincipal(ctx, p); err != nil {
			return nil, err
		}
		a.stewards[d] = &p
	}
	r := catalog.Principal{ID: "reviewer", Name: "审核员", Role: catalog.RoleReviewer, Clearance: schemas.Core}
	if err := cat.PutPrincipal(ctx, r); err != nil {
		return nil, err
	}
	a.reviewer = &r
	return a, nil
}

// registerEntry takes entry i through the workflow as the stewards and reviewers do: create (a
// draft, its code generated), submit for review, approve; one in loadEvery is then loaded (a
// run and a snapshot). It returns the number of commands it made.
func registerEntry(ctx context.Context, cat *catalog.Store, a *benchActors, i int, cats []string, districts []schemas.District) (int, error) {
	e := benchEntry(i, cats, districts)
	st := a.stewards[e.Department]
	created, err := cat.CreateEntry(ctx, st, &e, "新增监测数据集")
	if err != nil {
		return 0, fmt.Errorf("create: %w", err)
	}
	code := created.ResourceCode
	if err := cat.SubmitEntry(ctx, st, code, created.Revision, ""); err != nil {
		return 1, fmt.Errorf("submit %s: %w", code, err)
	}
	sub, err := cat.View().Entry(code)
	if err != nil {
		return 2, err
	}
	if err := cat.ApproveEntry(ctx, a.reviewer, code, sub.Revision, "同意发布"); err != nil {
		return 2, fmt.Errorf("approve %s: %w", code, err)
	}
	if i%loadEvery != 0 {
		return 3, nil
	}
	run := catalog.Run{ID: fmt.Sprintf("run-%06d", i), Entry: code, Kind: "district_submission", Source: "bench.csv",
		District: e.District, Principal: st.ID, Status: catalog.RunRunning}
	if err := cat.BeginRun(ctx, run); err != nil {
		return 3, fmt.Errorf("begin run of %s: %w", code, err)
	}
	run.Status, run.RowsRead, run.RowsAccepted = catalog.RunSucceeded, 24, 24
	snap := catalog.Snapshot{ID: fmt.Sprintf("snap-%06d", i), Entry: code, Run: run.ID,
		ManifestKey: fmt.Sprintf("manifests/%06d.json", i), Rows: 24, Files: 1, Bytes: 4096, SchemaVersion: 1}
	if err := cat.CommitSnapshot(ctx, snap, run, ""); err != nil {
		return 4, fmt.Errorf("commit snapshot of %s: %w", code, err)
	}
	return 5, nil
}

func writeEntries(ctx context.Context, dir string, n, writers int) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := catalog.DefaultConfig()
	cfg.Dir = dir
	cat, err := catalog.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	actors, err := setUpActors(ctx, cat)
	if err != nil {
		cat.Close()
		return err
	}
	cats := fourDigitCategories()
	districts := schemas.AllDistricts()
	wcharBefore := procWritten()
	stopProfile := func() {}
	if catalogProfile != "" {
		// Where the writers wait as well as where they spend CPU: one contended lock section in
		// ten, and every block longer than 10 µs.
		runtime.SetMutexProfileFraction(10)
		runtime.SetBlockProfileRate(10000)
		if stopProfile, err = startCPUProfile(fmt.Sprintf("%s.%dw", catalogProfile, writers)); err != nil {
			cat.Close()
			return err
		}
	}

	type mark struct {
		at       time.Time
		commands int64
		stats    catalog.Stats
		cpu      time.Duration
		gcCPU    float64 // seconds of the collector's CPU (runtime/metrics)
	}
	marks := make([]mark, catalogSlices+1)
	per := max(n/catalogSlices, 1)
	var done, commands atomic.Int64
	start := time.Now()
	cpuBefore := processCPU()
	schedBefore := schedLatencies()
	marks[0] = mark{at: start, stats: cat.Stats(), cpu: cpuBefore, gcCPU: gcCPUSeconds()}
	var marksMu sync.Mutex
	werr := inParallel(n, writers, func(i int) error {
		k, err := registerEntry(ctx, cat, actors, i, cats, districts)
		c := commands.Add(int64(k))
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if d := done.Add(1); d%int64(per) == 0 && int(d/int64(per)) <= catalogSlices {
			marksMu.Lock()
			marks[d/int64(per)] = mark{at: time.Now(), commands: c, stats: cat.Stats(), cpu: processCPU(), gcCPU: gcCPUSeconds()}
			marksMu.Unlock()
		}
		return nil
	})
	total := time.Since(start)
	cpu := processCPU() - cpuBefore
	sched := schedQuantiles(schedBefore, schedLatencies(), 0.5, 0.9, 0.99)
	if catalogProfile != "" {
		stopProfile()
		runtime.SetMutexProfileFraction(0)
		runtime.SetBlockProfileRate(0)
		for _, kind := range []string{"mutex", "block"} {
			if err := writeProfile(fmt.Sprintf("%s.%dw.%s", catalogProfile, writers, kind), kind); err != nil {
				cat.Close()
				return err
			}
		}
	}
	if werr != nil {
		cat.Close()
		return werr
	}
	if catalogMemProfile != "" {
		// What the writing leaves live: the state built command by command, before a restart
		// rebuilds it compactly from the checkpoint.
		runtime.GC()
		if err := writeHeapProfile(fmt.Sprintf("%s.written.%dw", catalogMemProfile, writers)); err != nil {
			cat.Close()
			return err
		}
	}
	closeStart := time.Now()
	stats := cat.Stats()
	if err := cat.Close(); err != nil {
		return err
	}
	closeTime := time.Since(closeStart)
	final := cat.Stats()
	written := procWritten() - wcharBefore

	fmt.Printf("catalogue: %d entries × 20 items through the workflow (create, submit, approve; 1 in %d loaded), %d writer(s), %s\n",
		n, loadEvery, writers, procsNote)
	fmt.Printf("  total %.1f s, %d commands, %.0f commands/s, %.0f entries/s, %.1f commands/fsync, %.1f commands/transaction\n",
		total.Seconds(), commands.Load(), float64(commands.Load())/total.Seconds(), float64(n)/total.Seconds(),
		float64(stats.Commands)/float64(max(stats.Syncs, 1)), float64(stats.Commands)/float64(max(stats.Transactions, 1)))
	fmt.Printf("  journal: %d fsyncs, a write and fsync %.2f ms on average, %.0f%% of the run's time\n",
		stats.Syncs, float64(stats.SyncTime.Microseconds())/1e3/float64(max(stats.Syncs, 1)), 100*stats.SyncTime.Seconds()/total.Seconds())
	fmt.Printf("  CPU while writing: %.1f s user+system, %.2f of %d cores, %.0f µs per command (the bench's own command building included)\n",
		cpu.Seconds(), cpu.Seconds()/total.Seconds(), runtime.GOMAXPROCS(0), float64(cpu.Microseconds())/float64(max(commands.Load(), 1)))
	fmt.Printf("  waits for a processor (runnable to running): %s\n", sched)
	var rates, fsyncs, cpus, gcs, ckpts []string
	for i := 1; i <= catalogSlices; i++ {
		a, b := marks[i-1], marks[i]
		if b.at.IsZero() || a.at.IsZero() {
			continue
		}
		cmds := float64(max(b.commands-a.commands, 1))
		syncs := float64(max(b.stats.Syncs-a.stats.Syncs, 1))
		rates = append(rates, fmt.Sprintf("%.0f", cmds/b.at.Sub(a.at).Seconds()))
		fsyncs = append(fsyncs, fmt.Sprintf("%.2f", (b.stats.SyncTime-a.stats.SyncTime).Seconds()*1e3/syncs))
		cpus = append(cpus, fmt.Sprintf("%.0f", (b.cpu-a.cpu).Seconds()*1e6/cmds))
		gcs = append(gcs, fmt.Sprintf("%.0f", (b.gcCPU-a.gcCPU)*1e6/cmds))
		ckpts = append(ckpts, fmt.Sprintf("%d", b.stats.Checkpoints-a.stats.Checkpoints))
	}
	fmt.Printf("  commands/s per slice of %d entries: %s\n", per, strings.Join(rates, " "))
	fmt.Printf("    a write and fsync (ms): %s\n", strings.Join(fsyncs, " "))
	fmt.Printf("    CPU per command (µs), the collector's part, checkpoints installed: %s; %s; %s\n",
		strings.Join(cpus, " "), strings.Join(gcs, " "), strings.Join(ckpts, " "))
	if len(rates) == catalogSlices {
		fmt.Printf("  first slice: %s/s, last slice: %s/s\n", rates[0], rates[catalogSlices-1])
	}
	fmt.Printf("  checkpoints: %d while writing + %d at close (%.2f s), %.1f MB checkpoint bytes, %.1f MB journal bytes, %.1f MB written by the process\n",
		stats.Checkpoints, final.Checkpoints-stats.Checkpoints, closeTime.Seconds(),
		float64(final.CheckpointBytes)/1e6, float64(final.JournalBytes)/1e6, float64(written)/1e6)
	return nil
}

// reopenChild runs this program with -catalog-open on dir and relays its report; memLimit, when
// set, is the child's GOMEMLIMIT.
func reopenChild(dir string, writers int, memLimit string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-catalog-open", dir}
	if catalogMemProfile != "" && memLimit == "" {
		args = append(args, "-catalog-memprofile", fmt.Sprintf("%s.%dw", catalogMemProfile, writers))
	}
	if catalogProfile != "" && memLimit == "" {
		args = append(args, "-catalog-cpuprofile", fmt.Sprintf("%s.open.%dw", catalogProfile, writers))
	}
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if memLimit != "" {
		fmt.Printf("  the same start-up with GOMEMLIMIT=%s:\n", memLimit)
		cmd.Env = append(os.Environ(), "GOMEMLIMIT="+memLimit)
	}
	return cmd.Run()
}

var benchDepartments = []string{"AIR_DIV", "WATER_DIV", "SOIL_DIV", "WASTE_DIV", "CTR_MONITORING"}

// benchItemNames are the 信息项 of every generated entry: the common columns of a monitoring table
// followed by indicators.
var benchItemNames = [20][2]string{
	{"区县", "district_code"}, {"站点编码", "station_code"}, {"站点名称", "station_name"}, {"监测时间", "observed_at"},
	{"经度", "longitude"}, {"纬度", "latitude"}, {"统一社会信用代码", "credit_code"}, {"单位名称", "org_name"},
	{"PM2.5浓度", "pm25"}, {"PM10浓度", "pm10"}, {"臭氧", "o3"}, {"二氧化氮", "no2"}, {"二氧化硫", "so2"},
	{"一氧化碳", "co"}, {"空气质量指数", "aqi"}, {"化学需氧量", "cod"}, {"氨氮", "nh3n"}, {"总磷", "tp"},
	{"总氮", "tn"}, {"备注", "remark"},
}

// benchEntry is the draft a steward registers: no resource code (the catalogue generates it),
// no table name (derived from the code), sharing and opening left to the grade's defaults.
func benchEntry(i int, cats []string, districts []schemas.District) catalog.Entry {
	cat := cats[i%len(cats)]
	d := districts[i%len(districts)]
	name := fmt.Sprintf("%s生态环境监测数据集%06d", d.ShortName, i)
	items := make([]catalog.Item, len(benchItemNames))
	for j, nf := range benchItemNames {
		it := catalog.Item{Name: nf[0], Field: nf[1], Type: schemas.Float, Grade: schemas.General1,
			Description: fmt.Sprintf("%s中的%s", name, nf[0])}
		switch {
		case j == 0:
			it.Type, it.CodeList, it.Required, it.IsKey = schemas.String, "districts", true, true
		case j < 4 || j == 7 || j == 19:
			it.Type, it.Length = schemas.String, 64
		case j == 6:
			it.Type, it.Grade = schemas.String, schemas.General2
		}
		items[j] = it
	}
	return catalog.Entry{
		Name: name, CategoryCode: cat,
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: name + "，按日汇总。",
		FormatType: "DATABASE", Items: catalog.ItemsOf(items...), ShareMode: "TABLE", OpenCondition: "申请后开放",
		UpdateCycle: schemas.Daily, Department: benchDepartments[i%len(benchDepartments)], District: d.Code,
		SourceKind: "ONLINE_MONITORING", Domains: []string{"AIR"},
	}
}

func fourDigitCategories() []string {
	var out []string
	for _, c := range schemas.Categories.Codes() {
		if len(c.ID) == 4 {
			out = append(out, c.ID)
		}
	}
	return out
}

// procWritten returns the bytes this process has written (Linux /proc/self/io wchar), 0 elsewhere.
func procWritten() int64 { return procField("/proc/self/io", "wchar:") }

// procRSS returns the resident set size of this process (Linux /proc/self/status VmRSS), 0 elsewhere.
func procRSS() int64 { return procField("/proc/self/status", "VmRSS:") * 1024 }

// peakRSS returns the peak resident set size of this process since the last resetPeakRSS (Linux
// VmHWM), 0 elsewhere.
func peakRSS() int64 { return procField("/proc/self/status", "VmHWM:") * 1024 }

// resetPeakRSS starts a new peak: writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func procField(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v
		}
	}
	return 0
}

// parseWriters reads the -writers flag: a comma-separated list of writer counts.
func parseWriters(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 1 {
			return nil, fmt.Errorf("-writers %q: want a list of positive counts such as 1,16", s)
		}
		out = append(out, w)
	}
	return out, nil
}

// writeProfile writes the named runtime profile (mutex, block) to path.
func writeProfile(path, kind string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(kind).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write %s profile: %w", kind, err)
	}
	return f.Close()
}

// processCPU returns the user and system CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPUProfile starts a CPU profile into path; stop ends it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// gcCPUSeconds is the CPU the garbage collector has used so far (its mark workers and assists,
// estimated by the runtime).
func gcCPUSeconds() float64 {
	sample := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return sample[0].Value.Float64()
}

// schedLatencies is the runtime's histogram of how long goroutines waited, runnable, for a
// processor (a writer woken by its commit, the syncer back from its fsync), counts by bucket.
func schedLatencies() *metrics.Float64Histogram {
	sample := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return sample[0].Value.Float64Histogram()
}

// schedQuantiles says the quantiles qs of the waits between two readings of schedLatencies, in
// µs (each the upper bound of its bucket).
func schedQuantiles(before, after *metrics.Float64Histogram, qs ...float64) string {
	if before == nil || after == nil || len(before.Counts) != len(after.Counts) {
		return "not measured"
	}
	counts := make([]uint64, len(after.Counts))
	var total uint64
	for i := range counts {
		counts[i] = after.Counts[i] - before.Counts[i]
		total += counts[i]
	}
	if total == 0 {
		return "no waits"
	}
	var out []string
	for _, q := range qs {
		want := uint64(q * float64(total))
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen > want {
				us := after.Buckets[i+1] * 1e6
				if us < 10 {
					out = append(out, fmt.Sprintf("p%g %.1f", q*100, us))
				} else {
					out = append(out, fmt.Sprintf("p%g %.0f", q*100, us))
				}
				break
			}
		}
	}
	return fmt.Sprintf("%s µs over %d waits", strings.Join(out, ", "), total)
}
