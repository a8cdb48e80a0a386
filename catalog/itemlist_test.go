package catalog

import (
	"encoding/json"
	"fmt"
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
			size := 0
			for i := range tc.items {
				size += packedLen(&tc.items[i])
			}
			assert.Equal(t, size, len(l.str()), "packedLen counts exactly what is packed")
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

// Lists of the same items are equal, so an entry compares (and memoizes its grade) by value.
func TestItemListsOfTheSameItemsAreEqual(t *testing.T) {
	a := ItemsOf(Item{Name: "区县", Field: "district"}, Item{Name: "PM2.5", Field: "pm25"})
	b := ItemsOf(a.Slice()...)
	assert.True(t, a == b)
	assert.False(t, a == ItemsOf(a.Slice()[:1]...))
	assert.True(t, ItemsOf() == ItemList{})
	var empty ItemList
	require.NoError(t, json.Unmarshal([]byte(`[]`), &empty))
	assert.True(t, empty == ItemList{}, "an empty array is the empty list")
	require.NoError(t, json.Unmarshal([]byte(`null`), &empty))
	assert.True(t, empty == ItemList{})
	assert.Error(t, json.Unmarshal([]byte(`{"Name":"x"}`), &empty))
}

// Reading a list copies nothing: an item's strings are substrings of the packed string (its
// common codes static strings, packed in one byte), and a walk over the items allocates
// nothing. Slice is a copy the caller may change.
func TestItemListReadsWithoutCopying(t *testing.T) {
	l := ItemsOf(benchItems(20)...)
	start := uintptr(unsafe.Pointer(unsafe.StringData(l.str())))
	within := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= start && p+uintptr(len(s)) <= start+uintptr(len(l.str()))
	}
	for _, it := range l.All() {
		for _, s := range []string{it.Name, it.Field, it.Description} {
			assert.True(t, within(s), "%q is not in the packed string", s)
		}
		for _, s := range []string{string(it.Type), string(it.Grade)} {
			i := slices.Index(packedCodes[:], s)
			require.GreaterOrEqual(t, i, 0, s)
			assert.Equal(t, unsafe.StringData(packedCodes[i]), unsafe.StringData(s), "%q is the packed code's string", s)
		}
	}
	assert.Len(t, ItemsOf(Item{Type: schemas.Float, Grade: schemas.General4, PIType: "ID_CARD", CodeList: "districts"}).str(), 10,
		"an item without names: one byte per field")
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

// Prose gives every item's name and description in order, each at its place in Packed, ranges
// and codes that are not packed as one byte skipped over.
func TestItemListProseIsPlaced(t *testing.T) {
	l := ItemsOf(
		Item{ID: 1, Name: "区县", Field: "district", Type: schemas.String, CodeList: "districts", Description: "区县代码"},
		Item{ID: 300, Name: "PM2.5浓度", Field: "pm25", Type: "DECIMAL", Grade: schemas.Important, Min: "0", Max: "1000", Description: "小时均值"},
		Item{ID: 2, Name: "备注", Field: "remark", PIType: "OTHER_PI", CodeList: "my_list"},
	)
	var got []string
	for off, text := range l.Prose() {
		require.Equal(t, text, l.Packed()[off:off+len(text)], "%q at %d", text, off)
		got = append(got, text)
	}
	assert.Equal(t, []string{"区县", "区县代码", "PM2.5浓度", "小时均值", "备注", ""}, got)
	n := 0
	for range l.Prose() {
		if n++; n == 3 {
			break
		}
	}
	assert.Equal(t, 3, n, "the walk stops when asked")
}

// An entry's grade is read from its items and memoized while the entry keeps the same list.
func TestEntryGradeFollowsItsItems(t *testing.T) {
	e := &Entry{Items: ItemsOf(Item{Field: "a", Grade: schemas.General2}, Item{Field: "b", Grade: schemas.General3})}
	assert.Equal(t, schemas.General3, e.Grade())
	e.remember()
	assert.NotZero(t, e.gradedRank, "remembered")
	assert.Equal(t, schemas.General3, e.Grade())
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

// A packed string from outside (a checkpoint) is taken only when it decodes to exactly the
// count given with it.
func TestPackedItemsAreChecked(t *testing.T) {
	l := ItemsOf(benchItems(3)...)
	got, err := packedItems(l.str(), 3)
	require.NoError(t, err)
	assert.Equal(t, l, got)
	got, err = packedItems("", 0)
	require.NoError(t, err)
	assert.Equal(t, ItemList{}, got)
	for _, tc := range []struct {
		name string
		s    string
		n    uint64
	}{
		{"count too high", l.str(), 4},
		{"count too low", l.str(), 2},
		{"no count", l.str(), 0},
		{"cut short", l.str()[:len(l.str())-1], 3},
		{"cut inside a length", l.str()[:3], 1},
		{"trailing bytes", l.str() + "x", 3},
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
	b.Run("packedItems", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := packedItems(l.str(), 20); err != nil {
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
