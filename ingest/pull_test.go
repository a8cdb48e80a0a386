package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// pullEnv is an env with the test entry, a memtest store named after the test, and stewards of
// the entry's department and of another one.
func pullEnv(t *testing.T) (*env, *memStore) {
	t.Helper()
	e := newEnv(t, DefaultConfig())
	e.putEntry(func(en *catalog.Entry) { // graded 一般 3 through its remark
		items := en.Items.Slice()
		items[7].Grade = schemas.General3
		en.Items = catalog.ItemsOf(items...)
	})
	ctx := context.Background()
	require.NoError(t, e.cat.PutDepartment(ctx, catalog.Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: catalog.DepartmentDivision}))
	for _, p := range []catalog.Principal{
		{ID: "air_steward", Name: "大气处数据管理员", Role: catalog.RoleSteward, Department: "AIR_DIV", Clearance: schemas.General3},
		{ID: "water_steward", Name: "水处数据管理员", Role: catalog.RoleSteward, Department: "WATER_DIV", Clearance: schemas.General3},
		{ID: "yz_district", Name: "渝中区报送员", Role: catalog.RoleDistrict, Districts: []string{"500103"}, Clearance: schemas.General3},
		{ID: "analyst", Name: "分析人员", Role: catalog.RoleAnalyst, Clearance: schemas.Core},
		{ID: "low_admin", Name: "低密级管理员", Role: catalog.RoleAdmin, Clearance: schemas.General2},
	} {
		require.NoError(t, e.cat.PutPrincipal(ctx, p))
	}
	return e, newMemStore(t.Name())
}

func (e *env) connect(p *catalog.Principal, name string, mut func(*Connect)) error {
	c := Connect{Entry: "0101/000001", Kind: "memtest", Config: map[string]string{"name": name, "token": "s3cr3t-token"}, Enabled: true}
	if mut != nil {
		mut(&c)
	}
	return e.svc.Connect(context.Background(), p, c)
}

func row(code, at string) []string {
	return []string{code, "渝中区", at[:10], "35.5", at}
}

func TestPullIncremental(t *testing.T) {
	e, st := pullEnv(t)
	ctx := context.Background()
	steward := e.principal("air_steward")
	require.NoError(t, e.connect(steward, t.Name(), nil))
	st.add(row("S1", "2025-03-01 08:00:00"), row("S2", "2025-03-01 09:00:00"), row("S3", "2025-03-01 10:00:00"))

	first, err := e.svc.Pull(ctx, steward, "0101/000001")
	require.NoError(t, err)
	require.NotNil(t, first.Snapshot)
	assert.Equal(t, catalog.RunSucceeded, first.Run.Status)
	assert.Equal(t, KindPull, first.Run.Kind)
	assert.Equal(t, "memtest "+t.Name(), first.Run.Source)
	assert.Equal(t, int64(3), first.Run.RowsAccepted)
	assert.Positive(t, first.Run.Bytes, "the records' text read")
	assert.Equal(t, "2025-03-01 10:00:00", first.Run.Watermark)
	conn, err := e.cat.View().ConnectionFor(steward, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "2025-03-01 10:00:00", conn.Watermark, "the watermark moved with the commit")
	assert.Equal(t, 0, conn.Failures)

	e.svc = e.svc.WithClock(func() time.Time { return time.Now().Add(time.Hour) })
	again, err := e.svc.Pull(ctx, steward, "0101/000001")
	require.NoError(t, err)
	assert.Nil(t, again.Snapshot, "nothing new: no snapshot")
	assert.True(t, again.Unchanged)
	assert.Equal(t, catalog.RunUnchanged, again.Run.Status)
	assert.Equal(t, ReasonNoNewRecords, again.Run.Error)
	assert.Empty(t, again.Run.ID, "and no run: a 实时 entry polled all day would pile up runs that say nothing")
	assert.Len(t, e.cat.View().Runs("0101/000001"), 1)
	assert.Len(t, e.rows("0101/000001"), 3)
	conn, err = e.cat.View().ConnectionFor(steward, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "2025-03-01 10:00:00", conn.Watermark)
	assert.True(t, conn.LastAttempt.After(time.Now().Add(30*time.Minute)), "the attempt is noted: the scheduler reckons from it")

	st.add(row("S4", "2025-03-02 08:00:00"), []string{"S5", "不是区县", "2025-03-02", "1", "2025-03-02 09:00:00"})
	e.svc.cfg.MaxRejectedShare = 1
	third, err := e.svc.Pull(ctx, steward, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, catalog.RunPartial, third.Run.Status)
	assert.Equal(t, int64(2), third.Run.RowsRead, "only records newer than the watermark are read")
	assert.Equal(t, int64(1), third.Run.RowsRejected)
	require.NotEmpty(t, third.Rejects)
	assert.Equal(t, 3, third.Rejects[0].Row, "a rejected record is named by its number in the pull")
	assert.Len(t, e.rows("0101/000001"), 4)
	conn, err = e.cat.View().ConnectionFor(steward, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "2025-03-02 09:00:00", conn.Watermark)
}

