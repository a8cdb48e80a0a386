package dcat

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/piprate/json-gold/ld"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

const base = "https://data.cqeco.example/"

func sample() *catalog.Entry {
	return &catalog.Entry{
		ResourceCode: "0101/000001", Table: "air_daily", Name: "空气质量监测日均值", CategoryCode: "0101",
		ProviderName: "重庆市生态环境监测中心", ProviderCode: "12500000MB1534567X",
		Abstract: "全市空气质量自动监测站日均值", FormatType: "DATABASE",
		Items:     catalog.ItemsOf([]catalog.Item{{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General2}}...),
		ShareType: "UNCONDITIONAL", ShareMode: "API", OpenType: "CONDITIONAL", OpenCondition: "注册后下载",
		UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: "AIR_DIV", District: "500101",
		SourceKind: "ONLINE_MONITORING", Domains: []string{"AIR", "INSPECTION"},
		BusinessItems: []string{"大气污染防治"}, Scenes: []string{"重污染天气应急一件事", "大气污染防治"},
		PublishDate: time.Date(2025, 6, 1, 20, 30, 0, 0, time.UTC), // 2025-06-02 in Chongqing
		UpdatedAt:   time.Date(2025, 6, 3, 1, 2, 3, 0, time.UTC),
	}
}

// variant is the sample under another code, changed by fn.
func variant(code string, fn func(e *catalog.Entry)) *catalog.Entry {
	e := sample()
	e.ResourceCode, e.Table, e.Name = code, "t"+strings.ReplaceAll(code, "/", "_"), "变体 "+code
	fn(e)
	return e
}

// expand writes entries and expands the output with a JSON-LD processor: the export is checked
// as linked data, not as a particular JSON shape.
func expand(t *testing.T, entries []*catalog.Entry) (compact map[string]any, expanded map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, entries, base))
	require.NoError(t, json.Unmarshal(buf.Bytes(), &compact))
	var doc any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	out, err := ld.NewJsonLdProcessor().Expand(doc, ld.NewJsonLdOptions(""))
	require.NoError(t, err)
	require.Len(t, out, 1, "one top-level node, the catalogue")
	return compact, out[0].(map[string]any)
}

