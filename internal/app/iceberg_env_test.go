package app

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
