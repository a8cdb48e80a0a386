package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

func TestPutEntryRejectsBadFields(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "taken_table")))

	cases := []struct {
		name   string
		mutate func(e *Entry)
		want   []string // substrings of the error
	}{
		{"resource code format", func(e *Entry) { e.ResourceCode = "ABC" }, []string{"resource_code", "分类码/顺序码"}},
		{"resource code category", func(e *Entry) { e.ResourceCode = "0102/000009" }, []string{"resource_code", `"0102" differs from category_code "0101"`}},
		{"category code", func(e *Entry) { e.ResourceCode, e.CategoryCode = "99/000009", "99" }, []string{"category_code", `"99"`}},
		{"table identifier", func(e *Entry) { e.Table = "Air-Daily" }, []string{"table", "Air-Daily"}},
		{"table reserved", func(e *Entry) { e.Table = "select" }, []string{"table", "reserved"}},
		{"table unique", func(e *Entry) { e.Table = "taken_table" }, []string{"table", "already used by entry 0101/000001"}},
		{"name", func(e *Entry) { e.Name = " " }, []string{"name: is required"}},
		{"provider name", func(e *Entry) { e.ProviderName = "" }, []string{"provider_name"}},
		{"provider code", func(e *Entry) { e.ProviderCode = "12345" }, []string{"provider_code", "统一社会信用代码"}},
		{"abstract", func(e *Entry) { e.Abstract = "" }, []string{"abstract"}},
		{"format type", func(e *Entry) { e.FormatType = "PDF" }, []string{"format_type", "PDF"}},
		{"share type", func(e *Entry) { e.ShareType = "SOMETIMES" }, []string{"share_type"}},
		{"share condition", func(e *Entry) { e.ShareType = "CONDITIONAL" }, []string{"share_condition: is required"}},
		{"share mode", func(e *Entry) { e.ShareMode = "FAX" }, []string{"share_mode"}},
		{"open type", func(e *Entry) { e.OpenType = "OPEN" }, []string{"open_type"}},
		{"update cycle", func(e *Entry) { e.UpdateCycle = "HOURLY" }, []string{"update_cycle", "HOURLY"}},
		{"status", func(e *Entry) { e.Status = "" }, []string{"status"}},
		{"source kind", func(e *Entry) { e.SourceKind = "EMAIL" }, []string{"source_kind"}},
		{"grade override", func(e *Entry) { e.GradeOverride = "TOP_SECRET" }, []string{"grade_override"}},
		{"exempt reason", func(e *Entry) { e.Exempt = true }, []string{"exempt_reason: is required"}},
		{"no items", func(e *Entry) { e.Items = nil }, []string{"items: at least one"}},
		{"item field identifier", func(e *Entry) { e.Items[1].Field = "PM2.5" }, []string{"items[1] (PM2.5).field"}},
		{"item field unique", func(e *Entry) { e.Items[1].Field = "district" }, []string{"items[1] (district).field", "repeats items[0]"}},
		{"item name unique", func(e *Entry) { e.Items[1].Name = "区县" }, []string{"items[1] (pm25).name", "repeats items[0]"}},
		{"item name required", func(e *Entry) { e.Items[0].Name = "" }, []string{"items[0] (district).name: is required"}},
		{"item type", func(e *Entry) { e.Items[1].Type = "DECIMAL" }, []string{"items[1] (pm25).type", "DECIMAL"}},
		{"item length", func(e *Entry) { e.Items[0].Length = -1 }, []string{"items[0] (district).length"}},
		{"item grade", func(e *Entry) { e.Items[1].Grade = "" }, []string{"items[1] (pm25).grade"}},
		{"item pi type", func(e *Entry) { e.Items[0].PIType = "QQ" }, []string{"items[0] (district).pi_type", "QQ"}},
		{"item code list", func(e *Entry) { e.Items[0].CodeList = "provinces" }, []string{"items[0] (district).code_list", "provinces"}},
		{"domains required", func(e *Entry) { e.Domains = nil }, []string{"domains: at least one"}},
		{"domain code", func(e *Entry) { e.Domains = []string{"AIR", "SEA"} }, []string{"domains[1]", "SEA"}},
		{"domain twice", func(e *Entry) { e.Domains = []string{"AIR", "AIR"} }, []string{"domains[1]", "twice"}},
		{"related self", func(e *Entry) { e.RelatedCodes = []string{e.ResourceCode} }, []string{"related_codes[0]", "itself"}},
		{"related format", func(e *Entry) { e.RelatedCodes = []string{"x"} }, []string{"related_codes[0]"}},
		{"department missing", func(e *Entry) { e.Department = "GHOST_DIV" }, []string{"department", "GHOST_DIV", "does not exist"}},
		{"department required", func(e *Entry) { e.Department = "" }, []string{"department: is required"}},
		{"district", func(e *Entry) { e.District = "510100" }, []string{"district", "510100"}},
		{"several at once", func(e *Entry) { e.Name, e.Abstract = "", "" }, []string{"name: is required", "abstract: is required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := validEntry("000002", "fresh_table")
			c.mutate(e)
			idx := s.Index()
			err := s.PutEntry(ctx, e)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), "entry "+e.ResourceCode)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, idx, s.Index(), "a rejected command is not journaled")
		})
	}
	require.NoError(t, s.PutEntry(ctx, validEntry("000002", "fresh_table")), "the base entry is valid")
	assert.ErrorIs(t, s.PutEntry(ctx, nil), ErrInvalid)
}

