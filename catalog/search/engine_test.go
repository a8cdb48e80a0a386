package search

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
)

// ownFixture is three entries whose texts are partly shared (the abstract of two, the item names
// handEntry gives) and partly their own (names, descriptions, codes).
func ownFixture(t *testing.T) (*catalog.Store, *Index) {
	t.Helper()
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	a := handEntry("000001", "甲乙监测", "氨氮浓度")
	a.Abstract = "丙丁台账"
	a.Items = describe(a.Items, 1, "丁戊己庚")
	b := handEntry("000002", "丑寅台账", "氨氮浓度")
	b.Abstract = "卯辰记录"
	b.Items = describe(b.Items, 1, "含甲乙监测字样")
	c := handEntry("000003", "卯辰记录汇总", "臭氧")
	c.Abstract = "卯辰记录"
	c.Items = describe(c.Items, 1, "编号0101")
	for _, e := range []*catalog.Entry{a, b, c} {
		require.NoError(t, s.PutEntry(context.Background(), e))
	}
	return s, openIndex(t, s, t.TempDir())
}

// ownOf is a document's own texts (engine.ownTexts) as one string, prose then identifiers, and
// its prose alone. The caller holds ix.rw.
func ownOf(ix *Index, r docRec) (own, prose string) {
	p := ix.eng.ownOf(&r, false, nil)
	return strings.Join(append(slices.Clone(p), ix.eng.ownOf(&r, true, nil)...), " "), strings.Join(p, " ")
}

// describe returns items with item i's description set to d.
func describe(items catalog.ItemList, i int, d string) catalog.ItemList {
	its := items.Slice()
	its[i].Description = d
	return catalog.ItemsOf(its...)
}

// TestOwnTexts: texts several entries hold are shared parts, the others each entry's own text;
// either way a search finds exactly the entries holding the word within one of their texts, the
// entries whose name holds it first.
func TestOwnTexts(t *testing.T) {
	s, ix := ownFixture(t)
	ix.rw.RLock()
	var parts []string
	for _, p := range ix.eng.parts {
		parts = append(parts, p.text)
	}
	a := ix.eng.docs[number(t, ix.eng, "0101/000001")]
	own, prose := ownOf(ix, a)
	ix.rw.RUnlock()
	assert.ElementsMatch(t, []string{"卯辰记录", "重庆市生态环境局", "备注", "氨氮浓度", "重庆市", "市级"}, parts)
	assert.Equal(t, "甲乙监测", a.name)
	assert.Equal(t, "丙丁台账 丁戊己庚 0101/000001 h_000001", own, "prose, identifiers")
	assert.Equal(t, "丙丁台账 丁戊己庚", prose)
	assert.Empty(t, a.extra, "its district's names are shared parts")

	for _, c := range []struct {
		text         string
		names, other []string
	}{
		{"丁戊己庚", nil, []string{"0101/000001"}},                    // a description of one entry
		{"氨氮浓", nil, []string{"0101/000001", "0101/000002"}},      // an item name they share
		{"卯辰记", []string{"0101/000003"}, []string{"0101/000002"}}, // an abstract two share, a name
		{"甲乙监", []string{"0101/000001"}, []string{"0101/000002"}},
		{"测丙丁", nil, nil}, // across two texts of one entry
		{"监测 丙丁", []string{}, []string{"0101/000001"}},
		{"庚0101", nil, nil},
		{"号0101", nil, []string{"0101/000003"}},
		{"1/000001", nil, []string{"0101/000001"}}, // resource code
		{"h_000002", nil, []string{"0101/000002"}}, // table
		{"01/00", nil, []string{"0101/000001", "0101/000002", "0101/000003"}},
		{"台账", []string{"0101/000002"}, []string{"0101/000001"}},
	} {
		r, err := ix.Search(context.Background(), s.View(), admin, Query{Text: c.text})
		require.NoError(t, err, c.text)
		var names, other []string
		for _, h := range r.Hits {
			if h.Score == 1 {
				names = append(names, h.Entry.ResourceCode)
			} else {
				other = append(other, h.Entry.ResourceCode)
			}
		}
		assert.ElementsMatch(t, c.names, names, "name matches of %q", c.text)
		assert.ElementsMatch(t, c.other, other, "other matches of %q", c.text)
		assert.Equal(t, len(c.names)+len(c.other), r.Total, c.text)
	}
}

