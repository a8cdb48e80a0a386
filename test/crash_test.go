package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
)

const crashEntry = "0101/000001" // air_station_hourly

// TestIngestKilledMidway kills `ecolake ingest` with SIGKILL at points spread over a whole load and
// proves after each restart that the entry shows either the old or a complete new snapshot: its
// manifest is there, every file is there with its checksum and row count, and a completed load
// adds exactly its rows.
func TestIngestKilledMidway(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--demo")
	s.stop(syscall.SIGTERM)

	const n = 150000
	file := filepath.Join(t.TempDir(), "stations.csv")
	writeStationCSV(t, file, n)

	before := verifyCurrent(t, dir)

	// Calibrate: one load to completion.
	start := time.Now()
	out, err := exec.Command(binary, "ingest", "--data", dir, "--entry", crashEntry, file).CombinedOutput()
	require.NoError(t, err, string(out))
	full := time.Since(start)
	after := verifyCurrent(t, dir)
	require.Equal(t, before+n, after, "a completed load adds exactly its rows")

	committed := after
	const kills = 8
	for k := 1; k <= kills; k++ {
		delay := full * time.Duration(k) / time.Duration(kills+1)
		cmd := exec.Command(binary, "ingest", "--data", dir, "--entry", crashEntry, file)
		var buf strings.Builder
		cmd.Stdout, cmd.Stderr = &buf, &buf
		require.NoError(t, cmd.Start())
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		rows := verifyCurrent(t, dir)
		switch rows {
		case committed: // killed before the commit: the old snapshot stands
		case committed + n: // the commit landed before the kill: the whole new snapshot stands
			committed = rows
		default:
			t.Fatalf("kill %d after %v: %d rows visible, want %d or %d\n%s", k, delay, rows, committed, committed+n, buf.String())
		}
	}

	// Garbage collection removes the orphans of the killed loads and an old planted one, keeps a
	// young one (a load could be in flight) and every referenced file.
	dataDir := filepath.Join(dir, "lake", "tables", "air_station_hourly", "data")
	oldOrphan, youngOrphan := filepath.Join(dataDir, "orphan-old.parquet"), filepath.Join(dataDir, "orphan-young.parquet")
	require.NoError(t, os.WriteFile(oldOrphan, []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(youngOrphan, []byte("y"), 0o644))
	past := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(oldOrphan, past, past))
	out, err = exec.Command(binary, "gc", "--data", dir, "--min-age", "1h").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "orphan-old.parquet")
	assert.NoFileExists(t, oldOrphan)
	assert.FileExists(t, youngOrphan)
	out, err = exec.Command(binary, "gc", "--data", dir, "--min-age", "0s").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.NoFileExists(t, youngOrphan)
	require.Equal(t, committed, verifyCurrent(t, dir), "collection keeps every referenced file")
	out, err = exec.Command(binary, "gc", "--data", dir, "--min-age", "0s", "--dry-run").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "无引用文件 0 个", "nothing unreferenced is left")

	// The server starts on the crashed directory and answers with the committed rows; the
	// interrupted runs are recorded as failed.
	s2 := startServer(t, dir, nil, "--demo")
	d := s2.gql("demo-steward", `{ air_station_hourly_aggregate { count } entry(code: "0101/000001") { runs { status error } } }`, nil).ok(t)
	assert.EqualValues(t, committed, num(t, rows(t, d, "air_station_hourly_aggregate")[0]["count"]))
	for _, r := range d["entry"].(map[string]any)["runs"].([]any) {
		assert.NotEqual(t, "RUNNING", r.(map[string]any)["status"], "interrupted runs must not stay running")
	}
	s2.stop(syscall.SIGTERM)
}

// verifyCurrent opens the catalogue and lake as a restart would and checks the entry's current
// snapshot end to end; it returns the snapshot's row count.
func verifyCurrent(t *testing.T, dir string) int64 {
	t.Helper()
	ctx := context.Background()
	cfg := catalog.DefaultConfig()
	cfg.Dir = filepath.Join(dir, "catalog")
	cat, err := catalog.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer cat.Close()
	b, err := local.New(filepath.Join(dir, "lake"))
	require.NoError(t, err)
	defer b.Close()
	v := cat.View()
	e, err := v.Entry(crashEntry)
	require.NoError(t, err)
	require.NotEmpty(t, e.CurrentSnapshot)
	snap, err := v.Snapshot(e.CurrentSnapshot)
	require.NoError(t, err)
	m, err := lake.ReadManifest(ctx, b, snap.ManifestKey)
	require.NoError(t, err, "manifest of the current snapshot must exist")
	var sum int64
	for _, f := range m.Files {
		rc, err := b.Get(ctx, f.Key)
		require.NoError(t, err, "file %s of snapshot %s", f.Key, snap.ID)
		h := sha256.New()
		nb, err := io.Copy(h, rc)
		rc.Close()
		require.NoError(t, err)
		require.Equal(t, f.Bytes, nb, f.Key)
		require.Equal(t, f.SHA256, hex.EncodeToString(h.Sum(nil)), f.Key)
		sum += f.Rows
	}
	require.Equal(t, m.Rows, sum)
	require.Equal(t, snap.Rows, m.Rows)
	return snap.Rows
}

func writeStationCSV(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	fmt.Fprintln(f, "站点编码,站点名称,区县,监测时间,PM2.5,PM10,臭氧,二氧化氮,二氧化硫,一氧化碳,空气质量指数")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		fmt.Fprintf(f, "CRASH%03d,测试站%d,500101,%s,%d.5,%d,%d,%d,%d,0.8,%d\n", i%100, i%100,
			base.Add(time.Duration(i)*time.Minute).Format("2006-01-02 15:04:05"), i%80, i%150, i%200, i%60, i%20, i%300)
	}
}
