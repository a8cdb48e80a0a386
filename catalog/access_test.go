package catalog

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestDecideDistrictRules holds the district half of the decision on the three kinds of entry.
func TestDecideDistrictRules(t *testing.T) {
	city := validEntry("000001", "city_with_district") // city-level, item district coded with districts
	city.Status = StatusPublished
	plain := validEntry("000002", "city_plain")
	plain.Status = StatusPublished
	plain.Items = ItemsOf(plain.Items.Slice()[1:]...) // no district item
	own := validEntry("000003", "wanzhou_own")
	own.Status, own.District = StatusPublished, "500101"
	other := validEntry("000004", "jiangbei_own")
	other.Status, other.District = StatusPublished, "500105"

	wz := &Principal{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	for _, c := range []struct {
		e                  *Entry
		exists, load, rows bool
		replaceScoped      bool
	}{
		{city, true, true, true, true},
		{plain, true, false, false, false},
		{own, true, true, true, true},
		{other, false, false, false, false},
	} {
		a := decideNoGrants(wz, c.e)
		assert.Equal(t, c.exists, a.Exists, c.e.Table)
		assert.Equal(t, c.load, a.Load, c.e.Table)
		assert.Equal(t, c.rows, a.Rows != nil, c.e.Table)
		assert.Equal(t, c.replaceScoped, a.ReplaceScope != nil, c.e.Table)
		if a.Load {
			assert.True(t, a.MayLoadDistrict("500101"))
			assert.False(t, a.MayLoadDistrict("500105"))
			assert.False(t, a.MayLoadDistrict(""))
		}
	}

	// 市级 is no district: an account scoped to it is no account at all, so it can never make
	// city-wide tables its "own" and replace them.
	cityScoped := &Principal{ID: "c", Role: RoleDistrict, Clearance: schemas.Core, Districts: []string{schemas.CityCode}}
	for _, e := range []*Entry{city, plain, own} {
		assert.False(t, Exists(cityScoped, e), e.Table)
	}
	assert.False(t, Allowed(cityScoped, ActQuery))

	ctx := context.Background()
	s, _ := newTestStore(t)
	err := s.PutPrincipal(ctx, Principal{ID: "c", Name: "市级", Role: RoleDistrict, Clearance: schemas.General1, Districts: []string{schemas.CityCode}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "districts[0]: 500000（市级）不是区县，全市账号应为数据管理员")
}

// TestPutEntryAsAsksTheDecision: a steward cannot change (and so cannot downgrade) an entry
// above its clearance, learns nothing of it beyond "taken", and cannot register above its
// clearance.
func TestPutEntryAsAsksTheDecision(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	secret := validEntry("000001", "hidden_table")
	setItem(secret, 1, func(it *Item) { it.Grade = schemas.Important })
	require.NoError(t, s.PutEntry(ctx, secret))

	low := &Principal{ID: "s2", Role: RoleSteward, Clearance: schemas.General2}
	downgrade := validEntry("000001", "hidden_table") // every item GENERAL_1 or 2: within low's clearance
	err := s.PutEntryAs(ctx, low, downgrade)
	require.ErrorIs(t, err, ErrConflict)
	assert.Equal(t, "信息资源代码 0101/000001 已被占用", err.Error())
	e, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, schemas.Important, e.Grade(), "the hidden entry is unchanged")

	// Its table name is taken, without naming the entry that holds it.
	err = s.PutEntryAs(ctx, low, validEntry("000002", "hidden_table"))
	require.ErrorIs(t, err, ErrConflict)
	assert.Equal(t, "数据表名 hidden_table 已被占用", err.Error())

	// Above the steward's own clearance: refused.
	high := validEntry("000003", "new_table")
	setItem(high, 1, func(it *Item) { it.Grade = schemas.General3 })
	err = s.PutEntryAs(ctx, low, high)
	require.ErrorIs(t, err, schemas.ErrForbidden)

	// Within it: registered; and only stewards and admins write the directory at all.
	require.NoError(t, s.PutEntryAs(ctx, low, validEntry("000004", "fine_table")))
	analyst := &Principal{ID: "a", Role: RoleAnalyst, Clearance: schemas.Core}
	err = s.PutEntryAs(ctx, analyst, validEntry("000005", "other_table"))
	require.True(t, errors.Is(err, schemas.ErrForbidden), "%v", err)

	// A steward cleared for it may change it.
	top := &Principal{ID: "s1", Role: RoleSteward, Clearance: schemas.Core}
	require.NoError(t, s.PutEntryAs(ctx, top, secret))
}

// TestMayReadRejects: rejected rows are raw values; a district account reads only those of loads
// held to its own districts.
func TestMayReadRejects(t *testing.T) {
	e := validEntry("000001", "city_with_district")
	e.Status = StatusPublished
	wz := &Principal{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}
	wzColleague := &Principal{ID: "wz2", Role: RoleDistrict, Clearance: schemas.General1, Districts: []string{"500101"}}
	both := &Principal{ID: "two", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101", "500105"}}
	steward := &Principal{ID: "st", Role: RoleSteward, Clearance: schemas.Core}
	scene := &Principal{ID: "sc", Role: RoleScene, Clearance: schemas.Core}
	forWZ := &Run{ID: "r", Entry: e.ResourceCode, District: "500101"}
	for _, c := range []struct {
		reader, submitter *Principal
		want              bool
	}{
		{wz, wz, true},
		{wz, wzColleague, true},
		{wz, both, false},    // its rows may be 江北's
		{wz, steward, false}, // a steward's load "for" 万州 may carry any district's rows
		{wz, nil, false},     // the operator's likewise
		{both, wz, true},
		{steward, wz, true},
		{steward, nil, true},
		{scene, steward, false}, // may read the entry, may not load it
	} {
		assert.Equal(t, c.want, MayReadRejects(c.reader, e, forWZ, c.submitter), "%s reading %v's run", c.reader.ID, c.submitter)
	}
	other := &Run{ID: "r2", Entry: e.ResourceCode, District: "500105"}
	assert.False(t, MayReadRejects(wz, e, other, wz), "another district's run is not 万州's to see")
}

// TestMaySeeRunIsTheDecision: the figure's shortcut answers as the decision's MaySeeRun.
func TestMaySeeRunIsTheDecision(t *testing.T) {
	city := validEntry("000001", "a")
	own := validEntry("000002", "b")
	own.District = "500101"
	high := validEntry("000003", "c")
	setItem(high, 1, func(it *Item) { it.Grade = schemas.Core })
	runs := []*Run{{ID: "r1", District: "500101"}, {ID: "r2", District: "500102"}, {ID: "r3"}}
	for _, p := range []*Principal{
		{ID: "s", Role: RoleSteward, Clearance: schemas.General4},
		{ID: "d", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}},
		{ID: "x", Role: RoleDistrict, Clearance: schemas.General2},
		{ID: "off", Role: RoleAnalyst, Clearance: schemas.Core, Disabled: true},
	} {
		for _, e := range []*Entry{city, own, high} {
			for _, r := range runs {
				assert.Equal(t, decideNoGrants(p, e).MaySeeRun(r), maySeeRun(p, e, r), "%s %s %s", p.ID, e.ResourceCode, r.ID)
			}
		}
	}
}
