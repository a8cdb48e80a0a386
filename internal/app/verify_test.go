package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

const verifyOther = "0101/000002"

// verifySetup is a data directory with two entries of two appended loads each (the first load of
// each with a rejected row), and the read cache holding copies of every data file, as a serve on
// an S3 lake leaves it. lakeAt, if not nil, sets where the lake is.
func verifySetup(t *testing.T, lakeAt func(*Config)) (Config, map[string][]*catalog.Snapshot, *catalog.View) {
	t.Helper()
	ctx := context.Background()
	cfg := grantSetup(t)
	if lakeAt != nil {
		lakeAt(&cfg)
	}
	cfg.MaxRejectedPercent = 100
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	e, err := a.Cat.View().Entry(grantEntryCode)
	require.NoError(t, err)
	e.ResourceCode, e.Table, e.Name, e.Revision, e.LastItemID = verifyOther, "outfall_contacts_2", "排污口联系人（二）", 0, 0
	items := e.Items.Slice()
	for i := range items {
		items[i].ID = 0
	}
	e.Items = catalog.ItemsOf(items...)
	require.NoError(t, a.Cat.PutEntry(ctx, e))
	for i := range 2 {
		for _, code := range []string{grantEntryCode, verifyOther} {
			csv := fmt.Sprintf("排污口,联系电话\nK%d,13800138000\nL%d,13900139000\n", i, i)
			if i == 0 {
				csv += ",13700137000\n" // no outfall: rejected
			}
			_, err := a.Ingest.Submit(ctx, ingestAsOperator(code, "", csv))
			require.NoError(t, err)
		}
	}
	v := a.Cat.View()
	snaps := map[string][]*catalog.Snapshot{}
	var files []lake.DataFile
	for _, code := range []string{grantEntryCode, verifyOther} {
		snaps[code] = v.Snapshots(code)
		require.Len(t, snaps[code], 2)
		for _, s := range snaps[code] {
			files = append(files, manifestOf(t, a, s).Files...)
		}
	}
	// A cache that cannot take the local bucket's own paths copies, as it does from S3.
	c, err := lake.NewCache(struct{ lake.BucketReader }{a.Bucket}, cfg.cacheDir(), 1<<30)
	require.NoError(t, err)
	_, release, err := c.Acquire(ctx, files)
	require.NoError(t, err)
	release()
	return cfg, snaps, v
}

func manifestOf(t *testing.T, a *App, s *catalog.Snapshot) *lake.Manifest {
	t.Helper()
	m, err := lake.ReadManifest(context.Background(), a.Bucket, s.ManifestKey)
	require.NoError(t, err)
	return m
}

// readManifest reads a snapshot's manifest straight from a local lake.
func readManifest(t *testing.T, cfg Config, s *catalog.Snapshot) *lake.Manifest {
	t.Helper()
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	return manifestOf(t, a, s)
}

func runVerify(t *testing.T, cfg Config, args VerifyArgs) (int, []string) {
	t.Helper()
	var out bytes.Buffer
	code := RunVerify(context.Background(), cfg, args, &out, slog.New(slog.DiscardHandler))
	return code, strings.Split(strings.TrimSpace(out.String()), "\n")
}

