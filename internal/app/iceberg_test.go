package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	icecat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake/iceberg"
	"github.com/cqeco/ecolake/schemas"
)

// iceEntry is a partitioned entry of every item type, for the Iceberg tests.
const (
	iceCode  = "0102/900010"
	iceTable = "ice_samples"
)

func (env *matrixEnv) addIceEntry(t *testing.T, retain *int) *catalog.Entry {
	t.Helper()
	e := &catalog.Entry{
		ResourceCode: iceCode, Table: iceTable, Name: "水质采样（湖表测试）", CategoryCode: "0102",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "水质采样", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Irregular,
		Status: catalog.StatusPublished, Department: "DIV_WATER", District: schemas.CityCode, SourceKind: "DISTRICT_SUBMISSION",
		Domains: []string{"WATER"}, Partitions: []string{"district_code", "year(day)", "month(day)"}, RetainSnapshots: retain,
		Items: catalog.ItemsOf(
			catalog.Item{Name: "区县", Field: "district_code", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
			catalog.Item{Name: "日期", Field: "day", Type: schemas.Date, Required: true, Grade: schemas.General1},
			catalog.Item{Name: "数值", Field: "amount", Type: schemas.Int, Required: true, Grade: schemas.General1},
			catalog.Item{Name: "比值", Field: "ratio", Type: schemas.Float, Grade: schemas.General1},
			catalog.Item{Name: "达标", Field: "ok", Type: schemas.Bool, Grade: schemas.General1},
			catalog.Item{Name: "采样时间", Field: "taken_at", Type: schemas.Timestamp, Grade: schemas.General1},
		),
	}
	require.NoError(t, env.a.Cat.PutEntry(context.Background(), e))
	return e
}

const iceHeader = "区县,日期,数值,比值,达标,采样时间\n"

// iceRows are n synthetic rows of district d in the month of day.
func iceRows(d, day string, n, base int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "%s,%s,%d,%g,%t,%s 0%d:1%d:00\n", d, day, base+i, float64(base+i)/4, i%2 == 0, day, i%10, i%10)
	}
	return sb.String()
}

// iceCatalog is iceberg-go's REST catalogue client on the service, with p's token.
func (env *matrixEnv) iceCatalog(t *testing.T, p *catalog.Principal, props ...string) *rest.Catalog {
	t.Helper()
	opts := []rest.Option{rest.WithOAuthToken("tok-" + p.ID)}
	if len(props) > 0 {
		m := map[string]string{}
		for i := 0; i+1 < len(props); i += 2 {
			m[props[i]] = props[i+1]
		}
		opts = append(opts, rest.WithAdditionalProps(m))
	}
	c, err := rest.NewCatalog(context.Background(), "ecolake", env.srv.URL+api.IcebergPrefix, opts...)
	require.NoError(t, err)
	return c
}

// rawTables are the tables p may read through the Iceberg catalogue by the catalogue's decision.
func (env *matrixEnv) rawTables(p *catalog.Principal) []string {
	v := env.a.Cat.View()
	var out []string
	for _, e := range v.Visible(p) {
		if e.CurrentSnapshot != "" && catalog.MayReadRawTable(v.Decide(p, e, time.Now())) {
			out = append(out, e.Table)
		}
	}
	sort.Strings(out)
	return out
}

