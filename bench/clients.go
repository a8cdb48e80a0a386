package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
)

// districts are the embedded code list's, read once: rows take them in turn.
var rowDistricts = schemas.AllDistricts()

// rowDistrict is the district of row i of the generated CSV: every district but the city.
func rowDistrict(i int) schemas.District { return rowDistricts[1+i%(len(rowDistricts)-1)] }

// pointKey is the station and time of row i of the generated CSV (writeCSV), its key.
func pointKey(i int) (station string, at time.Time) {
	return fmt.Sprintf("CQ%s%02d", rowDistrict(i).Code[2:], i%7), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
}

// clientsBench runs clients concurrent point queries on randomised keys for d, through the
// governed service, straight on DuckDB over the same files, and on DuckDB over own (the same
// rows in DuckDB's own Parquet layout, when given), and prints throughput, p50/p99 and the process's RSS
// after each side.
func clientsBench(ctx context.Context, svc, files *query.Service, db *sql.DB, p, district *catalog.Principal, paths, own []string, rows, clients int, d time.Duration) error {
	// The clients are the accounts of several scenes, four clients each: the service admits a
	// share of its slots per account (query.Config.MaxConcurrentPerPrincipal), so one account
	// behind every client would measure that share, not the service.
	accountsOf := func(p *catalog.Principal) []*catalog.Principal {
		accounts := make([]*catalog.Principal, max(1, clients/4))
		for i := range accounts {
			a := *p
			a.ID = fmt.Sprintf("%s-%02d", p.ID, i)
			accounts[i] = &a
		}
		return accounts
	}
	accounts, districtAccounts := accountsOf(p), accountsOf(district)
	// The district accounts ask for keys of their own districts' rows: row i is of district
	// rowDistricts[1+i%(len-1)] (writeCSV).
	var ownRows []int // i % (len-1) of each of district's districts
	for k, rd := range rowDistricts[1:] {
		if slices.Contains(district.Districts, rd.Code) {
			ownRows = append(ownRows, k)
		}
	}
	period := len(rowDistricts) - 1
	anyRow := func() int { return rand.IntN(rows) }
	districtRow := func() int {
		for {
			if i := rand.IntN(rows/period)*period + ownRows[rand.IntN(len(ownRows))]; i < rows {
				return i
			}
		}
	}
	// duty_phone is masked (MOBILE) for every account: the point query carries a mask, and for the
	// district accounts a row scope too.
	gql := `query($s: String, $t: String) { air_station_hourly(where: {station_code: {eq: $s}, observed_at: {eq: $t}}) { station_code observed_at pm25 aqi duty_phone } }`
	// The hour as the column's type: a time.Time binds as TIMESTAMP WITH TIME ZONE, which would
	// cast every row and lose the row groups' statistics.
	const plain = `SELECT station_code, observed_at, pm25, aqi, duty_phone FROM read_parquet(?) WHERE station_code = ? AND observed_at = CAST(? AS TIMESTAMP)`
	// The district's row scope written into the plain SQL, as the policy adds it.
	plainDistrict := plain + ` AND district_code IN ('` + strings.Join(district.Districts, `', '`) + `')`
	plainSideOf := func(q string, files []string) func(client, i int) error {
		return func(_, i int) error {
			s, at := pointKey(i)
			r, err := db.QueryContext(ctx, q, files, s, at.Format("2006-01-02 15:04:05"))
			if err != nil {
				return err
			}
			n := 0
			for r.Next() {
				n++
			}
			if err := r.Close(); err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("row %d: %d rows", i, n)
			}
			return nil
		}
	}
	plainSide := func(files []string) func(client, i int) error { return plainSideOf(plain, files) }
	gqlSideOf := func(svc *query.Service, accounts []*catalog.Principal) func(client, i int) error {
		return func(client, i int) error {
			s, at := pointKey(i)
			res := svc.Do(ctx, accounts[client%len(accounts)], query.Request{Query: gql, Variables: map[string]any{"s": s, "t": at.Format("2006-01-02T15:04:05")}})
			if len(res.Errors) > 0 {
				return fmt.Errorf("%v", res.Errors[0].Message)
			}
			got := res.Data.(map[string]any)["air_station_hourly"].([]any)
			if len(got) != 1 {
				return fmt.Errorf("row %d: %d rows", i, len(got))
			}
			if phone, _ := got[0].(map[string]any)["duty_phone"].(string); phone == dutyPhone(i) || !strings.Contains(phone, "*") {
				return fmt.Errorf("row %d: duty_phone %q not masked", i, phone)
			}
			return nil
		}
	}
	gqlSide := func(svc *query.Service) func(client, i int) error { return gqlSideOf(svc, accounts) }
	type side struct {
		name string
		one  func(client, i int) error
		key  func() int
	}
	sides := []side{
		{"graphql", gqlSide(svc), anyRow},
		{"duckdb", plainSide(paths), anyRow},
		{"graphql-files", gqlSide(files), anyRow},
		{"gql-district", gqlSideOf(svc, districtAccounts), districtRow},
		{"duck-district", plainSideOf(plainDistrict, paths), districtRow},
	}
	if own != nil {
		sides = append(sides, side{"duckdb-own", plainSide(own), anyRow})
	}
	fmt.Printf("\n%d clients (%d accounts), point queries on random keys, %s per side:\n", clients, len(accounts), d)
	var rates []float64
	for _, side := range sides {
		var mu sync.Mutex
		var lat []time.Duration
		var firstErr error
		var wg sync.WaitGroup
		start := time.Now()
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				for time.Since(start) < d {
					t0 := time.Now()
					if err := side.one(c, side.key()); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return fmt.Errorf("%s: %w", side.name, firstErr)
		}
		slices.Sort(lat)
		rate := float64(len(lat)) / time.Since(start).Seconds()
		rates = append(rates, rate)
		fmt.Printf("  %-13s %7.0f req/s  p50 %6.1f ms  p99 %6.1f ms  rss %4.0f MB\n", side.name, rate,
			float64(lat[len(lat)/2].Microseconds())/1e3, float64(lat[len(lat)*99/100].Microseconds())/1e3, float64(procRSS())/1e6)
	}
	fmt.Printf("  throughput ratio graphql (as served: native copy, result cache)/duckdb on the same files: %.2f\n", rates[0]/rates[1])
	fmt.Printf("  throughput ratio graphql over the Parquet files (no copy, no result cache)/duckdb on the same files: %.2f\n", rates[2]/rates[1])
	fmt.Printf("  throughput ratio with a district account's row scope (its own rows' keys), graphql (as served)/duckdb with the scope in its SQL: %.2f\n", rates[3]/rates[4])
	if own != nil {
		fmt.Printf("  throughput ratio graphql (as served)/duckdb on the same rows in DuckDB's own layout: %.2f\n", rates[0]/rates[5])
	}
	return nil
}
