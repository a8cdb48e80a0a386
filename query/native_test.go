package query

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// nativeTables lists the tables of the copies' database.
func nativeTables(t *testing.T, s *Service) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT table_name FROM duckdb_tables() WHERE database_name = '` + nativeDB + `' ORDER BY 1`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		out = append(out, n)
	}
	require.NoError(t, rows.Err())
	return out
}

// statements records the statements the service runs.
type statements struct {
	mu  sync.Mutex
	sql []string
}

func (s *statements) hook(st Statement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sql = append(s.sql, st.SQL)
}

func (s *statements) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sql) == 0 {
		return ""
	}
	return s.sql[len(s.sql)-1]
}

// TestNativeCopyAnswersAlike: the first read of a snapshot is answered from its files and makes
// its copy, sorted by the key items; the next reads are answered from the copy, with the same
// rows, masks, scopes, pages and aggregates as from the files. A past snapshot read asOf is not
// copied: time travel is rare, and each copy costs a scan of the snapshot.
func TestNativeCopyAnswersAlike(t *testing.T) {
	f := newFixtureWith(t, func(c *Config) { withNativeCopies(t)(c); c.ResultCacheBytes = 0 })
	plain := serviceWith(f, func(c *Config) { c.NativeBytes, c.ResultCacheBytes = 0, 0 })
	var seen statements
	f.svc.sqlHook = seen.hook
	first := f.load(airCode, airRows()[:2])
	second := f.load(airCode, airRows())
	queries := []string{
		`{ air_station_hourly { station district districtName observed_at pm25 aqi valid } }`,
		`{ air_station_hourly(where: {station: {eq: "S1"}, observed_at: {eq: "2025-05-31T02:00:00"}}) { station pm25 } }`,
		`{ air_station_hourly(where: {or: [{pm25: {gte: 40}}, {valid: {isNull: true}}]}, orderBy: [{field: aqi, direction: DESC}], limit: 2, offset: 1) { station aqi } }`,
		`{ air_station_hourly(where: {station: {like: "S%"}}) { station } }`,
		`{ air_station_hourly_page(first: 2) { totalCount pageInfo { hasNextPage } nodes { station observed_at } } }`,
		`{ air_station_hourly_aggregate(groupBy: [district]) { group { district districtName } count avg { pm25 } min { observed_at } max { aqi } } }`,
		`{ air_station_hourly(asOf: "` + first + `") { station observed_at } }`,
		`{ enterprise_penalty { company amount } }`,
	}
	for _, id := range []string{hiPrincipal, lowPrincipal} {
		for _, q := range queries {
			want := plain.Do(f.ctx, f.principal(id), Request{Query: q})
			for round := 0; round < 2; round++ {
				got := f.svc.Do(f.ctx, f.principal(id), Request{Query: q})
				assert.Equal(t, jsonOf(t, want), jsonOf(t, got), "%s, read %d: %s", id, round, q)
			}
			switch {
			case len(want.Errors) > 0:
			case strings.Contains(q, "asOf"):
				assert.Contains(t, seen.last(), "read_parquet(", "%s: a past snapshot is read from its files: %s", id, q)
			default:
				assert.Contains(t, seen.last(), " FROM "+nativeDB+".", "%s: the second read is from the copy: %s", id, q)
			}
		}
	}
	// One copy per entry's current snapshot read; none of the older one read asOf.
	assert.Len(t, nativeTables(t, f.svc), 2)

	// The copy is sorted by the key items (station, observed_at), whatever the files' order.
	key := nativeKey(&Plan{Snapshot: second, Stored: airStored(t, f), Key: airKey(t, f)})
	c, release, ok := f.svc.native.acquire(key)
	require.True(t, ok, "the current snapshot's copy is ready")
	defer release()
	rows, err := f.svc.db.Query(`SELECT station FROM ` + nativeDB + `."` + c.table + `"`)
	require.NoError(t, err)
	var order []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		order = append(order, s)
	}
	require.NoError(t, rows.Close())
	assert.Equal(t, []string{"S1", "S1", "S2", "S2", "x' OR '1'='1"}, order)
}

func airStored(t *testing.T, f *fixture) []Column {
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	return columns(e)
}

func airKey(t *testing.T, f *fixture) []Column {
	e, err := f.cat.View().Entry(airCode)
	require.NoError(t, err)
	return keyColumns(e)
}

// TestNativeCopiesBounded: copies stay within their budget: the least recently read is dropped
// to make room, but never under a statement reading it; a snapshot that alone exceeds the
// budget is never copied and is read from its files.
func TestNativeCopiesBounded(t *testing.T) {
	f := newFixtureWith(t, func(c *Config) {
		withNativeCopies(t)(c)
		c.ResultCacheBytes = 0
		c.NativeBytes = 7*5*8 + 2*2*8 // the air table's copy and the penalty table's, not a third
	})
	n := f.svc.native
	f.mustDo(hiPrincipal, `{ air_station_hourly { station } }`)
	f.mustDo(hiPrincipal, `{ enterprise_penalty { company } }`)
	require.Len(t, nativeTables(t, f.svc), 2)

	// A reader holds the air table's copy while a new penalty snapshot wants room.
	airCopy := nativeKey(&Plan{Snapshot: mustEntry(t, f, airCode).CurrentSnapshot, Stored: airStored(t, f), Key: airKey(t, f)})
	c, release, ok := n.acquire(airCopy)
	require.True(t, ok)
	table := c.table
	f.mustDo(hiPrincipal, `{ enterprise_penalty { company } }`) // the penalty copy is the most recent now
	f.load(penaltyCode, [][]any{{"某化工有限公司", int64(1)}, {"某建材有限公司", int64(2)}, {"某钢铁有限公司", int64(3)}})
	data := f.mustDo(hiPrincipal, `{ enterprise_penalty { company amount } }`)
	assert.Len(t, data["enterprise_penalty"], 3, "read from the files while its copy is made")
	assert.Contains(t, nativeTables(t, f.svc), table, "the copy being read is not dropped under its reader")
	n.mu.Lock()
	assert.LessOrEqual(t, n.used, n.budget)
	n.mu.Unlock()
	release()
	require.Eventually(t, func() bool { return !slices.Contains(nativeTables(t, f.svc), table) }, 5*time.Second, 10*time.Millisecond,
		"dropped by its last reader")
	data = f.mustDo(hiPrincipal, `{ air_station_hourly { station } }`)
	assert.Len(t, data["air_station_hourly"], 5, "a dropped copy's snapshot is read from its files again")

	// A snapshot larger than the whole budget stays on its files.
	var seen statements
	f.svc.sqlHook = seen.hook
	big := make([][]any, 0, 40)
	for i := range 40 {
		big = append(big, []any{strings.Repeat("甲", i+1), int64(i)})
	}
	f.load(penaltyCode, big)
	for range 2 {
		data = f.mustDo(hiPrincipal, `{ enterprise_penalty(limit: 100) { company } }`)
		assert.Len(t, data["enterprise_penalty"], 40)
		assert.Contains(t, seen.last(), "read_parquet(?,", "too large to copy")
	}
}

func mustEntry(t *testing.T, f *fixture, code string) *catalog.Entry {
	e, err := f.cat.View().Entry(code)
	require.NoError(t, err)
	return e
}

// TestNativeCopyFailureFallsBack: a copy that cannot be made (its files cannot be had) leaves
// no table and no claim on the budget; reads go on from the files, and a later read tries
// again.
func TestNativeCopyFailureFallsBack(t *testing.T) {
	f := newFixtureWith(t, withNativeCopies(t))
	n := f.svc.native
	e := mustEntry(t, f, airCode)
	p := &Plan{Entry: airCode, Table: e.Table, Snapshot: e.CurrentSnapshot, Stored: columns(e), Key: keyColumns(e)}
	m, err := f.svc.manifest(f.ctx, mustSnapshot(t, f, e.CurrentSnapshot))
	require.NoError(t, err)
	key := nativeKey(p)
	n.want(key, p, m, func(context.Context) ([]string, func(), error) { return nil, nil, errors.New("bucket unreachable") })
	_, _, ok := n.acquire(key)
	assert.False(t, ok)
	n.mu.Lock()
	assert.Zero(t, n.used)
	assert.Empty(t, n.copies)
	n.mu.Unlock()
	assert.Empty(t, nativeTables(t, f.svc))
	assert.Contains(t, f.logBuf.String(), "native copy failed")

	data := f.mustDo(hiPrincipal, `{ air_station_hourly { station } }`)
	assert.Len(t, data["air_station_hourly"], 5)
	_, _, ok = n.acquire(key)
	assert.True(t, ok, "the next read made the copy")
}

func mustSnapshot(t *testing.T, f *fixture, id string) string {
	s, err := f.cat.View().Snapshot(id)
	require.NoError(t, err)
	return s.ManifestKey
}

// TestNativeCopiesInAnyDirectory: the copies' directory may hold quotes and brackets (it is the
// data directory's): the file is attached by a quoted literal.
func TestNativeCopiesInAnyDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "it's [prod]")
	f := newFixtureWith(t, func(c *Config) { c.NativeBytes, c.NativeDir = 1<<30, dir })
	f.mustDo(hiPrincipal, `{ air_station_hourly { station } }`)
	assert.Len(t, nativeTables(t, f.svc), 1)
	assert.FileExists(t, filepath.Join(dir, nativeFile))
}

// TestNativeCopiesStartEmpty: the copies' file is a cache, made anew at every start: copies of a
// past run are never read.
func TestNativeCopiesStartEmpty(t *testing.T) {
	dir := t.TempDir()
	f := newFixtureWith(t, func(c *Config) { c.NativeBytes, c.NativeDir = 1<<30, dir })
	f.mustDo(hiPrincipal, `{ air_station_hourly { station } }`)
	require.Len(t, nativeTables(t, f.svc), 1)
	require.NoError(t, f.svc.Close())

	again, err := New(f.cat, f.bucket, f.cache, f.svc.cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer again.Close()
	assert.Empty(t, nativeTables(t, again))
	res := again.Do(f.ctx, f.principal(hiPrincipal), Request{Query: `{ air_station_hourly { station } }`})
	require.Empty(t, res.Errors)
	assert.Len(t, res.Data.(map[string]any)["air_station_hourly"], 5)
}

// TestNativeCopiesUnderConcurrentReads: readers of two snapshots whose copies do not fit
// together, made in the background as serve makes them, evict each other's copies over and over
// while both are read; every answer is whole and right, and no copy is dropped under a reader
// (a statement on a dropped table would fail).
func TestNativeCopiesUnderConcurrentReads(t *testing.T) {
	f := newFixtureWith(t, func(c *Config) {
		withNativeCopies(t)(c)
		c.ResultCacheBytes = 0
		c.NativeBytes = 7 * 5 * 8 // the air table's copy, or the penalty table's, not both
	})
	f.svc.native.sync = false
	var made statements
	f.svc.sqlHook = made.hook
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				q, field, want := `{ air_station_hourly { station } }`, "air_station_hourly", 5
				if (w+i)%2 == 1 {
					q, field, want = `{ enterprise_penalty { company } }`, "enterprise_penalty", 2
				}
				res := f.svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: q})
				if len(res.Errors) > 0 {
					errs <- errors.New(res.Errors[0].Message)
					return
				}
				if got := len(res.Data.(map[string]any)[field].([]any)); got != want {
					errs <- fmt.Errorf("%s: %d rows, want %d", field, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	f.svc.native.wg.Wait()
	n := f.svc.native
	n.mu.Lock()
	assert.LessOrEqual(t, n.used, n.budget)
	n.mu.Unlock()
	made.mu.Lock()
	defer made.mu.Unlock()
	copied := 0
	for _, s := range made.sql {
		if strings.Contains(s, " FROM "+nativeDB+".") {
			copied++
		}
	}
	assert.Positive(t, copied, "some reads were from copies")
}

// TestNativeCopyStatementsPrepared: a statement text over a copy is prepared once and run again
// with each request's values (every value is an argument, so the answers differ as the values
// do); at most maxCopyStatements texts are kept per copy, the others run unprepared; a dropped
// copy's statements are closed with it.
func TestNativeCopyStatementsPrepared(t *testing.T) {
	f := newFixtureWith(t, func(c *Config) { withNativeCopies(t)(c); c.ResultCacheBytes = 0 })
	point := `query($s: String, $t: String) { air_station_hourly(where: {station: {eq: $s}, observed_at: {eq: $t}}) { station observed_at pm25 } }`
	want := map[[2]string]any{}
	for _, r := range airRows() {
		want[[2]string{r[0].(string), r[2].(time.Time).Format("2006-01-02T15:04:05")}] = r[4]
	}
	f.mustDo(hiPrincipal, `{ air_station_hourly { station } }`) // makes the copy
	for round := range 3 {
		for k, pm25 := range want {
			data, errs := f.do(hiPrincipal, point, map[string]any{"s": k[0], "t": k[1]})
			require.Empty(t, errs)
			rows := data["air_station_hourly"].([]any)
			require.Len(t, rows, 1, "round %d, %v", round, k)
			assert.Equal(t, k[0], rows[0].(map[string]any)["station"])
			if pm25 == nil {
				assert.Nil(t, rows[0].(map[string]any)["pm25"])
			} else {
				assert.InDelta(t, pm25.(float64), rows[0].(map[string]any)["pm25"], 1e-9)
			}
		}
	}
	e := mustEntry(t, f, airCode)
	c, release, ok := f.svc.native.acquire(nativeKey(&Plan{Snapshot: e.CurrentSnapshot, Stored: columns(e), Key: keyColumns(e)}))
	require.True(t, ok)
	n := f.svc.native
	n.mu.Lock()
	assert.Len(t, c.stmts, 1, "the point query, prepared once for its fifteen runs (the first read was from the files)")
	n.mu.Unlock()

	// More texts than are kept: an IN list of k values is a text of k placeholders.
	for k := 1; k <= maxCopyStatements+6; k++ {
		vals := make([]string, k)
		for i := range vals {
			vals[i] = fmt.Sprintf("%d", i*10)
		}
		data := f.mustDo(hiPrincipal, `{ air_station_hourly(where: {aqi: {in: [`+strings.Join(vals, ",")+`]}}) { station aqi } }`)
		wantRows := 0
		for _, r := range airRows() {
			if a, ok := r[5].(int64); ok && a%10 == 0 && a/10 < int64(k) {
				wantRows++
			}
		}
		assert.Len(t, data["air_station_hourly"], wantRows, "in list of %d", k)
	}
	n.mu.Lock()
	assert.Len(t, c.stmts, maxCopyStatements)
	c.dropped = true
	n.mu.Unlock()
	release() // the last reader of a dropped copy drops it
	n.mu.Lock()
	assert.Nil(t, c.stmts, "closed with the copy")
	n.mu.Unlock()
	assert.NotContains(t, nativeTables(t, f.svc), c.table)
}
