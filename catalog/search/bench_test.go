package search

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

var (
	benchEntries = flag.Int("search.entries", 100_000, "entries of 20 items in the search benchmark's directory")
	benchKeep    = flag.String("search.dir", "", "keep the benchmark's catalogue here and reuse it when it holds -search.entries entries")
)

// benchDir is the generated directory the search benchmarks share within one run: a catalogue
// written through PutEntry by 16 writers (group commit), and its index built at open.
var benchDir struct {
	once     sync.Once
	root     string
	s        *catalog.Store
	ix       *Index
	entries  []*catalog.Entry
	write    time.Duration
	build    time.Duration
	buildCPU time.Duration
	open     time.Duration
	heap     uint64 // bytes of live heap the index holds
	err      error
}

func setupBench(b *testing.B) {
	b.Helper()
	benchDir.once.Do(func() {
		var next atomic.Int64
		root := *benchKeep
		if root == "" {
			var err error
			if root, err = os.MkdirTemp("", "ecolake-search-bench-"); err != nil {
				benchDir.err = err
				return
			}
			benchDir.root = root // removed at the end
		}
		s := newStore(b, filepath.Join(root, "catalog"))
		n := *benchEntries
		entries := make([]*catalog.Entry, n)
		if got := len(s.View().Entries()); got == n {
			for i := range entries {
				entries[i] = genEntry(rand.New(rand.NewPCG(genSeed, uint64(i))), i)
			}
			next.Store(int64(n))
		} else if got != 0 {
			benchDir.err = fmt.Errorf("%s holds %d entries, not %d", root, got, n)
			return
		}
		rngs := make([]*rand.Rand, 16)
		var wg sync.WaitGroup
		start := time.Now()
		errs := make(chan error, len(rngs))
		for range rngs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					e := genEntry(rand.New(rand.NewPCG(genSeed, uint64(i))), i)
					if err := s.PutEntry(context.Background(), e); err != nil {
						errs <- err
						return
					}
					entries[i] = e
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			benchDir.err = err
			return
		}
		benchDir.write = time.Since(start)

		cfg := DefaultConfig()
		cfg.Dir = filepath.Join(root, "search")
		start, cpu := time.Now(), cpuTime()
		ix, err := Open(context.Background(), cfg, s, slog.New(slog.DiscardHandler))
		if err == nil {
			err = ix.Wait(context.Background())
		}
		if err == nil {
			benchDir.build, benchDir.buildCPU = time.Since(start), cpuTime()-cpu
			err = ix.Close()
		}
		if err != nil {
			benchDir.err = err
			return
		}
		without := liveHeap() // the catalogue's, the closed index let go
		start = time.Now()
		ix, err = Open(context.Background(), cfg, s, slog.New(slog.DiscardHandler))
		if err == nil {
			err = ix.Wait(context.Background())
		}
		benchDir.open = time.Since(start)
		if err == nil {
			benchDir.heap = liveHeap() - without
		}
		benchDir.s, benchDir.ix, benchDir.entries, benchDir.err = s, ix, entries, err
	})
	require.NoError(b, benchDir.err)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir.ix != nil {
		_ = benchDir.ix.Close()
		_ = benchDir.s.Close()
	}
	if benchDir.root != "" {
		_ = os.RemoveAll(benchDir.root)
	}
	os.Exit(code)
}

// benchQueries are the query kinds the latency is measured on, as stewards type them: whole
// entry names (few hits), three characters of a name (hundreds to thousands), two and three
// characters of an item name (item names recur: about half the directory), single characters,
// district short names, and the mix of all.
func benchQueries(entries []*catalog.Entry) map[string][]string {
	rng := rand.New(rand.NewPCG(genSeed, 3))
	kinds := map[string][]string{}
	for range 200 {
		e := entries[rng.IntN(len(entries))]
		rs := []rune(e.Name)
		j := rng.IntN(len(rs) - 2)
		it := []rune(e.Items.Slice()[rng.IntN(e.Items.Len())].Name)
		kinds["name"] = append(kinds["name"], e.Name)
		kinds["name_part"] = append(kinds["name_part"], string(rs[j:j+3]))
		kinds["item_part"] = append(kinds["item_part"], string(it[:min(len(it), 2+rng.IntN(2))]))
		kinds["char"] = append(kinds["char"], string(rs[j:j+1]))
	}
	for _, d := range schemas.AllDistricts()[1:] {
		kinds["district"] = append(kinds["district"], string([]rune(d.Name)[:2]))
	}
	texts, _ := recallCases(rand.New(rand.NewPCG(genSeed, 2)), entries, 400)
	kinds["mix"] = append(texts, kinds["district"]...)
	return kinds
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearch measures searches on a directory of -search.entries entries of 20 items:
// latency percentiles per query kind and principal, and the time to write the directory, to
// build its index from the catalogue (build_s, and open_s for a second build, the catalogue's
// memory warm), and the live heap the index holds (index_MB). On a shared machine the
// wall-clock percentiles carry the others' load; cpu_ms/op is the process's own CPU time per
// search.
func BenchmarkSearch(b *testing.B) {
	setupBench(b)
	kinds := benchQueries(benchDir.entries)
	district := &catalog.Principal{ID: "yb", Role: catalog.RoleDistrict, Clearance: schemas.Core, Districts: []string{"500112"}}
	text := func(t string) Query { return Query{Text: t} }
	for _, c := range []struct {
		name, kind string
		p          *catalog.Principal
		q          func(string) Query
	}{
		{"mix", "mix", admin, text},
		{"mix_facets", "mix", admin, func(t string) Query { return Query{Text: t, Facets: true} }},
		{"mix_general2", "mix", analyst2, text},
		{"mix_district", "mix", district, text},
		{"mix_filtered", "mix", admin, func(t string) Query {
			return Query{Text: t, Filters: map[string][]string{FacetStatus: {catalog.StatusPublished}, FacetDomain: {"WATER", "AIR"}}}
		}},
		{"name", "name", admin, text},
		{"name_part", "name_part", admin, text},
		{"item_part", "item_part", admin, text},
		{"char", "char", admin, text},
		{"district_name", "district", admin, text},
	} {
		queries := kinds[c.kind]
		b.Run(c.name, func(b *testing.B) {
			v := benchDir.s.View()
			lat := make([]time.Duration, 0, b.N)
			hits := 0
			cpu := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				r, err := benchDir.ix.Search(context.Background(), v, c.p, c.q(queries[i%len(queries)]))
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				hits += r.Total
			}
			b.StopTimer()
			cpu = cpuTime() - cpu
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.99), "p99_ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu_ms/op")
			b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
			if c.name == "mix" {
				// The directory's figures, once.
				b.ReportMetric(float64(len(benchDir.entries)), "entries")
				b.ReportMetric(benchDir.write.Seconds(), "write_s")
				b.ReportMetric(benchDir.build.Seconds(), "build_s")
				b.ReportMetric(benchDir.buildCPU.Seconds(), "build_cpu_s")
				b.ReportMetric(float64(benchDir.heap)/1e6, "index_MB")
				b.ReportMetric(benchDir.open.Seconds(), "open_s")
			}
		})
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
