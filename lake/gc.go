package lake

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// GCResult counts what a collection saw and did.
type GCResult struct {
	Scanned int      // objects listed under the prefix
	Live    int      // objects some snapshot or run still references
	Young   int      // unreferenced objects kept because they are newer than the cut-off
	Deleted []string // unreferenced objects removed (or, in a dry run, that would be)
	Bytes   int64    // their total size
}

// CollectGarbage removes the objects under prefix that live does not claim and that were last
// modified before cutoff. Data files are immutable and written before the commit that makes them
// visible, so an unreferenced object is either an orphan of a failed or lost load, or the output
// of a load still in flight: the cut-off keeps the second kind. The lake itself knows nothing of
// snapshots; the caller decides what is live.
func CollectGarbage(ctx context.Context, b Bucket, prefix string, live func(key string) bool, cutoff time.Time, dryRun bool) (GCResult, error) {
	return CollectListed(ctx, b, prefix, func(context.Context) (func(string) bool, error) { return live, nil }, cutoff, dryRun)
}

// CollectListed is CollectGarbage for a caller that keeps committing while it collects: it lists
// the objects first and only then asks what is live, so that a snapshot committed while the
// listing ran keeps every file the listing saw.
func CollectListed(ctx context.Context, b Bucket, prefix string, liveSet func(context.Context) (func(string) bool, error), cutoff time.Time, dryRun bool) (GCResult, error) {
	var res GCResult
	var keys []string
	err := b.Iter(ctx, prefix, func(key string) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("gc list %s: %w", prefix, err)
	}
	res.Scanned = len(keys)
	live, err := liveSet(ctx)
	if err != nil {
		return res, err
	}
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return res, err // shutting down: what is deleted so far stays deleted, nothing live is touched
		}
		if live(key) {
			res.Live++
			continue
		}
		attrs, err := b.Attributes(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return res, fmt.Errorf("gc %s: %w", key, err)
		}
		if !attrs.LastModified.Before(cutoff) {
			res.Young++
			continue
		}
		if !dryRun {
			if err := b.Delete(ctx, key); err != nil {
				return res, fmt.Errorf("gc delete %s: %w", key, err)
			}
		}
		res.Deleted = append(res.Deleted, key)
		res.Bytes += attrs.Size
	}
	return res, nil
}
