package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// A partitioned entry's rows land in one file set per partition, under Hive-style paths, each
// file recording its values; a district's scoped replacement rewrites its rows within their
// partitions and leaves the others' files as they are.
func TestPartitionedLoad(t *testing.T) {
	e := newEnv(t, Config{MaxRejectedShare: 1})
	e.putEntry(func(en *catalog.Entry) { en.Partitions = []string{"district", "month(sample_date)"} })
	body := "站点编码,区县,监测日期,PM2.5浓度（μg/m³）\n" +
		"S1,渝中区,2024-05-07,10\nS2,江北区,2024-05-08,20\nS3,渝中区,2024-06-07,30\nS4,江北区,2024-06-08,40\nS5,渝中区,2024-05-09,50\n"
	res, err := e.submit("五六月.csv", body, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)
	m := e.currentManifest()
	require.Len(t, m.Files, 4, "2 districts × 2 months")
	got := map[string]int64{}
	for _, f := range m.Files {
		d, mo := f.Partition["district"], f.Partition["month"]
		assert.True(t, strings.HasPrefix(f.Key, lake.DataPrefix("air_daily")+"district="+d+"/month="+mo+"/"), f.Key)
		got[d+"/"+mo] = f.Rows
	}
	assert.Equal(t, map[string]int64{"500103/05": 2, "500105/05": 1, "500103/06": 1, "500105/06": 1}, got)
	assert.Len(t, e.rows("0101/000001"), 5)

	ctx := context.Background()
	require.NoError(t, e.cat.PutPrincipal(ctx, catalog.Principal{ID: "yz", Name: "渝中区报送员", Role: catalog.RoleDistrict,
		Districts: []string{"500103"}, Clearance: schemas.General2}))
	res, err = e.submit("渝中五月更正.csv", "站点编码,区县,监测日期\nS1,渝中区,2024-05-07\n", func(s *Submission) {
		s.Principal, s.Replace = e.principal("yz"), true
	})
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)
	rows := e.rows("0101/000001")
	require.Len(t, rows, 5, "渝中's row of 2024-05-07 replaced; its other days and 江北's kept")
	assert.Equal(t, []string{"S1", "500103", "2024-05-07", "<nil>"}, rows[0][:4])
	assert.Equal(t, "1", e.currentManifest().Summary["rewritten_files"], "the one file of 渝中's May, without S1")
	for _, f := range e.currentManifest().Files {
		require.NotNil(t, f.Partition, "every file stays in a partition: %s", f.Key)
		assert.Contains(t, f.Key, "/district="+f.Partition["district"]+"/month="+f.Partition["month"]+"/")
	}
}

func TestPartitionColumnsNamed(t *testing.T) {
	en := testEntry()
	en.Partitions = []string{"district", "year(sample_date)", "month(measured_at)"}
	cols, err := partitionColumns(en)
	require.NoError(t, err)
	assert.Equal(t, []lake.PartitionColumn{
		{Name: "district", Source: "district"},
		{Name: "year", Source: "sample_date", Transform: lake.TransformYear},
		{Name: "month", Source: "measured_at", Transform: lake.TransformMonth},
	}, cols)
	items := en.Items.Slice()
	items[7].Field = "year" // an item named like a transformed partition
	en.Items = catalog.ItemsOf(items...)
	cols, err = partitionColumns(en)
	require.NoError(t, err)
	assert.Equal(t, "sample_date_year", cols[1].Name, "a partition value is never read as another column's")
}
