package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/search"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/query"
	"github.com/cqeco/ecolake/schemas"
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
	Search *search.Index // with the query layer only
	Audit  *audit.Log    // with the query layer only
	// lineage sends the runs' OpenLineage events (Config.OpenLineageFile, OpenLineageURL); nil
	// when neither is set.
	lineage *lineageOut
	gc      gcState // gc.go, gc_schedule.go
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
	if a.Cat, err = openCatalog(ctx, cfg, log); err != nil {
		return nil, err
	}
	if cfg.Lake == "" || cfg.Lake == "file" {
		a.Bucket, err = local.New(cfg.lakeDir())
	} else {
		a.Bucket, err = s3.New(ctx, cfg.S3)
	}
	if err != nil {
		return nil, fmt.Errorf("open lake: %w", err)
	}
	icfg := ingest.DefaultConfig()
	icfg.Writer.TmpDir = cfg.tmpDir()
	icfg.MaxRejectedShare = cfg.MaxRejectedPercent / 100
	a.Ingest = ingest.New(a.Cat, a.Bucket, icfg, log)
	if a.lineage, err = openLineageOut(cfg, a.Cat, log); err != nil {
		return nil, err
	}
	if a.lineage != nil {
		a.Ingest.ObserveRuns(a.lineage.pub)
	}
	if cfg.Cluster.replicated() {
		// Runs left running by a leader that died are failed by the next one.
		a.Cat.OnLeader(func(ctx context.Context) {
			if _, err := a.Ingest.FailInterrupted(ctx); err != nil {
				log.Warn("cluster: fail interrupted runs", "err", err)
			}
		})
	} else if _, err := a.Ingest.FailInterrupted(ctx); err != nil {
		return nil, err
	}
	if !withQuery {
		return a, nil
	}
	if a.Cache, err = lake.NewCache(a.Bucket, cfg.cacheDir(), cfg.CacheMaxBytes); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	if a.Audit, err = audit.Open(cfg.auditDir(), time.Duration(cfg.AuditRetentionDays)*24*time.Hour, nil); err != nil {
		return nil, fmt.Errorf("open audit: %w", err)
	}
	qcfg := query.DefaultConfig()
	qcfg.Audit = a.Audit
	qcfg.Targets = cfg.Targets
	qcfg.DuckDBMemoryBytes = cfg.DuckDBMemoryMB << 20
	qcfg.ResultCacheBytes = cfg.ResultCacheMB << 20
	if qcfg.NativeBytes = cfg.NativeCacheMB << 20; qcfg.NativeBytes > 0 {
		if qcfg.NativeDir, err = filepath.Abs(cfg.nativeDir()); err != nil {
			return nil, fmt.Errorf("native copies: %w", err)
		}
	}
	if qcfg.Roles, err = roleLimits(cfg.RoleLimits); err != nil {
		return nil, err
	}
	if a.Query, err = query.New(a.Cat, a.Bucket, a.Cache, qcfg, log); err != nil {
		return nil, fmt.Errorf("open query engine: %w", err)
	}
	if a.Search, err = openSearch(ctx, cfg, a.Cat, log); err != nil {
		return nil, err
	}
	a.Query.SetSearcher(searcher{a.Search})
	return a, nil
}

// Close releases the parts in reverse order of opening; the catalogue journal is closed last.
func (a *App) Close() error {
	var errs []error
	if a.Query != nil {
		errs = append(errs, a.Query.Close())
	}
	if a.Search != nil {
		errs = append(errs, a.Search.Close())
	}
	if a.Audit != nil {
		errs = append(errs, a.Audit.Close())
	}
	if a.Bucket != nil {
		errs = append(errs, a.Bucket.Close())
	}
	if a.lineage != nil {
		errs = append(errs, a.lineage.close())
	}
	if a.Cat != nil {
		errs = append(errs, a.Cat.Close())
	}
	return errors.Join(errs...)
}

// openCatalog opens the catalogue with the code lists of cfg installed. The candidate lists are
// read and checked on their own first, the catalogue is opened, the candidate is checked against
// what the catalogue holds (catalog.View.CheckCodeLists), and only then installed, before
// anything serves. The check runs without --codelists too: a directory curated under replaced
// lists must not start with the embedded ones if its entries use codes those lack.
func openCatalog(ctx context.Context, cfg Config, log *slog.Logger) (*catalog.Store, error) {
	set, err := schemas.LoadCodeLists(cfg.CodeLists)
	if err != nil {
		return nil, err
	}
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = cfg.catalogDir()
	if cfg.Cluster.Enabled {
		ccfg.Cluster = cfg.Cluster.catalog()
	}
	ccfg.Replica = cfg.Cluster.Query
	cat, err := catalog.Open(ctx, ccfg, log)
	if err != nil {
		return nil, fmt.Errorf("open catalogue %s: %w", ccfg.Dir, err)
	}
	if err := cat.View().CheckCodeLists(set); err != nil {
		_ = cat.Close() // the refusal is the error that matters
		return nil, err
	}
	schemas.Install(set)
	if cfg.Cluster.replicated() {
		cat.OnLeader(func(ctx context.Context) {
			if err := cat.SyncDistricts(ctx); err != nil {
				log.Warn("cluster: sync districts with the code list", "err", err)
			}
		})
	} else if err := cat.SyncDistricts(ctx); err != nil {
		_ = cat.Close()
		return nil, fmt.Errorf("sync districts with the code list: %w", err)
	}
	if r := set.Replaced(); len(r) > 0 {
		log.Info("code lists replaced", "dir", cfg.CodeLists, "lists", strings.Join(r, ","))
	}
	return cat, nil
}

// roleLimits reads the role limits file at path; none when path is "".
func roleLimits(path string) (map[string]query.Limits, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("角色限额文件: %w", err)
	}
	defer f.Close()
	roles, err := query.ParseRoleLimits(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return roles, nil
}
