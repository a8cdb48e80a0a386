package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadQuery is one kind of read the load test's clients send, as the principal who sends it.
type loadQuery struct {
	kind, token, query string
}

// loadMix is a day's reads of the application scenes, the cockpit and the stewards: rows and
// aggregates of the entry the loads write to (so reads cross snapshot commits), a filtered table,
// the three figures, the directory and its search, and a district's row-scoped read.
var loadMix = []loadQuery{
	{"rows", "demo-air-app", `{ air_station_hourly(orderBy: [{field: pm25, direction: DESC}], limit: 50) { station_code district_code pm25 } }`},
	{"aggregate", "demo-air-app", `{ air_station_hourly_aggregate(groupBy: [district_code]) { group { district_code } count max { pm25 } } }`},
	{"filter", "demo-public", `{ air_autumn_winter_targets(where: {pm25_target: {gte: 40}}, orderBy: [{field: pm25_target, direction: DESC}]) { district_code pm25_target } }`},
	{"figures", "demo-manager", `{ collectionRate { rate numerator denominator laggingCount } coverageRate { rate } oneThingRate { rate } }`},
	{"directory", "demo-steward", `{ entries { resourceCode name } }`},
	{"search", "demo-steward", `{ search(text: "空气") { total } }`},
	{"district", "demo-wanzhou", `{ air_station_hourly_aggregate { count } }`},
}

// loadSettings are the test's size: a short run in `make test`, ten minutes of 64 clients in
// `make faults` (ECOLAKE_LOAD_DURATION=10m).
func loadSettings(t *testing.T) (clients int, d time.Duration, maxRSSMB int) {
	clients, d, maxRSSMB = 64, 8*time.Second, 2048
	if v := os.Getenv("ECOLAKE_LOAD_CLIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "ECOLAKE_LOAD_CLIENTS")
		clients = n
	}
	if v := os.Getenv("ECOLAKE_LOAD_DURATION"); v != "" {
		var err error
		d, err = time.ParseDuration(v)
		require.NoError(t, err, "ECOLAKE_LOAD_DURATION")
	}
	if v := os.Getenv("ECOLAKE_LOAD_MAX_RSS_MB"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "ECOLAKE_LOAD_MAX_RSS_MB")
		maxRSSMB = n
	}
	return clients, d, maxRSSMB
}

