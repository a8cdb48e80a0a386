package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

// noProbeCache makes every readiness check probe the lake afresh (the test restores it).
func noProbeCache(t *testing.T) {
	old := probeTTL
	probeTTL = 0
	t.Cleanup(func() { probeTTL = old })
}

// TestReadyWhenFine: an open catalogue, a reachable lake and a built schema are ready, without a
// token; /healthz stays alive-only.
func TestReadyWhenFine(t *testing.T) {
	e := newOpsEnv(t)
	resp, body := e.do("GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "ready\n", body)
	resp, body = e.do("GET", "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok\n", body)
}

// TestReadyLakeGone: the lake folder renamed away makes the service not ready, naming the lake
// in Chinese without its path or anything of the directory; back in place, ready again.
func TestReadyLakeGone(t *testing.T) {
	noProbeCache(t)
	e := newOpsEnv(t)
	moved := e.lakeDir + ".moved"
	require.NoError(t, os.Rename(e.lakeDir, moved))
	resp, body := e.do("GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	assert.Contains(t, body, "未就绪")
	assert.Contains(t, body, "数据湖 (lake): 数据湖不可访问: 探测失败")
	assert.Contains(t, body, "目录库 (catalog): 正常")
	assert.Contains(t, body, "查询模式 (schema): 正常")
	assert.NotContains(t, body, e.lakeDir, "the lake's path goes to the log only")
	assert.NotContains(t, body, "0201", "nothing of the directory")

	require.NoError(t, os.Rename(moved, e.lakeDir))
	resp, body = e.do("GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
}

// TestReadySchemaAndCatalogue: a closed query service (no schema to answer with) and a closed
// catalogue each make the service not ready, each named.
func TestReadySchemaAndCatalogue(t *testing.T) {
	e := newOpsEnv(t)
	require.NoError(t, e.query.Close())
	resp, body := e.do("GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "查询模式 (schema): GraphQL 模式尚未构建或查询服务已关闭")
	assert.Contains(t, body, "目录库 (catalog): 正常")

	require.NoError(t, e.cat.Close())
	resp, body = e.do("GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "目录库 (catalog): 目录库未打开或已关闭")
}

// countingProber counts its probes and fails or hangs as told.
type countingProber struct {
	n    int
	err  error
	hang bool
}

func (p *countingProber) Probe(ctx context.Context) error {
	p.n++
	if p.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return p.err
}

// TestLakeProbeCached: within probeTTL the last result answers, so that a flood of /readyz
// probes the store once; after it, the store is probed again.
func TestLakeProbeCached(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	p := &countingProber{err: errors.New("connection refused")}
	l := &lakeProbe{p: p, now: func() time.Time { return now }}
	for range 100 {
		require.Error(t, l.check(context.Background()))
	}
	assert.Equal(t, 1, p.n)
	p.err = nil
	now = now.Add(probeTTL)
	require.NoError(t, l.check(context.Background()))
	assert.Equal(t, 2, p.n)
}

// TestLakeProbeTimeout: a store that does not answer fails the probe when probeTimeout ends,
// and the answer says it timed out.
func TestLakeProbeTimeout(t *testing.T) {
	old := probeTimeout
	probeTimeout = time.Millisecond
	t.Cleanup(func() { probeTimeout = old })
	s := &Server{probe: &lakeProbe{p: &countingProber{hang: true}, now: time.Now}}
	var lake readyCheck
	for _, c := range s.readiness(context.Background()) {
		if c.name == "数据湖 (lake)" {
			lake = c
		}
	}
	assert.Equal(t, "数据湖不可访问: 探测超时 (1ms)", lake.reason)
}

// TestReadyS3BucketGone: on an S3 lake, the service is ready while MinIO has the bucket and not
// ready, naming the lake, once the bucket is gone.
func TestReadyS3BucketGone(t *testing.T) {
	noProbeCache(t)
	m := miniotest.Start(t)
	ctx := context.Background()
	b, err := s3.New(ctx, s3.Config{Endpoint: m.Endpoint, Bucket: "ready", AccessKey: m.AccessKey, SecretKey: s3.Secret(m.SecretKey)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	srv := httptest.NewServer((&Server{Cat: cat, Bucket: b}).Routes())
	t.Cleanup(srv.Close)
	ready := func() (int, string) {
		resp, err := http.Get(srv.URL + "/readyz")
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	status, body := ready()
	require.Equal(t, http.StatusOK, status, body)

	mc, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	require.NoError(t, err)
	require.NoError(t, mc.RemoveBucketWithOptions(ctx, "ready", minio.RemoveBucketOptions{ForceDelete: true}))
	status, body = ready()
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, body, "数据湖 (lake): 数据湖不可访问: 探测失败")
	assert.NotContains(t, body, m.Endpoint)
}
