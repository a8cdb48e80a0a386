package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// directoryStore fills a store straight into the state with n entries whose codes vary, seeded.
func directoryStore(t *testing.T, n int, vary func(i int, e *Entry)) *Store {
	t.Helper()
	s, _ := newTestStore(t)
	txn := s.head.Txn(true)
	for i := range n {
		e := validEntry(fmt.Sprintf("%06d", i), fmt.Sprintf("t_%06d", i))
		vary(i, e)
		require.NoError(t, insertEntry(txn, e))
	}
	txn.Commit()
	s.publishHead()
	return s
}

func randomEntry(r *rand.Rand) func(int, *Entry) {
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	return func(i int, e *Entry) {
		e.CategoryCode = pick("01", "0101", "0102", "0201", "07")
		e.ResourceCode = fmt.Sprintf("%s/%06d", e.CategoryCode, r.IntN(1_000_000)*1000+i) // unique, shuffled
		all := []string{"AIR", "WATER", "SOIL"}
		e.Domains = nil
		for _, d := range all {
			if r.IntN(2) == 0 {
				e.Domains = append(e.Domains, d)
			}
		}
		e.Department = pick("AIR_DIV", "WATER_DIV", "")
		e.District = pick(schemas.CityCode, "500101", "500102")
		g := schemas.Grade(pick("GENERAL_1", "GENERAL_2", "GENERAL_3", "IMPORTANT"))
		setItem(e, 1, func(it *Item) { it.Grade = g })
		e.ShareType = pick("UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED")
		e.UpdateCycle = schemas.UpdateCycle(pick("DAILY", "MONTHLY"))
		e.Status = pick(StatusDraft, StatusPublished, StatusRetired)
	}
}

// matches is the filter spelled out, to check the indexes against.
func matches(f DirectoryFilter, e *Entry) bool {
	inCategory := f.Category == ""
	for c := e.CategoryCode; c != "" && !inCategory; {
		inCategory = c == f.Category
		code, _ := schemas.Categories.Lookup(c)
		c = code.Extra["parent"]
	}
	return inCategory &&
		(f.Domain == "" || slices.Contains(e.Domains, f.Domain)) &&
		(f.Department == "" || e.Department == f.Department) &&
		(f.District == "" || e.District == f.District) &&
		(f.Grade == "" || string(e.Grade()) == f.Grade) &&
		(f.ShareType == "" || e.ShareType == f.ShareType) &&
		(f.UpdateCycle == "" || string(e.UpdateCycle) == f.UpdateCycle) &&
		(f.Status == "" || e.Status == f.Status)
}

func codesOf(es []*Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ResourceCode)
	}
	return out
}

func TestDirectoryFiltersAndPages(t *testing.T) {
	s := directoryStore(t, 400, randomEntry(rand.New(rand.NewPCG(6, 6))))
	v := s.View()
	principals := []*Principal{
		{ID: "admin", Role: RoleAdmin, Clearance: schemas.Core},
		{ID: "wz", Role: RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}},
		{ID: "low", Role: RoleAnalyst, Clearance: schemas.General1},
	}
	filters := []DirectoryFilter{
		{},
		{Category: "01"}, // a parent: 01, 0101 and 0102
		{Category: "0102"},
		{Category: "07", Status: StatusPublished},
		{Domain: "WATER"},
		{Domain: "AIR", Department: "WATER_DIV"},
		{Department: "AIR_DIV", District: "500101", Status: StatusDraft},
		{Department: "WATER_DIV"},
		{Department: "NO_SUCH_DIV"},
		{District: schemas.CityCode},
		{Grade: "GENERAL_3"},
		{Grade: "GENERAL_2", ShareType: "CONDITIONAL", UpdateCycle: "MONTHLY"},
		{Category: "0101", Domain: "SOIL", Department: "AIR_DIV", District: "500102", Grade: "GENERAL_1", ShareType: "NOT_SHARED", UpdateCycle: "DAILY", Status: StatusRetired},
		{Status: "NO_SUCH_STATUS"},
		{Category: "0103"}, // a category no entry uses
	}
	for _, p := range principals {
		for _, f := range filters {
			t.Run(fmt.Sprintf("%s %+v", p.ID, f), func(t *testing.T) {
				var want []string
				for _, e := range v.Entries() {
					if exists(p, e) && matches(f, e) {
						want = append(want, e.ResourceCode)
					}
				}
				assert.Equal(t, len(want), v.DirectoryCount(p, f))
				var got []string
				after := ""
				for pages := 0; ; pages++ {
					require.Less(t, pages, 100)
					page := v.Directory(p, f, 7, after)
					got = append(got, codesOf(page.Entries)...)
					if !page.HasNext {
						break
					}
					require.Len(t, page.Entries, 7, "a page before the last is full")
					after = page.Entries[len(page.Entries)-1].ResourceCode
				}
				assert.Equal(t, want, got)
			})
		}
	}
}