// checkIceberg lists p's tables through iceberg-go's REST client, loads each through it and
// through its metadata file alone, scans both, and requires exactly the rows GraphQL answers. It
// returns the tables loaded.
func (env *matrixEnv) checkIceberg(t *testing.T, p *catalog.Principal, props ...string) map[string]*table.Table {
	t.Helper()
	ctx := context.Background()
	c := env.iceCatalog(t, p, props...)
	var listed []string
	for id, err := range c.ListTables(ctx, table.Identifier{api.IcebergNamespace}) {
		require.NoError(t, err)
		require.Equal(t, []string{api.IcebergNamespace, id[len(id)-1]}, []string(id))
		listed = append(listed, id[len(id)-1])
	}
	sort.Strings(listed)
	want := env.rawTables(p)
	require.NotEmpty(t, want)
	require.Equal(t, want, listed, "the tables listed are those the catalogue lets %s read raw", p.ID)
	out := map[string]*table.Table{}
	v := env.a.Cat.View()
	fsProps := map[string]string{}
	for i := 0; i+1 < len(props); i += 2 {
		fsProps[props[i]] = props[i+1]
	}
	for _, name := range listed {
		e, err := v.Entry(name)
		if err != nil {
			e = entryByTableName(t, v, name)
		}
		tbl, err := c.LoadTable(ctx, table.Identifier{api.IcebergNamespace, name})
		require.NoError(t, err, name)
		gql := env.gqlRows(t, p, e)
		assert.Equal(t, gql, scanRows(t, tbl, e), "%s through the REST catalogue", name)
		loc := tbl.MetadataLocation()
		byFile, err := table.NewFromLocation(ctx, table.Identifier{api.IcebergNamespace, name}, loc,
			iceio.LoadFSFunc(fsProps, loc), nil)
		require.NoError(t, err, loc)
		assert.Equal(t, gql, scanRows(t, byFile, e), "%s through its metadata file %s", name, loc)
		out[name] = tbl
	}
	return out
}

func entryByTableName(t *testing.T, v *catalog.View, name string) *catalog.Entry {
	t.Helper()
	for _, e := range v.Entries() {
		if e.Table == name {
			return e
		}
	}
	t.Fatalf("no entry of table %s", name)
	return nil
}

// gqlRows are the rows of e that GraphQL (DuckDB) answers p, each as its values' text in item
// order, sorted.
func (env *matrixEnv) gqlRows(t *testing.T, p *catalog.Principal, e *catalog.Entry) []string {
	t.Helper()
	items := e.Items.Slice()
	fields := make([]string, len(items))
	for i, it := range items {
		fields[i] = it.Field
	}
	var res map[string][]map[string]any
	env.gql(t, p, fmt.Sprintf(`{ %s(limit: 10000) { %s } }`, e.Table, strings.Join(fields, " ")), &res)
	require.Less(t, len(res[e.Table]), 10000, "the whole of %s in one page", e.Table)
	var out []string
	for _, row := range res[e.Table] {
		vals := make([]string, len(items))
		for i, it := range items {
			vals[i] = gqlText(it.Type, row[it.Field])
		}
		out = append(out, strings.Join(vals, "|"))
	}
	sort.Strings(out)
	return out
}

func gqlText(typ schemas.DataType, v any) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case float64:
		if typ == schemas.Int {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// scanRows reads the whole table through iceberg-go's scan, each row as gqlRows writes it.
func scanRows(t *testing.T, tbl *table.Table, e *catalog.Entry) []string {
	t.Helper()
	at, err := tbl.Scan().ToArrowTable(context.Background())
	require.NoError(t, err)
	defer at.Release()
	items := e.Items.Slice()
	var out []string
	tr := array.NewTableReader(at, 1<<16)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		cols := make([]arrow.Array, len(items))
		for i, it := range items {
			idx := rec.Schema().FieldIndices(it.Field)
			if len(idx) == 1 {
				cols[i] = rec.Column(idx[0])
			}
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			vals := make([]string, len(items))
			for i := range items {
				vals[i] = arrowText(cols[i], r)
			}
			out = append(out, strings.Join(vals, "|"))
		}
	}
	require.NoError(t, tr.Err())
	sort.Strings(out)
	return out
}

func arrowText(col arrow.Array, r int) string {
	if col == nil || col.IsNull(r) {
		return "∅"
	}
	switch c := col.(type) {
	case *array.String:
		return c.Value(r)
	case *array.LargeString:
		return c.Value(r)
	case *array.Int64:
		return strconv.FormatInt(c.Value(r), 10)
	case *array.Float64:
		return strconv.FormatFloat(c.Value(r), 'g', -1, 64)
	case *array.Boolean:
		return strconv.FormatBool(c.Value(r))
	case *array.Date32:
		return c.Value(r).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		tm := c.Value(r).ToTime(unit)
		if tm.Nanosecond() == 0 {
			return tm.Format("2006-01-02T15:04:05")
		}
		return tm.Format("2006-01-02T15:04:05.999999")
	}
	return col.ValueStr(r)
}

