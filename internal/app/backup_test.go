package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/internal/demo"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
	"github.com/cqeco/ecolake/schemas"
)

// The backup round trip: a data directory with the demo (entries with snapshots, business items,
// scenes, principals) plus a shared entry loaded twice (the second run with a rejected row), a
// token issued to a scene account and a grant approved for it, is backed up offline, restored into
// an empty directory, and the restored catalogue must equal the source in everything a view shows;
// the restored service must answer the same queries with the same rows, and the token must open
// what it opened before.

const backupEntry = "0102/800001" // outfall_contacts, 有条件共享

// backupSource is what the round trip checks on the restored side.
type backupSource struct {
	cfg    Config
	secret string // the scene account's issued token
	state  string // catalogueState of the source
	data   map[string]string
	// rejected is the rejected-rows file of the second run, with its bytes.
	rejectedKey string
	rejected    []byte
}

// backupQueries are asked of source and restored service alike, by token.
var backupQueries = map[string]string{
	"demo-steward": `{ air_station_hourly_aggregate { count max { pm25 } }
		air_autumn_winter_targets(orderBy: [{field: district_code}]) { district_code pm25_target }
		air_station_hourly(orderBy: [{field: station_code}, {field: observed_at}], limit: 40) { station_code observed_at district_code pm25 aqi }
		outfall_contacts(orderBy: [{field: outfall}]) { outfall amount phone } }`,
	"demo-public": `{ air_emission_reduction_counts_aggregate { count sum { enterprise_count } } }`,
}

// fillBackupSource builds the source data directory of cfg and closes it.
func fillBackupSource(t *testing.T, cfg Config) *backupSource {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	a, err := Open(ctx, cfg, log, true)
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, demo.Load(ctx, a.Cat, a.Bucket, time.Now, log))

	for _, p := range []catalog.Principal{
		{ID: "yjs", Name: "排污口一件事", Role: catalog.RoleScene, Clearance: schemas.General2},
		{ID: "li", Name: "李审核", Role: catalog.RoleReviewer, Clearance: schemas.General4, Department: "DIV_WATER"},
	} {
		require.NoError(t, a.Cat.CreatePrincipal(ctx, p))
	}
	require.NoError(t, a.Cat.PutEntry(ctx, &catalog.Entry{
		ResourceCode: backupEntry, Table: "outfall_contacts", Name: "排污口联系人", CategoryCode: "0102",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "排污口联系人", FormatType: "DATABASE",
		ShareType: catalog.ShareConditional, ShareCondition: "用于排污口监管", ShareMode: "TABLE", OpenType: "NOT_OPEN",
		UpdateCycle: schemas.Irregular, Status: catalog.StatusPublished, Department: "DIV_WATER", District: schemas.CityCode,
		SourceKind: "DISTRICT_SUBMISSION", Domains: []string{"WATER"}, Items: catalog.ItemsOf(
			catalog.Item{Name: "排污口", Field: "outfall", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1},
			catalog.Item{Name: "排放量", Field: "amount", Type: schemas.Int, Grade: schemas.General1},
			catalog.Item{Name: "联系电话", Field: "phone", Type: schemas.String, Length: 20, Grade: schemas.General2, PIType: "MOBILE"}),
	}))
	for _, csv := range []string{
		"排污口,排放量,联系电话\nK1,10,13800138000\n",
		"排污口,排放量,联系电话\nK2,20,13900139000\nK3,不是数字,13700137000\n",
	} {
		res, err := a.Ingest.Submit(ctx, ingestAsOperator(backupEntry, "", csv))
		require.NoError(t, err)
		require.NotNil(t, res.Snapshot)
	}
	runs := a.Cat.View().Runs(backupEntry)
	require.Len(t, runs, 2)
	src := &backupSource{cfg: cfg}
	for _, r := range runs {
		if r.RowsRejected > 0 {
			src.rejectedKey = r.RejectedKey
		}
	}
	require.NotEmpty(t, src.rejectedKey, "the second run keeps its rejected row")
	src.rejected = readObject(t, a.Bucket, src.rejectedKey)

	yjs, err := a.Cat.View().Principal("yjs")
	require.NoError(t, err)
	li, err := a.Cat.View().Principal("li")
	require.NoError(t, err)
	_, src.secret, err = a.Cat.CreateToken(ctx, catalog.NewToken{Principal: "yjs", Name: "排污口应用", TTL: 24 * time.Hour})
	require.NoError(t, err)
	g, err := a.Cat.RequestGrant(ctx, yjs, catalog.Grant{Entry: backupEntry, Grantee: "yjs", Purpose: "排污口监管",
		Expires: time.Now().Add(30 * 24 * time.Hour), Mode: catalog.GrantRows,
		Items: []string{"outfall", "amount", "phone"}, Unmasked: []string{"phone"}})
	require.NoError(t, err)
	require.NoError(t, a.Cat.ApproveGrant(ctx, li, g.ID, g.Revision, "同意"))
	// A second grant left waiting, so that both states travel.
	_, err = a.Cat.RequestGrant(ctx, yjs, catalog.Grant{Entry: backupEntry, Grantee: "yjs", Purpose: "统计",
		Expires: time.Now().Add(10 * 24 * time.Hour), Mode: catalog.GrantAggregates})
	require.NoError(t, err)

	src.state = catalogueState(t, a.Cat.View())
	src.data = askAll(t, a, src.secret)
	assert.Contains(t, src.data[src.secret], "13900139000", "the grant opens the entry's rows to the scene")
	return src
}

