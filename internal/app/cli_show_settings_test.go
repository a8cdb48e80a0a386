package app

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// `ecolake catalog show` names an entry's load settings and each item's range; unset, it says
// what applies instead.
func TestShowNamesLoadSettings(t *testing.T) {
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(context.Background(), ccfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer cat.Close()
	pct := 12.5
	set := &catalog.Entry{Rules: []string{"pm10 >= pm25", "sample_date <= report_date"}, WriteMode: catalog.WriteModeUpsert,
		MaxRejectedPercent: &pct, Partitions: []string{"district", "year(sample_date)"}}
	for _, tc := range []struct {
		name string
		e    *catalog.Entry
		want map[string]string
	}{
		{"set", set, map[string]string{"写入方式": "按主键更新", "拒收行数上限": "12.5%",
			"校验规则": "pm10 >= pm25；sample_date <= report_date", "分区列": "district、year(sample_date)"}},
		{"unset", &catalog.Entry{}, map[string]string{"写入方式": "追加", "拒收行数上限": "系统默认", "校验规则": "-", "分区列": "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for _, r := range entryRows(cat.View(), tc.e) {
				got[r[0]] = r[1]
			}
			for k, v := range tc.want {
				assert.Equal(t, v, got[k], k)
			}
		})
	}

	var out bytes.Buffer
	printItems(&out, catalog.ItemsOf(
		catalog.Item{ID: 1, Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General1, Min: "0", Max: "1000"},
		catalog.Item{ID: 2, Name: "监测日期", Field: "sample_date", Type: schemas.Date, Grade: schemas.General1, Min: "2020-01-01"},
		catalog.Item{ID: 3, Name: "样本数", Field: "n", Type: schemas.Int, Grade: schemas.General1, Max: "99"},
	))
	for _, w := range []string{"取值范围", "0–1000", "≥ 2020-01-01", "≤ 99"} {
		assert.Contains(t, out.String(), w)
	}

	out.Reset()
	printChanges(&out, "", []catalog.FieldChange{
		{Field: "write_mode", Label: "写入方式", Old: "", New: "upsert"},
		{Field: "max_rejected_percent", Label: "拒收行数上限（%）", Old: "", New: "12.5"},
		{Field: "items[pm25].min", Label: "信息项“PM2.5浓度”的最小值", Old: "", New: "0"},
	})
	assert.Equal(t, "写入方式: 追加 → 按主键更新\n"+
		"拒收行数上限（%）: 系统默认 → 12.5%\n"+
		"信息项“PM2.5浓度”的最小值: （空） → “0”\n", out.String())
}
