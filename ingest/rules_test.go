package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// checkedEntry is the test entry with a report date and PM10, ranges on PM2.5 (0–1000), the
// sample count (at least 0) and the sample date (from 2024), the given rules and threshold.
func checkedEntry(rules ...string) func(*catalog.Entry) {
	return func(e *catalog.Entry) {
		items := e.Items.Slice()
		for i := range items {
			switch items[i].Field {
			case "pm25":
				items[i].Min, items[i].Max = "0", "1000"
			case "samples":
				items[i].Min = "0"
			case "sample_date":
				items[i].Min = "2024-01-01"
			case "measured_at":
				items[i].Max = "2024-12-31 23:59:59"
			}
		}
		items = append(items,
			catalog.Item{Name: "报告日期", Field: "report_date", Type: schemas.Date, Grade: schemas.General1},
			catalog.Item{Name: "PM10浓度", Field: "pm10", Type: schemas.Float, Grade: schemas.General1})
		e.Items = catalog.ItemsOf(items...)
		e.Rules = rules
	}
}

// TestRowChecks: a value outside its item's range and a row that breaks a rule are rejected,
// each problem with its own reason naming the item, the value and the bound or rule; a row is
// told everything it breaks; nulls pass; the bounds are inclusive.
func TestRowChecks(t *testing.T) {
	en := testEntry()
	checkedEntry("sample_date <= report_date", "pm10 >= pm25", "samples >= 1", "exceeded != 是", `remark != "作废"`,
		"measured_at >= sample_date")(en)
	header := strings.Split("站点编码,区县,监测日期,报告日期,PM2.5浓度（μg/m³）,PM10浓度,监测次数,是否超标,备注,采样时间", ",")
	p, err := newPlan("f.csv", en, header, EncodingUTF8)
	require.NoError(t, err)
	type reject struct{ column, value, reason string }
	for _, c := range []struct {
		name string
		row  string
		want []reject
	}{
		{"valid", "S1,渝中区,2024-05-07,2024-05-08,35,50,3,否,,2024-05-07 08:00", nil},
		{"at the bounds", "S1,渝中区,2024-01-01,2024-01-01,1000,1000,1,否,,2024-12-31 23:59:59", nil},
		{"nulls pass ranges and rules", "S1,渝中区,2024-05-07,,,,,,,", nil},
		{"above the range", "S1,渝中区,2024-05-07,2024-05-08, 1200 ,1300,3,否,,", []reject{
			{"PM2.5浓度（μg/m³）", " 1200 ", "“PM2.5浓度（μg/m³）”值 1200 超出取值范围 0–1000"}}},
		{"below a minimum", "S1,渝中区,2023-12-31,2024-01-01,35,50,-1,否,,", []reject{
			{"监测日期", "2023-12-31", "“监测日期”值 2023-12-31 小于最小值 2024-01-01"},
			{"监测次数", "-1", "“监测次数”值 -1 小于最小值 0"},
			{"监测次数", "-1", "不满足规则“监测次数 >= 1”（-1 < 1）"}}},
		{"above a maximum", "S1,渝中区,2024-05-07,,,,,,,2025-01-01 00:00", []reject{
			{"采样时间", "2025-01-01 00:00", "“采样时间”值 2025-01-01 00:00 大于最大值 2024-12-31 23:59:59"}}},
		{"two rules broken", "S1,渝中区,2024-05-08,2024-05-07,35,20,3,否,,", []reject{
			{"监测日期", "2024-05-08", "不满足规则“监测日期 <= 报告日期”（2024-05-08 > 2024-05-07）"},
			{"PM10浓度", "20", "不满足规则“PM10浓度 >= PM2.5浓度（μg/m³）”（20 < 35）"}}},
		{"a range and a rule", "S1,渝中区,2024-05-07,2024-05-08,1200,1100,3,否,,", []reject{
			{"PM2.5浓度（μg/m³）", "1200", "“PM2.5浓度（μg/m³）”值 1200 超出取值范围 0–1000"},
			{"PM10浓度", "1100", "不满足规则“PM10浓度 >= PM2.5浓度（μg/m³）”（1100 < 1200）"}}},
		{"yes/no and text constants", "S1,渝中区,2024-05-07,,,,,是,作废,", []reject{
			{"是否超标", "是", "不满足规则“是否超标 != 是”（是 = 是）"},
			{"备注", "作废", `不满足规则“备注 != "作废"”（作废 = 作废）`}}},
		{"a date against a date-time", "S1,渝中区,2024-05-07,,,,,,,2024-05-06 23:59", []reject{
			{"采样时间", "2024-05-06 23:59:00", "不满足规则“采样时间 >= 监测日期”（2024-05-06 23:59:00 < 2024-05-07）"}}},
		{"an unparsable cell is not compared again", "S1,渝中区,2024-05-07,2024-05-08,abc,20,3,否,,", []reject{
			{"PM2.5浓度（μg/m³）", "abc", `"abc" 不是有效的数值`}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vals := make([]value, en.Items.Len())
			var got []reject
			for _, r := range p.row(strings.Split(c.row, ","), 2, vals, nil) {
				got = append(got, reject{r.Column, r.Value, r.Reason})
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// TestLoadRejectsOutOfRangeAndRuleBreakingRows: through a whole load, such rows go to the
// rejected-rows file like other invalid rows and the rest are loaded.
func TestLoadRejectsOutOfRangeAndRuleBreakingRows(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRejectedShare = 1
	e := newEnv(t, cfg)
	e.putEntry(checkedEntry("sample_date <= report_date", "pm10 >= pm25"))
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期,报告日期,PM2.5浓度（μg/m³）,PM10浓度\n")
	for i := range 20 {
		switch i % 4 {
		case 1: // out of range, and below PM10: both reasons
			fmt.Fprintf(&b, "S%02d,渝中区,2024-05-07,2024-05-08,1200,1100\n", i)
		case 2: // reported before it was sampled
			fmt.Fprintf(&b, "S%02d,渝中区,2024-05-08,2024-05-07,35,50\n", i)
		case 3: // nulls pass
			fmt.Fprintf(&b, "S%02d,渝中区,2024-05-07,,,\n", i)
		default:
			fmt.Fprintf(&b, "S%02d,渝中区,2024-05-07,2024-05-08,35,50\n", i)
		}
	}
	res, err := e.submit("报送.csv", b.String(), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status)
	assert.EqualValues(t, 10, res.Run.RowsAccepted)
	assert.EqualValues(t, 10, res.Run.RowsRejected)
	assert.Len(t, e.rows("0101/000001"), 10)
	rejects := e.rejectsFile(res.Run.RejectedKey)
	require.Len(t, rejects, 15, "two problems for each of five rows, one for each of five")
	assert.Equal(t, []string{"3", "PM2.5浓度（μg/m³）", "pm25", "1200", "“PM2.5浓度（μg/m³）”值 1200 超出取值范围 0–1000"}, rejects[0])
	assert.Equal(t, []string{"3", "PM10浓度", "pm10", "1100", "不满足规则“PM10浓度 >= PM2.5浓度（μg/m³）”（1100 < 1200）"}, rejects[1])
	assert.Equal(t, []string{"4", "监测日期", "sample_date", "2024-05-08", "不满足规则“监测日期 <= 报告日期”（2024-05-08 > 2024-05-07）"}, rejects[2])
}

// TestEntryRejectedThresholdOverridesService: an entry's own threshold decides, in both ways:
// at 50% a file with 30% bad rows loads that the service's 5% refuses, at 0% one bad row is too
// many.
func TestEntryRejectedThresholdOverridesService(t *testing.T) {
	file := func(rows, bad int, station string) string {
		var b strings.Builder
		b.WriteString("站点编码,区县,监测日期,PM2.5浓度（μg/m³）\n")
		for i := range rows {
			pm := "35"
			if i < bad {
				pm = "-5" // below the range
			}
			fmt.Fprintf(&b, "%s%d,渝中区,2024-05-07,%s\n", station, i, pm)
		}
		return b.String()
	}
	share := func(p float64) func(*catalog.Entry) {
		return func(e *catalog.Entry) { checkedEntry()(e); e.MaxRejectedPercent = &p }
	}
	e := newEnv(t, DefaultConfig())
	require.Equal(t, 0.05, e.svc.cfg.MaxRejectedShare)

	e.putEntry(checkedEntry())
	res, err := e.submit("报送.csv", file(10, 3, "A"), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, res.Run.Status, "the service's 5%")
	assert.Equal(t, "3 行数据有误，占读取行数的 30%，超过允许的 5%：本次报送未入库，请按拒收明细修正后重新报送", res.Run.Error)

	e.putEntry(share(50))
	res, err = e.submit("报送.csv", file(10, 3, "A"), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status, "the entry's 50%")
	assert.EqualValues(t, 7, res.Run.RowsAccepted)

	e.putEntry(share(0))
	res, err = e.submit("报送.csv", file(10, 1, "B"), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, res.Run.Status, "the entry's 0%")
	assert.Equal(t, "1 行数据有误，占读取行数的 10%，超过允许的 0%：本次报送未入库，请按拒收明细修正后重新报送", res.Run.Error)
	res, err = e.submit("报送.csv", file(10, 0, "B"), nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunSucceeded, res.Run.Status, "a clean file at 0%")

	e.putEntry(share(7))
	res, err = e.submit("报送.csv", file(10, 1, "C"), nil)
	require.NoError(t, err)
	assert.Equal(t, "1 行数据有误，占读取行数的 10%，超过允许的 7%：本次报送未入库，请按拒收明细修正后重新报送", res.Run.Error,
		"7% is written as set, not as 7/100*100")
}

// BenchmarkRowWithChecks is the row check of an entry with ranges on three items and two rules,
// against the same entry without them.
func BenchmarkRowWithChecks(b *testing.B) {
	header := strings.Split("站点编码,区县,监测日期,报告日期,PM2.5浓度（μg/m³）,PM10浓度,监测次数", ",")
	rec := strings.Split("S1,渝中区,2024-05-07,2024-05-08,35,50,3", ",")
	for _, bc := range []struct {
		name string
		mut  func(*catalog.Entry)
	}{
		{"without", func(e *catalog.Entry) {
			checkedEntry()(e)
			items := e.Items.Slice()
			for i := range items {
				items[i].Min, items[i].Max = "", ""
			}
			e.Items = catalog.ItemsOf(items...)
		}},
		{"with", checkedEntry("sample_date <= report_date", "pm10 >= pm25")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			en := testEntry()
			bc.mut(en)
			p, err := newPlan("f.csv", en, header, EncodingUTF8)
			require.NoError(b, err)
			vals := make([]value, en.Items.Len())
			var rejects []Reject
			b.ReportAllocs()
			for b.Loop() {
				if rejects = p.row(rec, 2, vals, rejects[:0]); len(rejects) > 0 {
					b.Fatal(rejects)
				}
			}
		})
	}
}
