package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/query"
)

// App holds the wired service parts. Open builds it; Close releases everything in reverse order.
type App struct {
	cfg    Config
	log    *slog.Logger
	Cat    *catalog.Store
	Bucket lake.Bucket
	Cache  *lake.Cache
	Ingest *ingest.Service
	Query  *query.Service
}

// Open validates cfg and opens catalogue, lake, cache, ingest and query. withQuery is false for
// command-line clients that only load data.
func Open(ctx context.Context, cfg Config, log *slog.Logger, withQuery bool) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = a.Close() // the error being returned is the one that matters
		}
	}()
	for _, d := range []string{cfg.DataDir, cfg.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = cfg.catalogDir()
	if a.Cat, err = catalog.Open(ctx, ccfg, log); err != nil {
		return nil, fmt.Errorf("open catalogue %s: %w", ccfg.Dir, err)
	}
	if cfg.Lake == "" || cfg.Lake == "file" {
		a.Bucket, err = local.New(cfg.lakeDir())
	} else {
		a.Bucket, err = s3.New(ctx, cfg.S3)
	}
	if err != nil {
		return nil, fmt.Errorf("open lake: %w", err)
	}
	if err := a.failInterruptedRuns(ctx); err != nil {
		return nil, err
	}
	icfg := ingest.DefaultConfig()
	icfg.Writer.TmpDir = cfg.tmpDir()
	a.Ingest = ingest.New(a.Cat, a.Bucket, icfg, log)
	if !withQuery {
		return a, nil
	}
	if a.Cache, err = lake.NewCache(a.Bucket, cfg.cacheDir(), cfg.CacheMaxBytes); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	if a.Query, err = query.New(a.Cat, a.Bucket, a.Cache, query.DefaultConfig(), log); err != nil {
		return nil, fmt.Errorf("open query engine: %w", err)
	}
	return a, nil
}

// Close releases the parts in reverse order of opening; the catalogue journal is closed last.
func (a *App) Close() error {
	var errs []error
	if a.Query != nil {
		errs = append(errs, a.Query.Close())
	}
	if a.Bucket != nil {
		errs = append(errs, a.Bucket.Close())
	}
	if a.Cat != nil {
		errs = append(errs, a.Cat.Close())
	}
	return errors.Join(errs...)
}

// failInterruptedRuns records as failed every run still RUNNING at start-up: this process holds the
// catalogue lock, so such runs belong to a process that died before committing.
func (a *App) failInterruptedRuns(ctx context.Context) error {
	for _, r := range a.Cat.View().RunningRuns() {
		f := *r
		f.Status, f.FinishedAt, f.Error = catalog.RunFailed, time.Now(), "归集进程中断, 未提交任何数据"
		if err := a.Cat.FailRun(ctx, f); err != nil {
			return fmt.Errorf("record interrupted run %s: %w", r.ID, err)
		}
		a.log.Warn("interrupted run recorded as failed", "run", r.ID, "dataset", r.Entry)
	}
	return nil
}
