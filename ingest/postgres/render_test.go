package postgres_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// typesTable has a column of each type a business table commonly holds, read in this order.
const typesColumns = "id bigserial, i int8, n numeric(20,6), f float8, b bool, d date, ts timestamp, tz timestamptz, t text, r real, s smallint, v varchar(20)"

const typesMapping = "id=id; i=i; n=n; f=f; b=b; d=d; ts=ts; tz=tz; t=t; r=r; s=s; v=v"

// itemTypes is the entry item type each column's text must parse as.
var itemTypes = []schemas.DataType{schemas.Int, schemas.Int, schemas.Float, schemas.Float, schemas.Bool,
	schemas.Date, schemas.Timestamp, schemas.Timestamp, schemas.String, schemas.Float, schemas.Int, schemas.String}

func TestRendering(t *testing.T) {
	cases := []struct {
		name string
		row  string   // the values of i … v as SQL literals
		want []string // the rendered text of i … v (id is left out)
		zone string   // time_zone; "" for the default, Asia/Shanghai
	}{
		{
			name: "exact numbers, Chinese text, timestamptz in Beijing time",
			row:  `9007199254740993, 12345678901234.123456, 0.1, true, '2025-03-01', '2025-03-01 08:00:00', '2025-03-01 00:00:00+00', '断面水质Ⅱ类，溶解氧 7.5', 1.5, -32768, 'ＡＢ 全角'`,
			want: []string{"9007199254740993", "12345678901234.123456", "0.1", "true", "2025-03-01", "2025-03-01 08:00:00", "2025-03-01 08:00:00", "断面水质Ⅱ类，溶解氧 7.5", "1.5", "-32768", "ＡＢ 全角"},
		},
		{
			name: "fractions of seconds kept only when there are some, an offset of half an hour",
			row:  `-9223372036854775808, -0.000001, 1e20, false, '2024-02-29', '2025-03-01 08:00:00.25', '2025-12-31 23:59:59.123456+05:30', '', 0.1, 0, ''`,
			want: []string{"-9223372036854775808", "-0.000001", "1e+20", "false", "2024-02-29", "2025-03-01 08:00:00.25", "2026-01-01 02:29:59.123456", "", "0.1", "0", ""},
		},
		{
			name: "shortest float forms",
			row:  `0, 0, 1.0000000000000002, true, '1970-01-01', '1970-01-01 00:00:00', '1970-01-01 00:00:00+08', 'a''b"c', 3.4028235e38, 1, 'x'`,
			want: []string{"0", "0.000000", "1.0000000000000002", "true", "1970-01-01", "1970-01-01 00:00:00", "1970-01-01 00:00:00", `a'b"c`, "3.4028235e+38", "1", "x"},
		},
		{
			name: "nulls are empty",
			row:  `NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`,
			want: []string{"", "", "", "", "", "", "", "", "", "", ""},
		},
		{
			name: "timestamptz in another zone",
			row:  `1, 1, 1, true, '2025-03-01', '2025-03-01 08:00:00', '2025-03-01 08:00:00+08', 't', 1, 1, 'v'`,
			want: []string{"1", "1.000000", "1", "true", "2025-03-01", "2025-03-01 08:00:00", "2025-03-01 00:00:00", "t", "1", "1", "v"},
			zone: "UTC",
		},
	}
	srv := server(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			table := newTable("types")
			c := admin(t)
			exec(t, c, fmt.Sprintf("CREATE TABLE %s (%s)", table, typesColumns))
			exec(t, c, fmt.Sprintf("INSERT INTO %s (i, n, f, b, d, ts, tz, t, r, s, v) VALUES (%s)", table, tc.row))
			extra := map[string]string{}
			if tc.zone != "" {
				extra["time_zone"] = tc.zone
			}
			head, recs, mark := readAll(t, open(t, config(srv, table, typesMapping, "id", extra)), "")
			require.Equal(t, []string{"id", "i", "n", "f", "b", "d", "ts", "tz", "t", "r", "s", "v"}, head, "the header is the mapping's item fields")
			require.Len(t, recs, 1)
			assert.Equal(t, "1", mark, "the watermark is the id read")
			assert.Equal(t, tc.want, recs[0][1:])
			for i, v := range recs[0] {
				if v == "" {
					continue
				}
				_, err := itemTypes[i].Parse(v)
				assert.NoError(t, err, "column %s: %q as %s", head[i], v, itemTypes[i])
			}
		})
	}
}
