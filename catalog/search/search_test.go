package search

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// handEntry is a small valid entry; change what the case needs.
func handEntry(seq, name string, items ...string) *catalog.Entry {
	e := &catalog.Entry{
		ResourceCode: "0101/" + seq, Table: "h_" + seq, Name: name, CategoryCode: "0101",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB1534567X", Abstract: "测试用目录",
		FormatType: "DATABASE", ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "UNCONDITIONAL",
		UpdateCycle: schemas.Daily, Status: catalog.StatusPublished, Department: "AIR_DIV", District: schemas.CityCode,
		SourceKind: "LOCAL_SYSTEM", Domains: []string{"AIR"},
	}
	var its []catalog.Item
	for i, n := range append([]string{"备注"}, items...) {
		its = append(its, catalog.Item{Name: n, Field: "f" + string(rune('a'+i)), Type: schemas.String, Grade: schemas.General1})
	}
	e.Items = catalog.ItemsOf(its...)
	return e
}

var (
	admin     = catalog.Operator()
	analyst2  = &catalog.Principal{ID: "analyst", Role: catalog.RoleAnalyst, Clearance: schemas.General2}
	wanzhou   = &catalog.Principal{ID: "wz", Role: catalog.RoleDistrict, Clearance: schemas.Core, Districts: []string{"500101"}}
	handCodes = func(r Result) []string {
		var out []string
		for _, h := range r.Hits {
			out = append(out, h.Entry.ResourceCode)
		}
		return out
	}
)

func handFixture(t *testing.T) (*catalog.Store, *Index) {
	t.Helper()
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	credit := handEntry("000001", "企业基本信息", "统一社会信用代码", "单位名称")
	water := handEntry("000002", "地表水国控断面水质监测", "断面名称", "水质类别")
	water.District = "500112" // 渝北区
	air := handEntry("000003", "空气质量日报", "PM2.5浓度", "臭氧")
	wz := handEntry("000004", "污染源名录", "排放口编号")
	wz.District = "500101" // 万州区
	secret := handEntry("000005", "重点排污单位名录", "排污许可证编号", "法定代表人")
	its := secret.Items.Slice()
	its[2].Grade = schemas.Important
	secret.Items = catalog.ItemsOf(its...)
	secret.Domains = []string{"WATER"}
	for _, e := range []*catalog.Entry{credit, water, air, wz, secret} {
		require.NoError(t, s.PutEntry(ctx, e))
	}
	return s, openIndex(t, s, t.TempDir())
}

// TestSubstrings: the cases of the issue, found as substrings inside long words, whatever their
// width or case, and a district's short name finding the entries of that district.
func TestSubstrings(t *testing.T) {
	s, ix := handFixture(t)
	for _, c := range []struct {
		text string
		want []string
	}{
		{"代码", []string{"0101/000001"}},
		{"水质", []string{"0101/000002"}},
		{"PM2.5", []string{"0101/000003"}},
		{"pm2.5", []string{"0101/000003"}},
		{"ＰＭ２．５", []string{"0101/000003"}},
		{"M2.5浓", []string{"0101/000003"}},
		{"渝北", []string{"0101/000002"}},
		{"万州", []string{"0101/000004"}},
		{"质", []string{"0101/000002", "0101/000003"}}, // 水质, 空气质量
		{"排污 许可", []string{"0101/000005"}},
		{"断面 渝北", []string{"0101/000002"}},
		{"氧", []string{"0101/000003"}},
		{"水质监测地表", nil},
	} {
		r, err := ix.Search(context.Background(), s.View(), admin, Query{Text: c.text})
		require.NoError(t, err, c.text)
		got := handCodes(r)
		slices.Sort(got)
		assert.Equal(t, c.want, got, c.text)
		assert.Equal(t, len(c.want), r.Total, c.text)
	}
	r, err := ix.Search(context.Background(), s.View(), admin, Query{Text: "信用代码"})
	require.NoError(t, err)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, []Highlight{{Field: "信息项", Text: "统一社会信用代码"}}, r.Hits[0].Highlights)
}

// TestClearance: an entry above the principal's clearance, or of another district for a district
// account, is never found, never counted in the total and never in a facet.
func TestClearance(t *testing.T) {
	s, ix := handFixture(t)
	ctx := context.Background()
	r, err := ix.Search(ctx, s.View(), admin, Query{Text: "排污", Facets: true})
	require.NoError(t, err)
	require.Equal(t, []string{"0101/000005"}, handCodes(r), "the administrator finds the IMPORTANT entry")
	assert.Equal(t, []FacetCount{{Code: "IMPORTANT", Name: "重要数据", Count: 1}}, r.Facets[FacetGrade])

	for _, text := range []string{"排污", "名录", "", "法定代表人"} {
		r, err = ix.Search(ctx, s.View(), analyst2, Query{Text: text, Facets: true})
		require.NoError(t, err)
		assert.NotContains(t, handCodes(r), "0101/000005", text)
		for _, name := range facetNames() {
			for _, fc := range r.Facets[name] {
				assert.NotEqual(t, "IMPORTANT", fc.Code, text)
			}
		}
		for _, fc := range r.Facets[FacetDomain] {
			assert.NotEqual(t, "WATER", fc.Code, "only the IMPORTANT entry is of 治水: %s", text)
		}
	}
	r, err = ix.Search(ctx, s.View(), analyst2, Query{Text: "排污"})
	require.NoError(t, err)
	assert.Zero(t, r.Total)

	// 万州 sees its own entry and the city-level ones, never 渝北's.
	r, err = ix.Search(ctx, s.View(), wanzhou, Query{Facets: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"0101/000001", "0101/000003", "0101/000004", "0101/000005"}, handCodes(r))
	assert.Equal(t, 4, r.Total)
	for _, fc := range r.Facets[FacetDistrict] {
		assert.NotEqual(t, "500112", fc.Code)
	}
	r, err = ix.Search(ctx, s.View(), wanzhou, Query{Text: "水质"})
	require.NoError(t, err)
	assert.Empty(t, r.Hits)
	assert.Zero(t, r.Total)

	// Nothing exists for a disabled account.
	off := *analyst2
	off.Disabled = true
	r, err = ix.Search(ctx, s.View(), &off, Query{Text: "质"})
	require.NoError(t, err)
	assert.Zero(t, r.Total)
	assert.Empty(t, r.Hits)
}

