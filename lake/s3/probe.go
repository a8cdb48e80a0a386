package s3

import (
	"context"
	"fmt"
)

// Probe asks the store whether the bucket exists, for the service's readiness: a stopped store,
// refused credentials or a removed bucket fail it.
func (b *Bucket) Probe(ctx context.Context) error {
	wctx, w := b.watch(ctx)
	defer w.stop()
	ok, err := b.client.BucketExists(wctx, b.bucket)
	if err != nil {
		return fmt.Errorf("probe s3 bucket %s: %w", b.bucket, mapWatched(ctx, w, err))
	}
	if !ok {
		return fmt.Errorf("probe s3 bucket %s: bucket does not exist", b.bucket)
	}
	return nil
}