// iceMetadata is the metadata of the table as the REST catalogue serves it to p.
func (env *matrixEnv) iceMetadata(t *testing.T, p *catalog.Principal, name string) table.Metadata {
	t.Helper()
	tbl, err := env.iceCatalog(t, p).LoadTable(context.Background(), table.Identifier{api.IcebergNamespace, name})
	require.NoError(t, err)
	return tbl.Metadata()
}

// TestIcebergSecondReader: every table a reader may read raw is listed by iceberg-go's own REST
// client, and loaded through it and through the metadata file, its scan giving exactly the rows
// GraphQL (DuckDB) answers — on the demo's tables, and on a partitioned table after a first load,
// an append, a partition replacement and an item added. The Iceberg history follows ours:
// snapshot per snapshot, with our ids, the replacement an overwrite, a second schema.
func TestIcebergSecondReader(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)

	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 6, 0)+iceRows("江北区", "2025-02-07", 4, 100))
	env.checkIceberg(t, reader)
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-03-01", 3, 200)+"江北区,2025-03-02,7,,,\n")
	env.checkIceberg(t, reader)
	// A replacement of 万州's rows of the day it reports, the other partitions kept.
	sub := ingestAsOperator(iceCode, wanzhou, iceHeader+iceRows("万州区", "2025-01-05", 2, 300))
	sub.Replace = true
	_, err := env.a.Ingest.Submit(ctx, sub)
	require.NoError(t, err)
	tables := env.checkIceberg(t, reader)
	meta := tables[iceTable].Metadata()
	snap := meta.CurrentSnapshot()
	require.NotNil(t, snap)
	assert.EqualValues(t, "overwrite", snap.Summary.Operation, "the replacement removes files: %v", snap.Summary)
	assert.NotEqual(t, "0", snap.Summary.Properties["deleted-data-files"])

	// An item added: a second schema; the older files read it as null.
	e, err := env.a.Cat.View().Entry(iceCode)
	require.NoError(t, err)
	items := append(e.Items.Slice(), catalog.Item{Name: "备注", Field: "note", Type: schemas.String, Grade: schemas.General1})
	e.Items = catalog.ItemsOf(items...)
	require.NoError(t, env.a.Cat.PutEntry(ctx, e))
	env.load(t, iceCode, "", iceHeader[:len(iceHeader)-1]+",备注\n"+"江北区,2025-04-01,9,1.5,true,2025-04-01 10:00:00,复测\n")
	tables = env.checkIceberg(t, reader)

	meta = tables[iceTable].Metadata()
	v := env.a.Cat.View()
	ours := v.Snapshots(iceCode) // newest first
	require.Len(t, ours, 4)
	require.Len(t, meta.Snapshots(), 4)
	for i, s := range ours {
		is := meta.Snapshots()[len(ours)-1-i]
		assert.Equal(t, iceberg.SnapshotID(s.ID), is.SnapshotID)
		assert.Equal(t, s.ID, is.Summary.Properties[iceberg.SummarySnapshot])
		assert.Equal(t, s.CommittedAt.UnixMilli(), is.TimestampMs)
		if s.Parent != "" {
			require.NotNil(t, is.ParentSnapshotID)
			assert.Equal(t, iceberg.SnapshotID(s.Parent), *is.ParentSnapshotID)
		}
	}
	var logged int
	for range meta.SnapshotLogs() {
		logged++
	}
	assert.Equal(t, 4, logged, "the snapshot log lists every snapshot")
	assert.Len(t, meta.Schemas(), 2, "the item added is a second schema")
	assert.Equal(t, ours[0].SchemaVersion, meta.CurrentSchema().ID, "schema ids are our schema versions")
	assert.Equal(t, 2, ours[0].SchemaVersion)
	spec := meta.PartitionSpec()
	var specText []string
	for _, f := range spec.Fields() {
		specText = append(specText, f.Name+"="+f.Transform.String())
	}
	assert.Equal(t, []string{"district_code=identity", "day_month=month"}, specText)
	e, err = v.Entry(iceCode)
	require.NoError(t, err)
	assert.Equal(t, iceberg.SnapshotID(e.CurrentSnapshot), meta.CurrentSnapshot().SnapshotID)

	// Publishing again writes nothing new: the same metadata, its objects unchanged.
	loc := tables[iceTable].MetadataLocation()
	again := env.iceMetadata(t, reader, iceTable)
	assert.Equal(t, meta.LastUpdatedMillis(), again.LastUpdatedMillis())
	p, err := ingest.PublishIceberg(ctx, v, env.a.Bucket, iceCode)
	require.NoError(t, err)
	assert.Equal(t, loc, p.MetadataLocation())
	assert.True(t, strings.HasPrefix(loc, "file:///"), loc)
}

