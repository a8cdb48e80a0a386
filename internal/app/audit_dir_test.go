package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// TestAuditDirElsewhere: with AuditDir (--audit-dir) set, the audit of the doors is written
// there and nothing under the data directory's audit/, so that it may live on a volume of its
// own.
func TestAuditDirElsewhere(t *testing.T) {
	cfg := grantSetup(t)
	cfg.AuditDir = filepath.Join(t.TempDir(), "audit-volume")
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler), true)
	require.NoError(t, err)
	require.NoError(t, a.Query.RecordDoor(context.Background(), catalog.Operator(), "schema.graphql", time.Now(), 0, nil))
	require.NoError(t, a.Close())

	var written int
	require.NoError(t, filepath.WalkDir(cfg.AuditDir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written++
		}
		return err
	}))
	assert.Positive(t, written, "the event is in the audit directory given")
	_, err = os.Stat(filepath.Join(cfg.DataDir, "audit"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing is written under the data directory's audit/")
}
