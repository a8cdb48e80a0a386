package miniotest

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartServesHealth(t *testing.T) {
	srv := Start(t)
	resp, err := http.Get("http://" + srv.Endpoint + "/minio/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, srv.AccessKey)
	assert.GreaterOrEqual(t, len(srv.SecretKey), 8, "minio needs 8+ character passwords")
}

func TestFindBinaryHonoursEnv(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "minio")
	require.NoError(t, os.WriteFile(notExec, []byte("x"), 0o644))
	t.Setenv("ECOLAKE_MINIO", notExec)
	_, err := findBinary()
	assert.ErrorContains(t, err, "ECOLAKE_MINIO")

	t.Setenv("ECOLAKE_MINIO", "")
	t.Setenv("GOBIN", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err = findBinary()
	assert.ErrorContains(t, err, "no minio binary")
}
