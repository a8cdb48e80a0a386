package ingest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// TestFieldIDsFollowTheCatalogue: the Parquet field ids and the manifest's schema carry the item
// ids the catalogue assigned, so removing an item renumbers none of the others.
func TestFieldIDsFollowTheCatalogue(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.putEntry(nil)
	// Remove 监测日期 (id 3) and PM2.5 (id 4) and move 备注 (id 8) to the front.
	en := e.putEntry(func(en *catalog.Entry) {
		it := en.Items.Slice()
		en.Items = catalog.ItemsOf([]catalog.Item{it[7], it[0], it[1], it[4], it[5], it[6]}...)
	})
	want := map[string]int{"remark": 8, "station_code": 1, "district": 2, "exceeded": 5, "samples": 6, "measured_at": 7}
	for _, it := range en.Items.All() {
		assert.Equal(t, want[it.Field], it.ID, it.Field)
	}

	res, err := e.submit("a.csv", "备注,站点编码,区县\n无,A1,渝中区\n", nil)
	require.NoError(t, err)
	m, err := lake.ReadManifest(context.Background(), e.bucket, res.Snapshot.ManifestKey)
	require.NoError(t, err)
	got := map[string]int{}
	for _, f := range m.Schema {
		got[f.Name] = f.ID
	}
	assert.Equal(t, want, got, "manifest schema")

	path, ok := e.bucket.LocalPath(m.Files[0].Key)
	require.True(t, ok)
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	rs, err := db.Query(`SELECT name, field_id FROM parquet_schema(?) WHERE field_id IS NOT NULL`, path)
	require.NoError(t, err)
	defer rs.Close()
	inFile := map[string]int{}
	for rs.Next() {
		var name string
		var id int
		require.NoError(t, rs.Scan(&name, &id))
		inFile[name] = id
	}
	require.NoError(t, rs.Err())
	assert.Equal(t, want, inFile, "Parquet field ids")
}
