package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Searcher is the directory's full-text search as the query layer asks it (catalog/search,
// adapted in internal/app so that this package does not depend on it). It decides nothing about
// access itself being asked with the principal: the implementation scopes every answer by the
// catalogue's decision.
type Searcher interface {
	Search(ctx context.Context, v *catalog.View, p *catalog.Principal, q SearchQuery) (SearchResult, error)
}

// SearchQuery is one search: words, filters by facet (keys of SearchFacets), a page.
type SearchQuery struct {
	Text    string
	Filters map[string][]string
	First   int    // 0 for the default page size
	After   string // the previous page's NextCursor
	Facets  bool   // compute the facet counts
}

// SearchResult is one page of hits.
type SearchResult struct {
	Hits  []SearchHit
	Total int
	// TotalExact: Total counts every match. Otherwise it counts the matches verified so far (a
	// lower bound) and TotalAtMost how many there may be; the facet counts are of the verified.
	TotalExact  bool
	TotalAtMost int
	Facets      map[string][]FacetCount // by facet key (SearchFacets)
	NextCursor  string
}

// SearchHit is one entry found.
type SearchHit struct {
	Entry      *catalog.Entry
	Score      float64
	Highlights []SearchHighlight
}

// SearchHighlight is a part of the entry holding a word of the query.
type SearchHighlight struct {
	Field string
	Text  string
}

// FacetCount counts the hits with one code of a facet.
type FacetCount struct {
	Code  string
	Name  string
	Count int
}

// SearchFacets are the facets of a search: the GraphQL name of each (filter argument and
// facet field) and its key in SearchQuery.Filters and SearchResult.Facets.
var SearchFacets = []struct{ GraphQL, Key, Desc string }{
	{"category", "category", "信息资源分类"},
	{"domain", "domain", "治理领域"},
	{"department", "department", "责任处室"},
	{"district", "district", "区县"},
	{"grade", "grade", "数据分级"},
	{"shareType", "share_type", "共享类型"},
	{"updateCycle", "update_cycle", "更新周期"},
	{"status", "status", "目录状态"},
}

// searcherBox lets an interface value sit in an atomic.Pointer.
type searcherBox struct{ Searcher }

// SetSearcher gives the service the directory search; until it is set the search field answers
// that search is not available.
func (s *Service) SetSearcher(x Searcher) { s.searcher.Store(&searcherBox{x}) }