func cachedNames(t *testing.T, cfg Config) []string {
	t.Helper()
	des, err := os.ReadDir(cfg.cacheDir())
	require.NoError(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestLakeVerify: a clean lake passes (exit 0) with every snapshot, manifest, data and
// rejected-rows file counted; then a data file with one byte flipped (same size), another
// truncated, a manifest deleted and a rejected-rows file deleted are each reported on their own
// line naming entry, snapshot (or run) and object, for every kept snapshot that references them,
// with exit 1; the damaged files' cached copies are removed, the others' stay.
func TestLakeVerify(t *testing.T) {
	cfg, snaps, v := verifySetup(t, nil)
	code, lines := runVerify(t, cfg, VerifyArgs{Jobs: DefaultVerifyJobs})
	require.Equal(t, ExitOK, code, lines)
	// 4 manifests, 4 data files (each append adds one, its snapshot keeps the parent's), 2
	// rejected-rows files.
	require.Equal(t, []string{"检查 4 个快照、10 个对象、0.0 MB, 发现 0 个问题"}, lines)
	cachedBefore := cachedNames(t, cfg)
	require.Len(t, cachedBefore, 4)

	a0, a1 := snaps[grantEntryCode][1], snaps[grantEntryCode][0] // oldest, newest
	b0, b1 := snaps[verifyOther][1], snaps[verifyOther][0]
	mA1, mB1 := readManifest(t, cfg, a1), readManifest(t, cfg, b1)
	require.Len(t, mA1.Files, 2)
	require.Len(t, mB1.Files, 2)
	lakeFile := func(key string) string { return filepath.Join(cfg.lakeDir(), filepath.FromSlash(key)) }
	var flipped, truncated lake.DataFile
	for _, f := range mA1.Files {
		if !strings.Contains(readManifestKeys(t, cfg, a0), f.Key) {
			flipped = f // only in the newest snapshot of A
		}
	}
	truncated = mB1.Files[0] // in both snapshots of B (the first load's file)
	require.NotEmpty(t, flipped.Key)
	require.Contains(t, readManifestKeys(t, cfg, b0), truncated.Key)

	data, err := os.ReadFile(lakeFile(flipped.Key))
	require.NoError(t, err)
	data[len(data)/2] ^= 0x01
	require.NoError(t, os.WriteFile(lakeFile(flipped.Key), data, 0o644))
	require.NoError(t, os.Truncate(lakeFile(truncated.Key), truncated.Bytes-7))
	require.NoError(t, os.Remove(lakeFile(a0.ManifestKey)))
	var rejRun *catalog.Run
	for _, r := range v.Runs(verifyOther) {
		if r.RejectedKey != "" {
			rejRun = r
		}
	}
	require.NotNil(t, rejRun)
	require.NoError(t, os.Remove(lakeFile(rejRun.RejectedKey)))

	code, lines = runVerify(t, cfg, VerifyArgs{Jobs: 2})
	require.Equal(t, ExitProblems, code, lines)
	want := []string{
		fmt.Sprintf("目录 %s 快照 %s 对象 %s: 清单无法读取（缺失）", grantEntryCode, a0.ID, a0.ManifestKey),
		fmt.Sprintf("目录 %s 快照 %s 对象 %s: 校验和不符", grantEntryCode, a1.ID, flipped.Key),
		fmt.Sprintf("目录 %s 快照 %s 对象 %s: 大小不符（实际 %d 字节, 清单记载 %d 字节）", verifyOther, b0.ID, truncated.Key, truncated.Bytes-7, truncated.Bytes),
		fmt.Sprintf("目录 %s 快照 %s 对象 %s: 大小不符（实际 %d 字节, 清单记载 %d 字节）", verifyOther, b1.ID, truncated.Key, truncated.Bytes-7, truncated.Bytes),
		fmt.Sprintf("目录 %s 快照 %s 运行 %s 拒收明细 对象 %s: 缺失", verifyOther, rejRun.Snapshot, rejRun.ID, rejRun.RejectedKey),
		"已从本地读缓存中移除 2 个损坏对象的副本",
	}
	require.Len(t, lines, len(want)+1, lines)
	got := append([]string(nil), lines[:len(want)-1]...)
	sort.Strings(got)
	w := append([]string(nil), want[:len(want)-1]...)
	sort.Strings(w)
	assert.Equal(t, w, got)
	assert.Equal(t, want[len(want)-1], lines[len(want)-1])
	// Without A's oldest manifest, its files are not counted: 3 manifests read + 1 missing, 4
	// data files, 2 rejected-rows files.
	assert.Equal(t, "检查 4 个快照、10 个对象、0.0 MB, 发现 5 个问题", lines[len(want)])
	assert.Len(t, cachedNames(t, cfg), 2, "the copies of the flipped and the truncated file are gone")
	for _, n := range cachedNames(t, cfg) {
		assert.Contains(t, cachedBefore, n)
	}
}

// readManifestKeys is the raw text of a snapshot's manifest.
func readManifestKeys(t *testing.T, cfg Config, s *catalog.Snapshot) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cfg.lakeDir(), filepath.FromSlash(s.ManifestKey)))
	require.NoError(t, err)
	return string(data)
}

