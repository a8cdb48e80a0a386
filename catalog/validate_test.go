package catalog

import (
	"context"
	"fmt"
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
		{"resource code category", func(e *Entry) { e.ResourceCode = "0102/000009" }, []string{"resource_code", "分类码“0102”与 category_code “0101”不一致"}},
		{"category code", func(e *Entry) { e.ResourceCode, e.CategoryCode = "99/000009", "99" }, []string{"category_code: “99”不在代码表 categories（资源分类）中"}},
		{"table identifier", func(e *Entry) { e.Table = "Air-Daily" }, []string{"table: 标识符“Air-Daily”须以小写英文字母开头"}},
		{"table reserved", func(e *Entry) { e.Table = "select" }, []string{"table: 标识符“select”是保留字"}},
		{"table unique", func(e *Entry) { e.Table = "taken_table" }, []string{"table: “taken_table”已被目录 0101/000001 使用"}},
		{"name", func(e *Entry) { e.Name = " " }, []string{"name: 必填"}},
		{"provider name", func(e *Entry) { e.ProviderName = "" }, []string{"provider_name: 必填"}},
		{"provider code", func(e *Entry) { e.ProviderCode = "12345" }, []string{"provider_code: “12345”不是 18 位统一社会信用代码"}},
		{"abstract", func(e *Entry) { e.Abstract = "" }, []string{"abstract: 必填"}},
		{"format type", func(e *Entry) { e.FormatType = "PDF" }, []string{"format_type: “PDF”不在代码表 format_types（资源格式）中（可选：DOCUMENT、"}},
		{"share type", func(e *Entry) { e.ShareType = "SOMETIMES" }, []string{"share_type: “SOMETIMES”不在代码表 share_types"}},
		{"share condition", func(e *Entry) { e.ShareType = "CONDITIONAL" }, []string{"share_condition: 必填"}},
		{"share mode", func(e *Entry) { e.ShareMode = "FAX" }, []string{"share_mode: “FAX”不在代码表"}},
		{"open type", func(e *Entry) { e.OpenType = "OPEN" }, []string{"open_type: “OPEN”不在代码表"}},
		{"update cycle", func(e *Entry) { e.UpdateCycle = "HOURLY" }, []string{"update_cycle: “HOURLY”不在代码表 update_cycles（更新周期）中"}},
		{"status", func(e *Entry) { e.Status = "" }, []string{"status: 必填，取代码表 entry_statuses（目录状态）中的值（可选：DRAFT、"}},
		{"source kind", func(e *Entry) { e.SourceKind = "EMAIL" }, []string{"source_kind: “EMAIL”不在代码表"}},
		{"grade override", func(e *Entry) { e.GradeOverride = "TOP_SECRET" }, []string{"grade_override: “TOP_SECRET”不在代码表 grades（数据分级）中"}},
		{"exempt reason", func(e *Entry) { e.Exempt = true }, []string{"exempt_reason: 必填"}},
		{"no items", func(e *Entry) { e.Items = ItemList{} }, []string{"items: 至少需要一个信息项"}},
		{"item field identifier", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Field = "PM2.5" }) }, []string{"items[1] (PM2.5).field: 标识符“PM2.5”"}},
		{"item field unique", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Field = "district" }) }, []string{"items[1] (district).field: “district”与 items[0] 重复"}},
		{"item name unique", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Name = "区县" }) }, []string{"items[1] (pm25).name: “区县”与 items[0] 重名"}},
		{"item field and name unique among many", func(e *Entry) {
			for i := range 70 {
				addItems(e, Item{Name: fmt.Sprintf("指标%d", i), Field: fmt.Sprintf("f%d", i), Type: schemas.Float, Grade: schemas.General1})
			}
			setItem(e, 71, func(it *Item) { it.Name, it.Field = "指标3", "f3" })
		}, []string{"items[71] (f3).name: “指标3”与 items[5] 重名", "items[71] (f3).field: “f3”与 items[5] 重复"}},
		{"item name required", func(e *Entry) { setItem(e, 0, func(it *Item) { it.Name = "" }) }, []string{"items[0] (district).name: 必填"}},
		{"item type", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Type = "DECIMAL" }) }, []string{"items[1] (pm25).type: “DECIMAL”不在代码表 data_types（数据类型）中"}},
		{"item length", func(e *Entry) { setItem(e, 0, func(it *Item) { it.Length = -1 }) }, []string{"items[0] (district).length: 长度 -1 不能为负数"}},
		{"item grade", func(e *Entry) { setItem(e, 1, func(it *Item) { it.Grade = "" }) }, []string{"items[1] (pm25).grade: 必填"}},
		{"item pi type", func(e *Entry) { setItem(e, 0, func(it *Item) { it.PIType = "QQ" }) }, []string{"items[0] (district).pi_type: “QQ”不在代码表 pi_types（个人信息类型）中"}},
		{"item pi type on a number", func(e *Entry) { setItem(e, 1, func(it *Item) { it.PIType = "MOBILE" }) }, []string{"items[1] (pm25).pi_type: 个人信息项须为字符串类型才能脱敏（当前类型 FLOAT）"}},
		{"item code list", func(e *Entry) { setItem(e, 0, func(it *Item) { it.CodeList = "provinces" }) }, []string{"items[0] (district).code_list: “provinces”不是代码表（可选：categories、"}},
		{"domains required", func(e *Entry) { e.Domains = nil }, []string{"domains: 至少需要一个治理领域"}},
		{"domain code", func(e *Entry) { e.Domains = []string{"AIR", "SEA"} }, []string{"domains[1]: “SEA”不在代码表 domains（治理领域）中"}},
		{"domain twice", func(e *Entry) { e.Domains = []string{"AIR", "AIR"} }, []string{"domains[1]: “AIR”重复列出"}},
		{"related self", func(e *Entry) { e.RelatedCodes = []string{e.ResourceCode} }, []string{"related_codes[0]: 目录不能关联自身"}},
		{"related format", func(e *Entry) { e.RelatedCodes = []string{"x"} }, []string{"related_codes[0]: “x”不是资源代码"}},
		{"department missing", func(e *Entry) { e.Department = "GHOST_DIV" }, []string{"department: 部门“GHOST_DIV”不存在"}},
		{"department required", func(e *Entry) { e.Department = "" }, []string{"department: 必填"}},
		{"district", func(e *Entry) { e.District = "510100" }, []string{"district: “510100”不是区县代码"}},
		{"several at once", func(e *Entry) { e.Name, e.Abstract = "", "" }, []string{"name: 必填", "abstract: 必填"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := validEntry("000002", "fresh_table")
			c.mutate(e)
			idx := s.Index()
			err := s.PutEntry(ctx, e)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), "目录 "+e.ResourceCode)
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
	assert.Contains(t, err.Error(), "status: “ARCHIVED”不在代码表 entry_statuses（目录状态）中")

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
		{Department{Code: "water div", Name: "水", Kind: DepartmentDivision}, "部门 water div: code: “water div”须以大写英文字母开头"},
		{Department{Code: "WATER_DIV", Kind: DepartmentDivision}, "部门 WATER_DIV: name: 必填"},
		{Department{Code: "WATER_DIV", Name: "水", Kind: "office"}, "kind: “office”不是部门类别（可选：division（处室）"},
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
		{func(p *Principal) { p.ID = "" }, "id: “”须为 1 至 128 个英文字母、数字或 _ . : -"},
		{func(p *Principal) { p.Name = "" }, "账号 p1: name: 必填"},
		{func(p *Principal) { p.Role = "root" }, "role: “root”不在代码表 roles（角色）中（可选：admin、steward、"},
		{func(p *Principal) { p.Role = RoleDistrict }, "districts: 区县生态环境局账号至少需要一个区县"},
		{func(p *Principal) { p.Clearance = "" }, "clearance: 必填，取代码表 grades（数据分级）中的值"},
		{func(p *Principal) { p.Department = "no such dept" }, "department: “no such dept”不是部门代码"},
		{func(p *Principal) { p.Districts = []string{"500101", "999999"} }, "districts[1]: “999999”不是区县代码"},
		{func(p *Principal) { p.TokenHash = "plain-token" }, "token_hash: 须为令牌的 SHA-256 摘要"},
		{func(p *Principal) { p.TokenHash = HashToken("t0") }, "token_hash: 已被账号 taken 使用"},
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
		{Run{ID: "r2", Entry: "0101/000001", Status: RunSucceeded}, "status: “SUCCEEDED”应为 RUNNING"},
		{Run{ID: "r1", Entry: "0101/000001", Status: RunRunning}, "id: 归集运行“r1”已存在"},
		{Run{ID: "", Entry: "0101/000001", Status: RunRunning}, "id: “”须为"},
		{Run{ID: "r2", Entry: "0101/000404", Status: RunRunning}, "entry: 目录“0101/000404”不存在"},
		{Run{ID: "r2", Entry: "0101/000002", Status: RunRunning}, "entry: 目录 0101/000002 为涉密资源，不归集入湖"},
		{Run{ID: "r2", Entry: "0101/000001", Status: RunRunning, District: "123"}, "district: “123”不是区县代码"},
		{Run{ID: "r2", Entry: "0101/000001", Status: RunRunning, Principal: "ghost"}, "principal: 账号“ghost”不存在"},
	}
	for _, c := range begins {
		err := s.BeginRun(ctx, c.r)
		require.ErrorIs(t, err, ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
	}

	assert.ErrorIs(t, s.FailRun(ctx, Run{ID: "nope"}), ErrNotFound)
	err := s.FailRun(ctx, Run{ID: "r1", RowsRejected: -3})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "rows: 行数不能为负数（读取 0，接收 0，拒绝 -3）")
	err = s.FailRun(ctx, Run{ID: "r1", Status: RunSucceeded})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "status: “SUCCEEDED”应为 FAILED（或留空）")
	require.NoError(t, s.FailRun(ctx, Run{ID: "r1", Error: "文件缺少表头", RowsRead: 3, RowsRejected: 3, RejectedKey: "rejected/r1.csv"}))
	r, err := s.View().Run("r1")
	require.NoError(t, err)
	assert.Equal(t, RunFailed, r.Status)
	assert.Equal(t, "文件缺少表头", r.Error)
	assert.False(t, r.FinishedAt.IsZero())
	err = s.FailRun(ctx, Run{ID: "r1"})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "status: 运行已结束（状态 ")
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
		{"parent differs from expected", snap("s1", "sX"), ok, "", "snapshot.parent: “sX”应等于预期的上一快照“”"},
		{"status", snap("s1", ""), Run{ID: "r1", Status: RunFailed}, "", "run.status: “FAILED”应为 SUCCEEDED 或 PARTIAL"},
		{"succeeded with rejects", snap("s1", ""), Run{ID: "r1", Status: RunSucceeded, RowsRejected: 1, RejectedKey: "x"}, "", "run.status: 拒绝了 1 行时状态应为 PARTIAL 而非 SUCCEEDED"},
		{"partial without rejected file", snap("s1", ""), Run{ID: "r1", Status: RunPartial, RowsRejected: 1}, "", "rejected_key: 拒绝了 1 行，却未指明拒绝行文件"},
		{"manifest", Snapshot{ID: "s1", Entry: code}, ok, "", "snapshot.manifest_key: 必填"},
		{"snapshot run differs", func() Snapshot { x := snap("s1", ""); x.Run = "r2"; return x }(), ok, "", "snapshot.run: “r2”与归集运行“r1”不一致"},
		{"run of another entry", snap("s1", ""), Run{ID: "r1", Entry: "0101/000009", Status: RunSucceeded}, "", "entry: “0101/000009”与运行所属目录“0101/000001”不一致"},
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
	assert.Contains(t, err.Error(), "snapshot.id: 快照“s1”已存在；快照编号从不复用")
	err = s.CommitSnapshot(ctx, snap("s3", "s2"), ok, "s2")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "status: 运行已结束（状态 ")
}
