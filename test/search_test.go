package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// searchGQL runs a search until the index has been built (a fresh data directory builds it in
// the background, answering 索引重建中 meanwhile) and returns the data.
func searchGQL(t *testing.T, s *server, token, q string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		r := s.gql(token, q, nil)
		if strings.Contains(r.errText(), "重建中") && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		return r.ok(t)["search"].(map[string]any)
	}
}

// TestSearchGraphQL: the served directory is searchable by substrings, and a principal cleared
// to 一般数据1级 neither finds nor counts anything graded above it.
func TestSearchGraphQL(t *testing.T) {
	s := startServer(t, t.TempDir(), nil, "--demo")
	q := `{ search(text: "PM2.5") { total nextCursor hits { entry { resourceCode name grade { rank } } highlights { field text } }
		facets { grade { code count } district { code name count } } } }`
	steward := searchGQL(t, s, "demo-steward", q)
	require.NotZero(t, steward["total"], "the demo directory has PM2.5 items")
	hits := steward["hits"].([]any)
	require.NotEmpty(t, hits)
	assert.Contains(t, strings.ToLower(jsonText(t, hits[0].(map[string]any)["highlights"])), "pm2.5")

	maxRank := 0.0
	public := searchGQL(t, s, "demo-public", `{ search { total hits { entry { grade { rank } } } facets { grade { code count } } } }`)
	for _, h := range public["hits"].([]any) {
		rank := h.(map[string]any)["entry"].(map[string]any)["grade"].(map[string]any)["rank"].(float64)
		maxRank = max(maxRank, rank)
	}
	assert.Equal(t, 1.0, maxRank, "demo-public is cleared to GENERAL_1")
	for _, g := range public["facets"].(map[string]any)["grade"].([]any) {
		assert.Equal(t, "GENERAL_1", g.(map[string]any)["code"])
	}
	all := searchGQL(t, s, "demo-steward", `{ search { total } }`)
	assert.Greater(t, all["total"].(float64), public["total"].(float64), "the steward counts entries the public application may not")

	r := s.gql("demo-steward", `{ search(text: "水", district: ["火星"]) { total } }`, nil)
	assert.Contains(t, r.errText(), "filters.district")
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestCatalogSearchCommand: `ecolake catalog search` finds a registered entry by fragments of
// its name, items and district, answers as another principal with --as, refuses bad filters,
// and leaves no index on disk.
func TestCatalogSearchCommand(t *testing.T) {
	dir := t.TempDir()
	code, out := ecolake(t, "init", "--data", dir)
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "entry", "import", "--data", dir, filepath.Join("..", "examples", "entry.json"))
	require.Equal(t, 0, code, out)

	for _, text := range []string{"水质", "断面名称", "重庆"} {
		code, out = ecolake(t, "catalog", "search", "--data", dir, text)
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "共 1 条", text)
		assert.Contains(t, out, "0102/100001", text)
	}
	code, out = ecolake(t, "catalog", "search", "--data", dir, "渝北")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "共 0 条")

	code, out = ecolake(t, "principal", "create", "--data", dir, "--id", "wz", "--name", "万州区生态环境局", "--role", "district",
		"--clearance", "GENERAL_1", "--district", "万州区")
	require.Equal(t, 0, code, out)
	code, out = ecolake(t, "catalog", "search", "--data", dir, "--as", "wz", "水质")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "共 0 条", "the example is graded 一般数据2级, above the account's clearance")
	code, out = ecolake(t, "catalog", "search", "--data", dir, "--as", "nobody", "水质")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "账号 nobody 不存在")

	code, out = ecolake(t, "catalog", "search", "--data", dir, "--status", "火星", "水")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "filters.status")

	// The index is built in memory from the catalogue: nothing of it is left in the data directory.
	code, out = ecolake(t, "catalog", "search", "--data", dir, "月报")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "0102/100001")
	_, err := os.Stat(filepath.Join(dir, "search"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