func TestDirectoryNobodySeesNothing(t *testing.T) {
	s := directoryStore(t, 20, randomEntry(rand.New(rand.NewPCG(1, 2))))
	v := s.View()
	assert.Empty(t, v.Directory(nil, DirectoryFilter{}, 10, "").Entries)
	disabled := &Principal{ID: "x", Role: RoleAdmin, Clearance: schemas.Core, Disabled: true}
	assert.Empty(t, v.Directory(disabled, DirectoryFilter{}, 10, "").Entries)
	assert.Zero(t, v.DirectoryCount(disabled, DirectoryFilter{}))
}

// TestDirectoryWorkFollowsTheMatches: the list reads from the indexes about as many entries as
// it returns, not the directory: a rare department among 5,000 entries, intersected with a
// common status, and a first page with no filter.
func TestDirectoryWorkFollowsTheMatches(t *testing.T) {
	s := directoryStore(t, 5000, func(i int, e *Entry) {
		e.Status = StatusPublished
		if i%2 == 0 {
			e.Status = StatusDraft
		}
		if i%1000 == 1 {
			e.Department = "WATER_DIV" // 5 entries, all published
		}
		if i%1000 == 3 {
			e.Status = StatusRetired // 5 entries, in the common department
		}
	})
	v := s.View()
	admin := &Principal{ID: "a", Role: RoleAdmin, Clearance: schemas.Core}
	var got []string
	read := v.scan(DirectoryFilter{Department: "WATER_DIV", Status: StatusPublished}, "", func(e *Entry) bool {
		got = append(got, e.ResourceCode)
		return true
	})
	assert.Equal(t, []string{"0101/000001", "0101/001001", "0101/002001", "0101/003001", "0101/004001"}, got)
	assert.LessOrEqual(t, read, 4*len(got)+4, "leapfrogging reads about the rare stream, not the common one")

	// The common department drives; the rare status, refusing its entries, jumps ahead.
	got = nil
	read = v.scan(DirectoryFilter{Department: "AIR_DIV", Status: StatusRetired}, "", func(e *Entry) bool {
		got = append(got, e.ResourceCode)
		return true
	})
	assert.Equal(t, []string{"0101/000003", "0101/001003", "0101/002003", "0101/003003", "0101/004003"}, got)
	assert.LessOrEqual(t, read, (missesBeforeJump+4)*(len(got)+1), "a rare filter beside a common driver jumps")

	n := 0
	read = v.scan(DirectoryFilter{}, "0101/002500", func(*Entry) bool { n++; return n < 10 })
	assert.Equal(t, 10, read, "a page of 10 after a cursor reads 10 entries")

	page := v.Directory(admin, DirectoryFilter{Department: "WATER_DIV"}, 2, "0101/001001")
	assert.Equal(t, []string{"0101/002001", "0101/003001"}, codesOf(page.Entries))
	assert.True(t, page.HasNext)
}

func TestDirectoryIndexFollowsChanges(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	e := validEntry("000001", "air_daily")
	require.NoError(t, s.PutEntry(ctx, e))
	admin := &Principal{ID: "a", Role: RoleAdmin, Clearance: schemas.Core}
	drafts := DirectoryFilter{Status: StatusDraft}
	assert.Equal(t, 1, s.View().DirectoryCount(admin, drafts))
	require.NoError(t, s.SetEntryStatus(ctx, e.ResourceCode, StatusPublished))
	assert.Zero(t, s.View().DirectoryCount(admin, drafts))
	assert.Equal(t, 1, s.View().DirectoryCount(admin, DirectoryFilter{Status: StatusPublished}))

	// The grade index follows the items: upgrading one item moves the entry.
	setItem(e, 1, func(it *Item) { it.Grade = schemas.Important })
	e.Status = StatusPublished
	require.NoError(t, s.PutEntry(ctx, e))
	assert.Zero(t, s.View().DirectoryCount(admin, DirectoryFilter{Grade: "GENERAL_2"}))
	assert.Equal(t, 1, s.View().DirectoryCount(admin, DirectoryFilter{Grade: "IMPORTANT"}))
}

