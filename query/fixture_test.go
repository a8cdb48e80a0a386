package query

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

// fixture is a real catalogue on disk, a real local bucket with Parquet files written by
// lake.TableWriter, a real cache and the service under test.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	cat    *catalog.Store
	bucket *local.Bucket
	cache  *lake.Cache
	svc    *Service
	logBuf *bytes.Buffer
	audit  *audit.Log
	now    time.Time
}

var fixedNow = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

const (
	airCode      = "0101/000001"
	penaltyCode  = "07/000001"
	noiseCode    = "07/000002"
	waterCode    = "0102/000001"
	lowToken     = "low-token-0123456789"
	highToken    = "high-token-0123456789"
	lowPrincipal = "app-low"
	hiPrincipal  = "steward-high"
)

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func airItems() []catalog.Item {
	return []catalog.Item{
		{Name: "站点", Field: "station", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General1},
		{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, CodeList: "districts"},
		{Name: "监测时间", Field: "observed_at", Type: schemas.Timestamp, Required: true, IsKey: true, Grade: schemas.General1},
		{Name: "日期", Field: "obs_date", Type: schemas.Date, Grade: schemas.General1},
		{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General2, Description: "微克每立方米"},
		{Name: "空气质量指数", Field: "aqi", Type: schemas.Int, Grade: schemas.General1},
		{Name: "是否有效", Field: "valid", Type: schemas.Bool, Grade: schemas.General1},
	}
}

// airRows: station, district, observed_at, obs_date, pm25, aqi, valid.
func airRows() [][]any {
	return [][]any{
		{"S1", "渝中区", ts("2025-05-31 01:00:00"), day("2025-05-31"), 35.5, int64(50), true},
		{"S1", "渝中区", ts("2025-05-31 02:00:00"), day("2025-05-31"), 40.0, int64(60), true},
		{"S2", "江北区", ts("2025-05-31 01:00:00"), day("2025-05-31"), 80.25, int64(110), false},
		{"S2", "江北区", ts("2025-05-31 02:00:00"), day("2025-05-31"), nil, nil, nil},
		{"x' OR '1'='1", "渝北区", ts("2025-05-30 23:00:00"), day("2025-05-30"), 12.0, int64(5000000000), true},
	}
}

func baseEntry(code, table, name string, items []catalog.Item) *catalog.Entry {
	return &catalog.Entry{
		ResourceCode: code, Table: table, Name: name, CategoryCode: strings.SplitN(code, "/", 2)[0],
		ProviderName: "重庆市生态环境局", ProviderCode: "115000000000000001", Abstract: name + "数据",
		FormatType: "DATABASE", Items: catalog.ItemsOf(items...), ShareType: "UNCONDITIONAL", ShareMode: "TABLE",
		OpenType: "UNCONDITIONAL", UpdateCycle: schemas.UpdateCycle("DAILY"), Status: catalog.StatusPublished,
		Department: "AIR_DIV", District: schemas.CityCode, SourceKind: "ONLINE_MONITORING", Domains: []string{"AIR"},
	}
}

// newFixture is the fixture with the service's default configuration; with
// ECOLAKE_TEST_NATIVE=1 in the environment, with native copies (make test runs the package
// both ways, so that every test of what a principal sees holds over the copies too).
func newFixture(t *testing.T) *fixture {
	if os.Getenv("ECOLAKE_TEST_NATIVE") == "1" {
		return newFixtureWith(t, withNativeCopies(t))
	}
	return newFixtureWith(t, nil)
}

// withNativeCopies is a fixture option: the service copies a snapshot into DuckDB's own storage
// the first time it is read, before answering (native.go), so that every later read of it
// uses the copy.
func withNativeCopies(t *testing.T) func(*Config) {
	dir := t.TempDir()
	return func(c *Config) { c.NativeBytes, c.NativeDir = 1<<30, dir }
}

