package query

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// fakeSearcher records what the search field asked and answers what it is told to.
type fakeSearcher struct {
	mu  sync.Mutex
	got []SearchQuery
	who []string
	res SearchResult
	err error
}

func (f *fakeSearcher) Search(_ context.Context, v *catalog.View, p *catalog.Principal, q SearchQuery) (SearchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, q)
	f.who = append(f.who, p.ID)
	if f.err != nil {
		return SearchResult{}, f.err
	}
	res := f.res
	for i := range res.Hits {
		e, err := v.Entry(res.Hits[i].Entry.ResourceCode) // as the real one: entries from the view
		if err != nil {
			return SearchResult{}, err
		}
		res.Hits[i].Entry = e
	}
	return res, nil
}

// TestSearchField: the search field passes its arguments to the Searcher (filters by facet key,
// facets only when selected) for the requesting principal, renders hits with the Entry type, and
// words its errors: user messages with their kind, anything else hidden.
func TestSearchField(t *testing.T) {
	f := newFixture(t)
	_, errs := f.do(hiPrincipal, `{ search(text: "水") { total } }`, nil)
	require.Equal(t, []string{"目录搜索未启用"}, errs)

	fs := &fakeSearcher{res: SearchResult{
		Total:      2,
		Hits:       []SearchHit{{Entry: &catalog.Entry{ResourceCode: waterCode}, Score: 1.5, Highlights: []SearchHighlight{{Field: "名称", Text: "地表水月报"}}}},
		Facets:     map[string][]FacetCount{"share_type": {{Code: "UNCONDITIONAL", Name: "无条件共享", Count: 2}}},
		NextCursor: "next",
	}}
	f.svc.SetSearcher(fs)
	data := f.mustDo(hiPrincipal, `{ search(text: "地表 水", district: ["500112", "万州区"], shareType: ["UNCONDITIONAL"], first: 5, after: "abc") {
		total nextCursor hits { score highlights { field text } entry { resourceCode name departmentName } }
		facets { shareType { code name count } grade { code } } } }`)
	assert.JSONEq(t, `{"search":{"total":2,"nextCursor":"next",
		"hits":[{"score":1.5,"highlights":[{"field":"名称","text":"地表水月报"}],"entry":{"resourceCode":"0102/000001","name":"地表水月报","departmentName":"大气环境处"}}],
		"facets":{"shareType":[{"code":"UNCONDITIONAL","name":"无条件共享","count":2}],"grade":[]}}}`, jsonOf(t, data))
	require.Len(t, fs.got, 1)
	assert.Equal(t, SearchQuery{Text: "地表 水", First: 5, After: "abc", Facets: true,
		Filters: map[string][]string{"district": {"500112", "万州区"}, "share_type": {"UNCONDITIONAL"}}}, fs.got[0])
	assert.Equal(t, hiPrincipal, fs.who[0])

	// A total counted in part says so, with its bound; an exact one is its own bound.
	fs.res.TotalExact, fs.res.TotalAtMost = false, 9
	assert.JSONEq(t, `{"search":{"total":2,"totalExact":false,"totalAtMost":9}}`,
		jsonOf(t, f.mustDo(hiPrincipal, `{ search(text: "水") { total totalExact totalAtMost } }`)))
	fs.res.TotalExact = true
	assert.JSONEq(t, `{"search":{"total":2,"totalExact":true,"totalAtMost":2}}`,
		jsonOf(t, f.mustDo(hiPrincipal, `{ search(text: "水") { total totalExact totalAtMost } }`)))

	f.mustDo(lowPrincipal, `{ search { total } }`)
	assert.False(t, fs.got[3].Facets, "facets not selected, not computed")
	assert.Equal(t, lowPrincipal, fs.who[3])

	for _, c := range []struct {
		err       error
		msg, code string
	}{
		{schemas.Userf(schemas.ErrInvalid, "text: 搜索词最长 200 个字符"), "text: 搜索词最长 200 个字符", schemas.CodeInvalid},
		{&schemas.UserError{Msg: "搜索索引重建中，请稍后再试", Err: schemas.ErrBusy}, "搜索索引重建中，请稍后再试", schemas.CodeBusy},
		{errors.New("bleve: segment /var/data/search/000.zap unreadable"), "目录搜索失败", schemas.CodeInternal},
	} {
		fs.err = c.err
		res := f.svc.Do(f.ctx, f.principal(hiPrincipal), Request{Query: `{ search(text: "水") { total } }`})
		require.Len(t, res.Errors, 1)
		assert.Equal(t, c.msg, res.Errors[0].Message)
		assert.Equal(t, c.code, res.Errors[0].Extensions["code"])
	}
}
