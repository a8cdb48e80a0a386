package app

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/apache/iceberg-go/io/gocloud/s3" // iceberg-go reads s3:// locations
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/demo"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
	"github.com/cqeco/ecolake/schemas"
)

// TestIcebergSecondReaderMinIO: with the lake in MinIO, the metadata names s3:// objects, and
// iceberg-go, given only the store's endpoint and credentials, reads every table through the REST
// catalogue and through the metadata file exactly as GraphQL answers, after a load, an append and
// a replacement.
func TestIcebergSecondReaderMinIO(t *testing.T) {
	m := miniotest.Start(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.MaxRejectedPercent = 100
	cfg.Lake = "s3://ecolake-ice/lake"
	cfg.S3 = s3.Config{Endpoint: m.Endpoint, Bucket: "ecolake-ice", Prefix: "lake", AccessKey: m.AccessKey, SecretKey: s3.Secret(m.SecretKey)}
	a, err := Open(ctx, cfg, log, true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.NoError(t, demo.Load(ctx, a.Cat, a.Bucket, time.Now, log))
	env := &matrixEnv{a: a, audited: map[string]int{}}
	env.srv = httptest.NewServer(a.Routes())
	t.Cleanup(env.srv.Close)

	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	props := []string{"s3.endpoint", "http://" + m.Endpoint, "s3.access-key-id", m.AccessKey,
		"s3.secret-access-key", m.SecretKey, "s3.region", "us-east-1"}

	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 6, 0)+iceRows("江北区", "2025-02-07", 4, 100))
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-03-01", 3, 200))
	sub := ingestAsOperator(iceCode, wanzhou, iceHeader+iceRows("万州区", "2025-01-05", 2, 300))
	sub.Replace = true
	_, err = env.a.Ingest.Submit(ctx, sub)
	require.NoError(t, err)
	tables := env.checkIceberg(t, reader, props...)
	loc := tables[iceTable].MetadataLocation()
	assert.True(t, strings.HasPrefix(loc, "s3://ecolake-ice/lake/tables/"+iceTable+"/metadata/"), loc)
	assert.Len(t, tables[iceTable].Metadata().Snapshots(), 3)
}
