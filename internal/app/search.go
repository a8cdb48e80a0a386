package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/search"
	"github.com/cqeco/ecolake/query"
)

// searchDir is where earlier versions kept the directory's search index on disk; the index now
// lives in memory and search.Open removes what it finds there.
func (c *Config) searchDir() string { return filepath.Join(c.DataDir, "search") }

// openSearch opens the search index of the catalogue. It does not wait for the index to be built
// (search.Open).
func openSearch(ctx context.Context, cfg Config, cat *catalog.Store, log *slog.Logger) (*search.Index, error) {
	scfg := search.DefaultConfig()
	scfg.Dir = cfg.searchDir()
	ix, err := search.Open(ctx, scfg, cat, log)
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", scfg.Dir, err)
	}
	return ix, nil
}

// searcher adapts the index to the query layer's Searcher, which does not know catalog/search.
type searcher struct{ ix *search.Index }

func (s searcher) Search(ctx context.Context, v *catalog.View, p *catalog.Principal, q query.SearchQuery) (query.SearchResult, error) {
	r, err := s.ix.Search(ctx, v, p, search.Query{Text: q.Text, Filters: q.Filters, Limit: q.First, Cursor: q.After, Facets: q.Facets})
	if err != nil {
		return query.SearchResult{}, err
	}
	out := query.SearchResult{Total: r.Total, TotalExact: r.TotalExact, TotalAtMost: r.TotalAtMost, NextCursor: r.NextCursor}
	for _, h := range r.Hits {
		hit := query.SearchHit{Entry: h.Entry, Score: h.Score}
		for _, hl := range h.Highlights {
			hit.Highlights = append(hit.Highlights, query.SearchHighlight{Field: hl.Field, Text: hl.Text})
		}
		out.Hits = append(out.Hits, hit)
	}
	if r.Facets != nil {
		out.Facets = map[string][]query.FacetCount{}
		for name, counts := range r.Facets {
			fc := make([]query.FacetCount, len(counts))
			for i, c := range counts {
				fc[i] = query.FacetCount{Code: c.Code, Name: c.Name, Count: c.Count}
			}
			out.Facets[name] = fc
		}
	}
	return out, nil
}