// TestIcebergRefusals: the catalogue's decision holds at the Iceberg door — an entry above a
// principal's clearance is neither listed nor loadable (404 as for a table that does not exist),
// an entry whose items the principal reads masked is not listed and its load is refused (403), no
// token is 401; every refusal in the Iceberg error shape, in Chinese.
func TestIcebergRefusals(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	env.addIceEntry(t, nil)
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 3, 0))
	high := env.principal("ice-high", catalog.RoleAnalyst, schemas.Core)
	low := env.principal("ice-low", catalog.RoleAnalyst, schemas.General1)

	v := env.a.Cat.View()
	var above, masked *catalog.Entry
	for _, e := range v.Entries() {
		if e.CurrentSnapshot == "" {
			continue
		}
		if above == nil && !v.Decide(low, e, time.Now()).Exists && catalog.MayReadRawTable(v.Decide(high, e, time.Now())) {
			above = e
		}
		a := v.Decide(high, e, time.Now())
		if masked == nil && a.Read && slices.ContainsFunc(a.Items, func(it catalog.ItemAccess) bool { return it.Mask != "" }) {
			masked = e
		}
	}
	require.NotNil(t, above, "the demo has a loaded entry above GENERAL_1 that CORE reads raw")
	require.NotNil(t, masked, "the demo has a loaded entry with masked items")

	lowTables := env.checkIceberg(t, low)
	assert.NotContains(t, lowTables, above.Table)
	assert.Contains(t, lowTables, iceTable)
	highTables := env.checkIceberg(t, high)
	assert.Contains(t, highTables, above.Table)
	assert.NotContains(t, highTables, masked.Table)

	_, err := env.iceCatalog(t, low).LoadTable(ctx, table.Identifier{api.IcebergNamespace, above.Table})
	require.ErrorIs(t, err, icecat.ErrNoSuchTable)

	type errResp struct {
		Error struct {
			Message string
			Type    string
			Code    int
		}
	}
	decode := func(body string) errResp {
		var r errResp
		require.NoError(t, json.Unmarshal([]byte(body), &r), body)
		return r
	}
	path := api.IcebergPrefix + "/v1/namespaces/" + api.IcebergNamespace + "/tables/"
	r := decode(env.get(t, low, path+above.Table, http.StatusNotFound))
	assert.Equal(t, "NoSuchTableException", r.Error.Type)
	assert.Equal(t, 404, r.Error.Code)
	assert.Contains(t, r.Error.Message, "不存在或无权访问")
	r = decode(env.get(t, high, path+masked.Table, http.StatusForbidden))
	assert.Equal(t, "ForbiddenException", r.Error.Type)
	assert.Contains(t, r.Error.Message, "脱敏")
	assert.NotContains(t, env.get(t, high, path+masked.Table, http.StatusForbidden), "metadata-location")
	r = decode(env.get(t, nil, api.IcebergPrefix+"/v1/config", http.StatusUnauthorized))
	assert.Equal(t, "NotAuthorizedException", r.Error.Type)
	r = decode(env.get(t, high, api.IcebergPrefix+"/v1/namespaces/other/tables", http.StatusNotFound))
	assert.Equal(t, "NoSuchNamespaceException", r.Error.Type)
	r = decode(env.get(t, high, path+"no_such_table", http.StatusNotFound))
	assert.Equal(t, "NoSuchTableException", r.Error.Type)
	status, _ := env.request(t, high, http.MethodPost, path+iceTable, strings.NewReader("{}"))
	assert.Equal(t, http.StatusNotImplemented, status, "the catalogue is read-only")
	status, _ = env.request(t, high, http.MethodHead, path+iceTable, nil)
	assert.Equal(t, http.StatusNoContent, status, "HEAD: the table exists for the reader")
	status, _ = env.request(t, low, http.MethodHead, path+above.Table, nil)
	assert.Equal(t, http.StatusNotFound, status, "HEAD: a table above the clearance does not exist")
	exists, err := env.iceCatalog(t, low).CheckTableExists(ctx, table.Identifier{api.IcebergNamespace, above.Table})
	require.NoError(t, err)
	assert.False(t, exists)
	exists, err = env.iceCatalog(t, low).CheckTableExists(ctx, table.Identifier{api.IcebergNamespace, iceTable})
	require.NoError(t, err)
	assert.True(t, exists)

	// The audit has every load and refusal of a table, by whom and how it ended.
	auditor := env.principal("ice-auditor", catalog.RoleAdmin, schemas.Core)
	var page struct {
		AuditEvents struct{ Nodes []auditEvent }
	}
	env.gql(t, auditor, `{ auditEvents(principal: "ice-high", first: 1000) { nodes { id outcome principal items } } }`, &page)
	byOutcome := map[string][]string{}
	for _, ev := range page.AuditEvents.Nodes {
		if len(ev.Items) == 1 && strings.HasPrefix(ev.Items[0], "iceberg:") { // the rest are GraphQL reads
			byOutcome[ev.Outcome] = append(byOutcome[ev.Outcome], ev.Items[0])
		}
	}
	var loaded []string
	for name := range highTables {
		loaded = append(loaded, "iceberg:"+name)
	}
	assert.ElementsMatch(t, loaded, byOutcome["OK"], "one event per table loaded through the catalogue")
	assert.Equal(t, []string{"iceberg:" + masked.Table, "iceberg:" + masked.Table}, byOutcome[schemas.CodeForbidden])
}