// askAll asks backupQueries, and the scene's query with its issued token, of a's service.
func askAll(t *testing.T, a *App, secret string) map[string]string {
	t.Helper()
	srv := httptest.NewServer(a.Routes())
	defer srv.Close()
	out := map[string]string{}
	for tok, q := range backupQueries {
		out[tok] = askData(t, srv.URL, tok, q)
	}
	out[secret] = askData(t, srv.URL, secret, `{ outfall_contacts(orderBy: [{field: outfall}]) { outfall amount phone } }`)
	return out
}

// askData posts a GraphQL query that must succeed and returns its data as JSON text.
func askData(t *testing.T, base, token, q string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var res struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	require.NoError(t, json.Unmarshal(raw, &res))
	require.Empty(t, res.Errors, "%s", q)
	require.NotEqual(t, "null", string(res.Data))
	return string(res.Data)
}

func readObject(t *testing.T, b lake.BucketReader, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return data
}

// catalogueState renders everything a view shows through its exported reads, for comparing a
// source with its restored copy. The metadata generation is left out: it counts the changes a
// process has applied since it started (for the query layer's schema swaps), is not state, and
// starts again after any restart.
func catalogueState(t *testing.T, v *catalog.View) string {
	t.Helper()
	type entryState struct {
		Entry       *catalog.Entry
		Snapshots   []*catalog.Snapshot
		Runs        []*catalog.Run
		History     []*catalog.History
		Change      *catalog.ChangeRequest
		Derived     []string
		Connection  *catalog.Connection
		ExtReads    []*catalog.ExternalJob
		ExtWrites   []*catalog.ExternalJob
		PIProposals []*catalog.PIProposal
	}
	type principalState struct {
		Principal *catalog.Principal
		Tokens    []*catalog.Token
	}
	st := struct {
		Index          uint64
		Departments    []*catalog.Department
		Districts      []schemas.District
		Entries        []entryState
		Principals     []principalState
		Items          []catalog.ItemRef
		Grants         []*catalog.Grant
		BusinessItems  []*catalog.BusinessItem
		Scenes         []*catalog.Scene
		Connections    []*catalog.Connection
		FirstFigureDay string
		Figures        []catalog.DayFigures
	}{Index: v.Index(), Departments: v.Departments(), Districts: v.Districts(), Items: v.Items(),
		BusinessItems: v.BusinessItems(), Scenes: v.Scenes(), Connections: v.Connections(), FirstFigureDay: v.FirstFigureDay()}
	op := catalog.Operator()
	for _, e := range v.Entries() {
		hist, err := v.HistoryFor(op, e.ResourceCode, 100000)
		require.NoError(t, err)
		c, _ := v.Change(e.ResourceCode)
		conn, _ := v.ConnectionFor(op, e.ResourceCode)
		pis, _ := v.PIProposals(op, e.ResourceCode)
		st.Entries = append(st.Entries, entryState{e, v.Snapshots(e.ResourceCode), v.Runs(e.ResourceCode), hist, c,
			v.DerivedFrom(e.ResourceCode), conn, v.ExternalJobsOf(e.ResourceCode, false), v.ExternalJobsOf(e.ResourceCode, true), pis})
	}
	for _, p := range v.Principals() {
		st.Principals = append(st.Principals, principalState{p, v.Tokens(p.ID)})
	}
	st.Grants = v.Grants(op, catalog.GrantFilter{})
	if st.FirstFigureDay != "" {
		var err error
		st.Figures, err = v.FigureHistory(op, st.FirstFigureDay, time.Now().Format("2006-01-02"))
		require.NoError(t, err)
	}
	b, err := json.MarshalIndent(st, "", " ")
	require.NoError(t, err)
	return string(b)
}