// A pull that fails commits nothing and leaves the watermark where it was: the next pull reads
// the same records again, and they are loaded once.
func TestPullFailureKeepsWatermark(t *testing.T) {
	e, st := pullEnv(t)
	ctx := context.Background()
	admin := catalog.Operator()
	require.NoError(t, e.connect(admin, t.Name(), nil))
	st.add(row("S1", "2025-03-01 08:00:00"))
	_, err := e.svc.Pull(ctx, admin, "0101/000001")
	require.NoError(t, err)

	for i := 0; i < 4; i++ {
		st.add(row(fmt.Sprintf("T%d", i), fmt.Sprintf("2025-03-02 0%d:00:00", i)))
	}
	st.failOn, st.failErr = 2, schemas.Userf(ErrSourceFailed, "第 3 页读取失败：HTTP 503（已重试 5 次）")
	res, err := e.svc.Pull(ctx, admin, "0101/000001")
	require.Error(t, err)
	require.NotNil(t, res)
	assert.Equal(t, catalog.RunFailed, res.Run.Status)
	assert.Contains(t, res.Run.Error, "第 3 页读取失败：HTTP 503")
	conn, err := e.cat.View().ConnectionFor(admin, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "2025-03-01 08:00:00", conn.Watermark, "a failed pull does not move the watermark")
	assert.Equal(t, 1, conn.Failures)
	assert.Len(t, e.rows("0101/000001"), 1, "nothing of the failed pull is visible")

	st.failOn = 0
	res, err = e.svc.Pull(ctx, admin, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, int64(4), res.Run.RowsAccepted, "the records of the failed pull are read again")
	assert.Len(t, e.rows("0101/000001"), 5, "and loaded once")
	conn, err = e.cat.View().ConnectionFor(admin, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, 0, conn.Failures)
	assert.Equal(t, "2025-03-02 03:00:00", conn.Watermark)
}

// Who may configure a connection, read it and trigger a pull is the catalogue's decision:
// administrators cleared for the entry, and stewards of the entry's department.
func TestConnectionAccess(t *testing.T) {
	e, st := pullEnv(t)
	ctx := context.Background()
	st.add(row("S1", "2025-03-01 08:00:00"))
	for _, id := range []string{"water_steward", "yz_district", "analyst"} {
		p := e.principal(id)
		err := e.connect(p, t.Name(), nil)
		require.ErrorIs(t, err, schemas.ErrForbidden, id)
	}
	err := e.connect(e.principal("low_admin"), t.Name(), nil)
	require.ErrorIs(t, err, catalog.ErrNotFound, "an entry above the clearance is not there")

	require.NoError(t, e.connect(e.principal("air_steward"), t.Name(), nil))
	for _, id := range []string{"water_steward", "yz_district", "analyst"} {
		p := e.principal(id)
		_, err := e.svc.Connection(p, "0101/000001")
		require.ErrorIs(t, err, schemas.ErrForbidden, id)
		_, err = e.svc.Pull(ctx, p, "0101/000001")
		require.ErrorIs(t, err, schemas.ErrForbidden, id)
		assert.Empty(t, e.svc.Plans(p, DefaultScheduleConfig()), "%s sees no schedule", id)
	}
	_, err = e.svc.Pull(ctx, e.principal("low_admin"), "0101/000001")
	require.ErrorIs(t, err, catalog.ErrNotFound)
	assert.Len(t, e.svc.Plans(e.principal("air_steward"), DefaultScheduleConfig()), 1)
	require.Empty(t, e.cat.View().Runs("0101/000001"), "no refused attempt began a run")
}

