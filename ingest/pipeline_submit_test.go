package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// TestSubmitKeepsInputOrder loads many small batches into several files: the files, in the
// manifest's order, hold the rows in the order of the submitted file.
func TestSubmitKeepsInputOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BatchRows = 7
	cfg.Writer.TargetRows = 50
	cfg.MaxRejectedShare = 1 // one row in 13 is rejected, between the accepted ones
	e := newEnv(t, cfg)
	e.putEntry(nil)
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期,监测次数\n")
	var want []string
	for i := range 500 {
		code := fmt.Sprintf("S%05d", (i*7919)%100000) // not sorted
		if i%13 == 5 {
			fmt.Fprintf(&b, "%s,渝中区,2024-02-30,%d\n", code, i)
			continue
		}
		fmt.Fprintf(&b, "%s,渝中区,2024-01-01,%d\n", code, i)
		want = append(want, code)
	}
	res, err := e.submit("order.csv", b.String(), nil)
	require.NoError(t, err)
	require.Equal(t, int64(len(want)), res.Run.RowsAccepted)

	m, err := lake.ReadManifest(context.Background(), e.bucket, res.Snapshot.ManifestKey)
	require.NoError(t, err)
	require.Len(t, m.Files, (len(want)+49)/50)
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	var got []string
	for _, f := range m.Files {
		p, ok := e.bucket.LocalPath(f.Key)
		require.True(t, ok)
		rs, err := db.Query("SELECT station_code FROM read_parquet('" + p + "')")
		require.NoError(t, err)
		for rs.Next() {
			var s string
			require.NoError(t, rs.Scan(&s))
			got = append(got, s)
		}
		require.NoError(t, rs.Err())
		rs.Close()
	}
	assert.Equal(t, want, got)
}

// failingBucket refuses Parquet uploads, as a full or unreachable store would.
type failingBucket struct{ lake.Bucket }

var errStoreDown = errors.New("store unreachable")

func (b failingBucket) Upload(ctx context.Context, key string, r io.Reader, size int64) error {
	if strings.HasSuffix(key, ".parquet") {
		return errStoreDown
	}
	return b.Bucket.Upload(ctx, key, r, size)
}

// TestSubmitWriteFailure fails the Parquet upload while rows are still being read: the error
// reaches the caller, nothing becomes visible, and no temp file is left behind.
func TestSubmitWriteFailure(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BatchRows = 100
	cfg.Writer.TargetRows = 300
	e := newEnv(t, cfg)
	e.putEntry(nil)
	before, err := e.submit("1.csv", "站点编码,区县,监测日期\nA1,渝中区,2024-01-01\n", nil)
	require.NoError(t, err)

	svc := New(e.cat, failingBucket{e.bucket}, e.svc.cfg, nil)
	var b strings.Builder
	b.WriteString("站点编码,区县,监测日期\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "C%05d,渝中区,2024-01-01\n", i)
	}
	res, err := svc.Submit(context.Background(), Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: "big.csv", Body: strings.NewReader(b.String())})
	require.ErrorIs(t, err, errStoreDown)
	require.NotNil(t, res)
	assert.Nil(t, res.Snapshot)

	v := e.cat.View()
	run, err := v.Run(res.Run.ID)
	require.NoError(t, err)
	assert.Equal(t, catalog.RunFailed, run.Status)
	en, err := v.Entry("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, before.Snapshot.ID, en.CurrentSnapshot)
	left, err := os.ReadDir(e.svc.cfg.Writer.TmpDir)
	require.NoError(t, err)
	assert.Empty(t, left, "temp files must be removed")
}

// TestSubmitCancelledLeavesNoTempFiles cancels while the writer stage holds batches.
func TestSubmitCancelledLeavesNoTempFiles(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BatchRows = 50
	cfg.Writer.TargetRows = 100_000
	e := newEnv(t, cfg)
	e.putEntry(nil)
	submitCancelledHalfway(t, e)
	left, err := os.ReadDir(e.svc.cfg.Writer.TmpDir)
	require.NoError(t, err)
	assert.Empty(t, left, "temp files must be removed")
}
