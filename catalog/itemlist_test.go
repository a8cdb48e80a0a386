package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestItemListKeepsItsItems: a packed list gives back exactly the items it was made of, in
// order, through every accessor and through JSON, which is []Item's JSON.
func TestItemListKeepsItsItems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []Item
	}{
		{"none", nil},
		{"zero item", []Item{{}}},
		{"every field", []Item{
			{ID: 7, Name: "区县", Field: "district", Type: schemas.String, Length: 6, Required: true, IsKey: true,
				Grade: schemas.General1, PIType: "MOBILE", CodeList: "districts", Description: "区县代码"},
			{ID: 8, Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.Important},
			{ID: 9, Name: "备注", Field: "remark", Type: schemas.String, IsKey: true},
		}},
		{"long strings and large numbers", []Item{
			{ID: 1 << 40, Name: strings.Repeat("名", 100), Field: strings.Repeat("f", 300), Length: 1 << 20,
				Description: strings.Repeat("说明", 5000)},
		}},
		{"negative numbers", []Item{{ID: -3, Length: -1, Name: "x"}}},
		{"ranges, whole and half", []Item{
			{ID: 1, Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General2, Min: "0", Max: "1000"},
			{ID: 2, Name: "监测日期", Field: "sample_date", Type: schemas.Date, Min: "2020-01-01"},
			{ID: 3, Name: "数量", Field: "n", Type: schemas.Int, Grade: schemas.Core, Max: "99"},
			{ID: 4, Name: "备注", Field: "remark"},
		}},
		{"codes outside the packed ones", []Item{
			{Name: "金额", Field: "amount", Type: "DECIMAL", Grade: "SECRET", PIType: "QQ", CodeList: "provinces"},
			{Name: "区县", Field: "district", Type: "STRING", Grade: "GENERAL_1", PIType: "PLATE", CodeList: "districts"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ItemsOf(tc.items...)
			size, desc := uvarintLen(uint64(len(tc.items))), 0
			for i := range tc.items {
				size += packedLen(&tc.items[i])
				desc += uvarintLen(uint64(len(tc.items[i].Description))) + len(tc.items[i].Description)
			}
			shape, descs := l.Texts()
			if len(tc.items) == 0 {
				size = 0
			}
			assert.Equal(t, size, len(shape), "packedLen counts exactly what is packed")
			if desc == len(tc.items) {
				assert.Empty(t, descs, "no descriptions: none packed")
			} else {
				assert.Equal(t, desc, len(descs), "each description after its length")
			}
			assert.Equal(t, len(tc.items), l.Len())
			assert.Equal(t, tc.items, l.Slice())
			var all []Item
			for i, it := range l.All() {
				assert.Equal(t, len(all), i)
				all = append(all, it)
			}
			assert.Equal(t, tc.items, all)
			for i, want := range tc.items {
				got, at, ok := l.Field(want.Field)
				require.True(t, ok, want.Field)
				assert.Equal(t, tc.items[at], got)
				assert.LessOrEqual(t, at, i, "the first item of that field")
			}
			_, at, ok := l.Field("no_such_field")
			assert.False(t, ok)
			assert.Equal(t, -1, at)

			b, err := json.Marshal(l)
			require.NoError(t, err)
			want, err := json.Marshal(tc.items)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(b), "the JSON of an []Item")
			var back ItemList
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, l, back)
		})
	}
}

// Lists of the same items are equal, so an entry compares by value; lists of the same items but
// their descriptions hold one shape between them.
func TestItemListsOfTheSameItemsAreEqual(t *testing.T) {
	a := ItemsOf(Item{Name: "区县", Field: "district"}, Item{Name: "PM2.5", Field: "pm25"})
	b := ItemsOf(a.Slice()...)
	assert.True(t, a == b)
	assert.False(t, a == ItemsOf(a.Slice()[:1]...))
	described := a.Slice()
	described[1].Description = "小时均值"
	c := ItemsOf(described...)
	assert.False(t, a == c, "the descriptions differ")
	sa, _ := a.Texts()
	sc, dc := c.Texts()
	assert.Same(t, unsafe.StringData(sa), unsafe.StringData(sc), "one shape, held once")
	assert.Equal(t, "\x00\x0c小时均值", dc)
	renamed := a.Slice()
	renamed[1].Name = "PM10"
	sr, _ := ItemsOf(renamed...).Texts()
	assert.NotEqual(t, sa, sr)
	assert.True(t, ItemsOf() == ItemList{})
	var empty ItemList
	require.NoError(t, json.Unmarshal([]byte(`[]`), &empty))
	assert.True(t, empty == ItemList{}, "an empty array is the empty list")
	require.NoError(t, json.Unmarshal([]byte(`null`), &empty))
	assert.True(t, empty == ItemList{})
	assert.Error(t, json.Unmarshal([]byte(`{"Name":"x"}`), &empty))
}

