package ingest

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

const upsertHeader = "站点编码,区县,监测日期,PM2.5浓度（μg/m³）\n"

// pm25By reads the entry's rows as station → pm25 (district for the scoped case).
func (e *env) pm25By() map[string][]string {
	out := map[string][]string{}
	for _, r := range e.rows("0101/000001") {
		out[r[0]] = append(out[r[0]], r[1]+":"+r[3])
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// An entry written by upsert keeps one row per key: a resubmission corrects rows instead of
// adding copies, a key twice in one file is a rejected row, and the same file sent again after
// another upsert is applied again (it sets the rows back), sent right after itself it is a
// duplicate.
func TestUpsertByKey(t *testing.T) {
	e := newEnv(t, Config{MaxRejectedShare: 1})
	e.putEntry(func(en *catalog.Entry) { en.WriteMode = catalog.WriteModeUpsert })
	first := upsertHeader + "S1,渝中区,2024-05-07,10\nS2,渝中区,2024-05-07,20\nS3,江北区,2024-05-07,30\n"
	res, err := e.submit("第一次.csv", first, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)
	assert.Equal(t, "upsert", e.currentManifest().Summary["operation"])

	fix := upsertHeader + "S2,渝中区,2024-05-07,22\nS4,渝中区,2024-05-07,40\n"
	res, err = e.submit("更正.csv", fix, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Run.RowsAccepted)
	assert.Equal(t, map[string][]string{"S1": {"500103:10"}, "S2": {"500103:22"}, "S3": {"500105:30"}, "S4": {"500103:40"}}, e.pm25By())
	sum := e.currentManifest().Summary
	assert.Equal(t, "1", sum["removed_rows"])
	assert.Equal(t, "2", sum["kept_rows"])

	again, err := e.submit("更正-重报.csv", fix, nil)
	require.NoError(t, err)
	assert.True(t, again.Duplicate, "the same upsert right after itself changes nothing")

	res, err = e.submit("第一次.csv", first, nil)
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot, "an earlier file upserted again is applied")
	assert.Equal(t, map[string][]string{"S1": {"500103:10"}, "S2": {"500103:20"}, "S3": {"500105:30"}, "S4": {"500103:40"}}, e.pm25By())

	dup := upsertHeader + "S5,渝中区,2024-05-07,50\nS5,渝中区,2024-05-08,51\n"
	res, err = e.submit("重复主键.csv", dup, nil)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, res.Run.Status)
	require.Len(t, res.Rejects, 1)
	assert.Equal(t, 3, res.Rejects[0].Row)
	assert.Contains(t, res.Rejects[0].Reason, "主键（站点编码=S5）与第 2 行重复")
	assert.Equal(t, []string{"500103:50"}, e.pm25By()["S5"])
}

// A district's upsert removes only rows within its own scope: another district's row with the
// same key stays, and the principal needs the right to replace.
func TestUpsertWithinScope(t *testing.T) {
	e := newEnv(t, Config{MaxRejectedShare: 1})
	e.putEntry(func(en *catalog.Entry) { en.WriteMode = catalog.WriteModeUpsert })
	ctx := context.Background()
	require.NoError(t, e.cat.PutPrincipal(ctx, catalog.Principal{ID: "yz", Name: "渝中区报送员", Role: catalog.RoleDistrict,
		Districts: []string{"500103"}, Clearance: schemas.General2}))
	_, err := e.submit("全市.csv", upsertHeader+"S1,江北区,2024-05-07,10\nS2,渝中区,2024-05-07,20\n", nil)
	require.NoError(t, err)
	res, err := e.submit("渝中.csv", upsertHeader+"S1,渝中区,2024-05-07,11\nS2,渝中区,2024-05-07,21\n", func(s *Submission) {
		s.Principal = e.principal("yz")
	})
	require.NoError(t, err)
	require.NotNil(t, res.Snapshot)
	assert.Equal(t, map[string][]string{"S1": {"500103:11", "500105:10"}, "S2": {"500103:21"}}, e.pm25By(),
		"江北's S1 is not 渝中's to replace")
	assert.Equal(t, "500103", e.currentManifest().Summary["replace_scope"])
}

// A parent file whose key bounds lie outside the new keys is kept without being read.
func TestUpsertKeepsFilesByBounds(t *testing.T) {
	e := newEnv(t, Config{MaxRejectedShare: 1})
	e.putEntry(func(en *catalog.Entry) { en.WriteMode = catalog.WriteModeUpsert })
	_, err := e.submit("a.csv", upsertHeader+"A1,渝中区,2024-05-07,1\nA2,渝中区,2024-05-07,2\n", nil)
	require.NoError(t, err)
	_, err = e.submit("z.csv", upsertHeader+"Z1,渝中区,2024-05-07,1\n", nil)
	require.NoError(t, err)
	_, err = e.submit("z2.csv", upsertHeader+"Z1,渝中区,2024-05-07,9\n", nil)
	require.NoError(t, err)
	sum := e.currentManifest().Summary
	assert.Equal(t, "1", sum["removed_rows"])
	assert.Equal(t, "1", sum["read_files"], "only the file whose bounds hold Z1 is read")
	assert.Equal(t, "1", sum["reused_files"])
	assert.Equal(t, "1", sum["dropped_files"])
	assert.Len(t, e.rows("0101/000001"), 3)
}
