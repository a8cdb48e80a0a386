package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The scheduler pulls every enabled connection when it is due: on its cron expression, or once
// per the entry's update cycle (实时: every RealtimePoll). Its whole state is the catalogue's
// (Connection.LastAttempt, Failures), recorded with the runs, so a restart loses nothing:
//   - after downtime a connection whose slot passed is pulled once, not once per missed slot
//     (the next slot is reckoned from the last attempt, and after it from now);
//   - a failing source is retried after a back-off that doubles with each failure in a row
//     (RetryBase … RetryMax), never sooner, so it is not hammered;
//   - a run interrupted by a restart is recorded failed at start-up (one more failure), so it is
//     retried after the back-off, and nothing of it was committed.

// Location is the time zone of cron expressions: the bureau's clock.
var Location = time.FixedZone("CST", 8*3600)

// ScheduleConfig tunes the scheduler.
type ScheduleConfig struct {
	Tick         time.Duration // how often due connections are looked for
	RealtimePoll time.Duration // the interval of 实时 entries
	RetryBase    time.Duration // back-off after the first failure in a row
	RetryMax     time.Duration // the longest back-off
	Workers      int           // pulls run at once
}

// DefaultScheduleConfig returns the settings used unless configured otherwise.
func DefaultScheduleConfig() ScheduleConfig {
	return ScheduleConfig{Tick: 15 * time.Second, RealtimePoll: 5 * time.Minute, RetryBase: time.Minute, RetryMax: 6 * time.Hour, Workers: 2}
}

// ParseSchedule checks a cron expression (five fields, or a descriptor such as @daily). Slots
// less than a minute apart (@every 1s) are refused: a source is not polled faster than cron can
// say, whatever a steward writes.
func ParseSchedule(expr string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, schemas.Userf(ErrInvalidConnector, "调度表达式“%s”无效（应为五段 cron，例如“0 2 * * *”表示每天 2 点）: %s",
			schemas.Clip(expr, 64), schemas.Clip(err.Error(), 120))
	}
	first := s.Next(time.Now().In(Location))
	if second := s.Next(first); !first.IsZero() && second.Sub(first) < time.Minute {
		return nil, schemas.Userf(ErrInvalidConnector, "调度表达式“%s”两次归集间隔不足 1 分钟", schemas.Clip(expr, 64))
	}
	return s, nil
}

// Plan is when a connection is pulled next, and why.
type Plan struct {
	Entry string
	Kind  string
	// Rule says in Chinese what the schedule follows: the cron expression, or the update cycle.
	Rule string
	// Next is the time of the next pull; zero when the connection is disabled or pulled by hand
	// only (不定时 without a cron expression).
	Next time.Time
	// Pending: never pulled yet, so due at once whatever the clock (Next is when it was set up).
	Pending     bool
	LastAttempt time.Time
	LastSuccess time.Time
	Failures    int
	Watermark   string
	Enabled     bool
}

// Due reports whether the plan's pull is due at now.
func (p Plan) Due(now time.Time) bool { return p.Pending || !p.Next.IsZero() && !p.Next.After(now) }

// PlanOf reckons when connection c of entry e is pulled next.
func (cfg ScheduleConfig) PlanOf(c *catalog.Connection, e *catalog.Entry) Plan {
	p := Plan{Entry: c.Entry, Kind: c.Kind, LastAttempt: c.LastAttempt, LastSuccess: c.LastSuccess,
		Failures: c.Failures, Watermark: c.Watermark, Enabled: c.Enabled}
	var next func(after time.Time) time.Time
	switch {
	case c.Schedule != "":
		p.Rule = "按调度表达式 " + c.Schedule
		if s, err := ParseSchedule(c.Schedule); err == nil {
			next = func(after time.Time) time.Time { return s.Next(after.In(Location)) }
		} else {
			p.Rule += "（表达式无效，不自动归集）"
		}
	case e.UpdateCycle == schemas.Realtime:
		p.Rule = fmt.Sprintf("按更新周期“实时”，每 %s 拉取一次", cfg.RealtimePoll)
		next = func(after time.Time) time.Time { return after.Add(cfg.RealtimePoll) }
	case e.UpdateCycle.Period() > 0:
		period := e.UpdateCycle.Period()
		p.Rule = "按更新周期“" + e.UpdateCycle.Name() + "”"
		next = func(after time.Time) time.Time { return after.Add(period) }
	default:
		p.Rule = "更新周期为“" + e.UpdateCycle.Name() + "”且未设调度表达式：仅手动触发"
	}
	if !c.Enabled {
		p.Rule += "（已停用）"
		return p
	}
	if next == nil {
		return p
	}
	if c.LastAttempt.IsZero() {
		p.Next, p.Pending = c.CreatedAt, true
		return p
	}
	p.Next = next(c.LastAttempt)
	if c.Failures > 0 {
		// A failed pull is retried after its back-off, not at its next slot, and never sooner.
		p.Next = c.LastAttempt.Add(cfg.backoff(c.Failures))
	}
	return p
}