func TestPutEntryKeepsSystemFields(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	created := clock.Now()
	e := validEntry("000001", "air_daily")
	e.CreatedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	e.CurrentSnapshot = "forged"
	require.NoError(t, s.PutEntry(ctx, e))
	got, err := s.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.True(t, created.Equal(got.CreatedAt))
	assert.Empty(t, got.CurrentSnapshot, "CurrentSnapshot moves only by CommitSnapshot")
	assert.True(t, got.PublishDate.IsZero())

	loadEntry(t, s, "0101/000001", "r1", "s1", "", clock.Now())
	clock.Advance(time.Hour)
	e = validEntry("000001", "air_daily_v2")
	e.Name = "改名后的资源"
	e.CurrentSnapshot = ""
	e.CreatedAt = time.Time{}
	require.NoError(t, s.PutEntry(ctx, e))
	got, err = s.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "s1", got.CurrentSnapshot)
	assert.True(t, created.Equal(got.CreatedAt))
	assert.True(t, clock.Now().Equal(got.UpdatedAt))
	assert.Equal(t, s.Index(), got.ModifyIndex)
	assert.Equal(t, "改名后的资源", got.Name)
	_, err = s.View().EntryByTable("air_daily")
	assert.ErrorIs(t, err, ErrNotFound, "the old table name is released")
}

func TestSetEntryStatus(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
	clock.Advance(48 * time.Hour)
	require.NoError(t, s.SetEntryStatus(ctx, "0101/000001", StatusPendingReview))
	got, _ := s.View().Entry("0101/000001")
	assert.True(t, got.PublishDate.IsZero())
	require.NoError(t, s.SetEntryStatus(ctx, "0101/000001", StatusPublished))
	got, _ = s.View().Entry("0101/000001")
	assert.Equal(t, StatusPublished, got.Status)
	assert.True(t, clock.Now().Equal(got.PublishDate))

	assert.ErrorIs(t, s.SetEntryStatus(ctx, "0101/000404", StatusPublished), ErrNotFound)
	err := s.SetEntryStatus(ctx, "0101/000001", "ARCHIVED")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "status")

	// a published entry put without a publish date gets the command time
	e := validEntry("000002", "air_hourly")
	e.Status = StatusPublished
	require.NoError(t, s.PutEntry(ctx, e))
	got, _ = s.View().Entry("0101/000002")
	assert.True(t, clock.Now().Equal(got.PublishDate))
}

