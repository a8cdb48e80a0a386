package lake_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
)

// committingBucket commits "tables/a/new.parquet" (makes it live) while it is being listed, as a
// load finishing during a collection inside the service does.
type committingBucket struct {
	lake.Bucket
	live map[string]bool
}

func (b committingBucket) Iter(ctx context.Context, prefix string, fn func(string) error) error {
	err := b.Bucket.Iter(ctx, prefix, fn)
	b.live["tables/a/new.parquet"] = true
	return err
}

// TestCollectListedAsksWhatIsLiveAfterListing: the live set is taken once the listing is done, so
// a file committed meanwhile stays; one that nothing claims goes.
func TestCollectListedAsksWhatIsLiveAfterListing(t *testing.T) {
	ctx := context.Background()
	inner, err := local.New(t.TempDir())
	require.NoError(t, err)
	defer inner.Close()
	for _, k := range []string{"tables/a/new.parquet", "tables/a/orphan.parquet"} {
		require.NoError(t, inner.Upload(ctx, k, bytes.NewReader([]byte(k)), int64(len(k))))
	}
	b := committingBucket{Bucket: inner, live: map[string]bool{}}
	asked := 0
	res, err := lake.CollectListed(ctx, b, "tables/", func(context.Context) (func(string) bool, error) {
		asked++
		live := map[string]bool{}
		for k, v := range b.live {
			live[k] = v
		}
		return func(k string) bool { return live[k] }, nil
	}, time.Now().Add(time.Minute), false)
	require.NoError(t, err)
	assert.Equal(t, 1, asked)
	assert.Equal(t, []string{"tables/a/orphan.parquet"}, res.Deleted)
	_, err = inner.Attributes(ctx, "tables/a/new.parquet")
	require.NoError(t, err, "committed during the listing: kept")

	// A live set that cannot be had deletes nothing.
	require.NoError(t, inner.Upload(ctx, "tables/a/x.parquet", bytes.NewReader([]byte("x")), 1))
	boom := errors.New("manifest unreadable")
	_, err = lake.CollectListed(ctx, inner, "tables/", func(context.Context) (func(string) bool, error) { return nil, boom }, time.Now().Add(time.Minute), false)
	require.ErrorIs(t, err, boom)
	_, err = inner.Attributes(ctx, "tables/a/x.parquet")
	require.NoError(t, err)
}