// TestIcebergAfterRetention: after retention expired snapshots and the collection removed their
// files, the metadata served names only the kept snapshot, every object it names is there, and
// the table reads as GraphQL answers; the objects of the metadata before are collected too.
func TestIcebergAfterRetention(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	one := 1
	env.addIceEntry(t, &one)
	for i := range 3 {
		env.load(t, iceCode, "", iceHeader+iceRows("万州区", fmt.Sprintf("2025-0%d-05", i+1), 3, 10*i))
	}
	before := env.checkIceberg(t, reader)[iceTable]
	require.Len(t, before.Metadata().Snapshots(), 3)

	gc := DefaultGCConfig()
	gc.MinAge = 0
	res, err := env.a.collect(ctx, gc, time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	require.Len(t, res.plan.Expire, 2)
	require.NotEmpty(t, res.lake.Deleted)

	after := env.checkIceberg(t, reader)[iceTable]
	meta := after.Metadata()
	require.Len(t, meta.Snapshots(), 1)
	e, err := env.a.Cat.View().Entry(iceCode)
	require.NoError(t, err)
	assert.Equal(t, iceberg.SnapshotID(e.CurrentSnapshot), meta.CurrentSnapshot().SnapshotID)
	assert.NotEqual(t, before.MetadataLocation(), after.MetadataLocation(), "a new metadata version")
	tbl, ok, err := ingest.IcebergTable(ctx, env.a.Cat.View(), env.a.Bucket, env.a.Bucket.Name(), iceCode,
		func(s *catalog.Snapshot) bool { return !s.Expired() })
	require.NoError(t, err)
	require.True(t, ok)
	plan, err := iceberg.Prepare(tbl)
	require.NoError(t, err)
	for _, k := range plan.Keys() {
		ok, err := present(env.a, k)
		require.NoError(t, err)
		assert.True(t, ok, "%s of the served metadata is kept", k)
	}
	deleted := strings.Join(res.lake.Deleted, "\n")
	assert.Contains(t, deleted, strings.TrimPrefix(before.MetadataLocation(), env.a.Bucket.Name()+"/"),
		"the metadata over the expired snapshots is collected with their files")
}

// icePlan is the publication of the entry's unexpired snapshots as the catalogue has them now.
func (env *matrixEnv) icePlan(t *testing.T, code string) *iceberg.Plan {
	t.Helper()
	tbl, ok, err := ingest.IcebergTable(context.Background(), env.a.Cat.View(), env.a.Bucket, env.a.Bucket.Name(), code,
		func(s *catalog.Snapshot) bool { return !s.Expired() })
	require.NoError(t, err)
	require.True(t, ok)
	p, err := iceberg.Prepare(tbl)
	require.NoError(t, err)
	return p
}

// TestIcebergPublishedOnCommitAndCaughtUp: each load's commit publishes its version before anyone
// asks; metadata lost (a crash between the commit and its publication, a lake restored from a
// backup, snapshots committed before Iceberg metadata was published) is published again when the
// catalogue loads the table, at the same keys.
func TestIcebergPublishedOnCommitAndCaughtUp(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	published := func(p *iceberg.Plan) (n int) {
		for _, k := range p.Keys() {
			ok, err := present(env.a, k)
			require.NoError(t, err)
			if ok {
				n++
			}
		}
		return n
	}
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 3, 0))
	p := env.icePlan(t, iceCode)
	assert.Equal(t, len(p.Keys()), published(p), "the commit publishes before anyone asks")
	ok, err := iceberg.Published(ctx, env.a.Bucket, iceTable)
	require.NoError(t, err)
	assert.True(t, ok)

	env.load(t, iceCode, "", iceHeader+iceRows("江北区", "2025-02-05", 3, 10))
	p = env.icePlan(t, iceCode)
	assert.Equal(t, len(p.Keys()), published(p), "each commit publishes its version")
	env.checkIceberg(t, reader)

	for _, k := range p.Keys() {
		require.NoError(t, env.a.Bucket.Delete(ctx, k))
	}
	tables := env.checkIceberg(t, reader)
	assert.Equal(t, p.MetadataLocation(), tables[iceTable].MetadataLocation())
	assert.Equal(t, len(p.Keys()), published(p), "published again on demand")
}

