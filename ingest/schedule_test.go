package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

// clock is a settable time source for the scheduler tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scheduled returns the env's service on clk and a scheduler of it.
func scheduled(e *env, clk *clock) (*Service, *Scheduler) {
	svc := e.svc.WithClock(clk.now)
	return svc, NewScheduler(svc, DefaultScheduleConfig(), nil)
}

func (e *env) tick(s *Scheduler) []string {
	e.t.Helper()
	started := s.Tick(context.Background())
	s.Wait()
	return started
}

func (e *env) connection() *catalog.Connection {
	e.t.Helper()
	c, err := e.cat.View().ConnectionFor(catalog.Operator(), "0101/000001")
	require.NoError(e.t, err)
	return c
}

// After downtime, a daily connection whose slots passed is pulled once, not once per slot.
func TestSchedulerCatchesUpOnce(t *testing.T) {
	e, st := pullEnv(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	_, s := scheduled(e, clk)
	require.NoError(t, e.connect(catalog.Operator(), t.Name(), nil))
	st.add(row("S1", "2025-03-01 08:00:00"))
	assert.Equal(t, []string{"0101/000001"}, e.tick(s), "never pulled: at once")
	assert.Empty(t, e.tick(s), "pulled: not again until its cycle")
	first := e.connection().LastAttempt

	clk.add(5 * 24 * time.Hour) // five days down
	st.add(row("S2", "2025-03-05 08:00:00"))
	assert.Len(t, e.tick(s), 1)
	assert.Empty(t, e.tick(s), "the missed slots are caught up once")
	assert.Len(t, e.rows("0101/000001"), 2)
	runs := e.cat.View().Runs("0101/000001")
	assert.Len(t, runs, 2)

	plan := s.Config().PlanOf(e.connection(), e.entry())
	assert.Equal(t, first.Add(5*24*time.Hour+24*time.Hour), plan.Next, "the next slot is a cycle after the catch-up")
	assert.Contains(t, plan.Rule, "每日")
	clk.add(23 * time.Hour)
	assert.Empty(t, e.tick(s))
	clk.add(time.Hour)
	assert.Len(t, e.tick(s), 1)
}

// A failing source is retried after a back-off that doubles, never sooner; once it recovers the
// connection is back on its cycle.
func TestSchedulerBacksOff(t *testing.T) {
	e, st := pullEnv(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	_, s := scheduled(e, clk)
	require.NoError(t, e.connect(catalog.Operator(), t.Name(), nil))
	st.add(row("S1", "2025-03-01 08:00:00"), row("S2", "2025-03-01 09:00:00"))
	st.failOn, st.failErr = 1, schemas.Userf(ErrSourceFailed, "HTTP 503（已重试 5 次）")

	var pulls []time.Duration
	start := clk.now()
	for i := 0; i < 16*60; i++ { // 16 minutes, a tick every second
		if len(e.tick(s)) > 0 {
			pulls = append(pulls, clk.now().Sub(start))
		}
		clk.add(time.Second)
	}
	assert.Equal(t, []time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute, 15 * time.Minute}, pulls,
		"retried after 1, 2, 4, 8 minutes")
	assert.Equal(t, 5, e.connection().Failures)

	st.failOn = 0
	clk.add(16 * time.Minute)
	assert.Len(t, e.tick(s), 1)
	c := e.connection()
	assert.Equal(t, 0, c.Failures)
	assert.Equal(t, c.LastAttempt.Add(24*time.Hour), s.Config().PlanOf(c, e.entry()).Next)
	assert.Len(t, e.rows("0101/000001"), 2)
}

func TestSchedulePlans(t *testing.T) {
	cfg := DefaultScheduleConfig()
	last := time.Date(2025, 3, 1, 2, 30, 0, 0, time.UTC) // 10:30 Beijing time
	conn := func(schedule string, enabled bool, failures int) *catalog.Connection {
		return &catalog.Connection{Entry: "e", Kind: "rest", Schedule: schedule, Enabled: enabled, LastAttempt: last, Failures: failures}
	}
	entry := func(c schemas.UpdateCycle) *catalog.Entry { return &catalog.Entry{UpdateCycle: c} }
	for _, tc := range []struct {
		name string
		c    *catalog.Connection
		e    *catalog.Entry
		next time.Time
		rule string
	}{
		{"cron in Beijing time", conn("0 2 * * *", true, 0), entry(schemas.Daily), time.Date(2025, 3, 1, 18, 0, 0, 0, time.UTC), "0 2 * * *"},
		{"realtime polls", conn("", true, 0), entry(schemas.Realtime), last.Add(5 * time.Minute), "实时"},
		{"monthly", conn("", true, 0), entry(schemas.Monthly), last.Add(schemas.Monthly.Period()), "每月"},
		{"irregular: by hand only", conn("", true, 0), entry(schemas.Irregular), time.Time{}, "仅手动触发"},
		{"disabled", conn("", false, 0), entry(schemas.Daily), time.Time{}, "已停用"},
		{"back-off caps", conn("", true, 30), entry(schemas.Yearly), last.Add(6 * time.Hour), "每年"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cfg.PlanOf(tc.c, tc.e)
			assert.True(t, tc.next.Equal(p.Next), "next %s, want %s", p.Next, tc.next)
			assert.Contains(t, p.Rule, tc.rule)
		})
	}
}