// Reading a list copies nothing: an item's strings are substrings of the packed strings (its
// common codes static strings, packed in one byte), and a walk over the items allocates
// nothing. Slice is a copy the caller may change.
func TestItemListReadsWithoutCopying(t *testing.T) {
	l := ItemsOf(benchItems(20)...)
	shape, desc := l.Texts()
	within := func(s, in string) bool {
		start := uintptr(unsafe.Pointer(unsafe.StringData(in)))
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= start && p+uintptr(len(s)) <= start+uintptr(len(in))
	}
	for _, it := range l.All() {
		for _, s := range []string{it.Name, it.Field} {
			assert.True(t, within(s, shape), "%q is not in the shape", s)
		}
		assert.True(t, within(it.Description, desc), "%q is not in the descriptions", it.Description)
		for _, s := range []string{string(it.Type), string(it.Grade)} {
			i := slices.Index(packedCodes[:], s)
			require.GreaterOrEqual(t, i, 0, s)
			assert.Equal(t, unsafe.StringData(packedCodes[i]), unsafe.StringData(s), "%q is the packed code's string", s)
		}
	}
	bare, none := ItemsOf(Item{Type: schemas.Float, Grade: schemas.General4, PIType: "ID_CARD", CodeList: "districts"}).Texts()
	assert.Len(t, bare, 10, "an item without names: its count, then one byte per field")
	assert.Empty(t, none, "no descriptions")
	allocs := testing.AllocsPerRun(100, func() {
		n := 0
		for _, it := range l.All() {
			n += len(it.Name)
		}
		if _, _, ok := l.Field("f19"); !ok || n == 0 {
			t.Fatal("items not read")
		}
		_ = l.grade()
	})
	assert.Zero(t, allocs)

	items := l.Slice()
	items[0].Name = "changed"
	assert.Equal(t, "指标00", l.Slice()[0].Name, "a changed copy leaves the list as it was")
}

// Names and Descriptions give every item's name and description in order, each at its place
// in Texts, ranges and codes that are not packed as one byte skipped over.
func TestItemListTextsArePlaced(t *testing.T) {
	l := ItemsOf(
		Item{ID: 1, Name: "区县", Field: "district", Type: schemas.String, CodeList: "districts", Description: "区县代码"},
		Item{ID: 300, Name: "PM2.5浓度", Field: "pm25", Type: "DECIMAL", Grade: schemas.Important, Min: "0", Max: "1000", Description: "小时均值"},
		Item{ID: 2, Name: "备注", Field: "remark", PIType: "OTHER_PI", CodeList: "my_list"},
	)
	shape, desc := l.Texts()
	var names, descs []string
	for off, text := range l.Names() {
		require.Equal(t, text, shape[off:off+len(text)], "%q at %d", text, off)
		names = append(names, text)
	}
	for off, text := range l.Descriptions() {
		require.Equal(t, text, desc[off:off+len(text)], "%q at %d", text, off)
		descs = append(descs, text)
	}
	assert.Equal(t, []string{"区县", "PM2.5浓度", "备注"}, names)
	assert.Equal(t, []string{"区县代码", "小时均值", ""}, descs)
	n := 0
	for range l.Names() {
		if n++; n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n, "the walk stops when asked")
	n = 0
	for _, d := range ItemsOf(Item{Name: "甲"}, Item{Name: "乙"}).Descriptions() {
		assert.Empty(t, d, "no descriptions packed: each is empty")
		n++
	}
	assert.Equal(t, 2, n)
}

