package search

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

var (
	benchEntries = flag.Int("search.entries", 100_000, "entries of 20 items in the search benchmark's directory")
	benchKeep    = flag.String("search.dir", "", "keep the benchmark's directory here and reuse it when it holds a catalogue of -search.entries entries")
)

// benchDir is the generated directory the search benchmarks share within one run: a catalogue
// written through PutEntry by 16 writers (group commit), and its index built by a rebuild.
var benchDir struct {
	once    sync.Once
	root    string
	s       *catalog.Store
	ix      *Index
	entries []*catalog.Entry
	write   time.Duration
	build   time.Duration
	open    time.Duration
	err     error
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
		_ = os.RemoveAll(cfg.Dir) // measure a whole build
		start = time.Now()
		ix, err := Open(context.Background(), cfg, s, slog.New(slog.DiscardHandler))
		if err == nil {
			err = ix.Wait(context.Background())
		}
		if err == nil {
			benchDir.build = time.Since(start)
			err = ix.Close()
		}
		if err != nil {
			benchDir.err = err
			return
		}
		start = time.Now()
		ix, err = Open(context.Background(), cfg, s, slog.New(slog.DiscardHandler))
		if err == nil {
			err = ix.Wait(context.Background())
		}
		benchDir.open = time.Since(start)
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

// benchQueries is the mix the latency is measured on: substrings of names and item names (as a
// steward types them), two-word queries, district short names and single characters.
func benchQueries(entries []*catalog.Entry) []string {
	rng := rand.New(rand.NewPCG(genSeed, 2))
	texts, _ := recallCases(rng, entries, 800)
	for i := 0; i < 100; i += 2 {
		texts = append(texts, texts[i]+" "+texts[i+1])
	}
	for _, d := range schemas.AllDistricts()[1:] {
		texts = append(texts, string([]rune(d.Name)[:2]))
	}
	for _, r := range "水气污测江" {
		texts = append(texts, string(r))
	}
	return texts
}

// BenchmarkSearch measures searches on a directory of -search.entries entries of 20 items:
// latency percentiles over a query mix, one sub-benchmark per kind of principal, and reports
// the time to write the directory, to build its index from the catalogue, and to open the built
// index and find it current (start-up).
func BenchmarkSearch(b *testing.B) {
	setupBench(b)
	queries := benchQueries(benchDir.entries)
	for _, c := range []struct {
		name string
		p    *catalog.Principal
		q    func(string) Query
	}{
		{"admin", admin, func(t string) Query { return Query{Text: t} }},
		{"admin_facets", admin, func(t string) Query { return Query{Text: t, Facets: true} }},
		{"general2", analyst2, func(t string) Query { return Query{Text: t} }},
		{"district", &catalog.Principal{ID: "yb", Role: catalog.RoleDistrict, Clearance: schemas.Core, Districts: []string{"500112"}},
			func(t string) Query { return Query{Text: t} }},
		{"filtered", admin, func(t string) Query {
			return Query{Text: t, Filters: map[string][]string{FacetStatus: {catalog.StatusPublished}, FacetDomain: {"WATER", "AIR"}}}
		}},
		{"broad", admin, func(string) Query { return Query{Text: "监测"} }},
		{"broad_facets", admin, func(string) Query { return Query{Text: "监测", Facets: true} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			v := benchDir.s.View()
			lat := make([]time.Duration, 0, b.N)
			hits := 0
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
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.99), "p99_ms")
			b.ReportMetric(float64(hits)/float64(b.N), "total/op")
			b.ReportMetric(benchDir.build.Seconds(), "build_s")
			b.ReportMetric(benchDir.open.Seconds(), "open_s")
		})
	}
	b.Logf("directory: %d entries × %d items written through PutEntry by 16 writers in %.1f s; index built from the catalogue in %.1f s; reopened and current in %.3f s",
		len(benchDir.entries), genItemsPerEntr, benchDir.write.Seconds(), benchDir.build.Seconds(), benchDir.open.Seconds())
}
