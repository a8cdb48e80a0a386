package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/demo"
)

// Serve opens the service, loads the demo directory when asked (refused on a data directory with
// real accounts: demo.CheckDirectory; without it, a data directory with
// no principals gets its administrator, whose token is printed once to stdout), and answers HTTP
// on cfg.Addr until ctx is cancelled; then in-flight requests finish (up to 30 s) and everything
// is closed.
// ready, when not nil, receives the bound address once /healthz answers 200.
func Serve(ctx context.Context, cfg Config, log *slog.Logger, ready func(addr string)) error {
	// Checked before anything is set: a refused configuration changes nothing in the process.
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	setProcs(cfg, log)
	a, err := Open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Error("close", "err", err)
		}
	}()
	if cfg.Cluster.replicated() {
		if cfg.Lake == "" || cfg.Lake == "file" {
			log.Warn("cluster: the lake is this node's own folder; data loaded through the leader is readable only where the leader's lake is: use a shared s3:// lake")
		}
		if cfg.Demo {
			return errors.New("集群模式 (--cluster 或 --role query) 不能载入演示目录 (--demo)")
		}
		// The leader creates the first administrator; its token is printed by that node.
		a.leaderWork(ctx, func(ctx context.Context) {
			if err := demo.Disable(ctx, a.Cat); err != nil {
				log.Warn("cluster: disable demo principals", "err", err)
			}
			if err := a.firstStart(ctx, false, os.Stdout); err != nil {
				log.Warn("cluster: first start", "err", err)
			}
		})
	} else if cfg.Demo {
		if err := demo.CheckDirectory(a.Cat.View()); err != nil {
			return err
		}
		if err := demo.Load(ctx, a.Cat, a.Bucket, time.Now, log); err != nil {
			return fmt.Errorf("load demo directory: %w", err)
		}
	} else if err := demo.Disable(ctx, a.Cat); err != nil {
		return err
	}
	if !cfg.Cluster.replicated() {
		if err := a.firstStart(ctx, cfg.Demo, os.Stdout); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.clusterRoutes(a.Routes()),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.Cluster.Query {
		defer a.followCatalogue(ctx)() // stopped before the catalogue closes
	}
	go a.expireAudit(ctx, time.Hour)
	// The figures' daily history is written until Serve returns, before the catalogue closes. In
	// a cluster this, gc and the scheduler run on the leader only, while it leads (whileLeader).
	defer a.whileLeader(ctx, func(ctx context.Context) { a.figureRecorder(log).run(ctx) })()
	// scheduled gc (gc_schedule.go), stopped before the catalogue closes
	defer a.whileLeader(ctx, func(ctx context.Context) {
		stop := a.startGC(ctx)
		<-ctx.Done()
		stop()
	})()
	stopSched := func() {}
	if cfg.Scheduler {
		// Pulls under way when ctx ends see it and record their runs failed, committing nothing;
		// the scheduler returns once they have, before the catalogue is closed.
		stopSched = a.whileLeader(ctx, func(ctx context.Context) { ingest.NewScheduler(a.Ingest, cfg.Schedule, log).Run(ctx) })
	}
	log.Info("serving", "addr", ln.Addr().String(), "data", cfg.DataDir, "lake", a.Bucket.Name(), "demo", cfg.Demo)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: waiting for in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopSched()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// expireAudit removes the audit days past their retention, every interval until ctx ends.
func (a *App) expireAudit(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.Audit.Expire(); err != nil {
				a.log.Error("audit expiry", "err", err)
			} else if n > 0 {
				a.log.Info("audit days expired", "days", n)
			}
		}
	}
}