// Entries registered from one template hold one shape between them, after a restart from a
// checkpoint too: a shape read that is already held is looked up, not kept twice. Their own
// descriptions stay their own.
func TestEntriesOfOneTemplateShareTheirShape(t *testing.T) {
	dir, clock, ctx := t.TempDir(), newClock(), context.Background()
	s := openTest(t, testConfig(dir, clock))
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	a, b := validEntry("000001", "air_a"), validEntry("000002", "air_b")
	setItem(b, 1, func(it *Item) { it.Description = "万州区的小时均值" })
	require.NoError(t, s.PutEntry(ctx, a))
	require.NoError(t, s.PutEntry(ctx, b))
	require.NoError(t, s.Close())
	for _, seg := range mustSegments(t, dir) {
		require.NoError(t, os.Remove(seg.path)) // the checkpoint alone holds the state
	}

	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	ga, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	gb, err := s.View().Entry("0101/000002")
	require.NoError(t, err)
	sa, da := ga.Items.Texts()
	sb, db := gb.Items.Texts()
	assert.Same(t, unsafe.StringData(sa), unsafe.StringData(sb), "one shape, held once")
	assert.Empty(t, da)
	assert.Equal(t, "\x00\x18万州区的小时均值", db)
	assert.Equal(t, schemas.General2, gb.Grade(), "the shape's grade")
	assert.Equal(t, "万州区的小时均值", gb.Items.Slice()[1].Description)
}

// An entry's grade is read from its items' shape, found when the shape was made, and its
// override.
func TestEntryGradeFollowsItsItems(t *testing.T) {
	e := &Entry{Items: ItemsOf(Item{Field: "a", Grade: schemas.General2}, Item{Field: "b", Grade: schemas.General3})}
	assert.Equal(t, schemas.General3, e.Grade())
	e.GradeOverride = schemas.General2
	assert.Equal(t, schemas.General3, e.Grade(), "a lower override leaves the items' grade")
	e.GradeOverride = ""
	d := *e // a shallow copy given another override computes afresh
	d.GradeOverride = schemas.Core
	assert.Equal(t, schemas.Core, d.Grade())
	c := *e // a shallow copy given other items computes afresh
	c.Items = ItemsOf(Item{Field: "a", Grade: schemas.Core})
	assert.Equal(t, schemas.Core, c.Grade())
	c.Items = ItemList{}
	assert.Equal(t, schemas.General1, c.Grade(), "no items: the lowest grade")
	c.GradeOverride = schemas.Important
	assert.Equal(t, schemas.Important, c.Grade())
	ranged := &Entry{Items: ItemsOf(Item{Field: "a", Grade: schemas.General2, Min: "0", Max: "9"}, Item{Field: "b", Grade: schemas.General4, Max: "1"})}
	assert.Equal(t, schemas.General4, ranged.Grade(), "the grades are read past the items' ranges")
}