// TestLakeVerifyEntry: --entry (a resource code or a table name) checks only that entry's
// snapshots and runs; an unknown entry and a bad --jobs are refused with exit 2.
func TestLakeVerifyEntry(t *testing.T) {
	cfg, snaps, _ := verifySetup(t, nil)
	b1 := snaps[verifyOther][0]
	m := readManifest(t, cfg, b1)
	require.NoError(t, os.Remove(filepath.Join(cfg.lakeDir(), filepath.FromSlash(m.Files[1].Key))))

	code, lines := runVerify(t, cfg, VerifyArgs{Entry: grantEntryCode, Jobs: 1})
	assert.Equal(t, ExitOK, code, lines)
	assert.Equal(t, []string{"检查 2 个快照、5 个对象、0.0 MB, 发现 0 个问题"}, lines, "the other entry's damage is out of scope")

	for _, ref := range []string{verifyOther, "outfall_contacts_2"} {
		code, lines = runVerify(t, cfg, VerifyArgs{Entry: ref, Jobs: 3})
		assert.Equal(t, ExitProblems, code, lines)
		assert.Equal(t, []string{
			fmt.Sprintf("目录 %s 快照 %s 对象 %s: 缺失", verifyOther, b1.ID, m.Files[1].Key),
			"检查 2 个快照、5 个对象、0.0 MB, 发现 1 个问题",
		}, lines)
	}

	code, lines = runVerify(t, cfg, VerifyArgs{Entry: "0101/999999", Jobs: 1})
	assert.Equal(t, ExitFailed, code)
	assert.Equal(t, []string{"错误: 目录资源 0101/999999 不存在"}, lines)
	code, lines = runVerify(t, cfg, VerifyArgs{Jobs: 0})
	assert.Equal(t, ExitFailed, code)
	assert.Equal(t, []string{"错误: --jobs 0 应在 1 到 64 之间"}, lines)
}

// unavailable is a lake store that stopped answering after its manifests were read.
type unavailable struct{ lake.BucketReader }

func (u unavailable) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if strings.Contains(key, "/metadata/") {
		return u.BucketReader.Get(ctx, key)
	}
	return nil, fmt.Errorf("get %s: %w", key, lake.ErrUnavailable)
}

// A store that does not answer stops the check with an error instead of reporting every object
// damaged.
func TestLakeVerifyStoreUnavailable(t *testing.T) {
	cfg, _, _ := verifySetup(t, nil)
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	v := a.Cat.View()
	_, err = verifyLake(ctx, unavailable{a.Bucket}, v, v.Entries(), 2, cfg.cacheDir(), slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, lake.ErrUnavailable)
	res, err := verifyLake(ctx, a.Bucket, v, v.Entries(), 2, cfg.cacheDir(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Empty(t, res.problems)
}

// TestLakeVerifyMinIO: on an S3 lake, an object rewritten with one byte changed and a deleted data
// file are found, and the changed object's cached copy is removed.
func TestLakeVerifyMinIO(t *testing.T) {
	ctx := context.Background()
	m := miniotest.Start(t)
	cfg, snaps, _ := verifySetup(t, func(c *Config) {
		c.Lake = "s3://ecolake/bureau"
		c.S3.Endpoint, c.S3.AccessKey = m.Endpoint, m.AccessKey
		c.SetS3Secret(m.SecretKey)
	})
	code, lines := runVerify(t, cfg, VerifyArgs{Jobs: DefaultVerifyJobs})
	require.Equal(t, ExitOK, code, lines)
	require.Equal(t, []string{"检查 4 个快照、10 个对象、0.0 MB, 发现 0 个问题"}, lines)

	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	a1, b1 := snaps[grantEntryCode][0], snaps[verifyOther][0]
	changed := manifestOf(t, a, a1).Files[1]
	gone := manifestOf(t, a, b1).Files[1]
	rc, err := a.Bucket.Get(ctx, changed.Key)
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	data[len(data)/3] ^= 0x80
	require.NoError(t, a.Bucket.Upload(ctx, changed.Key, bytes.NewReader(data), int64(len(data))))
	require.NoError(t, a.Bucket.Delete(ctx, gone.Key))
	require.NoError(t, a.Close())

	code, lines = runVerify(t, cfg, VerifyArgs{Jobs: DefaultVerifyJobs})
	require.Equal(t, ExitProblems, code, lines)
	assert.Equal(t, []string{
		fmt.Sprintf("目录 %s 快照 %s 对象 %s: 校验和不符", grantEntryCode, a1.ID, changed.Key),
		fmt.Sprintf("目录 %s 快照 %s 对象 %s: 缺失", verifyOther, b1.ID, gone.Key),
		"已从本地读缓存中移除 1 个损坏对象的副本",
		"检查 4 个快照、10 个对象、0.0 MB, 发现 2 个问题",
	}, lines)
	assert.Len(t, cachedNames(t, cfg), 3)
}
