package ingest

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

// testEntry is an air-quality entry with one item of every type, a code list and length limits.
func testEntry() *catalog.Entry {
	return &catalog.Entry{
		ResourceCode: "0101/000001",
		Table:        "air_daily",
		Name:         "空气质量日报",
		CategoryCode: "0101",
		ProviderName: "重庆市生态环境局",
		ProviderCode: "11500000MB1234567X",
		Abstract:     "区县报送的空气质量监测日报",
		FormatType:   "DATABASE",
		Items: catalog.ItemsOf([]catalog.Item{
			{Name: "站点编码", Field: "station_code", Type: schemas.String, Length: 8, Required: true, IsKey: true, Grade: schemas.General1},
			{Name: "区县", Field: "district", Type: schemas.String, Required: true, Grade: schemas.General1, CodeList: "districts"},
			{Name: "监测日期", Field: "sample_date", Type: schemas.Date, Required: true, Grade: schemas.General1},
			{Name: "PM2.5浓度（μg/m³）", Field: "pm25", Type: schemas.Float, Grade: schemas.General1},
			{Name: "是否超标", Field: "exceeded", Type: schemas.Bool, Grade: schemas.General1},
			{Name: "监测次数", Field: "samples", Type: schemas.Int, Grade: schemas.General1},
			{Name: "采样时间", Field: "measured_at", Type: schemas.Timestamp, Grade: schemas.General1},
			{Name: "备注", Field: "remark", Type: schemas.String, Length: 10, Grade: schemas.General1},
		}...),
		ShareType:   "UNCONDITIONAL",
		ShareMode:   "TABLE",
		OpenType:    "UNCONDITIONAL",
		UpdateCycle: schemas.Daily,
		Status:      statusPublished,
		Department:  "AIR_DIV",
		District:    schemas.CityCode,
		SourceKind:  "DISTRICT_SUBMISSION",
		Domains:     []string{"AIR"},
	}
}

// env is a real catalogue and a real local bucket in temporary directories.
type env struct {
	t      testing.TB
	dir    string // the catalogue's
	cat    *catalog.Store
	bucket *local.Bucket
	svc    *Service
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	b, err := local.New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "AIR_DIV", Name: "大气环境处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "yz_user", Name: "渝中区报送员", Role: catalog.RoleSteward,
		Clearance: schemas.General2, Districts: []string{"500103"}, TokenHash: catalog.HashToken("yz-token")}))
	cfg.Writer.TmpDir = t.TempDir()
	return &env{t: t, dir: ccfg.Dir, cat: cat, bucket: b, svc: New(cat, b, cfg, slog.New(slog.DiscardHandler))}
}

// putEntry stores the test entry after mut has adjusted it.
func (e *env) putEntry(mut func(*catalog.Entry)) *catalog.Entry {
	e.t.Helper()
	en := testEntry()
	if mut != nil {
		mut(en)
	}
	require.NoError(e.t, e.cat.PutEntry(context.Background(), en))
	got, err := e.cat.View().Entry(en.ResourceCode)
	require.NoError(e.t, err)
	return got
}

// principal returns a principal of the catalogue.
func (e *env) principal(id string) *catalog.Principal {
	e.t.Helper()
	p, err := e.cat.View().Principal(id)
	require.NoError(e.t, err)
	return p
}

func (e *env) submit(name, body string, mut func(*Submission)) (*Result, error) {
	sub := Submission{Principal: catalog.Operator(), Entry: "0101/000001", Filename: name, Body: strings.NewReader(body)}
	if mut != nil {
		mut(&sub)
	}
	return e.svc.Submit(context.Background(), sub)
}

// rows reads the entry's current snapshot back from its Parquet files with DuckDB, every value
// rendered as text ("<nil>" for null), ordered by station code and date.
// snapshotPaths are the local paths of the files of the entry's current snapshot, quoted for SQL.
func (e *env) snapshotPaths(code string) []string {
	e.t.Helper()
	v := e.cat.View()
	en, err := v.Entry(code)
	require.NoError(e.t, err)
	require.NotEmpty(e.t, en.CurrentSnapshot, "entry has no snapshot")
	snap, err := v.Snapshot(en.CurrentSnapshot)
	require.NoError(e.t, err)
	m, err := lake.ReadManifest(context.Background(), e.bucket, snap.ManifestKey)
	require.NoError(e.t, err)
	paths := make([]string, len(m.Files))
	for i, f := range m.Files {
		p, ok := e.bucket.LocalPath(f.Key)
		require.True(e.t, ok)
		paths[i] = "'" + p + "'"
	}
	return paths
}

func (e *env) rows(code string) [][]string {
	e.t.Helper()
	ctx := context.Background()
	paths := e.snapshotPaths(code)
	db, err := sql.Open("duckdb", "")
	require.NoError(e.t, err)
	defer db.Close()
	q := fmt.Sprintf(`SELECT station_code, district, CAST(sample_date AS VARCHAR), pm25, exceeded, samples,
		CAST(measured_at AS VARCHAR), remark FROM read_parquet([%s]) ORDER BY station_code, sample_date`, strings.Join(paths, ","))
	rs, err := db.QueryContext(ctx, q)
	require.NoError(e.t, err)
	defer rs.Close()
	var out [][]string
	for rs.Next() {
		vals := make([]any, 8)
		ptrs := make([]any, 8)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(e.t, rs.Scan(ptrs...))
		row := make([]string, 8)
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	require.NoError(e.t, rs.Err())
	return out
}

// rejectsFile reads a rejected-rows file from the bucket, checking its BOM and header.
func (e *env) rejectsFile(key string) [][]string {
	e.t.Helper()
	rc, err := e.bucket.Get(context.Background(), key)
	require.NoError(e.t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(e.t, err)
	require.True(e.t, strings.HasPrefix(string(data), "\ufeff"), "rejects file must start with a BOM")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	require.NoError(e.t, err)
	require.Equal(e.t, []string{"行号", "列", "字段", "值", "原因"}, recs[0])
	return recs[1:]
}

func gb18030(t testing.TB, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	require.NoError(t, err)
	return out
}

func fixedClock() func() time.Time {
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time { return at }
}

func encodeGB18030(s string) ([]byte, error) {
	return simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
}
