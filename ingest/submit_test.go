package ingest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// mixedCSV has three good rows and one row for every reject reason.
const mixedCSV = `站点编码,区县,监测日期,PM2.5浓度（μg/m³）,是否超标,监测次数,采样时间,备注
S001,渝中区,2024-01-05,35.5,否,24,2024-01-05 08:00:00,正常
S002,500105,2024/1/6,,是,12,,
S003,大渡 口区,2024-01-07,40,否,1,2024-01-07T09:30:00,  
,渝中区,2024-01-08,1,否,1,,
S005,火星区,2024-01-09,1,否,1,,
S006,渝中区,2024-13-01,1,否,1,,
S007,渝中区,2024-01-10,abc,否,x,,
S008,渝中区,2024-01-10,1,否
S00000009,渝中区,2024-01-11,1,否,1,,
S010,渝中区,2024-01-12,1,否,1,,这个备注超过了十个字符的长度
S011,江北区,2024-01-13,1,也许,1,,
`

// mixedRows are the valid rows of mixedCSV as read back from Parquet.
var mixedRows = [][]string{
	{"S001", "500103", "2024-01-05", "35.5", "false", "24", "2024-01-05 08:00:00", "正常"},
	{"S002", "500105", "2024-01-06", "<nil>", "true", "12", "<nil>", "<nil>"},
	{"S003", "500104", "2024-01-07", "40", "false", "1", "2024-01-07 09:30:00", "<nil>"},
}

// mixedRejects are the problems of mixedCSV: line, column, field, value, reason.
var mixedRejects = []Reject{
	{Row: 5, Column: "站点编码", Field: "station_code", Value: "", Reason: "必填项为空"},
	{Row: 6, Column: "区县", Field: "district", Value: "火星区", Reason: "“火星区”不是重庆市的区县代码或名称"},
	{Row: 7, Column: "监测日期", Field: "sample_date", Value: "2024-13-01", Reason: `"2024-13-01" 不是有效的日期 (应为 YYYY-MM-DD)`},
	{Row: 8, Column: "PM2.5浓度（μg/m³）", Field: "pm25", Value: "abc", Reason: `"abc" 不是有效的数值`},
	{Row: 8, Column: "监测次数", Field: "samples", Value: "x", Reason: `"x" 不是有效的整数`},
	{Row: 9, Value: "S008,渝中区,2024-01-10,1,否", Reason: "该行有 5 个字段，表头有 8 列"},
	{Row: 10, Column: "站点编码", Field: "station_code", Value: "S00000009", Reason: "长度为 9 个字符，超过上限 8 个字符"},
	{Row: 11, Column: "备注", Field: "remark", Value: "这个备注超过了十个字符的长度", Reason: "长度为 14 个字符，超过上限 10 个字符"},
	{Row: 12, Column: "是否超标", Field: "exceeded", Value: "也许", Reason: `"也许" 不是有效的布尔值 (应为 是/否)`},
}

func rejectRecords(rs []Reject) [][]string {
	out := make([][]string, len(rs))
	for i, r := range rs {
		out[i] = []string{strconv.Itoa(r.Row), r.Column, r.Field, r.Value, r.Reason}
	}
	return out
}

func TestSubmitMixedRows(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		encoding string
	}{
		{"utf8", mixedCSV, EncodingUTF8},
		{"utf8 bom", "\ufeff" + mixedCSV, EncodingUTF8},
		{"gb18030", gb18030(t, mixedCSV), EncodingGB18030},
		{"crlf", strings.ReplaceAll(mixedCSV, "\n", "\r\n"), EncodingUTF8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig())
			e.putEntry(nil)
			res, err := e.submit("渝中区空气质量.csv", tc.body, func(s *Submission) { s.District = "渝中区"; s.Principal = "yz_user" })
			require.NoError(t, err)
			assert.Equal(t, tc.encoding, res.Encoding)
			assert.Equal(t, catalog.RunPartial, res.Run.Status)
			assert.Equal(t, int64(11), res.Run.RowsRead)
			assert.Equal(t, int64(3), res.Run.RowsAccepted)
			assert.Equal(t, int64(8), res.Run.RowsRejected)
			assert.Equal(t, "500103", res.Run.District)
			assert.Equal(t, mixedRejects, res.Rejects)
			require.NotNil(t, res.Snapshot)
			assert.Equal(t, int64(3), res.Snapshot.Rows)

			assert.Equal(t, mixedRows, e.rows("0101/000001"))
			assert.Equal(t, rejectRecords(mixedRejects), e.rejectsFile(res.Run.RejectedKey))
			assert.Equal(t, lake.RejectsKey("air_daily", res.Run.ID), res.Run.RejectedKey)

			v := e.cat.View()
			run, err := v.Run(res.Run.ID)
			require.NoError(t, err)
			assert.Equal(t, catalog.RunPartial, run.Status)
			assert.Equal(t, res.Snapshot.ID, run.Snapshot)
			assert.Equal(t, "渝中区空气质量.csv", run.Source)
			assert.Equal(t, "yz_user", run.Principal)
			en, err := v.Entry("0101/000001")
			require.NoError(t, err)
			assert.Equal(t, res.Snapshot.ID, en.CurrentSnapshot)

			sum := res.Summary()
			for _, want := range []string{"0101/000001 空气质量日报", "部分入库", "读取 11 行：入库 3 行，拒收 8 行", "共 9 条问题", "第 6 行“区县”列值“火星区”", res.Snapshot.ID, tc.encoding} {
				assert.Contains(t, sum, want)
			}
		})
	}
}

var (
	_ = context.Background
	_ = errors.Is
	_ sync.Mutex
)
