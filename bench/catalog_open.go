package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/search"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// openReport is what -catalog-open prints: the time from nothing to a served query (catalogue
// open, query service started, one GraphQL answer), the memory after it, and the cost of the
// questions asked of the whole directory (the collection figure, search).
func openReport(ctx context.Context, dir, memProfile, cpuProfile string) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := catalog.DefaultConfig()
	cfg.Dir = dir
	lakeDir, err := os.MkdirTemp("", "ecolake-bench-lake-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(lakeDir)

	if cpuProfile != "" {
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	cat, err := catalog.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cat.Close()
	opened := time.Since(start)
	bucket, err := local.New(filepath.Join(lakeDir, "lake"))
	if err != nil {
		return err
	}
	defer bucket.Close()
	cache, err := lake.NewCache(bucket, filepath.Join(lakeDir, "cache"), 1<<30)
	if err != nil {
		return err
	}
	qcfg := query.DefaultConfig()
	qcfg.Timeout = 10 * time.Minute // the first answer is what is measured, however long it takes
	svc, err := query.New(cat, bucket, cache, qcfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	steward := &catalog.Principal{ID: "bench", Role: catalog.RoleSteward, Clearance: schemas.Core}
	code := fourDigitCategories()[0] + "/000001" // the first entry the writers registered
	res := svc.Do(ctx, steward, query.Request{Query: fmt.Sprintf(`{ entry(code: %q) { name } }`, code)})
	served := time.Since(start)
	if len(res.Errors) > 0 {
		return fmt.Errorf("first query: %s", res.Errors[0].Message)
	}
	if e, _ := res.Data.(map[string]any)["entry"].(map[string]any); e == nil || e["name"] == nil {
		return fmt.Errorf("first query: entry %s not answered: %v", code, res.Data)
	}
	v := cat.View()
	n := 0
	v.EachVisible(steward, "", func(*catalog.Entry) bool { n++; return true })
	fmt.Printf("  start-up: %.2f s to a served query (catalog.Open %.2f s), index %d, %d entries\n",
		served.Seconds(), opened.Seconds(), v.Index(), n)

	fmt.Printf("  memory after start-up and GC: %s\n", memoryNow())
	if memProfile != "" {
		if err := writeHeapProfile(memProfile); err != nil {
			return err
		}
	}

	district := &catalog.Principal{ID: "bench-wz", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	now := time.Now()
	for _, p := range []*catalog.Principal{steward, district} {
		var (
			f    *catalog.CollectionFigure
			page catalog.LagPage
		)
		took := medianOf(5, func() { f = v.CollectionRateFor(now, p) })
		lagTook := medianOf(5, func() { page = v.Lagging(now, p, 50, "") })
		fmt.Printf("  collection figure as %s: %.1f ms (median of 5), %d/%d collected; first page of lagging entries: %.1f ms (%d of %d)\n",
			p.Role, took.Seconds()*1e3, f.Numerator, f.Denominator, lagTook.Seconds()*1e3, len(page.Lags), f.LaggingCount())
	}
	if err := cockpitReport(ctx, svc, district); err != nil {
		return err
	}
	if err := changedQueryReport(ctx, cat, svc, steward, code); err != nil {
		return err
	}
	fmt.Printf("  search p50/p99: %s\n", searchReport(ctx, cat, memProfile))
	// Last, so that the memory figures above do not hold it: the whole schema of the query layer
	// (introspection, the SDL) over every entry with data, per access key: built cold, ready
	// again after a change to one entry, its SDL, and the live heap the schemas hold.
	loaded := 0
	var first *catalog.Entry
	v.EachLoaded(func(e *catalog.Entry) bool {
		if first == nil && e.Status == catalog.StatusPublished {
			first = e
		}
		loaded++
		return true
	})
	before := liveHeap()
	if memProfile != "" {
		if err := writeHeapProfile(memProfile + ".preschema"); err != nil { // the base of .schema's
			return err
		}
	}
	introspect := func(p *catalog.Principal) (time.Duration, error) {
		t0 := time.Now()
		res := svc.Do(ctx, p, query.Request{Query: `{ __schema { queryType { name } } }`})
		if len(res.Errors) > 0 {
			return 0, fmt.Errorf("introspection as %s: %s", p.Role, res.Errors[0].Message)
		}
		return time.Since(t0), nil
	}
	for _, p := range []*catalog.Principal{steward, district} {
		took, err := introspect(p)
		if err != nil {
			return err
		}
		// The SDL as the HTTP door streams it.
		t0 := time.Now()
		write, err := svc.SDLWriter(p, nil)
		if err != nil {
			return fmt.Errorf("schema for %s: %w", p.Role, err)
		}
		var n byteCount
		if err := write(&n); err != nil {
			return err
		}
		fmt.Printf("  whole query schema as %s: built in %.2f s (introspection), %d entries with data; SDL %.1f MB streamed in %.2f s\n",
			p.Role, took.Seconds(), loaded, float64(n)/1e6, time.Since(t0).Seconds())
	}
	for _, p := range []*catalog.Principal{steward, district} {
		// What GraphQL tools send on opening: refused above the introspection bound, answered below.
		t0 := time.Now()
		res := svc.Do(ctx, p, query.Request{Query: standardIntrospection})
		outcome := "answered"
		if len(res.Errors) > 0 {
			outcome = fmt.Sprintf("refused (%v values by its bound)", res.Errors[0].Extensions["value"])
		}
		fmt.Printf("  standard introspection as %s: %s in %.2f s\n", p.Role, outcome, time.Since(t0).Seconds())
	}
	fmt.Printf("  live heap held by the two whole schemas: %.0f MB\n", float64(int64(liveHeap())-int64(before))/1e6)
	if first != nil {
		// A change to what one entry's types show (its name): the next schema is ready when
		// the changed entry's types and the root are built again.
		c := first.Copy()
		c.Name += " (修订)"
		if err := cat.PutEntry(ctx, c); err != nil {
			return fmt.Errorf("change entry %s: %w", c.ResourceCode, err)
		}
		took, err := introspect(steward)
		if err != nil {
			return err
		}
		fmt.Printf("  whole query schema as steward after a change to one entry: ready in %.2f s\n", took.Seconds())
	}
	if memProfile != "" {
		return writeHeapProfile(memProfile + ".schema")
	}
	return nil
}

// standardIntrospection is the introspection query GraphQL tools send.
const standardIntrospection = `query IntrospectionQuery {
  __schema { queryType { name } mutationType { name } types { ...FullType } directives { name description locations args { ...InputValue } } }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`

// byteCount is a writer that counts what it is given and keeps none of it.
type byteCount int64

func (c *byteCount) Write(p []byte) (int, error) {
	*c += byteCount(len(p))
	return len(p), nil
}

// liveHeap is the bytes of live objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// memoryNow describes the process's memory after a collection.
func memoryNow() string {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("heap in use %.0f MB (live objects %.0f MB), sys %.0f MB, rss %.0f MB (anonymous %.0f MB, the binary and other files %.0f MB)",
		float64(ms.HeapInuse)/1e6, float64(ms.HeapAlloc)/1e6, float64(ms.Sys)/1e6, float64(procRSS())/1e6,
		float64(procField("/proc/self/status", "RssAnon:")*1024)/1e6, float64(procField("/proc/self/status", "RssFile:")*1024)/1e6) +
		"\n    the Go runtime's part: " + runtimeClasses()
}

// runtimeClasses is how the Go runtime accounts for the memory it holds from the system, in MB:
// what is not live objects or released is the collector's overhead; what RssAnon holds beyond
// all of it is memory allocated outside Go (DuckDB, C libraries).
func runtimeClasses() string {
	names := []string{
		"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
		"/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes",
		"/memory/classes/metadata/other:bytes", "/memory/classes/metadata/mspan/inuse:bytes",
		"/memory/classes/os-stacks:bytes", "/memory/classes/heap/stacks:bytes",
		"/memory/classes/other:bytes", "/memory/classes/profiling/buckets:bytes",
	}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	metrics.Read(samples)
	var b strings.Builder
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			continue
		}
		if i > 0 {
			b.WriteString(", ")
		}
		label := strings.TrimSuffix(strings.TrimPrefix(names[i], "/memory/classes/"), ":bytes")
		fmt.Fprintf(&b, "%s %.0f", label, float64(s.Value.Uint64())/1e6)
	}
	return b.String()
}

// searchReport builds the directory's search index over the catalogue, as serve does at start,
// and times searches of the kinds stewards type: a district's short name, an item name, a piece
// of an entry's name, a whole name, with and without facets, as a steward and as a district
// account. With memProfile set, the heap with the index built is written to
// memProfile+".search".
func searchReport(ctx context.Context, cat *catalog.Store, memProfile string) string {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	before := liveHeap()
	t0 := time.Now()
	ix, err := search.Open(ctx, search.DefaultConfig(), cat, log)
	if err != nil {
		return "not measured: " + err.Error()
	}
	defer ix.Close()
	if err := ix.Wait(ctx); err != nil {
		return "not measured: " + err.Error()
	}
	built := time.Since(t0)
	index := float64(liveHeap()-before) / 1e6
	steward := &catalog.Principal{ID: "bench", Role: catalog.RoleSteward, Clearance: schemas.Core}
	district := &catalog.Principal{ID: "bench-wz", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	districts := schemas.AllDistricts()
	v := cat.View()
	var ds []time.Duration
	var kinds [6][]time.Duration
	for i := range 480 {
		d := districts[i%len(districts)]
		q := search.Query{}
		switch i % 6 {
		case 0:
			q.Text = d.ShortName
		case 1:
			q.Text = benchItemNames[i%len(benchItemNames)][0]
		case 2:
			q.Text = fmt.Sprintf("数据集%03d", i%1000)
		case 3:
			q.Text = fmt.Sprintf("%s生态环境监测数据集%06d", d.ShortName, i*97%100000)
		case 4:
			q.Text, q.Facets = "监测", true
		case 5:
			// Every entry's item descriptions say "<entry name>中的<item name>": a phrase in
			// tens of thousands of entries' own texts, each verified to hold it.
			q.Text = "中的" + benchItemNames[i%len(benchItemNames)][0]
		}
		p := steward
		if i%4 == 3 {
			p = district
		}
		t := time.Now()
		if _, err := ix.Search(ctx, v, p, q); err != nil {
			return "not measured: " + err.Error()
		}
		ds = append(ds, time.Since(t))
		kinds[i%6] = append(kinds[i%6], time.Since(t))
	}
	slices.Sort(ds)
	mem := memoryNow()
	if memProfile != "" {
		if err := writeHeapProfile(memProfile + ".search"); err != nil {
			return "not measured: " + err.Error()
		}
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 }
	var worst []string
	for k, kd := range kinds {
		slices.Sort(kd)
		worst = append(worst, fmt.Sprintf("%s %.1f/%.1f", kindNames[k], ms(kd[len(kd)/2]), ms(kd[len(kd)-1])))
	}
	return fmt.Sprintf("%.2f / %.2f ms over %d searches (index built in %.1f s in the background, %.0f MB of live heap); median/slowest per kind (ms): %s\n  memory with the search index built, as serve holds it: %s",
		ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), len(ds), built.Seconds(), index, strings.Join(worst, ", "), mem)
}

// kindNames name the bench's six kinds of search, in the order searchReport cycles through them.
var kindNames = [6]string{"district name", "item name", "piece of a name", "whole name", "facets over 监测", "phrase of the descriptions"}

// medianOf runs fn k times and returns the median time.
func medianOf(k int, fn func()) time.Duration {
	ds := make([]time.Duration, k)
	for i := range ds {
		t := time.Now()
		fn()
		ds[i] = time.Since(t)
	}
	slices.Sort(ds)
	return ds[k/2]
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("heap").WriteTo(f, 0)
}

// changedQueryReport times the first request after a change to one entry's metadata: the query
// layer reads the queryable entries again (its generation), whatever the request names.
func changedQueryReport(ctx context.Context, cat *catalog.Store, svc *query.Service, p *catalog.Principal, code string) error {
	var times []time.Duration
	for i := range 5 {
		e, err := cat.View().Entry(code)
		if err != nil {
			return err
		}
		e.Abstract = fmt.Sprintf("%s（修订 %d）", e.Abstract, i)
		if err := cat.PutEntry(ctx, e); err != nil {
			return fmt.Errorf("change entry %s: %w", code, err)
		}
		t0 := time.Now()
		res := svc.Do(ctx, p, query.Request{Query: fmt.Sprintf(`{ entry(code: %q) { name } }`, code)})
		times = append(times, time.Since(t0))
		if len(res.Errors) > 0 {
			return fmt.Errorf("query after a change: %s", res.Errors[0].Message)
		}
	}
	slices.Sort(times)
	fmt.Printf("  first request after a change to one entry: median %.1f ms, slowest of 5 %.1f ms\n",
		times[2].Seconds()*1e3, times[4].Seconds()*1e3)
	return nil
}
