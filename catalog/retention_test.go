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

var retentionDay0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// loadDays gives entry code n snapshots, "<prefix>1" … "<prefix>n", committed a day apart from
// retentionDay0, and returns their ids.
func loadDays(t *testing.T, s *Store, code, prefix string, n int) []string {
	t.Helper()
	var ids []string
	parent := ""
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		loadEntry(t, s, code, "run-"+id, id, parent, retentionDay0.AddDate(0, 0, i-1))
		ids, parent = append(ids, id), id
	}
	return ids
}

func expiredIDs(p RetentionPlan) []string {
	var out []string
	for _, e := range p.Expire {
		out = append(out, e.Snapshot)
	}
	return out
}

func intp(v int) *int { return &v }

func TestRetentionByCountAndByAge(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	require.NoError(t, s.PutEntry(ctx, validEntry("000001", "air_a")))
	loadDays(t, s, "0101/000001", "a", 5) // a5 is current, committed on day 4
	now := retentionDay0.AddDate(0, 0, 4).Add(12 * time.Hour)
	v := s.View()

	cases := []struct {
		name string
		ret  Retention
		want []string
	}{
		{"off keeps everything", Retention{}, nil},
		{"the newest two", Retention{Snapshots: 2}, []string{"a1", "a2", "a3"}},
		{"only the current", Retention{Snapshots: 1}, []string{"a1", "a2", "a3", "a4"}},
		{"more than there are", Retention{Snapshots: 9}, nil},
		// a1 stopped being current on day 1 (3.5 days ago), a2 on day 2, a3 on day 3 (1.5 days
		// ago), a4 12 hours ago.
		{"replaced within two days", Retention{Days: 2}, []string{"a1", "a2"}},
		{"replaced within a day", Retention{Days: 1}, []string{"a1", "a2", "a3"}},
		{"either bound keeps", Retention{Snapshots: 4, Days: 2}, []string{"a1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := v.PlanRetention(c.ret, now, nil)
			assert.Equal(t, c.want, expiredIDs(p))
			if !c.ret.Off() {
				assert.Equal(t, 1, p.Entries)
				assert.Equal(t, 5, p.Snapshots)
			}
		})
	}

	// An expiry says when the snapshot stopped being current.
	p := v.PlanRetention(Retention{Snapshots: 4}, now, nil)
	require.Len(t, p.Expire, 1)
	assert.Equal(t, Expiry{Entry: "0101/000001", Snapshot: "a1", CommittedAt: retentionDay0,
		SupersededAt: retentionDay0.AddDate(0, 0, 1), Rows: 10, Bytes: 100}, p.Expire[0])
}

func TestRetentionEntrySettingsOverrideTheDefault(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	keepAll := validEntry("000001", "air_a")
	keepAll.RetainSnapshots, keepAll.RetainDays = intp(0), intp(0)
	keepOne := validEntry("000002", "air_b")
	keepOne.RetainSnapshots = intp(1)
	byDefault := validEntry("000003", "air_c")
	for _, e := range []*Entry{keepAll, keepOne, byDefault} {
		require.NoError(t, s.PutEntry(ctx, e))
	}
	loadDays(t, s, keepAll.ResourceCode, "a", 3)
	loadDays(t, s, keepOne.ResourceCode, "b", 3)
	loadDays(t, s, byDefault.ResourceCode, "c", 3)
	now := retentionDay0.AddDate(1, 0, 0)

	p := s.View().PlanRetention(Retention{Snapshots: 2}, now, nil)
	assert.Equal(t, []string{"b1", "b2", "c1"}, expiredIDs(p))
	assert.Equal(t, 2, p.Entries, "an entry keeping everything walks none of its snapshots")

	// Off by default: only the entry that asks expires anything.
	assert.Equal(t, []string{"b1", "b2"}, expiredIDs(s.View().PlanRetention(Retention{}, now, nil)))

	// The settings are the entry's, checked like its other load settings.
	bad := validEntry("000004", "air_d")
	bad.RetainSnapshots, bad.RetainDays = intp(-1), intp(MaxRetainDays+1)
	err := s.PutEntry(ctx, bad)
	require.ErrorIs(t, err, ErrInvalid)
	var inv *schemas.InvalidError
	require.ErrorAs(t, err, &inv)
	fields := map[string]string{}
	for _, pr := range inv.Problems {
		fields[pr.Field] = pr.Message
	}
	assert.Contains(t, fields["retain_snapshots"], "快照保留个数 -1 应在 0 到")
	assert.Contains(t, fields["retain_days"], "快照保留天数 36501 应在 0 到 36500 之间")
	require.Error(t, Retention{Snapshots: -2}.Validate())
	require.NoError(t, Retention{Snapshots: 3, Days: 30}.Validate())
}