func TestPutDepartmentAndPrincipalValidation(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	depts := []struct {
		d    Department
		want string
	}{
		{Department{Code: "water div", Name: "水", Kind: DepartmentDivision}, "code"},
		{Department{Code: "WATER_DIV", Kind: DepartmentDivision}, "name: is required"},
		{Department{Code: "WATER_DIV", Name: "水", Kind: "office"}, "kind"},
	}
	for _, c := range depts {
		err := s.PutDepartment(ctx, c.d)
		require.ErrorIs(t, err, ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
	}

	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "taken", Name: "甲", Role: RoleScene, Clearance: schemas.General1, TokenHash: HashToken("t0")}))
	base := Principal{ID: "p1", Name: "乙", Role: RoleSteward, Clearance: schemas.General3, TokenHash: HashToken("t1")}
	principals := []struct {
		mutate func(p *Principal)
		want   string
	}{
		{func(p *Principal) { p.ID = "" }, "id"},
		{func(p *Principal) { p.Name = "" }, "name"},
		{func(p *Principal) { p.Role = "root" }, "role"},
		{func(p *Principal) { p.Role = RoleDistrict }, "districts: a district principal needs at least one district"},
		{func(p *Principal) { p.Clearance = "" }, "clearance"},
		{func(p *Principal) { p.Department = "no such dept" }, "department"},
		{func(p *Principal) { p.Districts = []string{"500101", "999999"} }, "districts[1]"},
		{func(p *Principal) { p.TokenHash = "plain-token" }, "token_hash"},
		{func(p *Principal) { p.TokenHash = HashToken("t0") }, "already belongs to principal taken"},
	}
	for _, c := range principals {
		p := base
		c.mutate(&p)
		err := s.PutPrincipal(ctx, p)
		require.ErrorIs(t, err, ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
	require.NoError(t, s.PutPrincipal(ctx, Principal{ID: "wz", Name: "万州区", Role: RoleDistrict, Clearance: schemas.General2, TokenHash: HashToken("t2"), Districts: []string{"500101"}}))
	require.NoError(t, s.PutPrincipal(ctx, base))
	base.Name = "乙 (改)"
	require.NoError(t, s.PutPrincipal(ctx, base), "a principal may keep its own token hash")
}

func TestRunValidation(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
	secret := validEntry("000002", "secret_table")
	secret.Secret = true
	require.NoError(t, s.PutEntry(ctx, secret))
	require.NoError(t, s.BeginRun(ctx, Run{ID: "r1", Entry: "0101/000001", Status: RunRunning}))

	begins := []struct {
		r    Run
		want string
	}{
		{Run{ID: "r2", Entry: "0101/000001", Status: RunSucceeded}, "status"},
		{Run{ID: "r1", Entry: "0101/000001", Status: RunRunning}, "already exists"},
		{Run{ID: "", Entry: "0101/000001", Status: RunRunning}, "id"},
		{Run{ID: "r2", Entry: "0101/000404", Status: RunRunning}, "entry"},
		{Run{ID: "r2", Entry: "0101/000002", Status: RunRunning}, "涉密"},
		{Run{ID: "r2", Entry: "0101/000001", Status: RunRunning, District: "123"}, "district"},
		{Run{ID: "r2", Entry: "0101/000001", Status: RunRunning, Principal: "ghost"}, "principal"},
	}
	for _, c := range begins {
		err := s.BeginRun(ctx, c.r)
		require.ErrorIs(t, err, ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
	}

	assert.ErrorIs(t, s.FailRun(ctx, Run{ID: "nope"}), ErrNotFound)
	err := s.FailRun(ctx, Run{ID: "r1", RowsRejected: -3})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "negative")
	err = s.FailRun(ctx, Run{ID: "r1", Status: RunSucceeded})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "status")
	require.NoError(t, s.FailRun(ctx, Run{ID: "r1", Error: "文件缺少表头", RowsRead: 3, RowsRejected: 3, RejectedKey: "rejected/r1.csv"}))
	r, err := s.View().Run("r1")
	require.NoError(t, err)
	assert.Equal(t, RunFailed, r.Status)
	assert.Equal(t, "文件缺少表头", r.Error)
	assert.False(t, r.FinishedAt.IsZero())
	err = s.FailRun(ctx, Run{ID: "r1"})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "already finished")
}