// TestSearchFollowsGrading: an entry upgraded above a principal's clearance drops out of its
// search at once, without waiting for anything: the search waits for the index to cover the
// view it is asked on.
func TestSearchFollowsGrading(t *testing.T) {
	s, ix := handFixture(t)
	ctx := context.Background()
	r, err := ix.Search(ctx, s.View(), analyst2, Query{Text: "空气"})
	require.NoError(t, err)
	require.Equal(t, 1, r.Total)
	e, err := s.View().Entry("0101/000003")
	require.NoError(t, err)
	e.GradeOverride = schemas.Important
	require.NoError(t, s.PutEntry(ctx, e))
	r, err = ix.Search(ctx, s.View(), analyst2, Query{Text: "空气", Facets: true})
	require.NoError(t, err)
	assert.Zero(t, r.Total)
	assert.Empty(t, r.Hits)
	assert.Empty(t, r.Facets[FacetGrade])
	assert.NotNil(t, r.Facets[FacetGrade], "asked for, the facet is there, empty")
}

// TestBadInput: every refusal is invalid input naming the field, in Chinese.
func TestBadInput(t *testing.T) {
	s, ix := handFixture(t)
	ctx := context.Background()
	r, err := ix.Search(ctx, s.View(), admin, Query{Text: "质", Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, r.NextCursor)
	for _, c := range []struct {
		q     Query
		field string
	}{
		{Query{Text: strings.Repeat("水", MaxTextRunes+1)}, "text:"},
		{Query{Text: "一 二 三 四 五 六 七 八 九 十 十一"}, "text:"},
		{Query{Limit: MaxLimit + 1}, "first:"},
		{Query{Limit: -1}, "first:"},
		{Query{Cursor: "not a cursor"}, "after:"},
		{Query{Text: "水", Cursor: r.NextCursor}, "after:"}, // another query's cursor
		{Query{Filters: map[string][]string{"colour": {"red"}}}, "filters:"},
		{Query{Filters: map[string][]string{FacetDistrict: {"火星"}}}, "filters.district:"},
		{Query{Filters: map[string][]string{FacetDepartment: {"NO_SUCH_DIV"}}}, "filters.department:"},
		{Query{Filters: map[string][]string{FacetGrade: {"SECRET"}}}, "filters.grade:"},
	} {
		_, err := ix.Search(ctx, s.View(), admin, c.q)
		require.ErrorIs(t, err, schemas.ErrInvalid, c.field)
		msg, ok := schemas.UserMessage(err)
		require.True(t, ok)
		assert.True(t, strings.HasPrefix(msg, c.field), "%q names %s", msg, c.field)
	}
	// Codes may also be given by their Chinese names.
	for _, d := range []string{"500112", "渝北区", "渝北"} {
		r, err = ix.Search(ctx, s.View(), admin, Query{Filters: map[string][]string{FacetDistrict: {d}, FacetDepartment: {"大气环境处"}}})
		require.NoError(t, err)
		assert.Equal(t, []string{"0101/000002"}, handCodes(r), d)
	}
	_, err = ix.Search(ctx, s.View(), admin, Query{Filters: map[string][]string{FacetDistrict: {"大"}}}) // 大渡口区, 大足区
	require.ErrorIs(t, err, schemas.ErrInvalid)
}

// TestBusinessItemsAndScenesAreFoundByName: an entry links business items and scenes by code; it
// is found by their names, as the catalogue registers them.
func TestBusinessItemsAndScenesAreFoundByName(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	op := catalog.Operator()
	require.NoError(t, s.PutBusinessItem(ctx, op, catalog.BusinessItem{Code: "YW_OUTFALL", Name: "入河排污口监督管理", Department: "AIR_DIV"}, 0))
	require.NoError(t, s.PutScene(ctx, op, catalog.Scene{Code: "YJS_MANIFEST", Name: "危险废物转移联单问题处置", Kind: catalog.SceneOneThing, Department: "AIR_DIV"}, 0))
	e := handEntry("000001", "排口台账", "排口编号")
	e.BusinessItems, e.Scenes = []string{"YW_OUTFALL"}, []string{"YJS_MANIFEST"}
	require.NoError(t, s.PutEntry(ctx, e))
	ix := openIndex(t, s, t.TempDir())
	for _, text := range []string{"排污口监督", "转移联单", "YW_OUTFALL"} {
		r, err := ix.Search(ctx, s.View(), admin, Query{Text: text})
		require.NoError(t, err, text)
		assert.Equal(t, []string{"0101/000001"}, handCodes(r), text)
	}
}
