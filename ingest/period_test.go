package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// TestDistrictReplaceKeepsOtherPeriods: a district's replacement of a monthly table replaces its
// rows of the months it submits, and keeps its other months and every other district's rows.
func TestDistrictReplaceKeepsOtherPeriods(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, DefaultConfig())
	e.putEntry(func(en *catalog.Entry) {
		en.Items = catalog.ItemsOf([]catalog.Item{
			{Name: "区县", Field: "district", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1, CodeList: "districts"},
			{Name: "月份", Field: "month", Type: schemas.Date, IsKey: true, Grade: schemas.General1},
			{Name: "数值", Field: "value", Type: schemas.Int, Grade: schemas.General1},
		}...)
	})
	en, err := e.cat.View().Entry("0101/000001")
	require.NoError(t, err)
	require.Equal(t, "month", catalog.PeriodField(en))
	wz := e.putWanzhou()
	head := "区县,月份,数值\n"
	_, err = e.submit("存量.csv", head+"万州区,2025-03-01,1\n万州区,2025-04-01,2\n万州区,2025-05-01,3\n江北区,2025-05-01,4\n", nil)
	require.NoError(t, err)

	res, err := e.svc.Submit(ctx, Submission{Principal: wz, Entry: "0101/000001", Filename: "万州五月.csv",
		Body: strings.NewReader(head + "万州区,2025-05-01,30\n万州区,2025-04-01,20\n"), Replace: true})
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)
	assert.Equal(t, []string{
		"500101 2025-03-01 1", // an earlier month of 万州: kept
		"500101 2025-04-01 20",
		"500101 2025-05-01 30",
		"500105 2025-05-01 4", // another district: kept
	}, monthlyRows(t, e))
	m := e.currentManifest()
	assert.Equal(t, "2 个时段: 2025-04-01 至 2025-05-01", m.Summary["replace_period"])
	assert.Equal(t, "2", m.Summary["removed_rows"])

	// The periods are the months reported, not the range between them: March and May leave April
	// alone, and far-apart dates wipe nothing in between.
	_, err = e.svc.Submit(ctx, Submission{Principal: wz, Entry: "0101/000001", Filename: "三月五月.csv",
		Body: strings.NewReader(head + "万州区,2025-03-01,31\n万州区,2025-05-01,51\n"), Replace: true})
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, Submission{Principal: wz, Entry: "0101/000001", Filename: "远期.csv",
		Body: strings.NewReader(head + "万州区,1900-01-01,0\n万州区,2100-01-01,0\n"), Replace: true})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"500101 1900-01-01 0",
		"500101 2025-03-01 31",
		"500101 2025-04-01 20",
		"500101 2025-05-01 51",
		"500101 2100-01-01 0",
		"500105 2025-05-01 4",
	}, monthlyRows(t, e))

	// A replacement without any month cannot say which months it replaces.
	_, err = e.svc.Submit(ctx, Submission{Principal: wz, Entry: "0101/000001", Filename: "无月份.csv",
		Body: strings.NewReader(head + "万州区,,5\n"), Replace: true})
	require.Error(t, err)
	msg, _ := schemas.UserMessage(err)
	assert.Contains(t, msg, "以确定替换哪些时段")
	assert.Len(t, monthlyRows(t, e), 6, "nothing changed")

	// A steward's replacement is city-wide, as before.
	_, err = e.submit("全市.csv", head+"渝中区,2025-06-01,9\n", func(s *Submission) { s.Replace = true })
	require.NoError(t, err)
	assert.Equal(t, []string{"500103 2025-06-01 9"}, monthlyRows(t, e))
}

// monthlyRows reads the current snapshot of the monthly test table, sorted.
func monthlyRows(t *testing.T, e *env) []string {
	t.Helper()
	return e.query("0101/000001", `SELECT district || ' ' || CAST(month AS VARCHAR) || ' ' || CAST(value AS VARCHAR) FROM %s ORDER BY 1`)
}