// backoff is the wait after n failures in a row: RetryBase doubled per failure, up to RetryMax.
func (cfg ScheduleConfig) backoff(n int) time.Duration {
	d := cfg.RetryBase
	for i := 1; i < n && d < cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, cfg.RetryMax)
}

// Plans lists the plans of the connections p may configure (the access decision), by entry.
func (s *Service) Plans(p *catalog.Principal, cfg ScheduleConfig) []Plan {
	view := s.cat.View()
	var out []Plan
	for _, c := range view.Connections() {
		e, a, err := view.EntryFor(p, c.Entry, s.now())
		if err != nil || !a.Configure {
			continue
		}
		out = append(out, cfg.PlanOf(c, e))
	}
	return out
}

// Scheduler runs the pulls of a Service as they fall due.
type Scheduler struct {
	svc     *Service
	cfg     ScheduleConfig
	log     *slog.Logger
	mu      sync.Mutex
	running map[string]bool // entries being pulled
	// refused holds, until when, the entries whose pull was refused before any run began (the
	// entry unpublished, the connection dropped): no run records such an attempt, so without it
	// the entry would be tried, and logged, at every tick.
	refused map[string]time.Time
	wg      sync.WaitGroup
	slots   chan struct{}
	derived derivedLane // derived entries: materialised when stale (derived_schedule.go)
}

// NewScheduler returns a scheduler of svc's pulls; Run starts it.
func NewScheduler(svc *Service, cfg ScheduleConfig, log *slog.Logger) *Scheduler {
	def := DefaultScheduleConfig()
	if cfg.Tick <= 0 {
		cfg.Tick = def.Tick
	}
	if cfg.RealtimePoll <= 0 {
		cfg.RealtimePoll = def.RealtimePoll
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = def.RetryBase
	}
	if cfg.RetryMax < cfg.RetryBase {
		cfg.RetryMax = max(def.RetryMax, cfg.RetryBase)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = def.Workers
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{svc: svc, cfg: cfg, log: log, running: map[string]bool{}, refused: map[string]time.Time{}, slots: make(chan struct{}, cfg.Workers)}
}

// Config is the scheduler's settings.
func (s *Scheduler) Config() ScheduleConfig { return s.cfg }

// Run starts due pulls every Tick until ctx ends, then waits for the pulls it started (they see
// ctx's end and record their runs as failed, committing nothing).
func (s *Scheduler) Run(ctx context.Context) {
	defer s.wg.Wait()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick starts the pulls due now, as many as there are free workers; the rest wait for a later
// tick. It returns the entries it started. It also starts a sweep of the stale derived entries
// (derived_schedule.go), which Wait waits for too.
func (s *Scheduler) Tick(ctx context.Context) []string {
	s.tickDerived(ctx) // derived entries: a sweep of the stale ones (derived_schedule.go)
	now := s.svc.now()
	view := s.svc.cat.View()
	var started []string
	for _, c := range view.Connections() {
		if ctx.Err() != nil {
			break
		}
		e, err := view.Entry(c.Entry)
		if err != nil || !s.cfg.PlanOf(c, e).Due(now) || !s.claim(c.Entry, now) {
			continue
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.release(c.Entry)
			return started // every worker is busy
		}
		started = append(started, c.Entry)
		s.wg.Add(1)
		go func(entry string) {
			defer s.wg.Done()
			defer func() { <-s.slots; s.release(entry) }()
			s.pull(ctx, entry)
		}(c.Entry)
	}
	return started
}

// Wait waits for the pulls started so far.
func (s *Scheduler) Wait() { s.wg.Wait() }

func (s *Scheduler) claim(entry string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[entry] || now.Before(s.refused[entry]) {
		return false
	}
	delete(s.refused, entry)
	s.running[entry] = true
	return true
}

func (s *Scheduler) release(entry string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, entry)
}

// pull runs one scheduled pull as the system; its outcome is in the run it records.
func (s *Scheduler) pull(ctx context.Context, entry string) {
	res, err := s.svc.Pull(ctx, catalog.Operator(), entry)
	log := s.log.With("dataset", entry)
	switch {
	case err != nil && res == nil:
		// Refused before a run began (the entry was unpublished, the connection dropped): the
		// attempt is recorded nowhere else, so it is logged.
		log.Warn("scheduled pull not started", "err", err)
		s.mu.Lock()
		s.refused[entry] = s.svc.now().Add(s.cfg.RetryMax)
		s.mu.Unlock()
	case err != nil:
		log.Warn("scheduled pull failed", "run", res.Run.ID, "err", strings.TrimSpace(res.Run.Error))
	default:
		log.Info("scheduled pull", "run", res.Run.ID, "status", res.Run.Status, "accepted", res.Run.RowsAccepted)
	}
}