// TestOwnTextsFollow: after the build, a new entry's text that is a shared part is taken as one,
// and any other text is its own, even one another entry holds as its own: both are found, and an
// edit finds an entry by what it says now only.
func TestOwnTextsFollow(t *testing.T) {
	s, ix := ownFixture(t)
	ctx := context.Background()
	d := handEntry("000004", "丙丁台账", "氨氮浓度") // its name is another's abstract
	d.Items = describe(d.Items, 1, "丁戊己庚")   // another's own description
	require.NoError(t, s.PutEntry(ctx, d))
	a, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	a.Items = catalog.ItemsOf(a.Items.Slice()[:1]...)
	a.Abstract = "午未申"
	require.NoError(t, s.PutEntry(ctx, a))
	for text, want := range map[string][]string{
		"丁戊己庚": {"0101/000004"},
		"丙丁台":  {"0101/000004"},
		"氨氮浓":  {"0101/000002", "0101/000004"},
		"午未申":  {"0101/000001"},
	} {
		got, first := all(t, ix, s.View(), admin, Query{Text: text, Limit: 1})
		slices.Sort(got)
		assert.Equal(t, want, got, text)
		assert.Equal(t, len(want), first.Total, text)
	}
	ix.rw.RLock()
	own, _ := ownOf(ix, ix.eng.docs[number(t, ix.eng, "0101/000004")])
	assert.Equal(t, "测试用目录 丁戊己庚 0101/000004 h_000004", own)
	assert.NotContains(t, ix.eng.partID, "丁戊己庚", "no part is made after the build")
	assert.Equal(t, 4, ix.eng.sorted, "a code after every other keeps the order")
	ix.rw.RUnlock()

	require.NoError(t, s.PutEntry(ctx, handEntry("000000", "最早的目录")))
	got, _ := all(t, ix, s.View(), admin, Query{Limit: 2})
	assert.Equal(t, []string{"0101/000000", "0101/000001", "0101/000002", "0101/000003", "0101/000004"}, got)
	ix.rw.RLock()
	defer ix.rw.RUnlock()
	assert.Equal(t, 4, ix.eng.sorted)
	assert.Equal(t, uint32(4), number(t, ix.eng, "0101/000000"), "numbered after the others")
}

// TestFinder: the finder returns what strings.Index does (the first place of the word), whichever
// byte of the word it looks for.
func TestFinder(t *testing.T) {
	texts := []string{
		"", "数", "数据集", "数据集04", "数据集042", "万州数据集0数据集04数据集042 数据集042",
		"pm2.5浓度 万州生态环境监测数据集000123中的pm2.5浓度", "aaaaab", "abababc",
	}
	words := []string{"数据集042", "集04", "pm2.5浓", "aab", "abc", "度", "数据集0421"}
	for _, w := range words {
		for k := range len(w) {
			g := newEngine()
			for i := range len(w) {
				g.bytes[w[i]] = 2
			}
			g.bytes[w[k]] = 1 // the byte looked for
			find := g.finder(w)
			for _, s := range texts {
				assert.Equal(t, strings.Index(s, w), find(s), "%q in %q looking for byte %d", w, s, k)
			}
		}
	}
}

func number(t *testing.T, g *engine, code string) uint32 {
	t.Helper()
	n, ok := g.number(code)
	require.True(t, ok, code)
	return n
}

// TestWordVerifiedInItemTexts: a word of ideographs is verified in the items as stored (packed),
// where it is found within a name or a description and never across two of them; any other
// word is verified in the texts normalized (full-width letters and digits, upper case).
func TestWordVerifiedInItemTexts(t *testing.T) {
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	a := handEntry("000001", "子丑台账", "寅卯辰巳")
	a.Abstract = "午未"
	a.Items = describe(a.Items, 1, "含ＰＭ２．５浓度")
	b := handEntry("000002", "申酉台账", "戌亥")
	b.Abstract = "亥子" // the gram 亥子 without the word
	b.Items = describe(b.Items, 0, "天地戌")
	b.Items = describe(b.Items, 1, "子丑")
	c := handEntry("000003", "辰巳台账")
	c.Abstract = "pm2 25x" // every gram of pm25x, not the word
	its := c.Items.Slice()
	its[0].Field = "pm25x"
	c.Items = catalog.ItemsOf(its...)
	for _, e := range []*catalog.Entry{a, b, c} {
		require.NoError(t, s.PutEntry(context.Background(), e))
	}
	ix := openIndex(t, s, t.TempDir())
	for text, want := range map[string][]string{
		"卯辰巳":      {"0101/000001"}, // within an item name
		"pm2.5浓度":  {"0101/000001"}, // full-width in the text, folded
		"含pm2.5":   {"0101/000001"},
		"戌亥子":      nil,             // 天地戌 | 戌亥 | 子丑: across item texts only
		"地戌":       {"0101/000002"}, // two runes: the gram alone
		"天地戌":      {"0101/000002"}, // a description, whole
		"亥子丑":      nil,             // the abstract's 亥子, then 子丑 elsewhere
		"h_000002": {"0101/000002"}, // an identifier
		"pm25x":    nil,             // an item's field, not its text
	} {
		got, first := all(t, ix, s.View(), admin, Query{Text: text, Limit: 10})
		slices.Sort(got)
		assert.Equal(t, want, got, text)
		assert.Equal(t, len(want), first.Total, text)
	}
}
