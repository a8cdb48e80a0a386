package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestItemsFollowTheirEntry(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := validEntry("000001", "air_daily")
	addItems(a, Item{Name: "联系人", Field: "contact", Type: schemas.String, Grade: schemas.General3, PIType: "CN_NAME"})
	require.NoError(t, s.PutEntry(ctx, a))
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "air_hourly")))

	v := s.View()
	fields := func(rs []ItemRef) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Entry+"."+r.Field)
		}
		return out
	}
	assert.Equal(t, []string{"0101/000001.contact", "0101/000001.district", "0101/000001.pm25",
		"0101/000002.district", "0101/000002.pm25"}, fields(v.Items()))
	assert.Equal(t, []string{"0101/000001.contact"}, fields(v.ItemsByPIType("CN_NAME")))
	assert.Empty(t, v.ItemsByPIType("MOBILE"))

	// Dropping an item from the entry drops it from the items table in the same change.
	a = validEntry("000001", "air_daily")
	require.NoError(t, s.PutEntry(ctx, a))
	v = s.View()
	assert.Empty(t, v.ItemsByPIType("CN_NAME"))
	assert.Len(t, v.Items(), 4)
}

func TestItemIDsAreKeptForTheLifeOfTheEntry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := newClock()
	s := openTest(t, testConfig(dir, clock))
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	ids := func() map[string]int {
		e, err := s.View().Entry("0101/000001")
		require.NoError(t, err)
		out := map[string]int{}
		for _, it := range e.Items.All() {
			out[it.Field] = it.ID
		}
		return out
	}

	e := validEntry("000001", "air_daily")
	addItems(e, Item{Name: "O3浓度", Field: "o3", Type: schemas.Float, Grade: schemas.General2})
	require.NoError(t, s.PutEntry(ctx, e))
	assert.Equal(t, map[string]int{"district": 1, "pm25": 2, "o3": 3}, ids())

	// Removing pm25 and reordering renumbers nothing; a new item gets a fresh id, never 2 again.
	old := e.Items.Slice()
	e.Items = ItemsOf([]Item{old[2], old[0], {Name: "NO2浓度", Field: "no2", Type: schemas.Float, Grade: schemas.General2}}...)
	require.NoError(t, s.PutEntry(ctx, e))
	assert.Equal(t, map[string]int{"district": 1, "o3": 3, "no2": 4}, ids())
	// A removed item's field is retired: its data is still in older files under that name, graded
	// as it was, so no other item may take the name (it would hand the data out under its grade).
	readd := e.Copy()
	addItems(readd, Item{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General1})
	err := s.PutEntry(ctx, readd)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "“pm25”是本目录已删除信息项的字段名")
	addItems(e, Item{Name: "PM2.5浓度", Field: "pm25_v2", Type: schemas.Float, Grade: schemas.General2})
	require.NoError(t, s.PutEntry(ctx, e))
	assert.Equal(t, 5, ids()["pm25_v2"], "a new item gets a fresh id, never a removed one's")

	// A rename keeps the id when the caller passes it back.
	cur, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	_, o3, _ := cur.Items.Field("o3")
	setItem(cur, o3, func(it *Item) { it.Field, it.Name = "ozone", "臭氧浓度" })
	require.NoError(t, s.PutEntry(ctx, cur))
	assert.Equal(t, 3, ids()["ozone"])

	// Ids the catalogue never handed out, or one id twice, are refused.
	bad := cur.Copy()
	setItem(bad, 0, func(it *Item) { it.ID = 42 })
	assert.ErrorContains(t, s.PutEntry(ctx, bad), "items[0].id: 42 不是本目录信息项的编号（新信息项请填 0）")
	bad = cur.Copy()
	setItem(bad, 1, func(it *Item) { it.ID = bad.Items.Slice()[0].ID })
	assert.ErrorContains(t, s.PutEntry(ctx, bad), "编号 3 被两个信息项同时使用")

	// Replay and checkpoint restore give the same ids.
	want := ids()
	s.crash()
	s = openTest(t, testConfig(dir, clock))
	assert.Equal(t, want, ids())
	require.NoError(t, s.Close())
	s = openTest(t, testConfig(dir, clock))
	defer s.Close()
	assert.Equal(t, want, ids())
}
