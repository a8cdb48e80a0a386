package test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

// faultLake is where a fault run keeps its lake: the data directory's own folder, or a bucket on
// a real MinIO server. Every command of the binary is given its flags and environment.
type faultLake struct {
	name  string
	args  []string // lake flags of serve, ingest and gc
	env   []string // credentials
	open  func(t *testing.T) lake.Bucket
	minio *miniotest.Server
}

func localFaultLake(dir string) faultLake {
	return faultLake{name: "local", open: func(t *testing.T) lake.Bucket {
		b, err := local.New(filepath.Join(dir, "lake"))
		require.NoError(t, err)
		return b
	}}
}

func minioFaultLake(t *testing.T) faultLake {
	m := miniotest.Start(t)
	fl := faultLake{
		name: "minio",
		args: []string{"--lake", "s3://ecolake/faults"},
		env: []string{
			"ECOLAKE_S3_ENDPOINT=" + m.Endpoint,
			"ECOLAKE_S3_ACCESS_KEY=" + m.AccessKey,
			"ECOLAKE_S3_SECRET_KEY=" + m.SecretKey,
		},
		minio: &m,
	}
	fl.open = func(t *testing.T) lake.Bucket {
		b, err := s3.New(context.Background(), s3.Config{Endpoint: m.Endpoint, Bucket: "ecolake", Prefix: "faults",
			AccessKey: m.AccessKey, SecretKey: s3.Secret(m.SecretKey)})
		require.NoError(t, err)
		return b
	}
	return fl
}

// flipObject inverts one byte of a lake object in place (same size), as decay of the disk or of
// the object store would.
func flipObject(t *testing.T, b lake.Bucket, key string, at int) {
	t.Helper()
	ctx := context.Background()
	rc, err := b.Get(ctx, key)
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	data[at%len(data)] ^= 0xff
	if lp, ok := b.(lake.LocalPather); ok {
		// The local bucket's files are written once and read-only; change the bytes in place.
		p, _ := lp.LocalPath(key)
		require.NoError(t, os.Chmod(p, 0o644))
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return
	}
	require.NoError(t, b.Upload(ctx, key, bytes.NewReader(data), int64(len(data))))
}

// lakeState is what a restart finds: whether the catalogue opened, every snapshot of every entry
// checked against its manifest and files, and what the snapshots reference.
type lakeState struct {
	openErr  error            // the catalogue did not open (journal or checkpoint refused)
	midCkpt  bool             // a checkpoint was being written when the process died
	partial  []string         // snapshots with a missing or damaged manifest or file, and why
	rows     map[string]int64 // current snapshot rows by entry
	objects  map[string]string
	rejected []string // rejected-rows files of runs
}

// inspectLake opens the catalogue of dir as a restart would (any replay error is openErr) and
// checks every snapshot end to end: the manifest is readable, each file is present with the size
// and SHA-256 its manifest records, file rows add up to the manifest's and the snapshot's.
func inspectLake(t *testing.T, dir string, b lake.Bucket) lakeState {
	t.Helper()
	st := lakeState{rows: map[string]int64{}, objects: map[string]string{}}
	if _, err := os.Stat(filepath.Join(dir, "catalog", "checkpoint.tmp")); err == nil {
		st.midCkpt = true
	}
	cfg := catalog.DefaultConfig()
	cfg.Dir = filepath.Join(dir, "catalog")
	ctx := context.Background()
	cat, err := catalog.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		st.openErr = err
		return st
	}
	defer func() { require.NoError(t, cat.Close()) }()
	v := cat.View()
	sums := map[string]string{} // key → sha256 found, "" when unreadable
	sumOf := func(key string) (string, int64, error) {
		rc, err := b.Get(ctx, key)
		if err != nil {
			return "", 0, err
		}
		defer rc.Close()
		h := sha256.New()
		n, err := io.Copy(h, rc)
		if err != nil {
			return "", 0, err
		}
		return hex.EncodeToString(h.Sum(nil)), n, nil
	}
	for _, e := range v.Entries() {
		if e.CurrentSnapshot != "" {
			if s, err := v.Snapshot(e.CurrentSnapshot); err == nil {
				st.rows[e.ResourceCode] = s.Rows
			} else {
				st.partial = append(st.partial, fmt.Sprintf("%s: current snapshot %s: %v", e.ResourceCode, e.CurrentSnapshot, err))
			}
		}
		for _, s := range v.Snapshots(e.ResourceCode) {
			if p := checkSnapshot(ctx, b, s, sums, sumOf, st.objects); p != "" {
				st.partial = append(st.partial, fmt.Sprintf("%s snapshot %s: %s", e.ResourceCode, s.ID, p))
			}
		}
		for _, r := range v.Runs(e.ResourceCode) {
			if r.RejectedKey != "" {
				st.rejected = append(st.rejected, r.RejectedKey)
			}
		}
	}
	sort.Strings(st.rejected)
	return st
}

func checkSnapshot(ctx context.Context, b lake.Bucket, s *catalog.Snapshot, sums map[string]string,
	sumOf func(string) (string, int64, error), objects map[string]string) string {
	m, err := lake.ReadManifest(ctx, b, s.ManifestKey)
	if err != nil {
		return fmt.Sprintf("manifest %s: %v", s.ManifestKey, err)
	}
	objects[s.ManifestKey] = "manifest"
	var total int64
	for _, f := range m.Files {
		got, seen := sums[f.Key]
		if !seen {
			sum, n, err := sumOf(f.Key)
			switch {
			case errors.Is(err, lake.ErrNotFound):
				sum = "missing"
			case err != nil:
				sum = "unreadable: " + err.Error()
			case n != f.Bytes:
				sum = fmt.Sprintf("%d bytes", n)
			}
			sums[f.Key], got = sum, sum
		}
		if got != f.SHA256 {
			return fmt.Sprintf("file %s: %s, manifest says sha256 %s (%d bytes)", f.Key, got, f.SHA256, f.Bytes)
		}
		objects[f.Key] = got
		total += f.Rows
	}
	if total != m.Rows || m.Rows != s.Rows {
		return fmt.Sprintf("rows: files %d, manifest %d, snapshot %d", total, m.Rows, s.Rows)
	}
	return ""
}

// lostObjects are the objects referenced in before that after no longer has as they were.
func lostObjects(ctx context.Context, b lake.Bucket, before, after lakeState) []string {
	var lost []string
	for k, sum := range before.objects {
		if after.objects[k] != sum {
			lost = append(lost, fmt.Sprintf("%s (%s → %q)", k, sum, after.objects[k]))
		}
	}
	for _, k := range before.rejected {
		if _, err := b.Attributes(ctx, k); err != nil {
			lost = append(lost, fmt.Sprintf("rejected rows %s: %v", k, err))
		}
	}
	sort.Strings(lost)
	return lost
}