// checkRestored opens the restored directory of cfg and compares it with the source.
func checkRestored(t *testing.T, src *backupSource, cfg Config) {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), true)
	require.NoError(t, err)
	defer a.Close()
	v := a.Cat.View()
	got := catalogueState(t, v)
	require.True(t, src.state == got, "the restored catalogue differs from the source:\n%s", lineDiff(src.state, got))
	// Guard against comparing two empty states: the source had what the test put in.
	for _, want := range []string{backupEntry, "G000001", "G000002", "YW_AIR_MONITORING", "YJS_POLLUTION_DAY", `"Name": "排污口应用"`, "air_station_hourly"} {
		assert.Contains(t, got, want)
	}
	p, err := v.PrincipalByToken(src.secret, time.Now())
	require.NoError(t, err, "the issued token authenticates on the restored catalogue")
	assert.Equal(t, "yjs", p.ID)
	assert.Equal(t, src.rejected, readObject(t, a.Bucket, src.rejectedKey), "the rejected rows travel with the run")
	assert.Equal(t, src.data, askAll(t, a, src.secret), "the restored service answers with the same rows")
}

func TestBackupRoundTripLocal(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(t.TempDir(), "src")
	cfg.MaxRejectedPercent = 100
	src := fillBackupSource(t, cfg)

	// A set inside the data directory is refused before anything is written: it would be lost
	// with the directory, and gc would take one inside the lake for orphans.
	for _, inside := range []string{filepath.Join(cfg.DataDir, "lake", "backups"), filepath.Join(cfg.DataDir, "bk"), cfg.DataDir} {
		var out bytes.Buffer
		require.Equal(t, ExitFailed, RunBackup(ctx, cfg, BackupArgs{To: inside, WithObjects: true}, &out, log))
		assert.Contains(t, out.String(), "位于数据目录 "+cfg.DataDir+" 之内", inside)
	}
	_, err := os.Stat(filepath.Join(cfg.DataDir, "bk"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	// Without object copies, a local lake cannot be restored into a new directory: refused,
	// naming what is missing, and nothing is left at the target.
	bare := filepath.Join(t.TempDir(), "bare")
	var out bytes.Buffer
	require.Equal(t, ExitOK, RunBackup(ctx, cfg, BackupArgs{To: bare}, &out, log), out.String())
	rcfg := DefaultConfig()
	rcfg.DataDir = filepath.Join(t.TempDir(), "restored-bare")
	out.Reset()
	require.Equal(t, ExitFailed, RunRestore(ctx, rcfg, RestoreArgs{From: bare}, &out, log))
	assert.Contains(t, out.String(), "缺少备份引用的")
	assert.Contains(t, out.String(), "请用 --with-objects 重新备份")
	assert.Contains(t, out.String(), "tables/air_autumn_winter_targets/data/")
	_, err = os.Stat(rcfg.DataDir)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assertNoStage(t, rcfg.DataDir)

	set := filepath.Join(t.TempDir(), "set")
	out.Reset()
	require.Equal(t, ExitOK, RunBackup(ctx, cfg, BackupArgs{To: set, WithObjects: true}, &out, log), out.String())
	assert.Contains(t, out.String(), "备份完成")
	// The source keeps serving from its own lake: restore writes into a new directory only.
	out.Reset()
	require.Equal(t, ExitOK, RunRestore(ctx, rcfg, RestoreArgs{From: set}, &out, log), out.String())
	assert.Contains(t, out.String(), "恢复完成")
	assertNoStage(t, rcfg.DataDir)
	checkRestored(t, src, rcfg)
}

func TestBackupRoundTripMinIO(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	m := miniotest.Start(t)
	onMinIO := func(dir, lakeURL string) Config {
		c := DefaultConfig()
		c.DataDir = dir
		c.Lake = lakeURL
		c.S3.Endpoint, c.S3.AccessKey = m.Endpoint, m.AccessKey
		c.SetS3Secret(m.SecretKey)
		return c
	}
	cfg := onMinIO(filepath.Join(t.TempDir(), "src"), "s3://ecolake/bureau")
	cfg.MaxRejectedPercent = 100
	src := fillBackupSource(t, cfg)

	// A set inside the lake's prefix is refused: gc would collect it.
	var out bytes.Buffer
	require.Equal(t, ExitFailed, RunBackup(ctx, cfg, BackupArgs{To: "s3://ecolake/bureau/backups"}, &out, log))
	assert.Contains(t, out.String(), "位于数据湖 s3://ecolake/bureau 之内")

	// The set on S3 too, with copies; restored into a new data directory whose lake is another
	// bucket.
	out.Reset()
	require.Equal(t, ExitOK, RunBackup(ctx, cfg, BackupArgs{To: "s3://backups/2026-01", WithObjects: true}, &out, log), out.String())
	rcfg := onMinIO(filepath.Join(t.TempDir(), "restored"), "s3://restored/bureau")
	out.Reset()
	require.Equal(t, ExitOK, RunRestore(ctx, rcfg, RestoreArgs{From: "s3://backups/2026-01"}, &out, log), out.String())
	checkRestored(t, src, rcfg)

	// Without copies, a restore onto the source's own lake needs none: every object is there.
	out.Reset()
	require.Equal(t, ExitOK, RunBackup(ctx, cfg, BackupArgs{To: "s3://backups/bare"}, &out, log), out.String())
	same := onMinIO(filepath.Join(t.TempDir(), "same-lake"), "s3://ecolake/bureau")
	out.Reset()
	require.Equal(t, ExitOK, RunRestore(ctx, same, RestoreArgs{From: "s3://backups/bare"}, &out, log), out.String())
	checkRestored(t, src, same)

	// The set holds its three files beside the copies, and nothing else.
	b, err := s3.New(ctx, s3.Config{Endpoint: m.Endpoint, Bucket: "backups", Prefix: "2026-01", AccessKey: m.AccessKey, SecretKey: s3.Secret(m.SecretKey)})
	require.NoError(t, err)
	defer b.Close()
	var names []string
	require.NoError(t, b.Iter(ctx, "", func(key string) error {
		if !strings.HasPrefix(key, api.BackupObjectsPrefix) {
			names = append(names, key)
		}
		return nil
	}))
	assert.ElementsMatch(t, []string{api.BackupMetaName, api.BackupCheckpointName, api.BackupObjectListName}, names)
}

// lineDiff names the first lines where a and b differ, with their line numbers.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(al), len(bl)) && len(out) < 20; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("%d: -%s\n%d: +%s", i+1, x, i+1, y))
		}
	}
	return strings.Join(out, "\n")
}

// assertNoStage checks that no *.restoring-* folder is left beside dir.
func assertNoStage(t *testing.T, dir string) {
	t.Helper()
	left, err := filepath.Glob(dir + ".restoring-*")
	require.NoError(t, err)
	assert.Empty(t, left)
}