// TestIcebergRemovedItemNotDeclared: an item removed from the entry is declared in no schema the
// catalogue serves, not even those of snapshots loaded while it was there, so a reader cannot
// travel back to read a column the access decision no longer covers.
func TestIcebergRemovedItemNotDeclared(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	env.load(t, iceCode, "", iceHeader+iceRows("万州区", "2025-01-05", 3, 0))
	env.load(t, iceCode, "", iceHeader+iceRows("江北区", "2025-02-05", 3, 10))
	e, err := env.a.Cat.View().Entry(iceCode)
	require.NoError(t, err)
	items := slices.DeleteFunc(e.Items.Slice(), func(it catalog.Item) bool { return it.Field == "ratio" })
	e.Items = catalog.ItemsOf(items...)
	require.NoError(t, env.a.Cat.PutEntry(ctx, e))

	meta := env.checkIceberg(t, reader)[iceTable].Metadata()
	require.Len(t, meta.Snapshots(), 2)
	for _, sc := range meta.Schemas() {
		_, found := sc.FindFieldByName("ratio")
		assert.False(t, found, "schema %d declares the removed item", sc.ID)
	}
	for _, s := range meta.Snapshots() {
		tbl, err := env.iceCatalog(t, reader).LoadTable(ctx, table.Identifier{api.IcebergNamespace, iceTable})
		require.NoError(t, err)
		at, err := tbl.Scan(table.WithSnapshotID(s.SnapshotID)).ToArrowTable(ctx)
		require.NoError(t, err)
		assert.Empty(t, at.Schema().FieldIndices("ratio"), "snapshot %d reads no removed column", s.SnapshotID)
		at.Release()
	}
}

