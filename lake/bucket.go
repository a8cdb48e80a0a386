// Package lake is where bytes live: a small bucket interface with one backend per package
// (lake/local, lake/s3), Parquet writing from Arrow batches, snapshot manifests, and the local
// read-through cache DuckDB reads from. It knows nothing of the catalogue.
package lake

import (
	"context"
	"io"
	"time"
)

// ObjectAttrs describes a stored object.
type ObjectAttrs struct {
	Size         int64
	LastModified time.Time
}

// BucketReader is the read half of a bucket.
type BucketReader interface {
	// Get returns the whole object; ErrNotFound when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Attributes returns the object's size and time; ErrNotFound when absent.
	Attributes(ctx context.Context, key string) (ObjectAttrs, error)
	// Iter calls fn for every key under prefix, in lexical order.
	Iter(ctx context.Context, prefix string, fn func(key string) error) error
}

// Bucket is where the lake keeps its objects. Keys are slash-separated relative paths.
// Upload is atomic: a reader sees the whole object or none of it.
type Bucket interface {
	BucketReader
	Upload(ctx context.Context, key string, r io.Reader, size int64) error
	// Delete removes the object; deleting an absent object is not an error.
	Delete(ctx context.Context, key string) error
	// Name identifies the bucket in logs and manifests (file:///…, s3://bucket/prefix).
	Name() string
	io.Closer
}

// LocalPather is an optional capability of buckets whose objects already are local files:
// the read-through cache hands DuckDB such paths directly instead of copying.
type LocalPather interface {
	LocalPath(key string) (string, bool)
}