func TestCommitSnapshot(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	const code = "0101/000001"
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_daily")))
	for _, id := range []string{"r1", "r2", "r3"} {
		require.NoError(t, s.BeginRun(ctx, Run{ID: id, Entry: code, Status: RunRunning}))
	}
	snap := func(id, parent string) Snapshot {
		return Snapshot{ID: id, Entry: code, Parent: parent, ManifestKey: "m/" + id, Rows: 5, Files: 1, Bytes: 10}
	}
	ok := Run{ID: "r1", Status: RunSucceeded, RowsRead: 5, RowsAccepted: 5}

	invalid := []struct {
		name   string
		snap   Snapshot
		run    Run
		parent string
		want   string
	}{
		{"parent differs from expected", snap("s1", "sX"), ok, "", "snapshot.parent"},
		{"status", snap("s1", ""), Run{ID: "r1", Status: RunFailed}, "", "run.status"},
		{"succeeded with rejects", snap("s1", ""), Run{ID: "r1", Status: RunSucceeded, RowsRejected: 1, RejectedKey: "x"}, "", "PARTIAL"},
		{"partial without rejected file", snap("s1", ""), Run{ID: "r1", Status: RunPartial, RowsRejected: 1}, "", "rejected_key"},
		{"manifest", Snapshot{ID: "s1", Entry: code}, ok, "", "manifest_key"},
		{"snapshot run differs", func() Snapshot { x := snap("s1", ""); x.Run = "r2"; return x }(), ok, "", "snapshot.run"},
		{"run of another entry", snap("s1", ""), Run{ID: "r1", Entry: "0101/000009", Status: RunSucceeded}, "", "run's entry"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			err := s.CommitSnapshot(ctx, c.snap, c.run, c.parent)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	assert.ErrorIs(t, s.CommitSnapshot(ctx, snap("s1", ""), Run{ID: "ghost", Status: RunSucceeded}, ""), ErrNotFound)
	assert.ErrorIs(t, s.CommitSnapshot(ctx, Snapshot{ID: "s1", Entry: "0101/000404", ManifestKey: "m"}, ok, ""), ErrNotFound)

	// first commit wins; the second, based on the same parent, conflicts and changes nothing
	require.NoError(t, s.CommitSnapshot(ctx, snap("s1", ""), ok, ""))
	idx := s.Index()
	err := s.CommitSnapshot(ctx, snap("s2", ""), Run{ID: "r2", Status: RunPartial, RowsRejected: 1, RejectedKey: "rej/r2"}, "")
	require.ErrorIs(t, err, ErrConflict)
	assert.Contains(t, err.Error(), `current snapshot is "s1", expected ""`)
	assert.Equal(t, idx, s.Index())
	v := s.View()
	_, err = v.Snapshot("s2")
	assert.ErrorIs(t, err, ErrNotFound)
	r2, _ := v.Run("r2")
	assert.Equal(t, RunRunning, r2.Status)

	// rebased on s1 it goes through
	clock.Advance(time.Minute)
	require.NoError(t, s.CommitSnapshot(ctx, snap("s2", "s1"), Run{ID: "r2", Status: RunPartial, RowsRead: 6, RowsAccepted: 5, RowsRejected: 1, RejectedKey: "rej/r2"}, "s1"))
	v = s.View()
	e, _ := v.Entry(code)
	assert.Equal(t, "s2", e.CurrentSnapshot)
	s2, err := v.Snapshot("s2")
	require.NoError(t, err)
	assert.Equal(t, "r2", s2.Run)
	assert.True(t, clock.Now().Equal(s2.CommittedAt))
	r2, _ = v.Run("r2")
	assert.Equal(t, RunPartial, r2.Status)
	assert.Equal(t, "s2", r2.Snapshot)
	assert.Equal(t, "rej/r2", r2.RejectedKey)
	assert.Equal(t, int64(1), r2.RowsRejected)

	// ids are never reused, finished runs cannot commit again
	err = s.CommitSnapshot(ctx, snap("s1", "s2"), Run{ID: "r3", Status: RunSucceeded}, "s2")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "never reused")
	err = s.CommitSnapshot(ctx, snap("s3", "s2"), ok, "s2")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "already finished")
}
