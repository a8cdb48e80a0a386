package demo

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake/local"
)

// TestLoadResumesAndIsIdempotent interrupts a first demo load half-way, completes it with a
// second, and checks that a third adds nothing.
func TestLoadResumesAndIsIdempotent(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	cfg := catalog.DefaultConfig()
	cfg.Dir = t.TempDir()
	cat, err := catalog.Open(context.Background(), cfg, log)
	require.NoError(t, err)
	defer cat.Close()
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	defer bucket.Close()

	// Cancel the first load once the catalogue has taken 60 commands.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for cat.Index() < 60 {
			<-cat.Changed()
		}
		cancel()
	}()
	require.Error(t, Load(ctx, cat, bucket, time.Now, log), "the first load is interrupted")
	require.Less(t, len(withData(cat)), loadable(), "the interruption left entries without data")

	require.NoError(t, Load(context.Background(), cat, bucket, time.Now, log))
	assert.Len(t, withData(cat), loadable())
	v := cat.View()
	assert.Len(t, v.Entries(), len(specs()))
	for _, s := range specs() {
		e, err := v.Entry(s.ResourceCode)
		require.NoError(t, err)
		if !s.draft {
			assert.Equal(t, catalog.StatusPublished, e.Status, s.ResourceCode)
		}
	}

	idx := cat.Index()
	require.NoError(t, Load(context.Background(), cat, bucket, time.Now, log))
	assert.Equal(t, idx, cat.Index(), "a complete demo gets no new commands")
}

func withData(cat *catalog.Store) []string {
	var out []string
	for _, e := range cat.View().Entries() {
		if e.CurrentSnapshot != "" {
			out = append(out, e.ResourceCode)
		}
	}
	return out
}

func loadable() int {
	n := 0
	for _, s := range specs() {
		if s.load != never {
			n++
		}
	}
	return n
}
