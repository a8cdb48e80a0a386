package postgres_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkPull reads a 200k-row table of the suite's shape (code, timestamptz, numeric, Chinese
// note) from the local server, all of it per iteration, in the default batches. The watermark
// column is indexed, as a business table's update time usually is.
func BenchmarkPull(b *testing.B) {
	const rows = 200_000
	table := newTable("bench")
	c := admin(b)
	exec(b, c, fmt.Sprintf(`CREATE TABLE %s (code text, at timestamptz, value numeric(12,3), note text);
		INSERT INTO %s SELECT 'ST' || lpad(g::text, 6, '0'),
			timestamptz '2025-03-01 08:00:00+08' + g * interval '1 minute',
			CASE WHEN g %% 7 = 3 THEN NULL ELSE (g %% 500) + (g %% 1000) / 1000.0 END,
			CASE WHEN g %% 11 = 5 THEN NULL ELSE '断面 ' || g || ' 号，水质Ⅱ类' END
		FROM generate_series(1, %d) g;
		CREATE INDEX ON %s (at); ANALYZE %s`, table, table, rows, table, table))
	src := open(b, config(server(b), table, "code=code; at=at; value=value; note=note", "at", nil))
	for b.Loop() {
		st, err := src.Read(context.Background(), "")
		require.NoError(b, err)
		n := 0
		for {
			_, _, err := st.Next()
			if err == io.EOF {
				break
			}
			require.NoError(b, err)
			n++
		}
		require.NoError(b, st.Close())
		require.Equal(b, rows+1, n)
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
