package search

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Result is one page of a search.
type Result struct {
	Hits []Hit
	// Total counts every entry the query matches for the principal, on all pages, when
	// TotalExact; otherwise the entries verified to match (a lower bound: a word thousands of
	// entries' own texts may hold is verified in a bounded number of them per search, the others
	// as pages reach them), and TotalAtMost how many may.
	Total       int
	TotalExact  bool
	TotalAtMost int
	// Facets counts the matching entries by code, for each facet (FacetCategory …), largest
	// count first; an entry with several domains counts once under each. Nil unless
	// Query.Facets asked for it.
	Facets     map[string][]FacetCount
	NextCursor string // "" on the last page
}

// Hit is one entry found, read from the catalogue view of the search (never from the index, so
// it is current) and checked again with catalog.Exists.
type Hit struct {
	Entry *catalog.Entry
	// Score is 1 for an entry whose name holds every word (entries found without words
	// included), 0.5 for one whose other parts hold them; hits of the same score come in
	// resource-code order.
	Score      float64
	Highlights []Highlight
}

// Highlight is a part of the entry that holds a word of the query.
type Highlight struct {
	Field string // Chinese: 名称, 信息项, 摘要 …
	Text  string
}

// FacetCount is how many matching entries have one code of a facet.
type FacetCount struct {
	Code  string
	Name  string // Chinese name of the code
	Count int
}

// maxHighlights bounds the highlights of a hit.
const maxHighlights = 3

// Search answers q for principal p on catalogue view v. The index only ever considers the
// entries that exist for p (catalog.SearchScope, applied before anything is ranked or counted),
// and every hit is read from v and asked of catalog.Exists again before it is returned. The
// search waits (up to Config.MaxWait) for the index to cover v, so that what it counts is what v
// holds. Bad input is a schemas.ErrInvalid naming the field; an index being rebuilt answers
// ErrRebuilding.
func (ix *Index) Search(ctx context.Context, v *catalog.View, p *catalog.Principal, q Query) (Result, error) {
	pl, err := check(v, q)
	if err != nil {
		return Result{}, err
	}
	scope, ok := catalog.SearchScope(p)
	if !ok {
		return Result{TotalExact: true, Facets: pl.noFacets()}, nil // nothing exists for p
	}
	if err := ix.ready(ctx, v.Index()); err != nil {
		return Result{}, err
	}
	ix.rw.RLock()
	sel := ix.eng.find(scope, pl)
	ix.rw.RUnlock()

	res := Result{Total: sel.total, TotalExact: sel.exact, TotalAtMost: sel.atMost, Facets: pl.noFacets()}
	for _, h := range sel.hits {
		e, err := v.Entry(h.id)
		if err != nil || !catalog.Exists(p, e) {
			// The index covers v, so this is a defence in depth that should never fire.
			ix.log.Warn("search hit not visible in the catalogue view, dropped", "dataset", h.id, "user", p.ID)
			continue
		}
		res.Hits = append(res.Hits, Hit{Entry: e, Score: tierScores[h.tier], Highlights: highlights(v, e, pl.words)})
	}
	switch {
	case sel.more && sel.next != nil:
		res.NextCursor = (&cursor{Tier: sel.next.tier, ID: sel.next.id, Hash: pl.hash}).encode()
	case sel.more && len(sel.hits) > 0:
		last := sel.hits[len(sel.hits)-1]
		res.NextCursor = (&cursor{Tier: last.tier, ID: last.id, Hash: pl.hash}).encode()
	}
	if pl.facets {
		for _, f := range facets {
			res.Facets[f.name] = facetCounts(v, f, sel.counts[f.name])
		}
	}
	return res, nil
}

// tierScores is the score of a hit by tier: an entry whose name holds every word (or any entry,
// for a search without words), then one whose other parts do.
var tierScores = [2]float64{1, 0.5}

// noFacets is the facets of a result with no hit: every facet empty when asked for, else nil.
func (p *plan) noFacets() map[string][]FacetCount {
	if !p.facets {
		return nil
	}
	out := map[string][]FacetCount{}
	for _, f := range facets {
		out[f.name] = []FacetCount{}
	}
	return out
}

func facetCounts(v *catalog.View, f facet, counts map[string]int) []FacetCount {
	out := make([]FacetCount, 0, len(counts))
	for code, n := range counts {
		name := code
		if f.list != nil {
			name = f.list.NameOf(code)
		} else if d, err := v.Department(code); err == nil {
			name = d.Name
		}
		out = append(out, FacetCount{Code: code, Name: name, Count: n})
	}
	slices.SortFunc(out, func(a, b FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Code, b.Code))
	})
	return out
}

// highlights lists the parts of e that hold a word of the query, the name first.
func highlights(v *catalog.View, e *catalog.Entry, words []string) []Highlight {
	var out []Highlight
	for _, p := range partsOf(v, e) {
		norm := normalize(p.Text)
		for _, w := range words {
			if strings.Contains(norm, w) {
				out = append(out, Highlight{Field: p.Label, Text: schemas.Clip(p.Text, 80)})
				break
			}
		}
		if len(out) == maxHighlights {
			break
		}
	}
	return out
}
