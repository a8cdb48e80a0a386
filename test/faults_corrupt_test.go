package test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
)

// corruptQueries read every file of air_station_hourly's current snapshot; each is a different
// statement, so that no answer kept from before the damage stands in for reading the files.
var corruptQueries = []string{
	`{ air_station_hourly_aggregate { count } }`,
	`{ air_station_hourly_aggregate { count sum { aqi } } }`,
	`{ air_station_hourly_aggregate { count max { pm25 } } }`,
	`{ air_station_hourly(limit: 5, orderBy: [{field: observed_at, direction: DESC}]) { station_code observed_at pm25 } }`,
}

const corruptMessage = "数据文件校验不符"

// TestFaultCorruptObject damages one Parquet file of a committed snapshot in place (same size,
// one byte inverted), on a local lake and on MinIO, and reads the entry through GraphQL on a
// server whose cache had already verified the file and on a freshly started one. No read returns
// rows from the damaged bytes: a local lake's file is hashed again once its stat changes, and a
// cold cache verifies every fetch, so each query fails with a Chinese message naming the damage,
// and the service logs the event. A MinIO server that fetched and verified the file before the
// damage keeps serving its verified copy (the intact rows) until it restarts. `ecolake gc` keeps
// the damaged object: it is referenced, and deleting it would hide the damage.
func TestFaultCorruptObject(t *testing.T) {
	for _, name := range []string{"local", "minio"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fl := localFaultLake(dir)
			if name == "minio" {
				fl = minioFaultLake(t)
			}
			serveArgs := append([]string{"--demo"}, fl.args...)
			s := startServer(t, dir, fl.env, serveArgs...)
			s.stop(syscall.SIGTERM)
			b := fl.open(t)
			defer b.Close()
			before := snapshotFiles(t, dir, b)

			// Commit a load of its own files.
			csv := filepath.Join(t.TempDir(), "stations.csv")
			faultCSV(t, csv, 20000, 7)
			code, out := ecolakeEnv(t, fl.env, append([]string{"ingest", "--data", dir, "--entry", faultEntry}, append(fl.args, csv)...)...)
			require.Equal(t, 0, code, out)
			after := snapshotFiles(t, dir, b)
			var victim lake.DataFile
			for k, f := range after {
				if _, old := before[k]; !old {
					victim = f
				}
			}
			require.NotEmpty(t, victim.Key, "the load wrote a data file")

			// A server that has read (and so verified) every file of the snapshot. Native copies
			// and kept answers are off, so that each read goes to the lake's files through the cache.
			warm := startServer(t, dir, fl.env, append(serveArgs, "--native-cache-mb", "0", "--result-cache-mb", "0")...)
			good := make([]string, len(corruptQueries))
			for i, q := range corruptQueries {
				r := warm.gql("demo-steward", q, nil)
				r.ok(t)
				good[i] = r.Raw
			}
			flipObject(t, b, victim.Key, int(victim.Bytes/2))

			for i, q := range corruptQueries {
				r := warm.gql("demo-steward", q, nil)
				if name == "minio" {
					// The cache's copy was verified against the manifest when fetched; the damage is
					// in the object store only.
					assert.Equal(t, good[i], r.Raw, "a warm MinIO server serves its verified copy")
					continue
				}
				assertCorruptRefused(t, r)
			}
			if name == "local" {
				assert.Contains(t, warm.out.String(), "lake file failed its checksum", "the damage is logged")
				assert.Contains(t, warm.out.String(), victim.Key)
			}
			warm.stop(syscall.SIGTERM)

			// A fresh server: its cache starts empty (files left by the last process are removed).
			cold := startServer(t, dir, fl.env, serveArgs...)
			for _, q := range corruptQueries {
				assertCorruptRefused(t, cold.gql("demo-steward", q, nil))
			}
			assert.Contains(t, cold.out.String(), "lake file failed its checksum", "the damage is logged")
			assert.Contains(t, cold.out.String(), victim.Key)
			// Other entries are read as before.
			cold.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count } }`, nil).ok(t)
			cold.stop(syscall.SIGTERM)

			// gc keeps the referenced object, damaged as it is, and the next server still refuses.
			code, out = ecolakeEnv(t, fl.env, append([]string{"gc", "--data", dir, "--min-age", "0s"}, fl.args...)...)
			require.Equal(t, 0, code, out)
			attrs, err := b.Attributes(context.Background(), victim.Key)
			require.NoError(t, err, "gc must keep a referenced object")
			assert.Equal(t, victim.Bytes, attrs.Size)
			st := inspectLake(t, dir, b)
			require.NoError(t, st.openErr)
			require.Len(t, st.partial, 1, "exactly the damaged snapshot is reported: %v", st.partial)
			assert.Contains(t, st.partial[0], victim.Key)
			again := startServer(t, dir, fl.env, serveArgs...)
			assertCorruptRefused(t, again.gql("demo-steward", corruptQueries[0], nil))
			again.stop(syscall.SIGTERM)
		})
	}
}

// assertCorruptRefused checks that a query of the damaged snapshot failed naming the damage and
// returned no rows.
func assertCorruptRefused(t *testing.T, r gqlResponse) {
	t.Helper()
	require.NotEmpty(t, r.Errors, "a read of a damaged file must fail: %s", r.Raw)
	assert.Contains(t, r.errText(), corruptMessage, r.Raw)
	for field, v := range r.Data {
		if list, ok := v.([]any); ok {
			assert.Empty(t, list, "%s returned rows from a damaged file: %s", field, r.Raw)
		} else {
			assert.Nil(t, v, "%s returned data from a damaged file: %s", field, r.Raw)
		}
	}
}

// snapshotFiles returns the data files of air_station_hourly's current snapshot by key, read from
// the catalogue (no server may be running on dir) and the snapshot's manifest.
func snapshotFiles(t *testing.T, dir string, b lake.Bucket) map[string]lake.DataFile {
	t.Helper()
	ctx := context.Background()
	cfg := catalog.DefaultConfig()
	cfg.Dir = filepath.Join(dir, "catalog")
	cat, err := catalog.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer func() { require.NoError(t, cat.Close()) }()
	v := cat.View()
	e, err := v.Entry(faultEntry)
	require.NoError(t, err)
	snap, err := v.Snapshot(e.CurrentSnapshot)
	require.NoError(t, err)
	m, err := lake.ReadManifest(ctx, b, snap.ManifestKey)
	require.NoError(t, err)
	out := map[string]lake.DataFile{}
	for _, f := range m.Files {
		require.True(t, strings.HasSuffix(f.Key, ".parquet"), f.Key)
		out[f.Key] = f
	}
	return out
}
