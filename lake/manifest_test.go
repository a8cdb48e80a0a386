package lake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func sampleManifest() *lake.Manifest {
	return &lake.Manifest{
		Table:         "air_quality",
		SnapshotID:    "20250501T083000Z-0123456789abcdef",
		Parent:        "20250430T083000Z-fedcba9876543210",
		Run:           "20250501T082959Z-00000000000000aa",
		SchemaVersion: 2,
		Schema: []lake.Field{
			{ID: 1, Name: "station_code", Type: "STRING", Required: true},
			{ID: 2, Name: "pm25", Type: "FLOAT"},
			{ID: 4, Name: "sampled_at", Type: "TIMESTAMP", Required: true},
		},
		Files: []lake.DataFile{
			{Key: "tables/air_quality/data/a.parquet", Rows: 10, Bytes: 1000, SHA256: sha},
			{Key: "tables/air_quality/data/b.parquet", Rows: 5, Bytes: 700, SHA256: sha},
		},
		CreatedAt: time.Date(2025, 5, 1, 8, 30, 0, 123456789, time.UTC),
		Summary:   map[string]string{"operation": "append", "source": "district_csv"},
	}
}

func TestKeys(t *testing.T) {
	assert.Equal(t, "tables/air_quality/metadata/s1.json", lake.ManifestKey("air_quality", "s1"))
	assert.Equal(t, "tables/air_quality/data/", lake.DataPrefix("air_quality"))
	assert.Equal(t, "tables/air_quality/rejects/r1.csv", lake.RejectsKey("air_quality", "r1"))
}

func TestManifestRoundTrip(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	m := sampleManifest()
	key, err := lake.WriteManifest(ctx, b, m)
	require.NoError(t, err)
	assert.Equal(t, lake.ManifestKey(m.Table, m.SnapshotID), key)
	assert.Equal(t, int64(15), m.Rows)
	assert.Equal(t, int64(1700), m.Bytes)
	assert.Equal(t, 1, m.FormatVersion)

	got, err := lake.ReadManifest(ctx, b, key)
	require.NoError(t, err)
	assert.Equal(t, m, got)

	// The stored form uses the documented field names.
	rc, err := b.Get(ctx, key)
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.NewDecoder(rc).Decode(&raw))
	rc.Close()
	for _, k := range []string{"format_version", "table", "snapshot_id", "parent_snapshot_id", "run_id",
		"schema_version", "schema", "files", "rows", "bytes", "created_at", "summary"} {
		assert.Contains(t, raw, k)
	}
}

func TestWriteManifestFillsDefaults(t *testing.T) {
	m := sampleManifest()
	m.CreatedAt = time.Time{}
	m.Parent = ""
	m.Files = nil
	m.Rows = 99 // recomputed
	_, err := lake.WriteManifest(context.Background(), newLocal(t), m)
	require.NoError(t, err)
	assert.False(t, m.CreatedAt.IsZero())
	assert.Zero(t, m.Rows)
}

func TestWriteManifestRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*lake.Manifest)
	}{
		{"format version", func(m *lake.Manifest) { m.FormatVersion = 2 }},
		{"table not an identifier", func(m *lake.Manifest) { m.Table = "Air Quality" }},
		{"table path traversal", func(m *lake.Manifest) { m.Table = "../x" }},
		{"empty snapshot id", func(m *lake.Manifest) { m.SnapshotID = "" }},
		{"snapshot id with slash", func(m *lake.Manifest) { m.SnapshotID = "a/b" }},
		{"empty run id", func(m *lake.Manifest) { m.Run = "" }},
		{"own parent", func(m *lake.Manifest) { m.Parent = m.SnapshotID }},
		{"schema version", func(m *lake.Manifest) { m.SchemaVersion = 0 }},
		{"no schema", func(m *lake.Manifest) { m.Schema = nil }},
		{"duplicate field id", func(m *lake.Manifest) { m.Schema[1].ID = 1 }},
		{"zero field id", func(m *lake.Manifest) { m.Schema[0].ID = 0 }},
		{"duplicate field name", func(m *lake.Manifest) { m.Schema[1].Name = "station_code" }},
		{"bad field name", func(m *lake.Manifest) { m.Schema[1].Name = "PM2.5" }},
		{"unknown type", func(m *lake.Manifest) { m.Schema[1].Type = "DECIMAL" }},
		{"file without key", func(m *lake.Manifest) { m.Files[0].Key = "" }},
		{"file key escapes", func(m *lake.Manifest) { m.Files[0].Key = "../x.parquet" }},
		{"duplicate file", func(m *lake.Manifest) { m.Files[1].Key = m.Files[0].Key }},
		{"file without checksum", func(m *lake.Manifest) { m.Files[0].SHA256 = "" }},
		{"short checksum", func(m *lake.Manifest) { m.Files[0].SHA256 = "abcd" }},
		{"upper-case checksum", func(m *lake.Manifest) { m.Files[0].SHA256 = strings.ToUpper(sha) }},
		{"negative rows", func(m *lake.Manifest) { m.Files[0].Rows = -1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newLocal(t)
			m := sampleManifest()
			tc.change(m)
			_, err := lake.WriteManifest(context.Background(), b, m)
			assert.ErrorIs(t, err, lake.ErrInvalidManifest)
			var keys []string
			require.NoError(t, b.Iter(context.Background(), "", func(k string) error { keys = append(keys, k); return nil }))
			assert.Empty(t, keys, "nothing uploaded")
		})
	}
}