// The keys of the directory's filters and of the table name are rows of their own, written only
// when a value changes: moving an entry to another department, district and table moves every
// key, leaves no stale one behind, and survives a restart (keys are rebuilt, not stored).
func TestEntryKeysFollowMoves(t *testing.T) {
	clock := newClock()
	cfg := testConfig(t.TempDir(), clock)
	s := openTest(t, cfg)
	ctx := t.Context()
	for _, d := range []Department{{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}, {Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}} {
		require.NoError(t, s.PutDepartment(ctx, d))
	}
	e := validEntry("000001", "air_daily")
	e.District = "500101"
	require.NoError(t, s.PutEntry(ctx, e))
	other := validEntry("000002", "air_hourly")
	require.NoError(t, s.PutEntry(ctx, other))

	e.Department, e.District, e.Table = "WATER_DIV", "500102", "water_daily"
	require.NoError(t, s.PutEntry(ctx, e))
	admin := &Principal{ID: "a", Role: RoleAdmin, Clearance: schemas.Core}
	check := func(s *Store) {
		v := s.View()
		codes := func(f DirectoryFilter) []string {
			var out []string
			for _, x := range v.Directory(admin, f, 10, "").Entries {
				out = append(out, x.ResourceCode)
			}
			return out
		}
		assert.Equal(t, []string{other.ResourceCode}, codes(DirectoryFilter{Department: "AIR_DIV"}))
		assert.Equal(t, []string{e.ResourceCode}, codes(DirectoryFilter{Department: "WATER_DIV"}))
		assert.Empty(t, codes(DirectoryFilter{District: "500101"}))
		assert.Zero(t, v.DirectoryCount(admin, DirectoryFilter{District: "500101"}))
		assert.Equal(t, 1, v.DirectoryCount(admin, DirectoryFilter{District: "500102"}))
		assert.Equal(t, 2, v.DirectoryCount(admin, DirectoryFilter{}))
		assert.Equal(t, 1, v.DirectoryCount(admin, DirectoryFilter{Department: "WATER_DIV"}))
		assert.Equal(t, 1, v.DirectoryCount(admin, DirectoryFilter{Department: "AIR_DIV"}))
		assert.Equal(t, []string{e.ResourceCode}, codes(DirectoryFilter{District: "500102", Department: "WATER_DIV"}))
		got, err := v.EntryByTable("water_daily")
		require.NoError(t, err)
		assert.Equal(t, e.ResourceCode, got.ResourceCode)
		_, err = v.EntryByTable("air_daily")
		assert.ErrorIs(t, err, ErrNotFound, "the old table name is free again")
		sets := map[string]int{}
		each(v.txn, tableKeySets, indexID, func(k *keySet) { sets[strings.ReplaceAll(k.Key, "\x00", "=")] = setLen(k.codes) })
		assert.Equal(t, map[string]int{
			"t=air_hourly": 1, "t=water_daily": 1, "d=AIR_DIV": 1, "d=WATER_DIV": 1,
			"r=500102": 1, "r=" + other.District: 1, "g=" + string(e.Grade()): 2,
		}, sets, "one set per value held, none stale or empty")
	}
	check(s)
	require.NoError(t, s.Close())
	s = openTest(t, cfg)
	defer s.Close()
	check(s)
}

// A table named after its entry's code (defaultTable) has no key row: its name gives the code.
// It is found by name all the same, and a custom table name equal to another entry's default
// name is refused, whichever of the two came first.
func TestDefaultTableNamesNeedNoKey(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	a := validEntry("000001", defaultTable("0101/000001"))
	require.NoError(t, s.PutEntry(ctx, a))
	v := s.View()
	got, err := v.EntryByTable("res_0101_000001")
	require.NoError(t, err)
	assert.Equal(t, a.ResourceCode, got.ResourceCode)
	assert.Nil(t, keySetOf(v.txn, setKey(keyTable, a.Table)), "department, district and grade only")
	_, err = v.EntryByTable("res_0101_000009")
	assert.ErrorIs(t, err, ErrNotFound)

	// A custom name that spells an existing entry's default name is taken.
	b := validEntry("000002", "res_0101_000001")
	assert.ErrorIs(t, s.PutEntry(ctx, b), ErrInvalid)
	// A custom name that spells the default name of an entry not yet registered is keyed, and
	// that entry cannot then take its default name.
	c := validEntry("000003", "res_0101_000004")
	require.NoError(t, s.PutEntry(ctx, c))
	got, err = s.View().EntryByTable("res_0101_000004")
	require.NoError(t, err)
	assert.Equal(t, c.ResourceCode, got.ResourceCode)
	d := validEntry("000004", defaultTable("0101/000004"))
	assert.ErrorIs(t, s.PutEntry(ctx, d), ErrInvalid)
}