func TestConnectSpecAndSecrets(t *testing.T) {
	e, _ := pullEnv(t)
	steward := e.principal("air_steward")
	err := e.connect(steward, t.Name(), func(c *Connect) {
		c.Config = map[string]string{"page_size": "x", "colour": "red"}
	})
	var inv *schemas.InvalidError
	require.ErrorAs(t, err, &inv)
	fields := map[string]string{}
	for _, p := range inv.Problems {
		fields[p.Field] = p.Message
	}
	assert.Contains(t, fields, "colour", "unknown key named")
	assert.Contains(t, fields, "name", "missing required field named")
	assert.Contains(t, fields["page_size"], "不是整数")
	err = e.connect(steward, t.Name(), func(c *Connect) { c.Kind = "ftp" })
	require.ErrorIs(t, err, ErrInvalidConnector)
	err = e.connect(steward, t.Name(), func(c *Connect) { c.Schedule = "every day" })
	require.ErrorIs(t, err, ErrInvalidConnector)
	assert.Contains(t, err.Error(), "调度表达式")
	err = e.connect(steward, t.Name(), func(c *Connect) { c.Schedule = "@every 1s" })
	require.ErrorIs(t, err, ErrInvalidConnector)
	assert.Contains(t, err.Error(), "不足 1 分钟")
	require.NoError(t, e.connect(steward, t.Name(), func(c *Connect) { c.Schedule = "@every 1m" }))
	c0, err := e.cat.View().ConnectionFor(steward, "0101/000001")
	require.NoError(t, err)
	require.NoError(t, e.cat.DropConnection(context.Background(), steward, "0101/000001", c0.Revision))

	require.NoError(t, e.connect(steward, t.Name(), func(c *Connect) { c.Schedule = "0 2 * * *" }))
	shown, err := e.svc.Connection(steward, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "[redacted]", shown.Config["token"])
	assert.Equal(t, t.Name(), shown.Config["name"])

	// Sent back as shown, the secret is kept; a stale base is a conflict.
	require.NoError(t, e.connect(steward, t.Name(), func(c *Connect) {
		c.Config = shown.Config
		c.Base = shown.Revision
	}))
	stored, err := e.cat.View().ConnectionFor(steward, "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "s3cr3t-token", stored.Config["token"])
	err = e.connect(steward, t.Name(), func(c *Connect) { c.Base = shown.Revision })
	require.ErrorIs(t, err, catalog.ErrConflict)
	assert.NotContains(t, fmt.Sprint(Redacted("memtest", stored.Config)), "s3cr3t")
	assert.Equal(t, "[redacted]", fmt.Sprint(Secret("s3cr3t")))
	assert.NotContains(t, fmt.Sprintf("%#v %v %s", stored.Config["token"], Secret("s3cr3t"), Secret("s3cr3t")), "s3cr3t\"")
}

// The connection and its pull state survive a restart: they are journaled and checkpointed.
func TestConnectionSurvivesRestart(t *testing.T) {
	e, st := pullEnv(t)
	ctx := context.Background()
	require.NoError(t, e.connect(catalog.Operator(), t.Name(), nil))
	st.add(row("S1", "2025-03-01 08:00:00"))
	_, err := e.svc.Pull(ctx, catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	require.NoError(t, e.cat.Close()) // closing writes the checkpoint the reopened store reads
	cfg := catalog.DefaultConfig()
	cfg.Dir = e.dir
	cat, err := catalog.Open(ctx, cfg, nil)
	require.NoError(t, err)
	defer cat.Close()
	c, err := cat.View().ConnectionFor(catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, "2025-03-01 08:00:00", c.Watermark)
	assert.Equal(t, "s3cr3t-token", c.Config["token"])
	assert.False(t, c.LastAttempt.IsZero())
	assert.False(t, c.LastSuccess.IsZero())
}

// Settings never print their values, whatever the verb: a secret is among them.
func TestSettingsPrintNoValues(t *testing.T) {
	c, ok := ConnectorOf("memtest")
	require.True(t, ok)
	set, err := c.Spec.Resolve(map[string]string{"name": "n", "token": "s3cr3t-token"})
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, set), "s3cr3t", verb)
	}
	assert.Equal(t, Secret("s3cr3t-token"), set.Secret("token"))
}

// A connection changed to another kind of source starts from the beginning: the old source's
// watermark means nothing to the new one.
func TestConnectionKindChangeDropsWatermark(t *testing.T) {
	e, st := pullEnv(t)
	ctx := context.Background()
	require.NoError(t, e.connect(catalog.Operator(), t.Name(), nil))
	st.add(row("S1", "2025-03-01 08:00:00"))
	_, err := e.svc.Pull(ctx, catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	c, err := e.cat.View().ConnectionFor(catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	require.NotEmpty(t, c.Watermark)
	require.NoError(t, e.connect(catalog.Operator(), t.Name(), func(cn *Connect) { cn.Base = c.Revision; cn.Schedule = "0 3 * * *" }))
	c2, err := e.cat.View().ConnectionFor(catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, c.Watermark, c2.Watermark, "the same kind keeps where it ended")
	require.NoError(t, e.cat.PutConnection(ctx, catalog.Operator(), catalog.Connection{Entry: "0101/000001", Kind: "other", Enabled: true}, c2.Revision))
	c3, err := e.cat.View().ConnectionFor(catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	assert.Empty(t, c3.Watermark)
	assert.False(t, c3.LastAttempt.IsZero(), "the attempts are the entry's history, kept")
}