// searchFields adds the root field search.
func (s *Service) searchFields(ct *catalogTypes, fields graphql.Fields) {
	nn, str := graphql.NewNonNull, graphql.String
	facetCount := graphql.NewObject(graphql.ObjectConfig{Name: "FacetCount", Description: "分面计数", Fields: graphql.Fields{
		"code":  field(nn(str), "代码", func(c FacetCount) any { return c.Code }),
		"name":  field(nn(str), "名称", func(c FacetCount) any { return c.Name }),
		"count": field(nn(graphql.Int), "命中的目录数", func(c FacetCount) any { return c.Count }),
	}})
	facetFields := graphql.Fields{}
	args := graphql.FieldConfigArgument{
		"text":  {Type: str, Description: "搜索词, 以空格分隔的多个词须同时出现; 可为空 (按筛选条件列出)"},
		"first": {Type: graphql.Int, Description: "每页条数, 默认 20, 最多 100"},
		"after": {Type: str, Description: "上一页的 nextCursor"},
	}
	for _, f := range SearchFacets {
		key := f.Key
		facetFields[f.GraphQL] = field(nn(graphql.NewList(nn(facetCount))), f.Desc, func(m map[string][]FacetCount) any { return nonNil(m[key]) })
		args[f.GraphQL] = &graphql.ArgumentConfig{Type: graphql.NewList(nn(str)), Description: "按" + f.Desc + "筛选 (代码或名称, 多个取其一)"}
	}
	facetsType := graphql.NewObject(graphql.ObjectConfig{Name: "SearchFacets", Description: "分面: 命中的目录按各代码计数", Fields: facetFields})
	highlight := graphql.NewObject(graphql.ObjectConfig{Name: "SearchHighlight", Description: "命中的位置", Fields: graphql.Fields{
		"field": field(nn(str), "命中的部分 (名称、信息项、摘要 …)", func(h SearchHighlight) any { return h.Field }),
		"text":  field(nn(str), "该部分的文字", func(h SearchHighlight) any { return h.Text }),
	}})
	hit := graphql.NewObject(graphql.ObjectConfig{Name: "SearchHit", Description: "搜索命中的目录", Fields: graphql.Fields{
		"entry":      field(nn(ct.entry), "目录资源", func(h SearchHit) any { return h.Entry }),
		"score":      field(nn(graphql.Float), "相关度 (名称命中者总在前)", func(h SearchHit) any { return h.Score }),
		"highlights": field(nn(graphql.NewList(nn(highlight))), "命中的位置", func(h SearchHit) any { return nonNil(h.Highlights) }),
	}})
	result := graphql.NewObject(graphql.ObjectConfig{Name: "SearchResult", Description: "目录搜索结果", Fields: graphql.Fields{
		"total":      field(nn(graphql.Int), "命中的目录总数 (totalExact 为 false 时为已核实的命中数, 即下限)", func(r SearchResult) any { return r.Total }),
		"totalExact": field(nn(graphql.Boolean), "total 是否为确切总数: 一个词若出现在大量目录的文字中, 每次搜索只核实其中一部分, 其余在翻页时核实", func(r SearchResult) any { return r.TotalExact }),
		"totalAtMost": field(nn(graphql.Int), "命中数的上限 (totalExact 为 true 时等于 total)", func(r SearchResult) any {
			if r.TotalExact {
				return r.Total
			}
			return r.TotalAtMost
		}),
		"hits":       field(nn(graphql.NewList(nn(hit))), "本页命中", func(r SearchResult) any { return nonNil(r.Hits) }),
		"facets":     field(nn(facetsType), "分面计数", func(r SearchResult) any { return r.Facets }),
		"nextCursor": field(str, "下一页游标, 最后一页为空", func(r SearchResult) any { return nilIfEmpty(r.NextCursor) }),
	}})
	fields["search"] = &graphql.Field{
		Type:        nn(result),
		Description: "目录全文搜索 (名称、摘要、信息项、提供方、业务事项、应用场景、区县), 名称命中者在前",
		Args:        args,
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("search")
			box := s.searcher.Load()
			if box == nil {
				return nil, &userError{msg: "目录搜索未启用", err: errors.New("no searcher set")}
			}
			q := SearchQuery{Filters: map[string][]string{}}
			q.Text, _ = p.Args["text"].(string)
			q.First, _ = p.Args["first"].(int)
			q.After, _ = p.Args["after"].(string)
			for _, f := range SearchFacets {
				if list, ok := p.Args[f.GraphQL].([]any); ok {
					for _, v := range list {
						if c, ok := v.(string); ok {
							q.Filters[f.Key] = append(q.Filters[f.Key], c)
						}
					}
				}
			}
			_, q.Facets = selected(p.Info)["facets"]
			res, err := box.Search(p.Context, r.view, r.principal, q)
			if err != nil {
				return nil, s.searchError(r, err)
			}
			return res, nil
		},
	}
}

// searchError keeps the messages written for users (bad input, an index being rebuilt) and
// hides the rest.
func (s *Service) searchError(r *request, err error) error {
	if msg, ok := schemas.UserMessage(err); ok {
		return &userError{msg: msg, err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &userError{msg: "目录搜索超时或已取消", err: err}
	}
	s.log.Error("search failed", "user", r.principal.ID, "err", err)
	return &userError{msg: "目录搜索失败", err: fmt.Errorf("search: %w", err)}
}