func TestRetentionKeepsCurrentAndPinnedSnapshots(t *testing.T) {
	s, a, b, d := derivedFixture(t)
	ctx := context.Background()
	loadDays(t, s, b, "b", 1)
	loadDays(t, s, a, "a", 1)
	derive := func(id, parent, input string, at time.Time) {
		t.Helper()
		require.NoError(t, s.BeginRun(ctx, Run{ID: "run-" + id, Entry: d, Kind: "derived", Status: RunRunning, StartedAt: at}))
		require.NoError(t, s.CommitSnapshot(ctx, Snapshot{ID: id, Entry: d, Parent: parent, ManifestKey: "m/" + id, Rows: 1, CommittedAt: at},
			Run{ID: "run-" + id, Status: RunSucceeded, Inputs: []RunInput{{Entry: a, Snapshot: input}, {Entry: b, Snapshot: "b1"}}}, parent))
	}
	derive("d1", "", "a1", retentionDay0.Add(time.Hour))
	loadEntry(t, s, a, "run-a2", "a2", "a1", retentionDay0.AddDate(0, 0, 1))
	loadEntry(t, s, a, "run-a3", "a3", "a2", retentionDay0.AddDate(0, 0, 2))
	derive("d2", "d1", "a3", retentionDay0.AddDate(0, 0, 2).Add(time.Hour))
	now := retentionDay0.AddDate(0, 1, 0)
	keepOne := Retention{Snapshots: 1}

	// a1 made d1, which is kept: the lineage pins a1. a2 made nothing. b1 and the current
	// snapshots are current.
	p := s.View().PlanRetention(keepOne, now, nil)
	assert.Equal(t, []string{"a2", "d1"}, expiredIDs(p))
	assert.Equal(t, 1, p.Pinned)

	// A snapshot the caller pins (read recently) is kept too.
	p = s.View().PlanRetention(keepOne, now, func(id string) bool { return id == "a2" })
	assert.Equal(t, []string{"d1"}, expiredIDs(p))
	assert.Equal(t, 2, p.Pinned)

	n, err := s.ExpireSnapshots(ctx, expiredIDs(s.View().PlanRetention(keepOne, now, nil)))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	// d1 expired, so nothing kept was made from a1 any more: the next pass expires it.
	assert.Equal(t, []string{"a1"}, expiredIDs(s.View().PlanRetention(keepOne, now, nil)))

	// The current snapshot never expires, even when named.
	_, err = s.ExpireSnapshots(ctx, []string{"a1", "a3"})
	require.ErrorIs(t, err, ErrConflict)
	snap, err := s.View().Snapshot("a1")
	require.NoError(t, err)
	assert.False(t, snap.Expired(), "a refused record expires nothing")
	_, err = s.ExpireSnapshots(ctx, []string{"no-such"})
	require.ErrorIs(t, err, ErrNotFound)

	// A derived run cannot record an expired input: it must read the current data again.
	require.NoError(t, s.BeginRun(ctx, Run{ID: "run-d3", Entry: d, Kind: "derived", Status: RunRunning}))
	err = s.CommitSnapshot(ctx, Snapshot{ID: "d3", Entry: d, Parent: "d2", ManifestKey: "m/d3"},
		Run{ID: "run-d3", Status: RunSucceeded, Inputs: []RunInput{{Entry: a, Snapshot: "a2"}, {Entry: b, Snapshot: "b1"}}}, "d2")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "目录 0101/000001 的快照“a2”已按快照保留策略过期")
}

func TestExpiryReplaysAfterReopen(t *testing.T) {
	for _, every := range []int{0, 2} {
		t.Run(fmt.Sprintf("checkpoint every %d", every), func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			cfg := testConfig(dir, clock)
			cfg.CheckpointEvery = every
			s := openTest(t, cfg)
			ctx := context.Background()
			require.NoError(t, s.PutDepartment(ctx, Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
			e := validEntry("000001", "air_a")
			e.RetainSnapshots, e.RetainDays = intp(2), intp(30)
			require.NoError(t, s.PutEntry(ctx, e))
			loadDays(t, s, e.ResourceCode, "a", 4)
			clock.Set(retentionDay0.AddDate(0, 2, 0))
			plan := s.View().PlanRetention(Retention{}, clock.Now(), nil)
			require.Equal(t, []string{"a1", "a2"}, expiredIDs(plan))
			_, err := s.ExpireSnapshots(ctx, expiredIDs(plan))
			require.NoError(t, err)
			// Expiring again is harmless: the record passes over what is expired already.
			_, err = s.ExpireSnapshots(ctx, []string{"a1"})
			require.NoError(t, err)
			s.waitCheckpoint()
			require.NoError(t, s.Close())

			s = openTest(t, cfg)
			defer s.Close()
			v := s.View()
			for id, expired := range map[string]bool{"a1": true, "a2": true, "a3": false, "a4": false} {
				snap, err := v.Snapshot(id)
				require.NoError(t, err)
				assert.Equal(t, expired, snap.Expired(), id)
				if expired {
					assert.Equal(t, clock.Now(), snap.ExpiredAt, "stamped with the command's time")
				}
			}
			got, err := v.Entry(e.ResourceCode)
			require.NoError(t, err)
			assert.Equal(t, intp(2), got.RetainSnapshots)
			assert.Equal(t, intp(30), got.RetainDays)
			assert.Empty(t, v.PlanRetention(Retention{}, clock.Now(), nil).Expire, "nothing left to expire after the restart")
			assert.Equal(t, "a4", got.CurrentSnapshot)
		})
	}
}

func TestExpiredErrorSaysWhatAndWhen(t *testing.T) {
	err := ExpiredError("0101/000001", &Snapshot{ID: "a1", CommittedAt: retentionDay0, ExpiredAt: retentionDay0.AddDate(0, 1, 0)})
	require.ErrorIs(t, err, schemas.ErrNotFound)
	msg, ok := schemas.UserMessage(err)
	require.True(t, ok)
	assert.Equal(t, "目录 0101/000001 的快照 a1（2026-03-01 16:00 入库）已于 2026-04-01 16:00 按快照保留策略过期，数据已清理，不能再读取；请读取当前数据或保留期内的快照", msg)
}
