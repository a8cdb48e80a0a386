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
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// catalogProfile, when set, is where the CPU profile of each writing run goes (suffixed .Nw).
var catalogProfile string

// catalogSlices is the number of equal slices the run is cut into to show that throughput stays
// flat as the directory grows.
const catalogSlices = 10

// catalogBench writes n entries of 20 items through Store.PutEntry once per writer count, each in a
// fresh directory, and then starts a catalogue on the result in a child process (so that its
// memory is the start-up's alone, not what the writing left behind).
func catalogBench(ctx context.Context, dir string, n int, writers []int) error {
	for _, w := range writers {
		d := filepath.Join(dir, fmt.Sprintf("catalog-%dw", w))
		if _, err := os.Stat(d); err == nil {
			return fmt.Errorf("%s exists: the catalogue benchmark starts from an empty directory", d)
		}
		if err := writeEntries(ctx, d, n, w); err != nil {
			return err
		}
		if err := reopenChild(d); err != nil {
			return err
		}
	}
	return nil
}

func writeEntries(ctx context.Context, dir string, n, writers int) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := catalog.DefaultConfig()
	cfg.Dir = dir
	cat, err := catalog.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	for _, d := range benchDepartments {
		if err := cat.PutDepartment(ctx, catalog.Department{Code: d, Name: "处室" + d, Kind: "division"}); err != nil {
			cat.Close()
			return err
		}
	}
	cats := fourDigitCategories()
	districts := schemas.AllDistricts()
	wcharBefore := procWritten()
	if catalogProfile != "" {
		pf, err := os.Create(fmt.Sprintf("%s.%dw", catalogProfile, writers))
		if err != nil {
			cat.Close()
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			cat.Close()
			return err
		}
	}

	marks := make([]time.Time, catalogSlices+1)
	per := max(n/catalogSlices, 1)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	marks[0] = start
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				e := benchEntry(i, cats, districts)
				if err := cat.PutEntry(ctx, &e); err != nil {
					errs <- fmt.Errorf("entry %d: %w", i, err)
					return
				}
				if k := done.Add(1); k%int64(per) == 0 && int(k/int64(per)) <= catalogSlices {
					marks[k/int64(per)] = time.Now()
				}
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)
	if catalogProfile != "" {
		pprof.StopCPUProfile()
	}
	close(errs)
	if err := <-errs; err != nil {
		cat.Close()
		return err
	}
	closeStart := time.Now()
	stats := cat.Stats()
	if err := cat.Close(); err != nil {
		return err
	}
	closeTime := time.Since(closeStart)
	final := cat.Stats()
	written := procWritten() - wcharBefore

	fmt.Printf("catalogue: %d entries × 20 items through PutEntry, %d writer(s)\n", n, writers)
	fmt.Printf("  total %.1f s, %.0f commands/s\n", total.Seconds(), float64(n)/total.Seconds())
	var rates []string
	for i := 1; i <= catalogSlices; i++ {
		if marks[i].IsZero() || marks[i-1].IsZero() {
			continue
		}
		rates = append(rates, fmt.Sprintf("%.0f", float64(per)/marks[i].Sub(marks[i-1]).Seconds()))
	}
	fmt.Printf("  commands/s per %d%% slice: %s\n", 100/catalogSlices, strings.Join(rates, " "))
	if len(rates) == catalogSlices {
		fmt.Printf("  first 10%%: %s/s, last 10%%: %s/s\n", rates[0], rates[catalogSlices-1])
	}
	fmt.Printf("  checkpoints: %d while writing + %d at close (%.2f s), %.1f MB checkpoint bytes, %.1f MB journal bytes, %.1f MB written by the process\n",
		stats.Checkpoints, final.Checkpoints-stats.Checkpoints, closeTime.Seconds(),
		float64(final.CheckpointBytes)/1e6, float64(final.JournalBytes)/1e6, float64(written)/1e6)
	return nil
}

// reopenChild runs this program with -catalog-open on dir and relays its report.
func reopenChild(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-catalog-open", dir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// openReport is what -catalog-open prints: how long catalog.Open took and the memory after it.
func openReport(ctx context.Context, dir string) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := catalog.DefaultConfig()
	cfg.Dir = dir
	start := time.Now()
	cat, err := catalog.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	took := time.Since(start)
	v := cat.View()
	entries := len(v.Entries())
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("  start-up: catalog.Open %.2f s (index %d, %d entries); heap in use %.0f MB, sys %.0f MB, rss %.0f MB\n",
		took.Seconds(), v.Index(), entries, float64(ms.HeapInuse)/1e6, float64(ms.Sys)/1e6, float64(procRSS())/1e6)
	return cat.Close()
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
		ResourceCode: fmt.Sprintf("%s/%06d", cat, i), Table: fmt.Sprintf("t_%06d", i), Name: name, CategoryCode: cat,
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: name + "，按日汇总。",
		FormatType: "DATABASE", Items: items, ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL",
		OpenCondition: "申请后开放", UpdateCycle: schemas.Daily, Status: "DRAFT",
		Department: benchDepartments[i%len(benchDepartments)], District: d.Code, SourceKind: "ONLINE_MONITORING",
		Domains: []string{"AIR"},
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