// newFixtureWith is newFixture with the service's configuration changed by opt (nil for none).
func newFixtureWith(t *testing.T, opt func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, now: fixedNow, logBuf: &bytes.Buffer{}}
	clock := func() time.Time { return f.now }
	cat, err := catalog.Open(ctx, catalog.Config{Dir: t.TempDir(), Clock: clock}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	f.cat = cat
	f.bucket, err = local.New(t.TempDir())
	require.NoError(t, err)
	f.cache, err = lake.NewCache(f.bucket, t.TempDir(), 1<<30)
	require.NoError(t, err)

	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "LAW_CORPS", Name: "执法总队", Kind: catalog.DepartmentCorps}))

	require.NoError(t, cat.PutEntry(ctx, baseEntry(airCode, "air_station_hourly", "空气质量监测站小时数据", airItems())))
	f.load(airCode, airRows())

	pen := baseEntry(penaltyCode, "enterprise_penalty", "企业行政处罚", []catalog.Item{
		{Name: "企业名称", Field: "company", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General2},
		{Name: "罚款金额", Field: "amount", Type: schemas.Int, Grade: schemas.Important},
	})
	pen.Department, pen.Domains = "LAW_CORPS", []string{"ENFORCEMENT"}
	require.NoError(t, cat.PutEntry(ctx, pen))
	f.load(penaltyCode, [][]any{{"某化工有限公司", int64(200000)}, {"某建材有限公司", int64(50000)}})

	noise := baseEntry(noiseCode, "noise_complaint", "噪声投诉秘密台账", []catalog.Item{
		{Name: "投诉人", Field: "complainant", Type: schemas.String, Grade: schemas.Important, PIType: "CN_NAME"},
	})
	noise.Department, noise.Domains = "LAW_CORPS", []string{"ENFORCEMENT"}
	require.NoError(t, cat.PutEntry(ctx, noise))
	water := baseEntry(waterCode, "water_quality_monthly", "地表水月报", []catalog.Item{
		{Name: "断面", Field: "section", Type: schemas.String, Grade: schemas.General1},
	})
	water.Domains = []string{"WATER"}
	require.NoError(t, cat.PutEntry(ctx, water))

	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: lowPrincipal, Name: "区县应用", Role: catalog.RoleScene,
		Clearance: schemas.General2, TokenHash: catalog.HashToken(lowToken)}))
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: hiPrincipal, Name: "数据管理员", Role: catalog.RoleSteward,
		Clearance: schemas.Core, TokenHash: catalog.HashToken(highToken)}))

	cfg := DefaultConfig()
	cfg.MaxLimit = 1000
	cfg.Timeout = 10 * time.Second
	cfg.Clock = clock
	f.audit, err = audit.Open(t.TempDir(), 0, clock)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.audit.Close() })
	cfg.Audit = f.audit
	if opt != nil {
		opt(&cfg)
	}
	f.svc, err = New(cat, f.bucket, f.cache, cfg, slog.New(slog.NewJSONHandler(f.logBuf, nil)))
	require.NoError(t, err)
	if f.svc.native != nil {
		f.svc.native.sync = true
	}
	t.Cleanup(func() { require.NoError(t, f.svc.Close()) })
	return f
}

// load writes rows as a new snapshot of the entry with lake.TableWriter and commits it.
func (f *fixture) load(code string, rows [][]any) string { return f.loadOnto(code, rows, false) }