// objects are the values of property iri of node n.
func objects(n map[string]any, iri string) []map[string]any {
	var out []map[string]any
	for _, v := range asList(n[iri]) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// one is the single value of property iri of node n.
func one(t *testing.T, n map[string]any, iri string) map[string]any {
	t.Helper()
	vs := objects(n, iri)
	require.Len(t, vs, 1, "%s of %v", iri, n["@id"])
	return vs[0]
}

func zhValue(s string) map[string]any { return map[string]any{"@value": s, "@language": "zh"} }

func datasets(n map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, d := range objects(n, nsDCAT+"dataset") {
		out[d["@id"].(string)] = d
	}
	return out
}

func TestDatasetMapsEveryField(t *testing.T) {
	compact, cat := expand(t, []*catalog.Entry{sample()})
	assert.Equal(t, []any{nsDCAT + "Catalog"}, cat["@type"])
	assert.Equal(t, "https://data.cqeco.example/api/v1/directory.jsonld", cat["@id"])
	ds := datasets(cat)
	require.Len(t, ds, 1)
	d := ds["https://data.cqeco.example/api/v1/entries/0101%2F000001"]
	require.NotNil(t, d)

	assert.Equal(t, []any{nsDCAT + "Dataset"}, d["@type"])
	assert.Equal(t, map[string]any{"@value": "0101/000001"}, one(t, d, nsDCT+"identifier"))
	assert.Equal(t, zhValue("空气质量监测日均值"), one(t, d, nsDCT+"title"))
	assert.Equal(t, zhValue("全市空气质量自动监测站日均值"), one(t, d, nsDCT+"description"))

	pub := one(t, d, nsDCT+"publisher")
	assert.Equal(t, []any{nsFOAF + "Agent"}, pub["@type"])
	assert.Equal(t, zhValue("重庆市生态环境监测中心"), one(t, pub, nsFOAF+"name"))
	assert.Equal(t, map[string]any{"@value": "12500000MB1534567X"}, one(t, pub, nsDCT+"identifier"))
	assert.Equal(t, zhValue("统一社会信用代码"), one(t, pub, nsSKOS+"note"))

	theme := one(t, d, nsDCAT+"theme")
	assert.Equal(t, base+"api/v1/codelists/categories/0101", theme["@id"])
	assert.Equal(t, zhValue("大气环境质量"), one(t, theme, nsSKOS+"prefLabel"))
	assert.Equal(t, map[string]any{"@value": "0101"}, one(t, theme, nsSKOS+"notation"))
	assert.Equal(t, base+"api/v1/codelists/categories", one(t, theme, nsSKOS+"inScheme")["@id"])
	var subjects []string
	for _, s := range objects(d, nsDCT+"subject") {
		subjects = append(subjects, one(t, s, nsSKOS+"prefLabel")["@value"].(string))
	}
	assert.Equal(t, []string{"治气", "督察"}, subjects)

	assert.Equal(t, euFrequency+"DAILY", one(t, d, nsDCT+"accrualPeriodicity")["@id"])
	assert.Equal(t, map[string]any{"@value": "2025-06-02", "@type": nsXSD + "date"}, one(t, d, nsDCT+"issued"))
	assert.Equal(t, map[string]any{"@value": "2025-06-03T01:02:03Z", "@type": nsXSD + "dateTime"}, one(t, d, nsDCT+"modified"))
	assert.Equal(t, euChinese, one(t, d, nsDCT+"language")["@id"])
	var words []string
	for _, k := range objects(d, nsDCAT+"keyword") {
		assert.Equal(t, "zh", k["@language"])
		words = append(words, k["@value"].(string))
	}
	assert.Equal(t, []string{"治气", "督察", "大气污染防治", "重污染天气应急一件事"}, words)

	sp := one(t, d, nsDCT+"spatial")
	assert.Equal(t, []any{nsDCT + "Location"}, sp["@type"])
	assert.Equal(t, zhValue("万州区"), one(t, sp, nsSKOS+"prefLabel"))
	assert.Equal(t, map[string]any{"@value": "500101"}, one(t, sp, nsDCT+"identifier"))

	dist := one(t, d, nsDCAT+"distribution")
	assert.Equal(t, []any{nsDCAT + "Distribution"}, dist["@type"])
	assert.Equal(t, zhValue("数据库"), one(t, one(t, dist, nsDCT+"format"), nsSKOS+"prefLabel"))
	assert.Equal(t, base+"graphql", one(t, dist, nsDCAT+"accessURL")["@id"])

	rights := one(t, d, nsDCT+"accessRights")
	assert.Equal(t, []any{nsDCT + "RightsStatement"}, rights["@type"])
	assert.Equal(t, zhValue("有条件开放"), one(t, rights, nsRDFS+"label"))
	assert.Equal(t, zhValue("注册后下载"), one(t, rights, nsDCT+"description"))
	assert.Equal(t, map[string]any{"@value": "CONDITIONAL"}, one(t, rights, nsDCT+"identifier"))

	var standards []string
	for _, s := range objects(d, nsDCT+"conformsTo") {
		standards = append(standards, one(t, s, nsDCT+"title")["@value"].(string))
	}
	assert.Len(t, standards, 3)
	assert.Contains(t, standards, "政务信息资源目录编制指南（试行）")

	// Every key of the compact dataset survives expansion: none is dropped for an unknown prefix.
	cd := compact["dcat:dataset"].([]any)[0].(map[string]any)
	assert.Equal(t, len(cd), len(d), "keys: compact %v, expanded %v", keys(cd), keys(d))
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOnlyPublishedOpenableEntriesAreExported(t *testing.T) {
	entries := []*catalog.Entry{
		sample(),
		variant("0101/000002", func(e *catalog.Entry) { e.Status = catalog.StatusDraft }),
		variant("0101/000003", func(e *catalog.Entry) { e.Secret = true }),
		variant("0101/000004", func(e *catalog.Entry) { e.OpenType = "NOT_OPEN" }),
		variant("0101/000005", func(e *catalog.Entry) { e.Status = catalog.StatusRetired }),
		variant("0101/000006", func(e *catalog.Entry) { e.Status = catalog.StatusPendingReview }),
		variant("0101/000007", func(e *catalog.Entry) { e.OpenType, e.OpenCondition = "UNCONDITIONAL", "" }),
	}
	_, cat := expand(t, entries)
	var got []string
	for _, d := range objects(cat, nsDCAT+"dataset") {
		got = append(got, one(t, d, nsDCT+"identifier")["@value"].(string))
	}
	assert.Equal(t, []string{"0101/000001", "0101/000007"}, got)
	open := datasets(cat)[DatasetID(base, "0101/000007")]
	rights := one(t, open, nsDCT+"accessRights")
	assert.Equal(t, zhValue("无条件开放"), one(t, rights, nsRDFS+"label"))
	assert.Empty(t, objects(rights, nsDCT+"description"), "no condition, no description")
}

// The frequency vocabulary comes from the update-cycle code list's eu_frequency column.
func TestUpdateCyclesMapToEUFrequencies(t *testing.T) {
	want := map[schemas.UpdateCycle]string{
		schemas.Realtime: "CONT", schemas.Daily: "DAILY", schemas.Weekly: "WEEKLY", schemas.Monthly: "MONTHLY",
		schemas.Quarterly: "QUARTERLY", schemas.HalfYearly: "ANNUAL_2", schemas.Yearly: "ANNUAL", schemas.Irregular: "IRREG",
	}
	require.Len(t, want, len(schemas.UpdateCycles.Codes()), "every cycle of the list is mapped")
	var entries []*catalog.Entry
	for c := range want {
		entries = append(entries, variant("0101/9"+string(c), func(e *catalog.Entry) { e.UpdateCycle = c }))
	}
	_, cat := expand(t, entries)
	ds := datasets(cat)
	for c, freq := range want {
		d := ds[DatasetID(base, "0101/9"+string(c))]
		require.NotNil(t, d, "cycle %s", c)
		assert.Equal(t, euFrequency+freq, one(t, d, nsDCT+"accrualPeriodicity")["@id"], "cycle %s", c)
	}
}

func TestEmptyCatalogueAndBadBase(t *testing.T) {
	_, cat := expand(t, nil)
	assert.Empty(t, objects(cat, nsDCAT+"dataset"))
	for _, bad := range []string{"", "/relative", "data.example", "::"} {
		err := Write(&bytes.Buffer{}, []*catalog.Entry{sample()}, bad)
		assert.ErrorIs(t, err, schemas.ErrInvalid, bad)
	}
}

// The output is valid RDF: a processor turns it into N-Quads holding the dataset's triples.
func TestConvertsToRDF(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, []*catalog.Entry{sample()}, base))
	var doc any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	opts := ld.NewJsonLdOptions("")
	opts.Format = "application/n-quads"
	nq, err := ld.NewJsonLdProcessor().ToRDF(doc, opts)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(nq.(string)), "\n")
	id := "<https://data.cqeco.example/api/v1/entries/0101%2F000001>"
	assert.True(t, slices.Contains(lines, id+` <http://purl.org/dc/terms/title> "空气质量监测日均值"@zh .`), "%s", nq)
	assert.True(t, slices.Contains(lines, id+` <http://purl.org/dc/terms/accrualPeriodicity> <`+euFrequency+`DAILY> .`))
}
