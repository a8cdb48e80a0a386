package search

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/cqeco/ecolake/catalog"
)

// found is a hit of a page before it is read from the catalogue view: its tier (0 the entries
// whose name holds every word, 1 the others) and resource code.
type found struct {
	tier int
	id   string
}

// selection is what a search finds in the engine: its page of hits, the total and the facet
// counts over every match.
type selection struct {
	hits []found
	more bool // a hit past the page exists (or may: the page stopped at its budget)
	// next, when set, is where the next page starts: the last document the page looked at,
	// which a page cut short by its budget did not take.
	next  *found
	total int
	// exact: every match was verified, total counts them all. Otherwise total counts those
	// verified (a lower bound), atMost the matches there may be, and the facet counts are of
	// the verified ones.
	exact  bool
	atMost int
	counts map[string]map[string]int // facet → code → matching documents
}

// scope is the documents the principal may know of (catalog.SearchScope) that the query's filters
// keep: applied before anything is ranked or counted.
func (g *engine) scope(s catalog.Scope, pl *plan) *roaring.Bitmap {
	var bms []*roaring.Bitmap
	var ranks []*roaring.Bitmap
	cut := false
	for r, bm := range g.rank {
		if r <= s.MaxRank {
			ranks = append(ranks, bm)
		} else if !bm.IsEmpty() {
			cut = true
		}
	}
	if cut {
		bms = append(bms, roaring.FastOr(ranks...))
	}
	if s.Districts != nil {
		bms = append(bms, g.anyOf(FacetDistrict, s.Districts))
	}
	for _, f := range facets {
		if codes := pl.filters[f.name]; len(codes) > 0 {
			bms = append(bms, g.anyOf(f.name, codes))
		}
	}
	if len(bms) == 0 {
		return g.all.Clone()
	}
	return intersect(bms...)
}

func (g *engine) anyOf(facet string, codes []string) *roaring.Bitmap {
	var bms []*roaring.Bitmap
	for _, c := range codes {
		if bm := g.facet[facet][c]; bm != nil {
			bms = append(bms, bm)
		}
	}
	return roaring.FastOr(bms...)
}

// find answers a checked query within scope s. Its longer words are verified within
// verifyBudget bytes of prose; the documents left unsure are verified as a page reaches them
// (pageBudget).
func (g *engine) find(s catalog.Scope, pl *plan) selection {
	match := g.scope(s, pl)
	unsure := roaring.New()
	tiers := []*roaring.Bitmap{match}
	if len(pl.words) > 0 {
		// Words of one or two runes first: a lookup each, and what they leave is all a longer
		// word's texts are read in.
		words := slices.Clone(pl.words)
		slices.SortStableFunc(words, func(a, b string) int {
			return cmp.Compare(min(utf8.RuneCountInString(a), 3), min(utf8.RuneCountInString(b), 3))
		})
		budget := verifyBudget
		names := []*roaring.Bitmap{}
		for _, w := range words {
			t, n, u := g.word(w, match, &budget)
			match = roaring.And(match, roaring.Or(t, u))
			unsure.Or(u) // a document unsure for any word is unsure
			unsure.And(match)
			names = append(names, n)
		}
		// A name holding every word is verified: the first tier holds no unsure document.
		name := intersect(append(names, match)...)
		tiers = []*roaring.Bitmap{name, roaring.AndNot(match, name)}
	}
	sure := match
	if !unsure.IsEmpty() {
		sure = roaring.AndNot(match, unsure)
	}
	sel := selection{total: int(sure.GetCardinality()), exact: unsure.IsEmpty(), atMost: int(match.GetCardinality())}
	budget := pageBudget
	finders := make([]*wordFinders, len(pl.words))
	for i, w := range pl.words {
		finders[i] = g.finders(w)
	}
	check := func(n uint32) bool {
		for i, w := range pl.words {
			if !g.holds(n, w, finders[i], &budget) {
				return false
			}
		}
		return true
	}
	for t, bm := range tiers {
		after := ""
		switch {
		case pl.after != nil && pl.after.Tier > t:
			continue // an earlier page went past this tier
		case pl.after != nil && pl.after.Tier == t:
			after = pl.after.ID
		}
		need := pl.limit + 1 - len(sel.hits)
		if need <= 0 {
			break
		}
		got, last, cut := g.firstChecked(bm, after, need, unsure, check, &budget)
		for _, n := range got {
			sel.hits = append(sel.hits, found{tier: t, id: g.codes[n]})
		}
		if cut {
			// The budget ran out before the page was full: the next page starts after the last
			// document looked at.
			sel.more = true
			if last != "" {
				sel.next = &found{tier: t, id: last}
			} else if pl.after != nil && pl.after.Tier == t {
				sel.next = &found{tier: t, id: pl.after.ID}
			}
			break
		}
	}
	if len(sel.hits) > pl.limit {
		sel.hits, sel.more, sel.next = sel.hits[:pl.limit], true, nil
	}
	if pl.facets {
		sel.counts = g.count(sure)
	}
	return sel
}

// firstChecked is first, the unsure documents among bm verified with check (which takes what it
// reads from *budget) and left out when they fail. It returns the documents found, the resource
// code of the last document it looked at, and whether the budget ran out before k were found.
func (g *engine) firstChecked(bm *roaring.Bitmap, after string, k int, unsure *roaring.Bitmap, check func(uint32) bool, budget *int) ([]uint32, string, bool) {
	if unsure.IsEmpty() {
		return g.first(bm, after, k), "", false
	}
	var out []uint32
	last := ""
	for len(out) < k {
		chunk := g.first(bm, after, k-len(out))
		if len(chunk) == 0 {
			return out, last, false
		}
		for _, n := range chunk {
			if unsure.Contains(n) {
				if *budget <= 0 {
					return out, last, true
				}
				if !check(n) {
					last, after = g.codes[n], g.codes[n]
					continue
				}
			}
			out = append(out, n)
			last, after = g.codes[n], g.codes[n]
		}
	}
	return out, last, false
}

// first returns up to k documents of bm whose resource code comes after after ("" for none), in
// resource-code order: those numbered in order read off bm from the cursor on, those registered
// since (few: Index.follow rebuilds when they grow many) sorted.
func (g *engine) first(bm *roaring.Bitmap, after string, k int) []uint32 {
	start := 0
	if after != "" {
		start = sort.Search(g.sorted, func(i int) bool { return g.codes[i] > after })
	}
	out := make([]uint32, 0, k)
	it := bm.Iterator()
	it.AdvanceIfNeeded(uint32(start))
	for len(out) < k && it.HasNext() {
		n := it.Next()
		if int(n) >= g.sorted {
			break
		}
		out = append(out, n)
	}
	if len(g.codes) == g.sorted {
		return out
	}
	it = bm.Iterator()
	it.AdvanceIfNeeded(uint32(g.sorted))
	tail := false
	for it.HasNext() {
		if n := it.Next(); g.codes[n] > after {
			out, tail = append(out, n), true
		}
	}
	if tail {
		slices.SortFunc(out, func(a, b uint32) int { return strings.Compare(g.codes[a], g.codes[b]) })
		out = out[:min(len(out), k)]
	}
	return out
}

// count is the facet counts of the matching documents: one intersection cardinality per code.
func (g *engine) count(match *roaring.Bitmap) map[string]map[string]int {
	out := map[string]map[string]int{}
	for name, codes := range g.facet {
		for code, bm := range codes {
			if n := match.AndCardinality(bm); n > 0 {
				if out[name] == nil {
					out[name] = map[string]int{}
				}
				out[name][code] = int(n)
			}
		}
	}
	return out
}