// TestIcebergPartitionValuesEscaped: a table partitioned by a text item whose values are Chinese
// and hold spaces (escaped in the lake's keys) reads whole through the catalogue and the metadata
// file.
func TestIcebergPartitionValuesEscaped(t *testing.T) {
	env := newMatrixEnv(t)
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	e := &catalog.Entry{
		ResourceCode: "0102/900011", Table: "ice_sites", Name: "站点读数（湖表测试）", CategoryCode: "0102",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "站点读数", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Irregular,
		Status: catalog.StatusPublished, Department: "DIV_WATER", District: schemas.CityCode, SourceKind: "DISTRICT_SUBMISSION",
		Domains: []string{"WATER"}, Partitions: []string{"site"},
		Items: catalog.ItemsOf(
			catalog.Item{Name: "站点", Field: "site", Type: schemas.String, Required: true, Grade: schemas.General1},
			catalog.Item{Name: "读数", Field: "reading", Type: schemas.Int, Required: true, Grade: schemas.General1},
		),
	}
	require.NoError(t, env.a.Cat.PutEntry(context.Background(), e))
	env.load(t, e.ResourceCode, "", "站点,读数\n北碚站,1\n江北站 A,2\n100%站,3\n北碚站,4\n")
	tables := env.checkIceberg(t, reader)
	require.Contains(t, tables, "ice_sites")
	assert.Len(t, scanRows(t, tables["ice_sites"], e), 4)
}

// TestIcebergOldVersionsCollected: without retention, a collection keeps the newest ten metadata
// versions (the one served among them) and every manifest and manifest list of the snapshots,
// and removes the older versions; the table reads as before.
func TestIcebergOldVersionsCollected(t *testing.T) {
	env := newMatrixEnv(t)
	ctx := context.Background()
	reader := env.principal("ice-reader", catalog.RoleAnalyst, schemas.Core)
	env.addIceEntry(t, nil)
	for i := range icebergVersions + 2 {
		env.load(t, iceCode, "", iceHeader+iceRows("万州区", fmt.Sprintf("2025-01-%02d", i+1), 2, 10*i))
		if i == 0 {
			env.checkIceberg(t, reader) // read through Iceberg: the next commits publish
		}
	}
	count := func() (metadata, avro int) {
		require.NoError(t, env.a.Bucket.Iter(ctx, iceberg.MetadataDir(iceTable), func(k string) error {
			switch {
			case strings.HasSuffix(k, ".metadata.json"):
				metadata++
			case strings.HasSuffix(k, ".avro"):
				avro++
			}
			return nil
		}))
		return
	}
	metadata, avro := count()
	require.Equal(t, icebergVersions+2, metadata, "one version per commit")
	gc := DefaultGCConfig()
	gc.MinAge = 0
	_, err := env.a.collect(ctx, gc, time.Now().Add(time.Hour), false)
	require.NoError(t, err)
	metadata, kept := count()
	assert.Equal(t, icebergVersions, metadata, "the newest versions stay")
	assert.Equal(t, avro, kept, "every manifest and list of a kept snapshot stays")
	served := env.icePlan(t, iceCode).MetadataKey
	ok, err := present(env.a, served)
	require.NoError(t, err)
	assert.True(t, ok)
	env.checkIceberg(t, reader)
}

// The Iceberg catalogue is a door like the others: its answers carry the request id, and
// /metrics counts its requests under its prefix.
func TestIcebergDoorIsTracked(t *testing.T) {
	env := newMatrixEnv(t)
	reader := env.principal("ice-tracked", catalog.RoleAnalyst, schemas.Core)
	admin := env.principal("ice-admin", catalog.RoleAdmin, schemas.Core)
	req, err := http.NewRequest(http.MethodGet, env.srv.URL+api.IcebergPrefix+"/v1/config", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok-"+reader.ID)
	req.Header.Set("X-Request-ID", "ice-req-42")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ice-req-42", resp.Header.Get("X-Request-ID"))
	metrics := env.get(t, admin, "/metrics", http.StatusOK)
	assert.Regexp(t, `ecolake_http_requests_total\{code="2xx",door="`+regexp.QuoteMeta(api.IcebergPrefix)+`/"\} [1-9]`, metrics)
	assert.Contains(t, env.get(t, nil, "/", http.StatusOK), "/iceberg/v1/config", "the list of doors names it")
}
