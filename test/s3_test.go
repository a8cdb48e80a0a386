package test

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

// TestServeOnMinIO runs the demo with the lake on a real MinIO server: the data files and manifests
// land in the bucket, and queries read them back through the local read-through cache.
func TestServeOnMinIO(t *testing.T) {
	m := miniotest.Start(t)
	env := []string{
		"ECOLAKE_S3_ENDPOINT=" + m.Endpoint,
		"ECOLAKE_S3_ACCESS_KEY=" + m.AccessKey,
		"ECOLAKE_S3_SECRET_KEY=" + m.SecretKey,
	}
	dir := t.TempDir()
	s := startServer(t, dir, env, "--demo", "--lake", "s3://ecolake/bureau", "--cache-mb", "64")
	assert.NotContains(t, s.out.String(), m.SecretKey, "the secret key must never be logged")

	d := s.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count sum { enterprise_count } } }`, nil).ok(t)
	agg := rows(t, d, "air_emission_reduction_counts_aggregate")[0]
	assert.EqualValues(t, 41, num(t, agg["count"]))
	assert.EqualValues(t, 15539, num(t, agg["sum"].(map[string]any)["enterprise_count"]))
	d = s.gql("demo-public", `{ air_autumn_winter_targets(where: {district_code: {eq: "500104"}}) { pm25_target } }`, nil).ok(t)
	assert.InDelta(t, 40.7, num(t, rows(t, d, "air_autumn_winter_targets")[0]["pm25_target"]), 1e-9)

	ctx := context.Background()
	b, err := s3.New(ctx, s3.Config{Endpoint: m.Endpoint, Bucket: "ecolake", Prefix: "bureau", AccessKey: m.AccessKey, SecretKey: s3.Secret(m.SecretKey)})
	require.NoError(t, err)
	defer b.Close()
	var parquet, manifests, iceberg int
	require.NoError(t, b.Iter(ctx, "tables/air_emission_reduction_counts/", func(key string) error {
		switch {
		case strings.HasSuffix(key, ".metadata.json"):
			iceberg++ // the snapshot published as Iceberg metadata too
		case strings.HasSuffix(key, ".avro"): // its Iceberg manifest and manifest list
		case strings.HasSuffix(key, ".parquet"):
			parquet++
		case strings.HasSuffix(key, ".json"):
			manifests++
		}
		return nil
	}))
	assert.Equal(t, 1, parquet)
	assert.Equal(t, 1, manifests)
	assert.Equal(t, 1, iceberg)
	s.stop(syscall.SIGTERM)
}
