package catalog

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// testClock is the injected Config.Clock of the tests: a time that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2025, 6, 1, 4, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testConfig(dir string, clock *testClock) Config {
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.Clock = clock.Now
	return cfg
}

func openTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return s
}

// newTestStore opens a store in a fresh directory with one department, closed at test end.
func newTestStore(t *testing.T) (*Store, *testClock) {
	t.Helper()
	clock := newClock()
	s := openTest(t, testConfig(t.TempDir(), clock))
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.PutDepartment(context.Background(), Department{Code: "AIR_DIV", Name: "大气环境处", Kind: DepartmentDivision}))
	return s, clock
}

// validEntry returns an entry that passes validation once department AIR_DIV exists.
func validEntry(seq, table string) *Entry {
	return &Entry{
		ResourceCode: "0101/" + seq,
		Table:        table,
		Name:         "空气质量监测日均值 " + seq,
		CategoryCode: "0101",
		ProviderName: "重庆市生态环境局",
		ProviderCode: "11500000MB1534567X",
		Abstract:     "全市空气质量自动监测站日均值",
		FormatType:   "DATABASE",
		Items: ItemsOf([]Item{
			{Name: "区县", Field: "district", Type: schemas.String, Grade: schemas.General1, CodeList: "districts", Required: true, IsKey: true},
			{Name: "PM2.5浓度", Field: "pm25", Type: schemas.Float, Grade: schemas.General2},
		}...),
		ShareType:   "UNCONDITIONAL",
		ShareMode:   "TABLE",
		OpenType:    "UNCONDITIONAL",
		UpdateCycle: schemas.Daily,
		Status:      StatusDraft,
		Department:  "AIR_DIV",
		District:    schemas.CityCode,
		SourceKind:  "LOCAL_SYSTEM",
		Domains:     []string{"AIR"},
	}
}

// setItem changes item i of e through fn: a list is packed, so the change goes to a copy
// that is packed back.
func setItem(e *Entry, i int, fn func(it *Item)) {
	items := e.Items.Slice()
	fn(&items[i])
	e.Items = ItemsOf(items...)
}

// addItems appends items to e's.
func addItems(e *Entry, items ...Item) { e.Items = ItemsOf(append(e.Items.Slice(), items...)...) }

// stateJSON renders everything a view can show, for before/after comparisons.
func stateJSON(t *testing.T, v *View) string {
	t.Helper()
	type entryState struct {
		Entry     *Entry
		Snapshots []*Snapshot
		Runs      []*Run
		History   []*History
		Change    *ChangeRequest
	}
	st := struct {
		Index       uint64
		Departments []*Department
		Districts   []schemas.District
		Entries     []entryState
		Principals  []*Principal
		Items       []ItemRef
		Grants      []*Grant
		NextGrant   string
	}{Index: v.Index(), Departments: v.Departments(), Districts: v.Districts(), Items: v.Items()}
	for _, e := range v.Entries() {
		hist, err := v.HistoryFor(Operator(), e.ResourceCode, 1000)
		require.NoError(t, err)
		c, _ := v.Change(e.ResourceCode)
		st.Entries = append(st.Entries, entryState{e, v.Snapshots(e.ResourceCode), v.Runs(e.ResourceCode), hist, c})
	}
	each(v.txn, tablePrincipals, indexID, func(p *Principal) { st.Principals = append(st.Principals, copyPrincipal(p)) })
	st.Grants, st.NextGrant = v.Grants(Operator(), GrantFilter{}), nextGrantID(v.txn)
	b, err := json.MarshalIndent(st, "", " ")
	require.NoError(t, err)
	return string(b)
}

// loadEntry begins a run and commits a snapshot for it, returning the snapshot id.
func loadEntry(t *testing.T, s *Store, code, runID, snapID, parent string, committed time.Time) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.BeginRun(ctx, Run{ID: runID, Entry: code, Kind: "connector", Status: RunRunning, StartedAt: committed.Add(-time.Minute)}))
	require.NoError(t, s.CommitSnapshot(ctx,
		Snapshot{ID: snapID, Entry: code, Parent: parent, ManifestKey: "manifests/" + snapID + ".json", Rows: 10, Files: 1, Bytes: 100, CommittedAt: committed},
		Run{ID: runID, Status: RunSucceeded, RowsRead: 10, RowsAccepted: 10},
		parent))
}

// decideNoGrants is the decision for p on e with no grants, for entries that live in no store.
func decideNoGrants(p *Principal, e *Entry) Access { return applySharing(decideRole(p, e), p, e, nil) }
