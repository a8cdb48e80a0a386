// Command bench is the whole-system benchmark: it generates a district-submission CSV, loads it
// through ecolake's ingest path (decode, validate, Arrow, Parquet, lake upload, manifest, catalogue
// commit) and, in the same process on the same file, through DuckDB's own read_csv → COPY … TO
// parquet, and prints both throughputs and their ratio. With -entries it also writes a
// province-size directory through the catalogue's commands and reports throughput as the
// directory grows, checkpoint bytes, start-up time and memory (catalog.go).
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/app"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in the generated CSV")
	keep := flag.String("dir", "", "work directory (default: a temp dir removed afterwards)")
	batch := flag.Int("batch-rows", 0, "ingest rows per Arrow batch (default: ingest's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the ecolake ingest to this file")
	flag.StringVar(&queryProfile, "query-cpuprofile", "", "write a CPU profile of the governed queries (both sides) to this file")
	entries := flag.Int("entries", 0, "entries of 20 items to write through the catalogue (0 skips the catalogue benchmark)")
	writers := flag.String("writers", "1,16", "concurrent catalogue writers, one run per count")
	flag.StringVar(&catalogProfile, "catalog-cpuprofile", "", "write a CPU profile of each catalogue writing run, and of its start-up, to this file (suffixed .1w, .16w, .open.1w …), with the run's mutex and block profiles (.16w.mutex, .16w.block)")
	flag.StringVar(&catalogMemProfile, "catalog-memprofile", "", "write a heap profile of the catalogue after start-up to this file (suffixed .1w, .16w), one of what each writing run left live (.written.16w), one with the search index built (.1w.search …), and the whole query schemas' before and after (.1w.preschema, .1w.schema)")
	lineageNodes := flag.Int("lineage", 0, "entries of a generated lineage graph to traverse (0 skips the lineage benchmark)")
	clusterEntries := flag.Int("cluster", 0, "entries a follower of a three-node catalogue catches up on, after the one- and three-node latency runs (0 skips the cluster benchmark)")
	clusterSample := flag.Int("cluster-sample", 3000, "entries of each one- and three-node latency run")
	flag.IntVar(&loadEvery, "catalog-load-every", loadEvery, "one entry in this many written through the catalogue also gets a data load (1: every entry)")
	extraProcs := flag.Int("extra-procs", app.DefaultExtraProcs, "Go processors beyond the CPUs, as serve's --extra-procs (the GOMAXPROCS environment variable wins)")
	reopen := flag.String("catalog-open", "", "internal: open the catalogue in this directory and report start-up time and memory")
	flag.Parse()
	procsBefore := runtime.GOMAXPROCS(0)
	if procs, changed := app.SetProcs(*extraProcs); changed {
		procsNote = fmt.Sprintf("GOMAXPROCS %d: %d CPUs + %d, as serve sets it", procs, procsBefore, *extraProcs)
	} else {
		procsNote = fmt.Sprintf("GOMAXPROCS %d, as Go or the environment set it", procs)
	}
	if loadEvery < 1 {
		fmt.Fprintln(os.Stderr, "bench: -catalog-load-every must be at least 1")
		os.Exit(2)
	}
	cpuProfile = *cpuprofile
	batchRows = *batch
	if *lineageNodes > 0 {
		if err := lineageReport(*lineageNodes); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if *clusterEntries > 0 {
		if err := clusterMain(*clusterEntries, *clusterSample); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if err := mainErr(*rows, *entries, *writers, *keep, *reopen); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// clusterMain runs clusterReport in a directory of its own, removed afterwards.
func clusterMain(entries, sample int) error {
	dir, err := os.MkdirTemp("", "ecolake-bench-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("catalogue on one node (journal) and on three (raft on loopback, one process):\n")
	return clusterReport(context.Background(), dir, entries, sample)
}

func mainErr(rows, entries int, writers, keep, reopen string) error {
	ctx := context.Background()
	if reopen != "" {
		return openReport(ctx, reopen, catalogMemProfile, catalogProfile)
	}
	ws, err := parseWriters(writers)
	if err != nil {
		return err
	}
	if rows > 0 {
		if err := run(rows, keep); err != nil {
			return err
		}
	}
	if entries <= 0 {
		return nil
	}
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "ecolake-bench-catalog-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	return catalogBench(ctx, dir, entries, ws)
}

var (
	queryProfile string // -query-cpuprofile

	cpuProfile string // when set, where the CPU profile of the ecolake ingest goes
	batchRows  int    // when set, overrides ingest's rows per batch
)

func run(n int, dir string) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "ecolake-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	csvPath := filepath.Join(dir, "stations.csv")
	size, err := writeCSV(csvPath, n)
	if err != nil {
		return err
	}
	fmt.Printf("input: %d rows, %.1f MB CSV (%s)\n", n, float64(size)/1e6, csvPath)

	resetPeakRSS()
	eco, ecoBytes, err := ecolakeIngest(ctx, dir, csvPath)
	if err != nil {
		return err
	}
	ecoPeak := peakRSS()
	resetPeakRSS()
	duck, duckBytes, err := duckdbCopy(ctx, dir, csvPath)
	if err != nil {
		return err
	}
	duckPeak := peakRSS()
	report := func(name string, d time.Duration, peak int64) {
		fmt.Printf("%-34s %8.2f s  %10.0f rows/s  %7.1f MB/s  peak rss %5.0f MB\n", name, d.Seconds(), float64(n)/d.Seconds(),
			float64(size)/1e6/d.Seconds(), float64(peak)/1e6)
	}
	report("ecolake ingest (validate+commit)", eco, ecoPeak)
	report("duckdb read_csv → COPY parquet", duck, duckPeak)
	fmt.Printf("ratio ecolake/duckdb throughput: %.2f\n", duck.Seconds()/eco.Seconds())
	fmt.Printf("parquet size: ecolake %.1f MB, duckdb %.1f MB\n", float64(ecoBytes)/1e6, float64(duckBytes)/1e6)
	if err := xlsxBench(ctx, dir, min(n, 200_000)); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := pullBench(ctx, dir, 100, 500); err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	return queryBench(ctx, dir, 9, n)
}

// stationTable opens a catalogue in dir/catalogDir and a local lake in dir/lakeDir holding the
// published entry of the generated readings (stationEntry), for a load; done closes both.
func stationTable(ctx context.Context, dir, catalogDir, lakeDir string) (cat *catalog.Store, bucket *local.Bucket, e catalog.Entry, done func(), err error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = filepath.Join(dir, catalogDir)
	if cat, err = catalog.Open(ctx, ccfg, log); err != nil {
		return nil, nil, e, nil, err
	}
	if bucket, err = local.New(filepath.Join(dir, lakeDir)); err != nil {
		_ = cat.Close()
		return nil, nil, e, nil, err
	}
	done = func() {
		_ = bucket.Close()
		_ = cat.Close()
	}
	e = stationEntry()
	if err = cat.PutDepartment(ctx, catalog.Department{Code: "CTR_MONITORING", Name: "监测中心", Kind: "centre"}); err == nil {
		if err = cat.PutEntry(ctx, &e); err == nil {
			err = cat.SetEntryStatus(ctx, e.ResourceCode, "PUBLISHED")
		}
	}
	if err != nil {
		done()
		return nil, nil, e, nil, err
	}
	return cat, bucket, e, done, nil
}

// ecolakeIngest returns the time of the load and the bytes of Parquet it wrote.
func ecolakeIngest(ctx context.Context, dir, csvPath string) (time.Duration, int64, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat, bucket, e, done, err := stationTable(ctx, dir, "catalog", "lake")
	if err != nil {
		return 0, 0, err
	}
	defer done()
	f, err := os.Open(csvPath)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	icfg := ingest.DefaultConfig()
	icfg.Writer.TmpDir = dir
	if batchRows > 0 {
		icfg.BatchRows = batchRows
	}
	stopProfile := func() {}
	if cpuProfile != "" {
		if stopProfile, err = startCPUProfile(cpuProfile); err != nil {
			return 0, 0, err
		}
	}
	start := time.Now()
	res, err := ingest.New(cat, bucket, icfg, log).Submit(ctx, ingest.Submission{Entry: e.ResourceCode, Filename: "stations.csv",
		Body: bufio.NewReaderSize(f, 1<<20), Principal: catalog.Operator()})
	d := time.Since(start)
	stopProfile()
	if err != nil {
		return 0, 0, err
	}
	if res.Snapshot == nil || res.Run.RowsRejected > 0 {
		return 0, 0, fmt.Errorf("bench load was not clean: %s", res.Summary())
	}
	return d, res.Snapshot.Bytes, nil
}

// duckdbCopy returns the time of DuckDB's own conversion and the bytes of Parquet it wrote.
func duckdbCopy(ctx context.Context, dir, csvPath string) (time.Duration, int64, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	out := filepath.Join(dir, "duckdb.parquet")
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	start := time.Now()
	_, err = db.ExecContext(ctx, "COPY (SELECT * FROM read_csv("+lit(csvPath)+", header=true)) TO "+lit(out)+" (FORMAT parquet, COMPRESSION zstd)")
	d := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, 0, err
	}
	return d, st.Size(), nil
}

func stationEntry() catalog.Entry {
	it := func(name, field string, t schemas.DataType, req bool) catalog.Item {
		return catalog.Item{Name: name, Field: field, Type: t, Required: req, Grade: schemas.General1}
	}
	return catalog.Entry{
		ResourceCode: "0101/000001", Table: "air_station_hourly", Name: "空气质量自动监测站小时数据", CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "基准测试", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Realtime, Status: "DRAFT",
		Department: "CTR_MONITORING", District: schemas.CityCode, SourceKind: "ONLINE_MONITORING", Domains: []string{"AIR"},
		Items: catalog.ItemsOf(
			it("站点编码", "station_code", schemas.String, true), it("站点名称", "station_name", schemas.String, true),
			catalog.Item{Name: "区县", Field: "district_code", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
			it("监测时间", "observed_at", schemas.Timestamp, true), it("PM2.5", "pm25", schemas.Float, false),
			it("PM10", "pm10", schemas.Float, false), it("臭氧", "o3", schemas.Float, false), it("二氧化氮", "no2", schemas.Float, false),
			it("二氧化硫", "so2", schemas.Float, false), it("一氧化碳", "co", schemas.Float, false), it("空气质量指数", "aqi", schemas.Int, false),
			// Personal information, masked for every reader of the bench (no grant names it).
			catalog.Item{Name: "值守人员电话", Field: "duty_phone", Type: schemas.String, PIType: "MOBILE", Grade: schemas.General2},
		),
	}
}

// dutyPhone is the synthetic mobile number of row i's duty officer.
func dutyPhone(i int) string { return fmt.Sprintf("139%08d", i%100_000_000) }

func writeCSV(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "站点编码,站点名称,区县,监测时间,PM2.5,PM10,臭氧,二氧化氮,二氧化硫,一氧化碳,空气质量指数,值守人员电话")
	for i := 0; i < n; i++ {
		d := rowDistrict(i)
		station, at := pointKey(i)
		fmt.Fprintf(w, "%s,%s监测站,%s,%s,%d.%d,%d.5,%d,%d.2,%d,0.%d,%d,%s\n", station, d.ShortName, d.Code,
			at.Format("2006-01-02 15:04:05"), 10+i%70, i%10, 20+i%100, 10+i%150, 5+i%60, 2+i%20, 1+i%9, 30+i%200, dutyPhone(i))
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}
