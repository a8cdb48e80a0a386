package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// queryBench times governed GraphQL queries over the snapshot the ingest made against the same
// SQL run straight on DuckDB over the same Parquet files, so that the ratio is the cost of the
// GraphQL layer, the policy and the plan (not of DuckDB itself).
func queryBench(ctx context.Context, dir string, rounds, rows int) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = filepath.Join(dir, "catalog")
	cat, err := catalog.Open(ctx, ccfg, log)
	if err != nil {
		return err
	}
	defer cat.Close()
	bucket, err := local.New(filepath.Join(dir, "lake"))
	if err != nil {
		return err
	}
	defer bucket.Close()
	cache, err := lake.NewCache(bucket, filepath.Join(dir, "cache"), 1<<30)
	if err != nil {
		return err
	}
	// As serve runs it: every request is recorded, durably, in the audit before it answers.
	auditLog, err := audit.Open(filepath.Join(dir, "audit"), 0, nil)
	if err != nil {
		return err
	}
	defer auditLog.Close()
	// served is configured as serve runs it (result cache, native copies); svc the same without
	// the result cache and the copies, so that a query asked again in the rounds below is run
	// again over the Parquet files, as the baseline runs it; copied is svc with the copies.
	qcfg := query.DefaultConfig()
	qcfg.Audit = auditLog
	qcfg.NativeBytes, qcfg.NativeDir = 1<<30, filepath.Join(dir, "native-served")
	served, err := query.New(cat, bucket, cache, qcfg, log)
	if err != nil {
		return err
	}
	defer served.Close()
	qcfg.ResultCacheBytes = 0
	qcfg.NativeDir = filepath.Join(dir, "native")
	copied, err := query.New(cat, bucket, cache, qcfg, log)
	if err != nil {
		return err
	}
	defer copied.Close()
	qcfg.NativeBytes = 0
	svc, err := query.New(cat, bucket, cache, qcfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	bcfg := query.DefaultConfig()
	bcfg.ResultCacheBytes = 0
	bare, err := query.New(cat, bucket, cache, bcfg, log) // no audit: to tell its cost
	if err != nil {
		return err
	}
	defer bare.Close()
	if queryProfile != "" {
		stop, err := startCPUProfile(queryProfile)
		if err != nil {
			return err
		}
		defer stop()
	}

	e, err := cat.View().Entry(stationEntry().ResourceCode)
	if err != nil {
		return err
	}
	snap, err := cat.View().Snapshot(e.CurrentSnapshot)
	if err != nil {
		return err
	}
	m, err := lake.ReadManifest(ctx, bucket, snap.ManifestKey)
	if err != nil {
		return err
	}
	paths, release, err := cache.Acquire(ctx, m.Files)
	if err != nil {
		return err
	}
	defer release()
	// The baseline keeps Parquet footers as the service does: the ratio compares the governed
	// path with DuckDB at its best on the same files, not with a cold footer read.
	conn, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(ctx, "SET parquet_metadata_cache = true", nil)
		return err
	})
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	// As many queries at once as the service admits (query.Config.MaxConcurrent): beyond it
	// DuckDB only queues on two cores, and the comparison would be with a thrashing baseline.
	db.SetMaxOpenConns(query.DefaultConfig().MaxConcurrent)
	db.SetMaxIdleConns(query.DefaultConfig().MaxConcurrent)

	steward := &catalog.Principal{ID: "bench", Role: catalog.RoleSteward, Clearance: schemas.Core}
	district := &catalog.Principal{ID: "bench-wz", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101", "500102"}}
	cases := []struct {
		name, gql, sql string
		args           []any
		p              *catalog.Principal
	}{
		{"aggregate by district (every row)",
			`{ air_station_hourly_aggregate(groupBy: [district_code]) { group { district_code } count avg { pm25 } max { pm25 } } }`,
			`SELECT district_code, count(*), avg(pm25), max(pm25) FROM read_parquet(?) GROUP BY 1 ORDER BY 1`, nil, steward},
		{"filtered rows, ordered, limit 100",
			`{ air_station_hourly(where: {district_code: {eq: "500101"}, pm25: {gte: 50}}, orderBy: [{field: observed_at, direction: DESC}], limit: 100) { station_code observed_at pm25 aqi } }`,
			`SELECT station_code, observed_at, pm25, aqi FROM read_parquet(?) WHERE district_code = ? AND pm25 >= ? ORDER BY observed_at DESC LIMIT 100`,
			[]any{"500101", 50.0}, steward},
		// A district account: the policy adds its row scope as a bound predicate.
		{"district account, row-scoped agg",
			`{ air_station_hourly_aggregate(groupBy: [station_code]) { group { station_code } count avg { pm25 } } }`,
			`SELECT station_code, count(*), avg(pm25) FROM read_parquet(?) WHERE district_code IN (?, ?) GROUP BY 1 ORDER BY 1`,
			[]any{"500101", "500102"}, district},
	}
	// The fixed cost of a governed request, without DuckDB: parse, validate, execute a catalogue
	// field, record the audit event.
	var fixed, fixedNoAudit []time.Duration
	for i := 0; i < 4*rounds; i++ {
		start := time.Now()
		if res := svc.Do(ctx, steward, query.Request{Query: `{ departments { code } }`}); len(res.Errors) > 0 {
			return fmt.Errorf("departments: %v", res.Errors)
		}
		fixed = append(fixed, time.Since(start))
		start = time.Now()
		if res := bare.Do(ctx, steward, query.Request{Query: `{ departments { code } }`}); len(res.Errors) > 0 {
			return fmt.Errorf("departments: %v", res.Errors)
		}
		fixedNoAudit = append(fixedNoAudit, time.Since(start))
	}
	fmt.Printf("\nfixed cost of a request without data (departments), median of %d: %.2f ms, of which the audit's fsync %.2f ms\n",
		4*rounds, float64(median(fixed).Microseconds())/1e3, float64((median(fixed)-median(fixedNoAudit)).Microseconds())/1e3)
	for _, s := range []*query.Service{copied, served} {
		took, err := awaitCopy(ctx, s, steward, cases[0].gql)
		if err != nil {
			return err
		}
		if s == copied {
			fmt.Printf("\nnative copy of the snapshot (%d rows, sorted by its key items) made in %.2f s, in the background after its first read\n", rows, took.Seconds())
		}
	}
	fmt.Printf("\nqueries over the same snapshot (%d files), median of %d rounds (graphql without the result cache, over the files and over the native copy):\n", len(paths), rounds)
	for _, c := range cases {
		var g, n, d, again []time.Duration
		if res := served.Do(ctx, c.p, query.Request{Query: c.gql}); len(res.Errors) > 0 {
			return fmt.Errorf("%s: %v", c.name, res.Errors)
		}
		for i := 0; i < rounds; i++ {
			start := time.Now()
			res := svc.Do(ctx, c.p, query.Request{Query: c.gql})
			g = append(g, time.Since(start))
			if len(res.Errors) > 0 {
				return fmt.Errorf("%s: %v", c.name, res.Errors)
			}
			start = time.Now()
			res = copied.Do(ctx, c.p, query.Request{Query: c.gql})
			n = append(n, time.Since(start))
			if len(res.Errors) > 0 {
				return fmt.Errorf("%s (copy): %v", c.name, res.Errors)
			}
			start = time.Now()
			if res := served.Do(ctx, c.p, query.Request{Query: c.gql}); len(res.Errors) > 0 {
				return fmt.Errorf("%s: %v", c.name, res.Errors)
			}
			again = append(again, time.Since(start))
			start = time.Now()
			rows, err := db.QueryContext(ctx, c.sql, append([]any{paths}, c.args...)...)
			if err != nil {
				return fmt.Errorf("%s (duckdb): %w", c.name, err)
			}
			for rows.Next() {
			}
			rows.Close()
			d = append(d, time.Since(start))
		}
		gm, nm, dm, am := median(g), median(n), median(d), median(again)
		fmt.Printf("  %-34s graphql %6.1f ms, over the copy %6.1f ms  duckdb %6.1f ms  ratio %.2f, over the copy %.2f   asked again (result cache) %5.2f ms, %.0fx faster than duckdb\n", c.name,
			float64(gm.Microseconds())/1e3, float64(nm.Microseconds())/1e3, float64(dm.Microseconds())/1e3, gm.Seconds()/dm.Seconds(), nm.Seconds()/dm.Seconds(),
			float64(am.Microseconds())/1e3, dm.Seconds()/am.Seconds())
	}
	// The same rows as DuckDB lays them out by default (its row groups, its compression), for the
	// question what ecolake's own layout buys.
	own := filepath.Join(dir, "duckdb-layout.parquet")
	if _, err := db.ExecContext(ctx, "COPY (SELECT * FROM read_parquet(?)) TO '"+strings.ReplaceAll(own, "'", "''")+"' (FORMAT parquet, COMPRESSION zstd)", paths); err != nil {
		return fmt.Errorf("duckdb layout: %w", err)
	}
	return clientsBench(ctx, served, svc, db, steward, district, paths, []string{own}, rows, 64, 10*time.Second)
}

// awaitCopy reads the snapshot gql reads through s and waits until its native copy is made.
func awaitCopy(ctx context.Context, s *query.Service, p *catalog.Principal, gql string) (time.Duration, error) {
	start := time.Now()
	if res := s.Do(ctx, p, query.Request{Query: gql}); len(res.Errors) > 0 {
		return 0, fmt.Errorf("%v", res.Errors)
	}
	for st := s.NativeStats(); st.Making > 0 || st.Ready == 0; st = s.NativeStats() {
		if time.Since(start) > 10*time.Minute {
			return 0, fmt.Errorf("native copy not made after %s: %+v", time.Since(start), st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