func (e *env) entry() *catalog.Entry {
	e.t.Helper()
	en, err := e.cat.View().Entry("0101/000001")
	require.NoError(e.t, err)
	return en
}

// restartChild is the environment variable that makes TestSchedulerRestart its own child: the
// process that is killed in the middle of a scheduled pull.
const restartChild = "ECOLAKE_TEST_RESTART_CHILD"

// A scheduled pull killed half-way commits nothing; at restart its run is recorded failed, the
// scheduler retries it after the back-off, and every record is loaded exactly once.
func TestSchedulerRestart(t *testing.T) {
	if dir := os.Getenv(restartChild); dir != "" {
		restartChildMain(t, dir)
		return
	}
	e, _ := pullEnv(t)
	require.NoError(t, e.connect(catalog.Operator(), "restart", nil))
	require.NoError(t, e.cat.Close())
	dir := t.TempDir()
	lakeDir := filepath.Join(dir, "lake")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSchedulerRestart$", "-test.v")
	cmd.Env = append(os.Environ(), restartChild+"="+dir+"|"+e.dir+"|"+lakeDir)
	out, err := os.Create(filepath.Join(dir, "child.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	marker := filepath.Join(dir, "reading")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			log, _ := os.ReadFile(out.Name())
			t.Fatalf("the child never reached the middle of its pull:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred function of the child runs
	_ = cmd.Wait()

	ctx := context.Background()
	cfg := catalog.DefaultConfig()
	cfg.Dir = e.dir
	cat, err := catalog.Open(ctx, cfg, nil)
	require.NoError(t, err)
	defer cat.Close()
	bucket, err := local.New(lakeDir)
	require.NoError(t, err)
	clk := &clock{t: time.Now().UTC()}
	svc := New(cat, bucket, Config{MaxRejectedShare: 0.05, Writer: DefaultConfig().Writer}, slog.New(slog.DiscardHandler)).WithClock(clk.now)
	n, err := svc.FailInterrupted(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the killed pull's run")
	runs := cat.View().Runs("0101/000001")
	require.Len(t, runs, 1)
	assert.Equal(t, catalog.RunFailed, runs[0].Status)
	assert.Equal(t, ReasonInterrupted, runs[0].Error)
	en, err := cat.View().Entry("0101/000001")
	require.NoError(t, err)
	assert.Empty(t, en.CurrentSnapshot, "nothing of the killed pull was committed")
	c, err := cat.View().ConnectionFor(catalog.Operator(), "0101/000001")
	require.NoError(t, err)
	assert.Equal(t, 1, c.Failures)
	assert.Empty(t, c.Watermark)

	st := newMemStore("restart")
	st.add(restartRows()...)
	s := NewScheduler(svc, DefaultScheduleConfig(), nil)
	assert.Empty(t, s.Tick(ctx), "not retried before its back-off")
	clk.add(time.Minute)
	require.Len(t, s.Tick(ctx), 1, "retried after it")
	s.Wait()
	runs = cat.View().Runs("0101/000001")
	require.Len(t, runs, 2)
	assert.Equal(t, catalog.RunSucceeded, runs[0].Status, runs[0].Error)
	assert.Equal(t, int64(len(restartRows())), runs[0].RowsAccepted)
	snap, err := cat.View().Snapshot(runs[0].Snapshot)
	require.NoError(t, err)
	assert.Equal(t, int64(len(restartRows())), snap.Rows, "every record exactly once")
}

func restartRows() [][]string {
	var rows [][]string
	for i := 0; i < 6; i++ {
		rows = append(rows, row(fmt.Sprintf("S%d", i), fmt.Sprintf("2025-03-01 0%d:00:00", i)))
	}
	return rows
}

// restartChildMain is the killed process: it starts the scheduled pull, which blocks half-way,
// says so, and waits to be killed.
func restartChildMain(t *testing.T, arg string) {
	parts := strings.Split(arg, "|")
	require.Len(t, parts, 3)
	dir, catDir, lakeDir := parts[0], parts[1], parts[2]
	ctx := context.Background()
	cfg := catalog.DefaultConfig()
	cfg.Dir = catDir
	cat, err := catalog.Open(ctx, cfg, nil)
	require.NoError(t, err)
	bucket, err := local.New(lakeDir)
	require.NoError(t, err)
	st := newMemStore("restart")
	st.add(restartRows()...)
	st.blockAt, st.reached, st.unblock = 3, make(chan struct{}), make(chan struct{})
	s := NewScheduler(New(cat, bucket, DefaultConfig(), nil), DefaultScheduleConfig(), nil)
	require.Len(t, s.Tick(ctx), 1)
	<-st.reached
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reading"), nil, 0o600))
	select {} // killed here
}

// A scheduled pull that finds nothing new records no run but moves the connection's attempt on:
// the next tick does not pull again, the next slot does.
func TestSchedulerNothingNew(t *testing.T) {
	e, _ := pullEnv(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	_, s := scheduled(e, clk)
	require.NoError(t, e.connect(catalog.Operator(), t.Name(), nil))
	assert.Len(t, e.tick(s), 1)
	assert.Empty(t, e.tick(s), "attempted: not again before its cycle")
	assert.Empty(t, e.cat.View().Runs("0101/000001"), "nothing new, no run")
	c := e.connection()
	assert.True(t, c.LastAttempt.Equal(clk.now()))
	clk.add(24 * time.Hour)
	assert.Len(t, e.tick(s), 1)
}
