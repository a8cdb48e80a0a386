package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// benchCSV is a district file of n rows using every item, one row in a hundred invalid.
func benchCSV(n int) string {
	districts := []string{"渝中区", "500105", "大渡口区", "两江新区", "石柱县"}
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期,PM2.5浓度（μg/m³）,是否超标,监测次数,采样时间,备注\n")
	for i := range n {
		pm := fmt.Sprintf("%d.%d", i%300, i%10)
		if i%100 == 99 {
			pm = "缺测"
		}
		fmt.Fprintf(&b, "S%06d,%s,2024-%02d-%02d,%s,%s,%d,2024-01-01 %02d:%02d:00,备注%d\n",
			i, districts[i%len(districts)], 1+i%12, 1+i%28, pm, []string{"是", "否"}[i%2], i%24, i%24, i%60, i%1000)
	}
	return b.String()
}

func BenchmarkSubmit(b *testing.B) {
	const rows = 100_000
	e := newEnv(b, DefaultConfig())
	e.putEntry(nil)
	data := benchCSV(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// Trailing blank lines, skipped by the load, make each round's file a new one: the same
		// replacement twice in a row is a duplicate that loads nothing.
		body := data + strings.Repeat("\n", i)
		res, err := e.svc.Submit(context.Background(), Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "bench.csv",
			Body: strings.NewReader(body), Replace: true})
		require.NoError(b, err)
		require.Equal(b, catalog.RunPartial, res.Run.Status)
		require.Equal(b, int64(rows-rows/100), res.Run.RowsAccepted)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSubmitScoped is BenchmarkSubmit by a district account whose districts cover every
// row: the cost of the row scope check on the hot path.
func BenchmarkSubmitScoped(b *testing.B) {
	const rows = 100_000
	e := newEnv(b, DefaultConfig())
	e.putEntry(nil)
	require.NoError(b, e.cat.PutPrincipal(context.Background(), catalog.Principal{ID: "five", Name: "五区县", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500103", "500105", "500104", "500190", "500240"}, TokenHash: catalog.HashToken("five")}))
	p := e.principal("five")
	data := benchCSV(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.svc.Submit(context.Background(), Submission{Principal: p, Entry: "0101/000001", Filename: "bench.csv",
			District: "渝中区", Body: strings.NewReader(data)})
		require.NoError(b, err)
		require.Equal(b, int64(rows-rows/100), res.Run.RowsAccepted)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
