package query

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInjectionCorpus sends hostile strings through every argument that takes text: none
// reaches SQL as text, no answer carries the engine's error detail, and no file is written.
func TestInjectionCorpus(t *testing.T) {
	f := contactsFixture(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	corpus := []string{
		`x' OR '1'='1`, `x'; DROP TABLE t; --`, `x' /* c */ OR 1=1 --`, `x'||(SELECT 1)||'`,
		`＇ OR ＇1＇=＇1`, "x\u2019 OR \u20181\u2019=\u20181", `x"; SELECT 1; --`,
		`' UNION SELECT * FROM read_csv('/etc/passwd') --`, `'); COPY (SELECT 1) TO '` + marker + `'; --`,
		`read_parquet('/etc/hosts')`, `"station"`, `%' OR 1=1 --`, `\`, `x'::INTEGER`,
		"x\x00y", strings.Repeat("'", 300),
	}
	queries := []string{
		`query($v: String) { air_station_hourly(where: {station: {eq: $v}}) { station } }`,
		`query($v: String) { air_station_hourly(where: {station: {ne: $v}}) { station } }`,
		`query($v: String) { air_station_hourly(where: {station: {like: $v}}) { station } }`,
		`query($v: String) { air_station_hourly(where: {station: {gt: $v}}) { station } }`,
		`query($v: String) { air_station_hourly(where: {district: {in: [$v, "渝中区"]}}) { station } }`,
		`query($v: String) { air_station_hourly(asOf: $v) { station } }`,
		`query($v: String) { air_station_hourly_page(after: $v) { nodes { station } } }`,
		`query($v: String) { air_station_hourly_aggregate(asOf: $v, where: {station: {eq: $v}}) { count } }`,
		`query($v: String) { auditEvents(principal: $v, entry: $v, after: $v) { nodes { id } } }`,
		`query($v: String) { auditEvents(from: $v) { nodes { id } } }`,
		`query($v: String) { grants(grantee: $v) { nodes { id } } }`,
		`query($v: String) { search(text: $v) { total } }`,
		`query($v: String) { directory(department: $v) { totalCount } }`,
		`query($v: String) { entry(code: $v) { name } }`,
	}
	for _, q := range queries {
		for _, v := range corpus {
			_, errs := f.do(hiPrincipal, q, map[string]any{"v": v})
			for _, e := range errs {
				e = unquoted(strings.ReplaceAll(e, v, "")) // the author's own text, quoted back to them
				for _, leak := range []string{"Binder Error", "Parser Error", "Catalog Error", "Conversion Error", "duckdb", "read_parquet", "SELECT", "/tmp/"} {
					assert.NotContains(t, e, leak, "%s with %q", q, v)
				}
			}
		}
	}
	// An equality is a literal match: at most the one row whose station is the very string.
	for _, v := range corpus {
		data, errs := f.do(hiPrincipal, `query($v: String) { air_station_hourly(where: {station: {eq: $v}}) { station } }`, map[string]any{"v": v})
		require.Empty(t, errs, v)
		rows := data["air_station_hourly"].([]any)
		require.LessOrEqual(t, len(rows), 1, v)
		for _, r := range rows {
			assert.Equal(t, v, r.(map[string]any)["station"])
		}
	}
	_, err := os.Stat(marker)
	assert.True(t, os.IsNotExist(err), "no file was written")
	// The service still answers as before.
	data := f.mustDo(hiPrincipal, `{ air_station_hourly_aggregate { count } }`)
	require.Equal(t, `[{"count":5}]`, jsonOf(t, data["air_station_hourly_aggregate"]))
}

// unquoted drops the “…” segments of a message: the author's own text, quoted back (perhaps cut).
func unquoted(msg string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, "“")
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i])
		j := strings.Index(msg[i:], "”")
		if j < 0 {
			return b.String()
		}
		msg = msg[i+j+len("”"):]
	}
}
