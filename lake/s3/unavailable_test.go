package s3

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// TestStoreDownIsUnavailable: a store that refuses connections fails every call with
// lake.ErrUnavailable within the bounds of New, not after minio-go's default ten attempts.
func TestStoreDownIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	_, err = New(context.Background(), Config{Endpoint: addr, Bucket: "ecolake", AccessKey: "ak", SecretKey: "secret-key"})
	require.Error(t, err)
	assert.ErrorIs(t, err, lake.ErrUnavailable)

	client, err := newClient(Config{Endpoint: addr, Bucket: "ecolake", AccessKey: "ak", SecretKey: "secret-key"})
	require.NoError(t, err)
	b := &Bucket{client: client, bucket: "ecolake"}
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"upload": func() error { return b.Upload(ctx, "a/b.parquet", bytes.NewReader([]byte("x")), 1) },
		"get":    func() error { _, err := b.Get(ctx, "a/b.parquet"); return err },
		"stat":   func() error { _, err := b.Attributes(ctx, "a/b.parquet"); return err },
		"iter":   func() error { return b.Iter(ctx, "a/", func(string) error { return nil }) },
	} {
		err := call()
		assert.ErrorIs(t, err, lake.ErrUnavailable, name)
		assert.NotErrorIs(t, err, lake.ErrNotFound, name)
	}

	// A caller that gave up is not told the store is down.
	cctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-cctx.Done()
	assert.NotErrorIs(t, b.Upload(cctx, "a/b.parquet", bytes.NewReader([]byte("x")), 1), lake.ErrUnavailable)
}
