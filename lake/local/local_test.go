package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/laketest"
	"github.com/cqeco/ecolake/lake/local"
)

func newBucket(t *testing.T) *local.Bucket {
	b, err := local.New(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	return b
}

func TestAcceptance(t *testing.T) {
	laketest.Run(t, func(t *testing.T) lake.Bucket { return newBucket(t) })
}

func TestLocalPath(t *testing.T) {
	b := newBucket(t)
	data := strings.Repeat("x", 10)
	require.NoError(t, b.Upload(context.Background(), "tables/t/data/f.parquet", strings.NewReader(data), 10))
	p, ok := b.LocalPath("tables/t/data/f.parquet")
	require.True(t, ok)
	assert.True(t, filepath.IsAbs(p))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, data, string(got))

	_, ok = b.LocalPath("../escape")
	assert.False(t, ok)
}

func TestReservedTempNames(t *testing.T) {
	b := newBucket(t)
	err := b.Upload(context.Background(), "a/.tmp-x", strings.NewReader("x"), 1)
	assert.ErrorIs(t, err, lake.ErrInvalidKey)
}

func TestNoTempFilesLeft(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bucket")
	b, err := local.New(dir)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, b.Upload(ctx, "a/ok", strings.NewReader("abc"), 3))
	require.Error(t, b.Upload(ctx, "a/bad", strings.NewReader("abc"), 7))
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, d.Name())
		}
		return err
	}))
	assert.Equal(t, []string{"ok"}, names)
}

func TestName(t *testing.T) {
	dir := t.TempDir()
	b, err := local.New(dir)
	require.NoError(t, err)
	assert.Equal(t, "file://"+filepath.ToSlash(dir), b.Name())
}

func TestNewRejectsEmptyDir(t *testing.T) {
	_, err := local.New("")
	assert.Error(t, err)
}
