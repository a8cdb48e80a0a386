package lineage

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	air     = "0101/000001" // air_station_hourly
	targets = "0101/000002" // station_targets
	codes   = "0102/000001" // district_codes
)

func testResolver(name string) (Table, bool) {
	t, ok := map[string]Table{
		"air_station_hourly": {Entry: air, Name: "air_station_hourly", Columns: []string{"station", "district", "observed_at", "pm25", "aqi"}},
		"station_targets":    {Entry: targets, Name: "station_targets", Columns: []string{"station", "district", "year", "pm25_target"}},
		"district_codes":     {Entry: codes, Name: "district_codes", Columns: []string{"code", "name"}},
	}[name]
	return t, ok
}

func newTestAnalyzer(t *testing.T) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.Close()) })
	return a
}

func ref(entry, field string, via Via) ColumnRef {
	return ColumnRef{Entry: entry, Field: field, Via: via}
}
func out(name string, sources ...ColumnRef) OutputColumn {
	return OutputColumn{Name: name, Sources: append([]ColumnRef{}, sources...)}
}
func refs(r ...ColumnRef) []ColumnRef { return append([]ColumnRef{}, r...) }

func TestAttribute(t *testing.T) {
	a := newTestAnalyzer(t)
	cases := []struct {
		name    string
		sql     string
		inputs  []string
		columns []OutputColumn
		filters []ColumnRef
	}{{
		name:    "projection with alias",
		sql:     "SELECT station AS site, pm25 * 2 AS pm25x2 FROM air_station_hourly WHERE aqi > 100;",
		inputs:  []string{air},
		columns: []OutputColumn{out("site", ref(air, "station", ViaDirect)), out("pm25x2", ref(air, "pm25", ViaDirect))},
		filters: refs(ref(air, "aqi", ViaFilter)),
	}, {
		name: "join with on",
		sql: `SELECT h.station, t.pm25_target AS target FROM air_station_hourly h
			JOIN station_targets t ON h.station = t.station AND t.year = 2024`,
		inputs:  []string{air, targets},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)), out("target", ref(targets, "pm25_target", ViaDirect))},
		filters: refs(ref(air, "station", ViaFilter), ref(targets, "station", ViaFilter), ref(targets, "year", ViaFilter)),
	}, {
		name:   "left join using",
		sql:    "SELECT station, h.district, pm25_target FROM air_station_hourly h LEFT JOIN station_targets t USING (station)",
		inputs: []string{air, targets},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)), out("district", ref(air, "district", ViaDirect)),
			out("pm25_target", ref(targets, "pm25_target", ViaDirect))},
		filters: refs(ref(air, "station", ViaFilter), ref(targets, "station", ViaFilter)),
	}, {
		name:    "full join using takes both sides",
		sql:     "SELECT station FROM air_station_hourly FULL JOIN station_targets USING (station)",
		inputs:  []string{air, targets},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect), ref(targets, "station", ViaDirect))},
		filters: refs(ref(air, "station", ViaFilter), ref(targets, "station", ViaFilter)),
	}, {
		name:   "natural join",
		sql:    "SELECT * EXCLUDE (observed_at, aqi, year) FROM air_station_hourly NATURAL JOIN station_targets",
		inputs: []string{air, targets},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)), out("district", ref(air, "district", ViaDirect)),
			out("pm25", ref(air, "pm25", ViaDirect)), out("pm25_target", ref(targets, "pm25_target", ViaDirect))},
		filters: refs(ref(air, "district", ViaFilter), ref(air, "station", ViaFilter),
			ref(targets, "district", ViaFilter), ref(targets, "station", ViaFilter)),
	}, {
		name: "group by with sum, avg and having",
		sql: `SELECT district, sum(pm25) AS total, avg(aqi) AS mean_aqi FROM air_station_hourly
			GROUP BY district HAVING avg(pm25) > 35`,
		inputs: []string{air},
		columns: []OutputColumn{out("district", ref(air, "district", ViaDirect)), out("total", ref(air, "pm25", ViaAggregate)),
			out("mean_aqi", ref(air, "aqi", ViaAggregate))},
		filters: refs(ref(air, "district", ViaGroup), ref(air, "pm25", ViaFilter)),
	}, {
		name:    "group by all and an aggregate macro",
		sql:     "SELECT district, geomean(pm25) AS g FROM air_station_hourly GROUP BY ALL",
		inputs:  []string{air},
		columns: []OutputColumn{out("district", ref(air, "district", ViaDirect)), out("g", ref(air, "pm25", ViaAggregate))},
		filters: refs(ref(air, "district", ViaGroup)),
	}, {
		name: "cte used twice",
		sql: `WITH s AS (SELECT station, pm25 FROM air_station_hourly WHERE aqi IS NOT NULL)
			SELECT a.station, a.pm25 - b.pm25 AS diff FROM s a JOIN s b ON a.station = b.station`,
		inputs:  []string{air},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)), out("diff", ref(air, "pm25", ViaDirect))},
		filters: refs(ref(air, "aqi", ViaFilter), ref(air, "station", ViaFilter)),
	}, {
		name: "window with partition and order",
		sql: `SELECT station, avg(pm25) OVER (PARTITION BY station ORDER BY observed_at
			ROWS BETWEEN 23 PRECEDING AND CURRENT ROW) AS pm25_24h FROM air_station_hourly QUALIFY pm25_24h > 75`,
		inputs: []string{air},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)),
			out("pm25_24h", ref(air, "observed_at", ViaWindow), ref(air, "pm25", ViaWindow), ref(air, "station", ViaWindow))},
		filters: refs(ref(air, "observed_at", ViaFilter), ref(air, "pm25", ViaFilter), ref(air, "station", ViaFilter)),
	}, {
		name: "subquery in from",
		sql: `SELECT m.district, m.peak FROM (SELECT district, max(pm25) AS peak FROM air_station_hourly
			GROUP BY district) m WHERE m.peak > 75`,
		inputs:  []string{air},
		columns: []OutputColumn{out("district", ref(air, "district", ViaDirect)), out("peak", ref(air, "pm25", ViaAggregate))},
		filters: refs(ref(air, "district", ViaGroup), ref(air, "pm25", ViaFilter)),
	}, {
		name: "scalar subquery",
		sql: `SELECT station, (SELECT max(t.pm25_target) FROM station_targets t WHERE t.station = h.station) AS target
			FROM air_station_hourly h`,
		inputs: []string{air, targets},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)),
			out("target", ref(air, "station", ViaFilter), ref(targets, "pm25_target", ViaAggregate), ref(targets, "station", ViaFilter))},
		filters: refs(),
	}, {
		name:    "in subquery in where",
		sql:     "SELECT station, pm25 FROM air_station_hourly WHERE district IN (SELECT code FROM district_codes WHERE name LIKE '%区')",
		inputs:  []string{air, codes},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)), out("pm25", ref(air, "pm25", ViaDirect))},
		filters: refs(ref(air, "district", ViaFilter), ref(codes, "code", ViaFilter), ref(codes, "name", ViaFilter)),
	}, {
		name:    "exists subquery",
		sql:     "SELECT code FROM district_codes d WHERE EXISTS (SELECT 1 FROM air_station_hourly h WHERE h.district = d.code)",
		inputs:  []string{air, codes},
		columns: []OutputColumn{out("code", ref(codes, "code", ViaDirect))},
		filters: refs(ref(air, "district", ViaFilter), ref(codes, "code", ViaFilter)),
	}, {
		name: "union all of two tables",
		sql: `SELECT station, district FROM air_station_hourly WHERE aqi > 100
			UNION ALL SELECT station, district FROM station_targets`,
		inputs: []string{air, targets},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect), ref(targets, "station", ViaDirect)),
			out("district", ref(air, "district", ViaDirect), ref(targets, "district", ViaDirect))},
		filters: refs(ref(air, "aqi", ViaFilter)),
	}, {
		name:    "select star",
		sql:     "SELECT * FROM district_codes",
		inputs:  []string{codes},
		columns: []OutputColumn{out("code", ref(codes, "code", ViaDirect)), out("name", ref(codes, "name", ViaDirect))},
		filters: refs(),
	}, {
		name:   "table star",
		sql:    "SELECT h.*, d.name FROM air_station_hourly h JOIN district_codes d ON h.district = d.code",
		inputs: []string{air, codes},
		columns: []OutputColumn{out("station", ref(air, "station", ViaDirect)), out("district", ref(air, "district", ViaDirect)),
			out("observed_at", ref(air, "observed_at", ViaDirect)), out("pm25", ref(air, "pm25", ViaDirect)),
			out("aqi", ref(air, "aqi", ViaDirect)), out("name", ref(codes, "name", ViaDirect))},
		filters: refs(ref(air, "district", ViaFilter), ref(codes, "code", ViaFilter)),
	}, {
		name:   "an alias used by a later item and by where",
		sql:    "SELECT district AS d, pm25 * 2 AS dbl, dbl + aqi AS total FROM air_station_hourly WHERE d <> ''",
		inputs: []string{air},
		columns: []OutputColumn{out("d", ref(air, "district", ViaDirect)), out("dbl", ref(air, "pm25", ViaDirect)),
			out("total", ref(air, "aqi", ViaDirect), ref(air, "pm25", ViaDirect))},
		filters: refs(ref(air, "district", ViaFilter)),
	}, {
		name:    "count star",
		sql:     "SELECT count(*) AS n FROM air_station_hourly WHERE pm25 > 75",
		inputs:  []string{air},
		columns: []OutputColumn{out("n")},
		filters: refs(ref(air, "pm25", ViaFilter)),
	}, {
		name: "case, coalesce and cast, ordered with a limit",
		sql: `SELECT CASE WHEN pm25 > 75 THEN '超标' ELSE '达标' END AS grade, coalesce(aqi, 0)::DOUBLE AS aqi
			FROM air_station_hourly ORDER BY observed_at DESC LIMIT 10`,
		inputs:  []string{air},
		columns: []OutputColumn{out("grade", ref(air, "pm25", ViaDirect)), out("aqi", ref(air, "aqi", ViaDirect))},
		filters: refs(ref(air, "observed_at", ViaFilter)),
	}, {
		name: "monthly pm2.5 by district against targets",
		sql: `SELECT date_trunc('month', h.observed_at) AS month, h.district, avg(h.pm25) AS pm25_avg,
				max(t.pm25_target) AS pm25_target
			FROM air_station_hourly h JOIN station_targets t ON h.station = t.station AND t.year = year(h.observed_at)
			GROUP BY month, h.district`,
		inputs: []string{air, targets},
		columns: []OutputColumn{out("month", ref(air, "observed_at", ViaDirect)), out("district", ref(air, "district", ViaDirect)),
			out("pm25_avg", ref(air, "pm25", ViaAggregate)), out("pm25_target", ref(targets, "pm25_target", ViaAggregate))},
		filters: refs(ref(air, "district", ViaGroup), ref(air, "observed_at", ViaFilter), ref(air, "observed_at", ViaGroup),
			ref(air, "station", ViaFilter), ref(targets, "station", ViaFilter), ref(targets, "year", ViaFilter)),
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.Attribute(context.Background(), c.sql, testResolver)
			require.NoError(t, err)
			assert.Equal(t, c.inputs, got.Inputs, "inputs")
			assert.Equal(t, c.columns, got.Columns, "columns")
			assert.Equal(t, c.filters, got.Filters, "filters")
		})
	}
}

