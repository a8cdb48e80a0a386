package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Result is one page of a search.
type Result struct {
	Hits []Hit
	// Total counts every entry the query matches for the principal, on all pages.
	Total int
	// Facets counts the matching entries by code, for each facet (FacetCategory …), largest
	// count first; an entry with several domains counts once under each. Nil unless
	// Query.Facets asked for it.
	Facets     map[string][]FacetCount
	NextCursor string // "" on the last page
}

// Hit is one entry found, read from the catalogue view of the search (never from the index, so
// it is current) and checked again with catalog.Decide.
type Hit struct {
	Entry *catalog.Entry
	// Score is the relevance within the hit's tier: entries whose name holds every word come
	// first whatever their score, then the others.
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
// and every hit is read from v and asked of catalog.Decide again before it is returned. The
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
		return Result{Facets: pl.noFacets()}, nil // nothing exists for p
	}
	if err := ix.ready(ctx, v.Index()); err != nil {
		return Result{}, err
	}
	filter := pl.filter(scope)
	var tiers []tier
	if len(pl.words) == 0 {
		all := query.NewBooleanQuery(nil, nil, nil)
		all.AddMust(query.NewMatchAllQuery())
		all.AddFilter(filter)
		tiers = []tier{{q: all, sort: []string{"_id"}}}
	} else {
		name, text := pl.wordsIn(fieldName), pl.wordsIn(fieldText)
		first := query.NewBooleanQuery([]query.Query{name}, nil, nil)
		first.AddFilter(filter)
		rest := query.NewBooleanQuery([]query.Query{text}, nil, []query.Query{pl.wordsIn(fieldName)})
		rest.AddFilter(filter)
		tiers = []tier{{q: first, sort: []string{"-_score", "_id"}}, {q: rest, sort: []string{"-_score", "_id"}}}
	}
	return ix.page(ctx, v, p, pl, tiers)
}

// tier is one search of a ranked sequence: all hits of a tier come before the next tier's.
type tier struct {
	q    query.Query
	sort []string
}

type found struct {
	tier  int
	id    string
	score float64
}

// page runs every tier, for its total and facets always and for hits as far as the page needs
// them, and assembles the page.
func (ix *Index) page(ctx context.Context, v *catalog.View, p *catalog.Principal, pl *plan, tiers []tier) (Result, error) {
	res := Result{Facets: pl.noFacets()}
	counts := map[string]map[string]int{}
	var hits []found
	more := false // a hit past the page exists
	for t, tr := range tiers {
		size := 0
		var after []string
		switch {
		case pl.after != nil && pl.after.Tier > t:
			// an earlier page went past this tier: only its total and facets
		case pl.after != nil && pl.after.Tier == t:
			size, after = pl.limit+1, pl.after.values(tr.sort)
		case !more:
			size = pl.limit - len(hits) + 1
		}
		req := bleve.NewSearchRequestOptions(tr.q, size, 0, false)
		req.SortBy(tr.sort)
		req.SearchAfter = after
		if pl.facets {
			req.AddFacet(fieldFacets, bleve.NewFacetRequest(fieldFacets, facetsSize(v)))
		}
		r, err := ix.bi.SearchInContext(ctx, req)
		if err != nil {
			return Result{}, fmt.Errorf("search: %w", err)
		}
		res.Total += int(r.Total)
		if fr := r.Facets[fieldFacets]; fr != nil {
			for _, tf := range fr.Terms.Terms() {
				name, code, _ := strings.Cut(tf.Term, "=")
				if counts[name] == nil {
					counts[name] = map[string]int{}
				}
				counts[name][code] += tf.Count
			}
		}
		for _, h := range r.Hits {
			if len(hits) == pl.limit {
				more = true
				break
			}
			hits = append(hits, found{tier: t, id: h.ID, score: h.Score})
		}
	}
	for _, h := range hits {
		e, err := v.Entry(h.id)
		if err != nil || !catalog.Decide(p, e).Exists {
			// The index covers v, so this is a defence in depth that should never fire.
			ix.log.Warn("search hit not visible in the catalogue view, dropped", "dataset", h.id, "user", p.ID)
			continue
		}
		res.Hits = append(res.Hits, Hit{Entry: e, Score: h.score, Highlights: highlights(v, e, pl.words)})
	}
	if more && len(hits) > 0 {
		last := hits[len(hits)-1]
		c := cursor{Tier: last.tier, ID: last.id, Hash: pl.hash}
		if len(tiers) > 1 {
			c.Score = strconv.FormatFloat(last.score, 'g', -1, 64)
		}
		res.NextCursor = c.encode()
	}
	if pl.facets {
		for _, f := range facets {
			res.Facets[f.name] = facetCounts(v, f, counts[f.name])
		}
	}
	return res, nil
}

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

// values are the bleve SearchAfter values of the cursor for a tier's sort.
func (c *cursor) values(sort []string) []string {
	out := make([]string, len(sort))
	for i, s := range sort {
		if s == "_id" {
			out[i] = c.ID
		} else {
			out[i] = c.Score
		}
	}
	return out
}

// facetsSize asks for every code every facet can have, so that no count is cut.
func facetsSize(v *catalog.View) int {
	n := 0
	for _, f := range facets {
		if f.list == nil {
			n += len(v.Departments()) + 1
		} else {
			n += len(f.list.Codes())
		}
	}
	return n
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