// loadOnto is load; with keep, the new snapshot holds its parent's files too, as an appending
// submission's does, whatever their schema.
func (f *fixture) loadOnto(code string, rows [][]any, keep bool) string {
	t := f.t
	t.Helper()
	e, err := f.cat.View().Entry(code)
	require.NoError(t, err)
	var fields []arrow.Field
	var schema []lake.Field
	for i, it := range e.Items.All() {
		fields = append(fields, arrow.Field{Name: it.Field, Type: it.Type.ArrowType(), Nullable: !it.Required})
		schema = append(schema, lake.Field{ID: i + 1, Name: it.Field, Type: string(it.Type), Required: it.Required})
	}
	as := arrow.NewSchema(fields, nil)
	w, err := lake.NewTableWriter(f.ctx, f.bucket, lake.DataPrefix(e.Table), as, lake.WriterConfig{TargetRows: 3, TmpDir: t.TempDir()})
	require.NoError(t, err)
	if len(rows) > 0 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, as)
		for _, r := range rows {
			for i, v := range r {
				appendValue(t, b.Field(i), v)
			}
		}
		rec := b.NewRecordBatch()
		require.NoError(t, w.Write(f.ctx, rec))
		rec.Release()
		b.Release()
	}
	files, err := w.Close(f.ctx)
	require.NoError(t, err)

	if keep && e.CurrentSnapshot != "" {
		parent, err := f.cat.View().Snapshot(e.CurrentSnapshot)
		require.NoError(t, err)
		pm, err := lake.ReadManifest(f.ctx, f.bucket, parent.ManifestKey)
		require.NoError(t, err)
		files = append(pm.Files, files...)
	}
	snapID, runID := lake.NewID(), lake.NewID()
	m := &lake.Manifest{Table: e.Table, SnapshotID: snapID, Parent: e.CurrentSnapshot, Run: runID,
		SchemaVersion: 1, Schema: schema, Files: files}
	key, err := lake.WriteManifest(f.ctx, f.bucket, m)
	require.NoError(t, err)
	run := catalog.Run{ID: runID, Entry: code, Kind: "test", Source: "fixture", Status: catalog.RunRunning}
	require.NoError(t, f.cat.BeginRun(f.ctx, run))
	run.Status, run.RowsRead, run.RowsAccepted = catalog.RunSucceeded, int64(len(rows)), int64(len(rows))
	snap := catalog.Snapshot{ID: snapID, Entry: code, Parent: e.CurrentSnapshot, Run: runID, ManifestKey: key,
		Rows: m.Rows, Files: len(files), Bytes: m.Bytes, SchemaVersion: 1}
	require.NoError(t, f.cat.CommitSnapshot(f.ctx, snap, run, e.CurrentSnapshot))
	return snapID
}

func appendValue(t *testing.T, b array.Builder, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Date32Builder:
		b.Append(arrow.Date32FromTime(v.(time.Time)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
	default:
		t.Fatalf("no builder for %T", b)
	}
}

func (f *fixture) principal(id string) *catalog.Principal {
	p, err := f.cat.View().Principal(id)
	require.NoError(f.t, err)
	return p
}

// do runs a query for a principal and returns data and error messages as plain JSON values.
func (f *fixture) do(id, query string, vars map[string]any) (map[string]any, []string) {
	f.t.Helper()
	res := f.svc.Do(f.ctx, f.principal(id), Request{Query: query, Variables: vars})
	var msgs []string
	for _, e := range res.Errors {
		msgs = append(msgs, e.Message)
	}
	b, err := json.Marshal(res.Data)
	require.NoError(f.t, err)
	var data map[string]any
	require.NoError(f.t, json.Unmarshal(b, &data))
	return data, msgs
}

// mustDo is do that expects no errors.
func (f *fixture) mustDo(id, query string) map[string]any {
	f.t.Helper()
	data, errs := f.do(id, query, nil)
	require.Empty(f.t, errs, "query %s", query)
	return data
}

// jsonOf renders v as compact JSON, for comparing results with expectations written as JSON.
func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// hookBucket runs a function before the first Get of a key: a way to change the catalogue in
// the middle of a request, on the real bucket.
type hookBucket struct {
	lake.BucketReader
	before func(key string)
}

func (h *hookBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if h.before != nil {
		fn := h.before
		h.before = nil
		fn(key)
	}
	return h.BucketReader.Get(ctx, key)
}
