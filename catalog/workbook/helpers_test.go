package workbook

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// testStore is a catalogue with two departments and three entries that between them set every
// field the workbook carries.
func testStore(t testing.TB) *catalog.Store {
	t.Helper()
	ctx := context.Background()
	cfg := catalog.DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.Clock = func() time.Time { return time.Date(2025, 6, 1, 20, 30, 0, 0, time.UTC) } // 06-02 in Chongqing
	s, err := catalog.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, s.PutDepartment(ctx, catalog.Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: catalog.DepartmentDivision}))
	op := catalog.Operator()
	require.NoError(t, s.PutBusinessItem(ctx, op, catalog.BusinessItem{Code: "YW_AIR", Name: "大气污染防治、督察", Department: "AIR_DIV"}, 0))
	require.NoError(t, s.PutBusinessItem(ctx, op, catalog.BusinessItem{Code: "YW_ALERT", Name: "重污染天气应对; 预警", Department: "AIR_DIV"}, 0))
	require.NoError(t, s.PutScene(ctx, op, catalog.Scene{Code: "YJS_AIR", Name: "重污染天气应急一件事", Kind: catalog.SceneOneThing, Department: "AIR_DIV"}, 0))
	for _, e := range testEntries() {
		require.NoError(t, s.PutEntry(ctx, e))
	}
	return s
}

func testEntries() []*catalog.Entry {
	twelveAndAHalf := 12.5
	air := &catalog.Entry{
		ResourceCode: "0101/000001", Table: "air_daily", Name: "空气质量监测日均值",
		CategoryCode: "0101", ProviderName: "重庆市生态环境监测中心", ProviderCode: "12500000MB1534567X",
		Abstract: "全市空气质量自动监测站日均值，含 PM2.5、PM10", FormatType: "DATABASE",
		Items: catalog.ItemsOf([]catalog.Item{
			{Name: "区县", Field: "district", Type: schemas.String, Length: 6, Grade: schemas.General1, CodeList: "districts", Required: true, IsKey: true, Description: "监测点所在区县"},
			{Name: "监测日期", Field: "day", Type: schemas.Date, Grade: schemas.General1, Required: true, IsKey: true, Min: "2020-01-01"},
			{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General2, Description: "微克/立方米", Min: "0", Max: "1000"},
		}...),
		ShareType: "CONDITIONAL", ShareCondition: "用于大气污染防治", ShareMode: "API",
		OpenType: "CONDITIONAL", OpenCondition: "注册用户", UpdateCycle: schemas.Daily,
		Status: catalog.StatusPublished, Department: "AIR_DIV", District: schemas.CityCode, SourceKind: "ONLINE_MONITORING",
		Domains: []string{"AIR", "INSPECTION"}, BusinessItems: []string{"YW_AIR", "YW_ALERT"},
		Scenes: []string{"YJS_AIR"}, GradeOverride: schemas.General3, SharingBasis: "《重庆市政务数据资源管理暂行办法》",
		Rules: []string{"pm25 >= 0", `district != "500000"`}, WriteMode: catalog.WriteModeUpsert, MaxRejectedPercent: &twelveAndAHalf,
		Partitions: []string{"district", "year(day)"},
	}
	water := &catalog.Entry{
		ResourceCode: "0102/000001", Table: "water_sections", Name: "地表水国控断面水质监测",
		CategoryCode: "0102", ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB1534567X",
		Abstract: "国控断面月度水质", FormatType: "SPREADSHEET",
		Items: catalog.ItemsOf([]catalog.Item{
			{Name: "断面名称", Field: "section", Type: schemas.String, Grade: schemas.General1, Required: true},
			{Name: "联系人手机", Field: "mobile", Type: schemas.String, Length: 11, Grade: schemas.General3, PIType: "MOBILE"},
		}...),
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "NOT_OPEN", UpdateCycle: schemas.Monthly,
		Status: catalog.StatusDraft, Department: "WATER_DIV", District: "500101", SourceKind: "DISTRICT_SUBMISSION",
		Domains: []string{"WATER"}, RelatedCodes: []string{"0101/000001"}, Exempt: true, ExemptReason: "垂管系统已归集",
	}
	secret := &catalog.Entry{
		ResourceCode: "08/000001", Table: "emergency_plans", Name: "突发环境事件应急预案",
		CategoryCode: "08", ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB1534567X",
		Abstract: "应急预案", FormatType: "DOCUMENT",
		Items:     catalog.ItemsOf([]catalog.Item{{Name: "预案名称", Field: "plan", Type: schemas.String, Grade: schemas.Important}}...),
		ShareType: "NOT_SHARED", ShareCondition: "涉密", ShareMode: "FILE", OpenType: "NOT_OPEN", UpdateCycle: schemas.Irregular,
		Status: catalog.StatusDraft, Department: "AIR_DIV", District: schemas.CityCode, SourceKind: "LOCAL_SYSTEM",
		Domains: []string{"EMERGENCY"}, Secret: true,
	}
	return []*catalog.Entry{air, water, secret}
}

// exported is what the workbook carries of an entry: everything but what the catalogue alone
// keeps (snapshot, timestamps, journal index of data loads, item id counter, retired fields,
// review state), the publish date as a day.
func exported(e *catalog.Entry) catalog.Entry {
	c := *e.Copy()
	c.CurrentSnapshot, c.CreatedAt, c.UpdatedAt, c.LastItemID, c.RetiredFields = "", time.Time{}, time.Time{}, 0, nil
	c.ModifyIndex, c.Review = 0, catalog.Review{}
	if !c.PublishDate.IsZero() {
		y, m, d := c.PublishDate.In(bureauZone).Date()
		c.PublishDate = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return c
}

// export writes the store's entries as a workbook.
func export(t testing.TB, s *catalog.Store) []byte {
	t.Helper()
	v := s.View()
	var buf bytes.Buffer
	require.NoError(t, Write(context.Background(), &buf, v, v.Entries()))
	return buf.Bytes()
}

// col is the cell name of the column headed head on the entries sheet (or, for an item header,
// the items sheet) in row.
func col(head string, row int) string {
	for i, c := range entryCols {
		if c.head == head && head != headCode {
			name, _ := excelize.CoordinatesToCellName(i+1, row)
			return name
		}
	}
	for i, c := range itemCols {
		if c.head == head {
			name, _ := excelize.CoordinatesToCellName(i+1, row)
			return name
		}
	}
	panic("no column " + head)
}

// letter is the column letter of a cell name.
func letter(cell string) string {
	c, _, _ := excelize.SplitCellName(cell)
	return c
}

// edit opens a workbook, lets fn change it, and returns the saved bytes.
func edit(t *testing.T, data []byte, fn func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	fn(f)
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes()
}

// problems reads data and returns the problems it has; it fails the test when there are none.
func problems(t *testing.T, data []byte, lim Limits) []Problem {
	t.Helper()
	_, err := ReadBook(context.Background(), bytes.NewReader(data), int64(len(data)), lim)
	var werr *Error
	require.ErrorAs(t, err, &werr)
	return werr.Problems
}
