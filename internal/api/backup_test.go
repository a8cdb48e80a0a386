package api

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

// backupEnv serves a catalogue with one entry loaded twice (the second load with a rejected
// row) from a local lake, with an administrator cleared for core data ("ops-tok"), one cleared
// below it, a steward and a district account.
type backupEnv struct {
	cat     *catalog.Store
	srv     *httptest.Server
	lakeDir string
	// holding counts the backups holding the lake collection's deletions now, held those that
	// ever did (Server.HoldGC).
	holding, held atomic.Int32
}

func newBackupEnv(t *testing.T) *backupEnv {
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "DIV_AIR", Name: "大气处", Kind: catalog.DepartmentDivision}))
	for _, p := range []catalog.Principal{
		{ID: "ops", Name: "运维", Role: catalog.RoleAdmin, Clearance: schemas.Core},
		{ID: "ops-important", Name: "运维(重要数据)", Role: catalog.RoleAdmin, Clearance: schemas.Important},
		{ID: "steward", Name: "数据管理员", Role: catalog.RoleSteward, Clearance: schemas.Core},
		{ID: "wanzhou", Name: "万州区", Role: catalog.RoleDistrict, Clearance: schemas.Core, Districts: []string{"500101"}},
	} {
		p.TokenHash = catalog.HashToken(p.ID + "-tok")
		require.NoError(t, cat.PutPrincipal(ctx, p))
	}
	require.NoError(t, cat.PutEntry(ctx, profileEntry("0201/000001", "emissions", schemas.General3)))
	lakeDir := t.TempDir()
	bucket, err := local.New(lakeDir)
	require.NoError(t, err)
	icfg := ingest.DefaultConfig()
	icfg.MaxRejectedShare = 1
	in := ingest.New(cat, bucket, icfg, nil)
	for _, body := range []string{"万州区,10,13800138000\n", "江北区,30,13900139000\n不是区县,1,\n"} {
		res, err := in.Submit(ctx, ingest.Submission{Principal: catalog.Operator(), Entry: "0201/000001", Filename: "报送.csv",
			Body: strings.NewReader("区县,排放量,联系电话\n" + body)})
		require.NoError(t, err)
		require.NotNil(t, res.Snapshot)
	}
	e := &backupEnv{cat: cat, lakeDir: lakeDir}
	hold := func() func() {
		e.holding.Add(1)
		e.held.Add(1)
		return func() { e.holding.Add(-1) }
	}
	e.srv = httptest.NewServer((&Server{Cat: cat, Bucket: bucket, Ingest: in, HoldGC: hold}).Routes())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *backupEnv) get(t *testing.T, token, query string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/admin/backup"+query, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// tarFile is one file of a streamed set.
type tarFile struct {
	name string
	data []byte
}

// readSet reads a streamed set to its end; err is what cut it short.
func readSet(r io.Reader) ([]tarFile, error) {
	var out []tarFile
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return out, err
		}
		out = append(out, tarFile{h.Name, data})
	}
}

