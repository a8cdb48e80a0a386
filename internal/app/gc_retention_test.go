package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/query"
)

// TestEntryRetentionSetThroughGraphQL: a steward sets an entry's retention to one snapshot
// through GraphQL (a change request a reviewer approves); after three loads of it and of an
// entry without a setting, a collection with the service's default (keep everything) expires the
// two older snapshots of the first and removes what only they referenced, and keeps every
// snapshot of the second; `catalog show` names the setting.
func TestEntryRetentionSetThroughGraphQL(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := grantSetup(t)
	const other = "0101/000002"
	a, err := Open(ctx, cfg, log, true)
	require.NoError(t, err)
	defer a.Close()
	e, err := a.Cat.View().Entry(grantEntryCode)
	require.NoError(t, err)
	e.ResourceCode, e.Table, e.Name, e.Revision, e.LastItemID = other, "outfall_contacts_2", "排污口联系人（二）", 0, 0
	items := e.Items.Slice()
	for i := range items {
		items[i].ID = 0
	}
	e.Items = catalog.ItemsOf(items...)
	require.NoError(t, a.Cat.PutEntry(ctx, e))

	v := a.Cat.View()
	zhang, err := v.Principal("zhang")
	require.NoError(t, err)
	li, err := v.Principal("li")
	require.NoError(t, err)
	gql := func(p *catalog.Principal, q string, vars map[string]any) map[string]any {
		t.Helper()
		res := a.Query.Do(ctx, p, query.Request{Query: q, Variables: vars})
		require.Empty(t, res.Errors, q)
		b, err := json.Marshal(res.Data)
		require.NoError(t, err)
		var out map[string]any
		require.NoError(t, json.Unmarshal(b, &out))
		return out
	}
	rev := func(p *catalog.Principal) int64 {
		d := gql(p, `query($c: String!) { entry(code: $c) { revision } }`, map[string]any{"c": grantEntryCode})
		return int64(d["entry"].(map[string]any)["revision"].(float64))
	}
	d := gql(zhang, `mutation($c: String!, $b: Long!) { editEntry(code: $c, base: $b, input: {retainSnapshots: 1}, reason: "只保留当前快照") {
		status changeRequest { proposed { retainSnapshots } } } }`, map[string]any{"c": grantEntryCode, "b": rev(zhang)})
	assert.Equal(t, `{"changeRequest":{"proposed":{"retainSnapshots":1}},"status":"DRAFT"}`, jsonText(t, d["editEntry"]), "the change request's draft")
	live, err := a.Cat.View().Entry(grantEntryCode)
	require.NoError(t, err)
	assert.Nil(t, live.RetainSnapshots, "the published entry keeps its retention until the review")
	gql(zhang, `mutation($c: String!, $b: Long!) { submitEntry(code: $c, base: $b, comment: "请审核") { status } }`,
		map[string]any{"c": grantEntryCode, "b": rev(zhang)})
	gql(li, `mutation($c: String!, $b: Long!) { approveEntry(code: $c, base: $b, comment: "同意") { status } }`,
		map[string]any{"c": grantEntryCode, "b": rev(li)})
	d = gql(zhang, `{ a: entry(code: "0101/000001") { retainSnapshots retainDays } b: entry(code: "0101/000002") { retainSnapshots retainDays } }`, nil)
	assert.Equal(t, `{"a":{"retainDays":null,"retainSnapshots":1},"b":{"retainDays":null,"retainSnapshots":null}}`, jsonText(t, d))

	for i := range 3 {
		for _, code := range []string{grantEntryCode, other} {
			_, err := a.Ingest.Submit(ctx, ingestAsOperator(code, "", fmt.Sprintf("排污口,联系电话\nK%d,13800138000\n", i)))
			require.NoError(t, err)
		}
	}
	v = a.Cat.View()
	snaps := v.Snapshots(grantEntryCode)
	require.Len(t, snaps, 3)
	cur, err := v.Entry(grantEntryCode)
	require.NoError(t, err)
	files := map[string][]string{}
	for _, s := range snaps {
		files[s.ID] = snapshotFiles(t, a, s)
	}

	gc := DefaultGCConfig()
	require.True(t, gc.Retention.Off(), "the service's default keeps every snapshot")
	gc.MinAge = 0
	now := time.Now()
	res, err := a.collect(ctx, gc, now, false)
	require.NoError(t, err)
	require.Len(t, res.plan.Expire, 2)
	// The record of loads is purged past DefaultHistoryDays: nothing of these is that old, but
	// the horizon is kept, and the collection says so.
	horizon := now.AddDate(0, 0, -DefaultHistoryDays).UTC()
	assert.True(t, res.history.Before.Equal(horizon), "%s", res.history.Before)
	assert.Empty(t, res.history.Runs)
	assert.True(t, a.Cat.View().HistoryPurgedBefore().Equal(horizon))
	var printed bytes.Buffer
	printGC(&printed, res, false)
	assert.Contains(t, printed.String(), "历史记录: 清理 "+horizon.In(audit.Zone).Format("2006-01-02")+" 之前的 0 个目录的 0 个已过期快照记录和 0 个运行记录")
	v = a.Cat.View()
	for _, s := range v.Snapshots(grantEntryCode) {
		assert.Equal(t, s.ID != cur.CurrentSnapshot, s.Expired(), "snapshot %s (current %s)", s.ID, cur.CurrentSnapshot)
	}
	for _, s := range v.Snapshots(other) {
		assert.False(t, s.Expired(), "the entry without a setting keeps snapshot %s", s.ID)
	}
	require.Len(t, v.Snapshots(other), 3)
	kept := map[string]bool{}
	for _, k := range files[cur.CurrentSnapshot] {
		kept[k] = true
		ok, err := present(a, k)
		require.NoError(t, err)
		assert.True(t, ok, "%s of the current snapshot is kept", k)
	}
	var freed int
	for _, s := range snaps {
		for _, k := range files[s.ID] {
			if kept[k] {
				continue
			}
			ok, err := present(a, k)
			require.NoError(t, err)
			assert.False(t, ok, "%s, referenced only by expired %s, is collected", k, s.ID)
			freed++
		}
	}
	assert.Positive(t, freed)

	// A collection a day on, keeping a day of history, purges the records of the two expired
	// snapshots and of their runs; the entry's current snapshot and the other entry's stay.
	gc.HistoryDays = 1
	res, err = a.collect(ctx, gc, time.Now().AddDate(0, 0, 1), false)
	require.NoError(t, err)
	assert.Equal(t, catalog.HistoryPurge{Snapshots: 2, Runs: 2}, res.purged)
	assert.Equal(t, []string{cur.CurrentSnapshot}, snapshotIDsOf(a.Cat.View().Snapshots(grantEntryCode)))
	assert.Len(t, a.Cat.View().Snapshots(other), 3)
	require.NoError(t, a.Close())

	var out bytes.Buffer
	require.Equal(t, ExitOK, RunCatalogShow(ctx, cfg, CatalogArgs{Code: grantEntryCode}, &out, log), out.String())
	assert.Regexp(t, `快照保留\s+最新 1 个、天数按系统默认`, out.String())
	out.Reset()
	require.Equal(t, ExitOK, RunCatalogShow(ctx, cfg, CatalogArgs{Code: other}, &out, log), out.String())
	assert.Regexp(t, `快照保留\s+系统默认`, out.String())
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestGCConfigHistoryDays: the days the record of loads is kept are bounded, in Chinese.
func TestGCConfigHistoryDays(t *testing.T) {
	gc := DefaultGCConfig()
	require.NoError(t, gc.Validate())
	assert.Equal(t, DefaultHistoryDays, gc.HistoryDays)
	gc.HistoryDays = 0
	require.NoError(t, gc.Validate(), "0 keeps the record for ever")
	for _, days := range []int{-1, catalog.MaxRetainDays + 1} {
		gc.HistoryDays = days
		err := gc.Validate()
		require.Error(t, err, "%d", days)
		assert.Contains(t, err.Error(), fmt.Sprintf("历史记录保留天数 %d 应在 0 到 %d 之间", days, catalog.MaxRetainDays))
	}
}

func snapshotIDsOf(ss []*catalog.Snapshot) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}
