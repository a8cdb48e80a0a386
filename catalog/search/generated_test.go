package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

const genSeed = 6

func genFixture(t *testing.T, n int) (*catalog.Store, *Index) {
	t.Helper()
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	putGenerated(t, s, genSeed, 0, n)
	return s, openIndex(t, s, t.TempDir())
}

// holds reports, by brute force over the entry's parts, whether every word occurs in one piece
// of them (white space cuts pieces): what the index must answer.
func holds(parts []part, words []string) bool {
	for _, w := range words {
		found := false
		for _, p := range parts {
			for _, piece := range pieces(p.Text) {
				if strings.Contains(piece, w) {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

var pieceCache sync.Map // text → its normalized pieces

func pieces(text string) []string {
	if p, ok := pieceCache.Load(text); ok {
		return p.([]string)
	}
	p := strings.Fields(normalize(text))
	pieceCache.Store(text, p)
	return p
}

// expect lists, by brute force, the codes of the entries a search must find, those whose name
// holds every word first, and counts them by facet.
func expect(v *catalog.View, p *catalog.Principal, text string, filters map[string][]string) (names, others []string, counts map[string]map[string]int) {
	words := strings.Fields(normalize(text))
	counts = map[string]map[string]int{}
	for _, e := range v.Entries() {
		if !v.Decide(p, e, time.Now()).Exists || !holds(partsOf(v, e), words) {
			continue
		}
		doc := codesOf(e)
		keep := true
		for f, codes := range filters {
			keep = keep && slices.ContainsFunc(codes, func(c string) bool { return slices.Contains(doc[f], c) })
		}
		if !keep {
			continue
		}
		if holds([]part{{Text: e.Name}}, words) {
			names = append(names, e.ResourceCode)
		} else {
			others = append(others, e.ResourceCode)
		}
		for _, f := range facets {
			if counts[f.name] == nil {
				counts[f.name] = map[string]int{}
			}
			for _, c := range doc[f.name] {
				counts[f.name][c]++
			}
		}
	}
	return names, others, counts
}

// all pages through a search and returns the codes in order and the first page.
func all(t *testing.T, ix *Index, v *catalog.View, p *catalog.Principal, q Query) ([]string, Result) {
	t.Helper()
	var codes []string
	var first Result
	for page := 0; ; page++ {
		r, err := ix.Search(context.Background(), v, p, q)
		require.NoError(t, err)
		if page == 0 {
			first = r
		}
		require.Equal(t, first.Total, r.Total, "the total is the same on every page")
		codes = append(codes, handCodes(r)...)
		if r.NextCursor == "" {
			return codes, first
		}
		require.Less(t, page, 1000)
		q.Cursor = r.NextCursor
	}
}

// TestFacetsAndPages: over a generated directory, for principals of several scopes and queries
// with and without filters, the pages cover exactly the matching entries once each, name matches
// first, and the total and every facet count equal a brute-force count.
func TestFacetsAndPages(t *testing.T) {
	s, ix := genFixture(t, 400)
	v := s.View()
	yubei := &catalog.Principal{ID: "yb", Role: catalog.RoleDistrict, Clearance: "GENERAL_1", Districts: []string{"500112", "500101"}}
	for _, c := range []struct {
		p       *catalog.Principal
		text    string
		filters map[string][]string
		limit   int
	}{
		{admin, "水质", nil, 7},
		{admin, "监测", nil, 100},
		{admin, "", nil, 50},
		{admin, "排放 浓度", map[string][]string{FacetStatus: {catalog.StatusPublished}}, 9},
		{admin, "江", map[string][]string{FacetDomain: {"WATER", "AIR"}, FacetShareType: {"CONDITIONAL"}}, 5},
		{analyst2, "数据", nil, 13},
		{yubei, "", nil, 4},
		{yubei, "排污", map[string][]string{FacetDepartment: {"AIR_DIV", "CTR_MONITORING"}}, 3},
	} {
		names, others, counts := expect(v, c.p, c.text, c.filters)
		require.NotEmpty(t, append(names, others...), "case %q finds something", c.text)
		got, first := all(t, ix, v, c.p, Query{Text: c.text, Filters: c.filters, Limit: c.limit, Facets: true})
		assert.Equal(t, len(names)+len(others), first.Total, c.text)
		require.Equal(t, len(got), len(slices.Compact(slices.Sorted(slices.Values(got)))), "no entry twice: %q", c.text)
		if c.text == "" {
			assert.Equal(t, slices.Sorted(slices.Values(append(names, others...))), got, "by resource code")
		} else {
			require.Len(t, got, len(names)+len(others), c.text)
			assert.ElementsMatch(t, names, got[:len(names)], "name matches first: %q", c.text)
			assert.ElementsMatch(t, others, got[len(names):], c.text)
		}
		for _, f := range facets {
			want := counts[f.name]
			gotCounts := map[string]int{}
			for _, fc := range first.Facets[f.name] {
				gotCounts[fc.Code] = fc.Count
				assert.NotEmpty(t, fc.Name)
			}
			if len(want) == 0 {
				want = map[string]int{}
			}
			assert.Equal(t, want, gotCounts, "facet %s of %q", f.name, c.text)
		}
	}
}

// recallCases picks n substrings (two runes or more) of the names and item names of generated
// entries, each with the entry it comes from.
func recallCases(rng *rand.Rand, entries []*catalog.Entry, n int) (texts, codes []string) {
	for len(texts) < n {
		e := entries[rng.IntN(len(entries))]
		src := e.Name
		if rng.IntN(2) == 0 {
			src = e.Items.Slice()[rng.IntN(e.Items.Len())].Name
		}
		rs := []rune(src)
		if len(rs) < 2 {
			continue
		}
		i := rng.IntN(len(rs) - 1)
		j := i + 2 + rng.IntN(len(rs)-i-1)
		texts = append(texts, string(rs[i:j]))
		codes = append(codes, e.ResourceCode)
	}
	return texts, codes
}

// TestRecallGenerated: 60 random substrings of generated names and item names each find the
// entry they were cut from, and exactly the entries that hold them.
func TestRecallGenerated(t *testing.T) {
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	entries := putGenerated(t, s, genSeed, 0, 300)
	ix := openIndex(t, s, t.TempDir())
	v := s.View()
	texts, codes := recallCases(rand.New(rand.NewPCG(genSeed, 1)), entries, 60)
	for i, text := range texts {
		got, _ := all(t, ix, v, admin, Query{Text: text, Limit: MaxLimit})
		require.Contains(t, got, codes[i], "%q is cut from %s", text, codes[i])
		names, others, _ := expect(v, admin, text, nil)
		require.ElementsMatch(t, append(names, others...), got, text)
	}
}