func TestAttributeRefuses(t *testing.T) {
	a := newTestAnalyzer(t)
	deep := "SELECT " + strings.Repeat("-(", 200) + "pm25" + strings.Repeat(")", 200) + " AS x FROM air_station_hourly"
	// A wide CTE read by many subqueries: small text, much work.
	wide := "WITH c AS (SELECT " + strings.Repeat("*, ", 199) + "* FROM air_station_hourly a, station_targets b) SELECT "
	for i := range 1500 {
		wide += fmt.Sprintf("(SELECT 1 FROM c) AS x%d, ", i)
	}
	wide += "1 AS y"
	cases := []struct{ name, sql, want string }{
		{"unknown table", "SELECT x FROM no_such_table", "未知的数据表 no_such_table"},
		{"file reader", "SELECT * FROM read_parquet('x.parquet')", "read_parquet"},
		{"table function", "SELECT * FROM range(3) r", "range"},
		{"values list", "SELECT * FROM (VALUES (1, 2)) v(a, b)", "EXPRESSION_LIST"},
		{"schema-qualified table", "SELECT station FROM main.air_station_hourly", "main.air_station_hourly"},
		{"two statements", "SELECT station FROM air_station_hourly; SELECT code FROM district_codes", "收到 2 条"},
		{"insert", "INSERT INTO district_codes VALUES ('a', 'b')", "INSERT"},
		{"create", "-- a comment first\nCREATE TABLE x AS SELECT 1", "CREATE"},
		{"pragma", "PRAGMA version", "PRAGMA"},
		{"attach", "ATTACH 'other.db'", "ATTACH"},
		{"copy", "COPY district_codes TO 'x.csv'", "COPY"},
		{"ambiguous column", "SELECT district FROM air_station_hourly h JOIN station_targets t USING (station)", "列 district 有歧义: 出现在 h, t"},
		{"missing column", "SELECT pm10 FROM air_station_hourly", "未知的列 pm10"},
		{"missing qualified column", "SELECT h.pm10 FROM air_station_hourly h", "h.pm10"},
		{"unknown alias", "SELECT x.station FROM air_station_hourly h", "未知的表或别名 x"},
		{"expression without alias", "SELECT station, pm25 * 2 FROM air_station_hourly", "第 2 个输出列需要别名"},
		{"duplicate output", "SELECT h.station, t.station FROM air_station_hourly h, station_targets t", "输出列名 station 重复"},
		{"invalid output name", `SELECT pm25 AS "pm 2.5" FROM air_station_hourly`, "pm 2.5"},
		{"recursive cte", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r", "递归 CTE r"},
		{"natural join without common column", "SELECT * FROM air_station_hourly NATURAL JOIN district_codes", "NATURAL JOIN"},
		{"union of different widths", "SELECT station FROM air_station_hourly UNION SELECT code, name FROM district_codes", "UNION 的各分支列数不同"},
		{"columns expression", "SELECT COLUMNS('p.*') FROM air_station_hourly", "COLUMNS"},
		{"syntax error", "SELECT station FROM air_station_hourly WHERE", "SQL 语法错误: syntax error at end of input"},
		{"too long", "SELECT station FROM air_station_hourly WHERE station IN (" + strings.Repeat("'x', ", 14000) + "'x')", "SQL 过长"},
		{"too deep", deep, "SQL 嵌套过深"},
		{"too much work", wide, "SQL 过于复杂"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.Attribute(context.Background(), c.sql, testResolver)
			require.ErrorIs(t, err, ErrRefused)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestAttributeConcurrent runs many attributions at once on one Analyzer (go test -race).
func TestAttributeConcurrent(t *testing.T) {
	a := newTestAnalyzer(t)
	sqls := []string{
		"SELECT district, avg(pm25) AS pm25_avg FROM air_station_hourly GROUP BY district",
		"SELECT h.station, t.pm25_target FROM air_station_hourly h JOIN station_targets t USING (station)",
		"SELECT * FROM district_codes WHERE code IN (SELECT district FROM air_station_hourly)",
	}
	want := make([]*Attribution, len(sqls))
	for i, q := range sqls {
		var err error
		want[i], err = a.Attribute(context.Background(), q, testResolver)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for j := range 12 {
				i := (g + j) % len(sqls)
				got, err := a.Attribute(context.Background(), sqls[i], testResolver)
				if err == nil && !assert.ObjectsAreEqual(want[i], got) {
					err = fmt.Errorf("%q: got %+v, want %+v", sqls[i], got, want[i])
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestAttributeCancelled(t *testing.T) {
	a := newTestAnalyzer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.Attribute(ctx, "SELECT code FROM district_codes", testResolver)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrRefused)
}
