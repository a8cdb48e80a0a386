// Package app is the composition root: configuration, wiring of catalogue, lake, ingest and query,
// lifecycle, and the HTTP routes. Only this package knows every other one.
package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake/s3"
)

// Config is the whole service configuration. Flags and environment fill it in cmd/ecolake.
type Config struct {
	DataDir       string    // catalogue journal, local lake and cache live under here
	Addr          string    // HTTP listen address
	Lake          string    // "" or "file" for DataDir/lake, or s3://bucket/prefix
	S3            s3.Config // endpoint and credentials when Lake is s3://
	CacheMaxBytes int64     // bound of the local read-through cache of lake files
	// AuditRetentionDays is how long the audit of queries is kept (DataDir/audit); 0 keeps it
	// forever.
	AuditRetentionDays int
	// AuditDir is where the audit is kept when not under DataDir (--audit-dir): a volume of its
	// own, so that a full data disk does not also stop the audited reads.
	AuditDir string
	// DuckDBMemoryMB caps the query engine's memory; 0 keeps DuckDB's own (80% of the machine).
	DuckDBMemoryMB int64
	// RoleLimits is a file of query limits per role (query.ParseRoleLimits), "" for none.
	RoleLimits string
	// ResultCacheMB bounds the answers the query layer keeps for statements asked again of the
	// same snapshot; 0 keeps none.
	ResultCacheMB int64
	// NativeCacheMB bounds the snapshots the query layer copies into DuckDB's own storage
	// (DataDir/native, made anew at each start) to answer them faster than from their Parquet
	// files; 0 copies none.
	NativeCacheMB int64
	// MaxRejectedPercent is the share of a submitted file's rows that may be invalid: a file with
	// more loads nothing (ingest.Config.MaxRejectedShare); 100 loads the valid rows whatever
	// their share.
	MaxRejectedPercent float64
	Demo               bool // load the demo directory on first start and create demo principals
	// Scheduler runs the entries' connections as they fall due (serve only); Schedule tunes it.
	Scheduler bool
	Schedule  ingest.ScheduleConfig
	// CodeLists is a directory of replacement code lists (<list name>.csv), "" for the embedded
	// ones; see schemas.LoadCodeLists and openCatalog.
	CodeLists string
	// OpenLineageFile, when set, is a file every run's OpenLineage events are appended to (one
	// JSON event per line); OpenLineageURL, when set, an HTTP endpoint they are posted to, with
	// OpenLineageToken as bearer token. Neither ever holds up a load: events wait in a bounded
	// queue, and are dropped and counted when it is full.
	OpenLineageFile  string
	OpenLineageURL   string
	OpenLineageToken string
	// Targets are the management figures' targets (--collection-target, --coverage-target,
	// --one-thing-target), shown beside each figure by every door.
	Targets catalog.FigureTargets
	// GC is snapshot retention and the collection of unreferenced lake objects (gc.go).
	GC GCConfig
	// Cluster replicates the catalogue over several nodes (serve --cluster, cluster.go).
	Cluster ClusterConfig
	// ExtraProcs is how many Go processors serve runs beyond the CPUs (procs.go); the
	// GOMAXPROCS environment variable, when set, wins.
	ExtraProcs int
}

// DefaultConfig is the embedded default: everything local under ./var, no other process.
func DefaultConfig() Config {
	return Config{
		DataDir:            "./var",
		Addr:               "127.0.0.1:8080",
		S3:                 s3.Config{StallTimeout: s3.DefaultStallTimeout},
		CacheMaxBytes:      4 << 30,
		ResultCacheMB:      32,
		NativeCacheMB:      1024,
		MaxRejectedPercent: 5,
		Scheduler:          true,
		Schedule:           ingest.DefaultScheduleConfig(),
		// 《网络安全法》第二十一条: network logs are kept at least six months.
		AuditRetentionDays: 190,
		Targets:            catalog.DefaultFigureTargets(),
		GC:                 DefaultGCConfig(),
		Cluster:            ClusterConfig{MinIndexWait: DefaultMinIndexWait},
		ExtraProcs:         DefaultExtraProcs,
	}
}

// Validate checks the configuration before anything is opened.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is empty"))
	}
	if c.DuckDBMemoryMB < 0 {
		errs = append(errs, fmt.Errorf("duckdb memory %d MB must not be negative", c.DuckDBMemoryMB))
	}
	if c.ResultCacheMB < 0 {
		errs = append(errs, fmt.Errorf("result cache %d MB must not be negative", c.ResultCacheMB))
	}
	if c.MaxRejectedPercent < 0 || c.MaxRejectedPercent > 100 {
		errs = append(errs, fmt.Errorf("rejected rows %g%% must be between 0 and 100", c.MaxRejectedPercent))
	}
	if c.Schedule.RealtimePoll < time.Second || c.Schedule.Tick < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("realtime poll %s must be at least 1s and the scheduler tick %s at least 10ms", c.Schedule.RealtimePoll, c.Schedule.Tick))
	}
	if c.NativeCacheMB < 0 {
		errs = append(errs, fmt.Errorf("native copies %d MB must not be negative", c.NativeCacheMB))
	}
	if c.AuditRetentionDays < 0 {
		errs = append(errs, fmt.Errorf("audit retention %d days must not be negative", c.AuditRetentionDays))
	}
	if err := c.Targets.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.GC.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Cluster.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := validateExtraProcs(c.ExtraProcs); err != nil {
		errs = append(errs, err)
	}
	if c.CacheMaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("cache size %d must be positive", c.CacheMaxBytes))
	}
	switch {
	case c.Lake == "" || c.Lake == "file":
	case strings.HasPrefix(c.Lake, "s3://"):
		bucket, prefix, err := s3.ParseURL(c.Lake)
		if err != nil {
			errs = append(errs, fmt.Errorf("lake %q: %w", c.Lake, err))
			break
		}
		c.S3.Bucket, c.S3.Prefix = bucket, prefix
		if err := c.S3.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("lake %q: %w", c.Lake, err))
		}
	default:
		errs = append(errs, fmt.Errorf("lake %q: want empty (local folder) or s3://bucket/prefix", c.Lake))
	}
	return errors.Join(errs...)
}

// SetS3Secret sets the S3 secret key; it prints as [redacted] everywhere.
func (c *Config) SetS3Secret(v string) { c.S3.SecretKey = s3.Secret(v) }

func (c *Config) catalogDir() string { return filepath.Join(c.DataDir, "catalog") }
func (c *Config) lakeDir() string    { return filepath.Join(c.DataDir, "lake") }
func (c *Config) cacheDir() string   { return filepath.Join(c.DataDir, "cache") }
func (c *Config) tmpDir() string     { return filepath.Join(c.DataDir, "tmp") }
func (c *Config) auditDir() string {
	if c.AuditDir != "" {
		return c.AuditDir
	}
	return filepath.Join(c.DataDir, "audit")
}
func (c *Config) nativeDir() string { return filepath.Join(c.DataDir, "native") }