func digest(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestBackupDoorRefuses(t *testing.T) {
	e := newBackupEnv(t)
	for _, c := range []struct {
		token, query string
		status       int
		msg          string
	}{
		{"", "", http.StatusUnauthorized, "未认证"},
		{"steward-tok", "", http.StatusForbidden, "核心数据的系统管理员"},
		{"wanzhou-tok", "", http.StatusForbidden, "核心数据的系统管理员"},
		{"ops-important-tok", "", http.StatusForbidden, "核心数据的系统管理员"},
		{"ops-tok", "?objects=maybe", http.StatusBadRequest, "参数 objects 应为 true 或 false"},
		{"ops-tok", "?dir=/etc", http.StatusBadRequest, "未知的参数 dir"},
	} {
		resp := e.get(t, c.token, c.query)
		raw, _ := io.ReadAll(resp.Body)
		assert.Equal(t, c.status, resp.StatusCode, "%s%s: %s", c.token, c.query, raw)
		assert.Contains(t, string(raw), c.msg, "%s%s", c.token, c.query)
		assert.NotContains(t, resp.Header.Get("Content-Type"), "tar")
	}
	assert.Zero(t, e.held.Load(), "a refused backup holds no collection back")
}

// TestBackupDoorStreamsSet: the set holds the checkpoint of the catalogue, every object it
// references (both snapshots' manifests and data files, the rejected rows), copies of them when
// asked, and last the description whose sizes and digests match what came before it.
func TestBackupDoorStreamsSet(t *testing.T) {
	e := newBackupEnv(t)
	for _, withObjects := range []bool{false, true} {
		resp := e.get(t, "ops-tok", map[bool]string{false: "", true: "?objects=true"}[withObjects])
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/x-tar", resp.Header.Get("Content-Type"))
		files, err := readSet(resp.Body)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(files), 3)
		assert.Equal(t, BackupCheckpointName, files[0].name, "the checkpoint first")
		assert.Equal(t, BackupObjectListName, files[len(files)-2].name)
		assert.Equal(t, BackupMetaName, files[len(files)-1].name, "the description last")

		var meta BackupMeta
		require.NoError(t, json.Unmarshal(files[len(files)-1].data, &meta))
		require.NoError(t, meta.Check())
		require.Eventually(t, func() bool { return e.holding.Load() == 0 }, 10*time.Second, time.Millisecond, "released once sent")
		assert.EqualValues(t, map[bool]int{false: 1, true: 2}[withObjects], e.held.Load(), "each backup held the collection's deletions while it copied")
		assert.Equal(t, withObjects, meta.WithObjects)
		assert.Equal(t, e.cat.Index(), meta.Checkpoint.Index)
		assert.Equal(t, digest(files[0].data), meta.Checkpoint.SHA256)
		assert.EqualValues(t, len(files[0].data), meta.Checkpoint.Size)
		list := files[len(files)-2].data
		assert.Equal(t, FileSum{Size: int64(len(list)), SHA256: digest(list)}, meta.ObjectList)
		assert.True(t, strings.HasPrefix(meta.Lake, "file://"), meta.Lake)

		var objs []BackupObject
		require.NoError(t, json.Unmarshal(list, &objs))
		assert.Equal(t, meta.Objects, len(objs))
		keys := map[string]BackupObject{}
		var total int64
		for _, o := range objs {
			keys[o.Key] = o
			total += o.Size
			st, err := os.Stat(filepath.Join(e.lakeDir, o.Key))
			require.NoError(t, err, o.Key)
			assert.Equal(t, st.Size(), o.Size, o.Key)
		}
		assert.Equal(t, total, meta.Bytes)
		v := e.cat.View()
		snaps := v.Snapshots("0201/000001")
		require.Len(t, snaps, 2)
		var dataFiles int
		for _, s := range snaps {
			assert.Contains(t, keys, s.ManifestKey)
			m, err := lake.ReadManifest(context.Background(), mustBucket(t, e.lakeDir), s.ManifestKey)
			require.NoError(t, err)
			for _, f := range m.Files {
				assert.Equal(t, f.SHA256, keys[f.Key].SHA256, "a data file carries its manifest's digest")
				dataFiles++
			}
		}
		var rejects int
		for _, r := range v.Runs("0201/000001") {
			if r.RejectedKey != "" {
				assert.Contains(t, keys, r.RejectedKey)
				rejects++
			}
		}
		require.Equal(t, 1, rejects, "the second load rejected a row")
		require.GreaterOrEqual(t, len(objs), 2+1+1, "two manifests, data files, the rejected rows")

		copies := files[1 : len(files)-2]
		if !withObjects {
			assert.Empty(t, copies)
			continue
		}
		require.Len(t, copies, len(objs), "one copy per object, in the list's order")
		for i, c := range copies {
			assert.Equal(t, BackupObjectsPrefix+objs[i].Key, c.name)
			assert.Equal(t, objs[i].SHA256, digest(c.data), "every copy's digest is listed")
			onDisk, err := os.ReadFile(filepath.Join(e.lakeDir, objs[i].Key))
			require.NoError(t, err)
			assert.Equal(t, onDisk, c.data)
		}

		// The checkpoint restores into the catalogue it was taken of.
		dir := filepath.Join(t.TempDir(), "catalog")
		require.NoError(t, catalog.RestoreCheckpoint(context.Background(), dir, bytes.NewReader(files[0].data), meta.Checkpoint))
		cfg := catalog.DefaultConfig()
		cfg.Dir = dir
		r, err := catalog.Open(context.Background(), cfg, nil)
		require.NoError(t, err)
		assert.Len(t, r.View().Snapshots("0201/000001"), 2)
		assert.Len(t, r.View().Principals(), len(v.Principals()))
		require.NoError(t, r.Close())
	}
}

func mustBucket(t *testing.T, dir string) lake.BucketReader {
	b, err := local.New(dir)
	require.NoError(t, err)
	return b
}

// TestBackupDoorDamagedLake: a referenced object that is missing fails the backup before anything
// is sent, naming it; a data file whose bytes no longer match its manifest's digest stops a
// backup with copies before its description, so that the client cannot take it for a set.
func TestBackupDoorDamagedLake(t *testing.T) {
	e := newBackupEnv(t)
	v := e.cat.View()
	snaps := v.Snapshots("0201/000001")
	m, err := lake.ReadManifest(context.Background(), mustBucket(t, e.lakeDir), snaps[0].ManifestKey)
	require.NoError(t, err)
	data := filepath.Join(e.lakeDir, m.Files[len(m.Files)-1].Key)
	orig, err := os.ReadFile(data)
	require.NoError(t, err)

	flipped := bytes.Clone(orig)
	flipped[len(flipped)/2] ^= 0x01
	require.NoError(t, os.WriteFile(data, flipped, 0o644))
	resp := e.get(t, "ops-tok", "?objects=true")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the damage is found while streaming")
	files, err := readSet(resp.Body)
	require.Error(t, err, "the stream is cut")
	for _, f := range files {
		assert.NotEqual(t, BackupMetaName, f.name, "no description after a corrupt object")
	}

	require.NoError(t, os.Remove(data))
	resp = e.get(t, "ops-tok", "")
	raw, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Contains(t, string(raw), m.Files[len(m.Files)-1].Key, "the missing object is named")
	assert.Contains(t, string(raw), "数据湖中缺少")

	require.NoError(t, os.WriteFile(data, orig, 0o644))
	resp = e.get(t, "ops-tok", "?objects=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	files, err = readSet(resp.Body)
	require.NoError(t, err, "the lake whole again, the backup goes through")
	assert.Equal(t, BackupMetaName, files[len(files)-1].name)
}