// The shape and descriptions from outside (a checkpoint) are taken only when they decode to the
// same number of items; so is a list packed as one string, as checkpoints before version 6 held
// it, with the count given with it.
func TestPackedItemsAreChecked(t *testing.T) {
	items := benchItems(3)
	items[1].Min, items[1].Max = "0", "100"
	l := ItemsOf(items...)
	shape, desc := l.Texts()
	got, err := shapedItems(shape, desc)
	require.NoError(t, err)
	assert.Equal(t, l, got)
	got, err = shapedItems("", "")
	require.NoError(t, err)
	assert.Equal(t, ItemList{}, got)
	for _, tc := range []struct {
		name        string
		shape, desc string
	}{
		{"descriptions without items", "", desc},
		{"no count", "\x00" + shape[1:], desc},
		{"count too high", "\x04" + shape[1:], desc},
		{"count too low", "\x02" + shape[1:], desc},
		{"shape cut short", shape[:len(shape)-1], desc},
		{"shape with trailing bytes", shape + "x", desc},
		{"too few descriptions", shape, desc[:len(desc)-len(items[2].Description)-1]},
		{"a description cut short", shape, desc[:len(desc)-1]},
		{"descriptions with trailing bytes", shape, desc + "\x00"},
		{"a length beyond the string", "\x01\x02\xff\xff\xff\xff\x0f", ""},
		{"a code beyond the packed ones", "\x01\x02\x00\x00\x7f\x00\x00\x0d\x00\x00", ""},
	} {
		_, err := shapedItems(tc.shape, tc.desc)
		assert.ErrorIs(t, err, errBadItems, tc.name)
		// A reader's last shape, well formed, does not let a malformed one through.
		var c shapeCache
		_, err = c.items(shape, desc)
		require.NoError(t, err)
		_, err = c.items(tc.shape, tc.desc)
		assert.ErrorIs(t, err, errBadItems, tc.name+", after a good shape")
	}
	var c shapeCache
	first, err := c.items(shape, desc)
	require.NoError(t, err)
	again, err := c.items(strings.Clone(shape), "")
	require.NoError(t, err)
	assert.Equal(t, first.shape, again.shape, "the last shape, compared and taken again")
	assert.Equal(t, items[1].Name, again.Slice()[1].Name)
	assert.Empty(t, again.Slice()[1].Description)

	old := packedV5(l)
	got, err = packedItems(old, 3)
	require.NoError(t, err)
	assert.Equal(t, l, got, "a list of version 5 reads as the same list")
	got, err = packedItems("", 0)
	require.NoError(t, err)
	assert.Equal(t, ItemList{}, got)
	for _, tc := range []struct {
		name string
		s    string
		n    uint64
	}{
		{"count too high", old, 4},
		{"count too low", old, 2},
		{"no count", old, 0},
		{"cut short", old[:len(old)-1], 3},
		{"cut inside a length", old[:3], 1},
		{"trailing bytes", old + "x", 3},
		{"count beyond the bytes", "\x00", 1 << 40},
		{"a length beyond the string", "\x02\xff\xff\xff\xff\x0f", 1},
		{"a code beyond the packed ones", "\x02\x00\x00\x7f\x00\x00\x0d\x00\x00\x00", 1},
	} {
		_, err := packedItems(tc.s, tc.n)
		assert.ErrorIs(t, err, errBadItems, tc.name)
	}
}

func benchItems(n int) []Item {
	items := make([]Item, n)
	for j := range items {
		items[j] = Item{ID: j + 1, Name: fmt.Sprintf("指标%02d", j), Field: fmt.Sprintf("f%02d", j), Type: schemas.Float,
			Grade: schemas.General1, Description: fmt.Sprintf("某区生态环境监测数据集000123中的指标%02d", j)}
	}
	items[n/3].Grade = schemas.General2
	return items
}

// BenchmarkItemList: what a read of an entry's 20 items costs (ns and allocations per entry).
func BenchmarkItemList(b *testing.B) {
	items := benchItems(20)
	l := ItemsOf(items...)
	b.Run("All", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, it := range l.All() {
				n += len(it.Name)
			}
		}
	})
	b.Run("Field", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.Field("f19")
		}
	})
	b.Run("grade", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.grade()
		}
	})
	b.Run("Slice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.Slice()
		}
	})
	b.Run("ItemsOf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ItemsOf(items...)
		}
	})
	b.Run("shapedItems", func(b *testing.B) {
		b.ReportAllocs()
		shape, desc := l.Texts()
		for b.Loop() {
			if _, err := shapedItems(shape, desc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Commands carry an entry as the entry's own JSON, items as an array: journals written before
// items were packed replay, and an entry comes out of a command as it went in.
func TestCommandsCarryTheEntryJSON(t *testing.T) {
	e := validEntry("000001", "air_daily")
	addItems(e, Item{ID: 3, Name: "联系电话", Field: "phone", Type: schemas.String, Length: 20, Required: true,
		Grade: schemas.General3, PIType: "MOBILE", Description: "值班室<电话>&备注"})
	own, err := json.Marshal(e)
	require.NoError(t, err)
	carried, err := json.Marshal(jsonEntry(e))
	require.NoError(t, err)
	assert.JSONEq(t, string(own), string(carried))
	assert.Contains(t, string(carried), `"Items":[{"ID":0,"Name":"区县"`)

	var back entryJSON
	require.NoError(t, json.Unmarshal(own, &back))
	got := back.entry()
	assert.Equal(t, e.Items, got.Items)
	assert.Equal(t, e.Name, got.Name)
	assert.Equal(t, e.Domains, got.Domains)
}
