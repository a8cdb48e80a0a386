package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpiredSnapshotIsRefusedClearly: once retention expires a snapshot, a read of it — by its
// id, by a time it was current at, or by a page cursor on it — is refused in words, and the
// current data still reads.
func TestExpiredSnapshotIsRefusedClearly(t *testing.T) {
	f := newFixture(t)
	first, loadedAt := secondLoad(t, f)
	data := f.mustDo(hiPrincipal, `{ air_station_hourly_page(asOf: "`+first+`", first: 1) { pageInfo { endCursor } } }`)
	cursor := data["air_station_hourly_page"].(map[string]any)["pageInfo"].(map[string]any)["endCursor"].(string)
	n, err := f.cat.ExpireSnapshots(f.ctx, []string{first})
	require.NoError(t, err)
	require.Equal(t, 1, n)

	for name, q := range map[string]string{
		"by id":   `{ air_station_hourly(asOf: "` + first + `") { station } }`,
		"by time": `{ air_station_hourly_aggregate(asOf: "` + loadedAt.Add(30*time.Minute).Format(time.RFC3339) + `") { count } }`,
		"by page": `{ air_station_hourly_page(first: 1, after: "` + cursor + `") { nodes { station } } }`,
	} {
		_, errs := f.do(hiPrincipal, q, nil)
		require.Len(t, errs, 1, name)
		assert.Contains(t, errs[0], "目录 0101/000001 的快照 "+first, name)
		assert.Contains(t, errs[0], "按快照保留策略过期，数据已清理，不能再读取", name)
	}
	assert.Equal(t, `[{"count":2}]`, jsonOf(t, f.mustDo(hiPrincipal, `{ air_station_hourly_aggregate { count } }`)["air_station_hourly_aggregate"]))
}