func TestReadManifestRejects(t *testing.T) {
	ctx := context.Background()
	m := sampleManifest()
	key := lake.ManifestKey(m.Table, m.SnapshotID)
	valid := func() map[string]any {
		mm := sampleManifest()
		mm.FormatVersion, mm.Rows, mm.Bytes = 1, 15, 1700
		data, err := json.Marshal(mm)
		require.NoError(t, err)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(data, &raw))
		return raw
	}
	tests := []struct {
		name string
		body func() string
	}{
		{"not json", func() string { return "{not json" }},
		{"empty", func() string { return "" }},
		{"trailing data", func() string { d, _ := json.Marshal(valid()); return string(d) + "{}" }},
		{"unknown field", func() string { r := valid(); r["extra"] = 1; d, _ := json.Marshal(r); return string(d) }},
		{"wrong version", func() string { r := valid(); r["format_version"] = 7; d, _ := json.Marshal(r); return string(d) }},
		{"totals differ", func() string { r := valid(); r["rows"] = 16; d, _ := json.Marshal(r); return string(d) }},
		{"other snapshot", func() string {
			r := valid()
			r["snapshot_id"] = "20250501T083000Z-ffffffffffffffff"
			d, _ := json.Marshal(r)
			return string(d)
		}},
		{"bad checksum", func() string {
			r := valid()
			r["files"].([]any)[0].(map[string]any)["sha256"] = "zz"
			d, _ := json.Marshal(r)
			return string(d)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newLocal(t)
			body := tc.body()
			require.NoError(t, b.Upload(ctx, key, strings.NewReader(body), int64(len(body))))
			_, err := lake.ReadManifest(ctx, b, key)
			assert.ErrorIs(t, err, lake.ErrInvalidManifest)
		})
	}
	t.Run("control: the valid body reads", func(t *testing.T) {
		b := newLocal(t)
		d, _ := json.Marshal(valid())
		require.NoError(t, b.Upload(ctx, key, strings.NewReader(string(d)), int64(len(d))))
		_, err := lake.ReadManifest(ctx, b, key)
		assert.NoError(t, err)
	})
	t.Run("missing", func(t *testing.T) {
		_, err := lake.ReadManifest(ctx, newLocal(t), key)
		assert.ErrorIs(t, err, lake.ErrNotFound)
	})
}

// TestWithSource: the digests of submitted files are carried latest last, at most MaxSources,
// and the parent's list is never changed in place.
func TestWithSource(t *testing.T) {
	var s []string
	for i := range lake.MaxSources + 5 {
		s = lake.WithSource(s, fmt.Sprintf("d%d", i))
	}
	require.Len(t, s, lake.MaxSources)
	assert.Equal(t, "d5", s[0], "the oldest dropped")
	assert.Equal(t, fmt.Sprintf("d%d", lake.MaxSources+4), s[len(s)-1])
	parent := s[:3:3]
	child := lake.WithSource(parent, "new")
	assert.Equal(t, []string{"d5", "d6", "d7"}, parent)
	assert.Equal(t, "new", child[3])
}