// TestFaultLoad runs many clients of mixed GraphQL reads against the real service while a
// steward's submissions commit a new snapshot of the entry they read every few seconds: no read
// may fail, every load must commit, and the service's memory must stay bounded. It prints the
// latency of each kind of read, the loads and the memory curve, and writes them to
// test-output/load.txt.
func TestFaultLoad(t *testing.T) {
	clients, duration, maxRSSMB := loadSettings(t)
	s := startServer(t, t.TempDir(), nil, "--demo")
	// The search index is built in the background on a fresh data directory.
	searchGQL(t, s, "demo-steward", `{ search(text: "空气") { total } }`)
	for _, q := range loadMix { // every read works before the load starts
		s.gql(q.token, q.query, nil).ok(t)
	}
	before := loadRows(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var (
		mu     sync.Mutex
		lat    = map[string][]time.Duration{}
		errs   []string
		wg     sync.WaitGroup
		client = &http.Client{Timeout: 60 * time.Second}
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, args...))
		} else {
			errs = append(errs[:20], "…")
		}
	}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; ctx.Err() == nil; i++ {
				q := loadMix[i%len(loadMix)]
				start := time.Now()
				status, raw, err := loadGraphQL(client, s.base, q.token, q.query)
				took := time.Since(start)
				if ctx.Err() != nil && err != nil {
					return // the run ended while the request was under way
				}
				var body struct {
					Errors []struct{ Message string } `json:"errors"`
				}
				switch {
				case err != nil:
					fail("%s: %v", q.kind, err)
				case status != http.StatusOK:
					fail("%s: status %d: %.200s", q.kind, status, raw)
				case json.Unmarshal(raw, &body) != nil || len(body.Errors) > 0:
					fail("%s: %.200s", q.kind, raw)
				default:
					mu.Lock()
					lat[q.kind] = append(lat[q.kind], took)
					mu.Unlock()
				}
			}
		}()
	}

	// A steward's submission commits every few seconds, each a file of new rows.
	const loadRowsEach = 2000
	var loads []time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(3 * time.Second)
		defer tick.Stop()
		for n := 0; ; n++ {
			start := time.Now()
			status, raw, err := submitStations(client, s.base, n, loadRowsEach)
			switch {
			case err != nil:
				fail("load %d: %v", n, err)
			case status != http.StatusCreated:
				fail("load %d: status %d: %.300s", n, status, raw)
			default:
				mu.Lock()
				loads = append(loads, time.Since(start))
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	// The server's resident memory, once a second.
	var rss []int64
	pid := s.cmd.Process.Pid
	for sample := time.NewTicker(time.Second); ; {
		if kb, err := residentKB(pid); err == nil {
			rss = append(rss, kb)
		}
		select {
		case <-sample.C:
			continue
		case <-ctx.Done():
		}
		sample.Stop()
		break
	}
	wg.Wait()

	report := loadReport(clients, duration, lat, loads, rss)
	t.Log("\n" + report)
	require.NoError(t, os.MkdirAll("../test-output", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("..", "test-output", "load.txt"), []byte(report), 0o644))

	assert.Empty(t, errs, "reads and loads that failed under load")
	require.NotEmpty(t, loads, "no load committed during the run")
	for _, q := range loadMix {
		assert.NotEmpty(t, lat[q.kind], "no %s read succeeded", q.kind)
	}
	// Every committed load's rows are there, none twice.
	assert.Equal(t, before+int64(len(loads))*loadRowsEach, loadRows(t, s))
	require.NotEmpty(t, rss)
	peak := slices.Max(rss)
	assert.LessOrEqual(t, peak/1024, int64(maxRSSMB), "resident memory peak")
	if duration >= 2*time.Minute { // long enough to tell growth from warm-up
		half, last := rss[:len(rss)/2], rss[len(rss)*3/4:]
		assert.LessOrEqual(t, slices.Max(last), slices.Max(half)*5/4+64<<10,
			"resident memory keeps growing: first half peak %d MB, last quarter peak %d MB", slices.Max(half)>>10, slices.Max(last)>>10)
	}
}

// loadRows counts the rows of the entry the loads write to, as its steward sees them.
func loadRows(t *testing.T, s *server) int64 {
	d := s.gql("demo-steward", `{ air_station_hourly_aggregate { count } }`, nil).ok(t)
	return int64(num(t, rows(t, d, "air_station_hourly_aggregate")[0]["count"]))
}

func loadGraphQL(client *http.Client, base, token, query string) (int, []byte, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest("POST", base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// submitStations submits n rows of hourly station readings, the n-th file of the run: its hours
// follow the files before it, so that no two files are alike.
func submitStations(client *http.Client, base string, n, rowsEach int) (int, []byte, error) {
	var csv strings.Builder
	csv.WriteString("站点编码,站点名称,区县,监测时间,PM2.5,PM10,臭氧,二氧化氮,二氧化硫,一氧化碳,空气质量指数\n")
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n*rowsEach) * time.Minute)
	for i := range rowsEach {
		fmt.Fprintf(&csv, "LOAD%03d,负载站%d,500101,%s,%d.5,%d,%d,%d,%d,0.8,%d\n", i%50, i%50,
			start.Add(time.Duration(i)*time.Minute).Format("2006-01-02 15:04:05"), i%80, i%150, i%200, i%60, i%20, i%300)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", fmt.Sprintf("负载%04d.csv", n))
	if err != nil {
		return 0, nil, err
	}
	_, _ = io.WriteString(fw, csv.String())
	if err := mw.Close(); err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest("POST", base+"/api/v1/entries/0101%2F000001/submissions", &buf)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer demo-steward")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// residentKB reads a process's resident set size from /proc.
func residentKB(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// loadReport is the table of the run: reads per kind with their latency, the loads, and the
// memory curve at up to 20 points.
func loadReport(clients int, d time.Duration, lat map[string][]time.Duration, loads []time.Duration, rss []int64) string {
	var b strings.Builder
	total := 0
	for _, l := range lat {
		total += len(l)
	}
	fmt.Fprintf(&b, "load: %d clients, %s, %d reads (%.0f/s), %d loads committed\n\n", clients, d, total, float64(total)/d.Seconds(), len(loads))
	fmt.Fprintf(&b, "%-10s %8s %9s %9s %9s %9s\n", "kind", "reads", "p50 ms", "p90 ms", "p99 ms", "max ms")
	row := func(kind string, l []time.Duration) {
		if len(l) == 0 {
			fmt.Fprintf(&b, "%-10s %8d\n", kind, 0)
			return
		}
		l = slices.Clone(l)
		slices.Sort(l)
		q := func(p float64) float64 { return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000 }
		fmt.Fprintf(&b, "%-10s %8d %9.1f %9.1f %9.1f %9.1f\n", kind, len(l), q(.5), q(.9), q(.99), q(1))
	}
	var all []time.Duration
	for _, q := range loadMix {
		row(q.kind, lat[q.kind])
		all = append(all, lat[q.kind]...)
	}
	row("all reads", all)
	row("load", loads)
	b.WriteString("\nresident memory (MB) by second:\n")
	step := max(1, len(rss)/20)
	for i := 0; i < len(rss); i += step {
		fmt.Fprintf(&b, "  %4ds %6d\n", i, rss[i]>>10)
	}
	if len(rss) > 0 {
		fmt.Fprintf(&b, "  peak  %6d\n", slices.Max(rss)>>10)
	}
	return b.String()
}
