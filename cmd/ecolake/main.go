// Command ecolake runs the bureau's data resource directory, lake and governed query service
// (`ecolake serve`) and its command-line clients (`ecolake ingest`).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/cqeco/ecolake/internal/app"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func usage() {
	fmt.Fprint(os.Stderr, `用法:
  ecolake serve  [--data DIR] [--addr HOST:PORT] [--demo] [--lake s3://bucket/prefix ...]
  ecolake ingest --entry <资源代码> [--data DIR] [--district 区县] [--replace] 文件.csv
  ecolake gc     [--data DIR] [--min-age 1h] [--dry-run]   清理无快照引用的孤立文件
`)
}

func run(args []string) int {
	if len(args) == 0 {
		usage()
		return app.ExitFailed
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (catalogue journal, local lake, cache)")
	lakeFlags(fs, &cfg)
	switch args[0] {
	case "serve":
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
		fs.BoolVar(&cfg.Demo, "demo", false, "load the demo directory and demo principals")
		fs.Func("cache-mb", "bound of the local read-through cache of lake files, in MiB (default 4096)", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("want a positive number of MiB, got %q", v)
			}
			cfg.CacheMaxBytes = n << 20
			return nil
		})
		if err := fs.Parse(args[1:]); err != nil {
			return app.ExitFailed
		}
		if err := app.Serve(ctx, cfg, log, nil); err != nil {
			log.Error("serve", "err", err)
			return app.ExitFailed
		}
		return app.ExitOK
	case "ingest":
		var ia app.IngestArgs
		fs.StringVar(&ia.Entry, "entry", "", "resource code (分类码/顺序码) or table name of the entry")
		fs.StringVar(&ia.District, "district", "", "submitting district (code or name)")
		fs.BoolVar(&ia.Replace, "replace", false, "replace the entry's data instead of appending")
		if err := fs.Parse(args[1:]); err != nil {
			return app.ExitFailed
		}
		ia.File = fs.Arg(0)
		return app.RunIngest(ctx, cfg, ia, os.Stdout, log)
	case "gc":
		var ga app.GCArgs
		fs.DurationVar(&ga.MinAge, "min-age", time.Hour, "keep unreferenced objects younger than this (loads in flight)")
		fs.BoolVar(&ga.DryRun, "dry-run", false, "only report what would be removed")
		if err := fs.Parse(args[1:]); err != nil {
			return app.ExitFailed
		}
		return app.RunGC(ctx, cfg, ga, os.Stdout, log)
	default:
		usage()
		return app.ExitFailed
	}
}

// lakeFlags adds the S3 lake settings; the environment supplies defaults so secrets stay off the
// command line.
func lakeFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.StringVar(&cfg.Lake, "lake", os.Getenv("ECOLAKE_LAKE"), "lake location: empty for DATA/lake, or s3://bucket/prefix")
	fs.StringVar(&cfg.S3.Endpoint, "s3-endpoint", os.Getenv("ECOLAKE_S3_ENDPOINT"), "S3 endpoint host:port")
	fs.StringVar(&cfg.S3.AccessKey, "s3-access-key", os.Getenv("ECOLAKE_S3_ACCESS_KEY"), "S3 access key")
	cfg.SetS3Secret(os.Getenv("ECOLAKE_S3_SECRET_KEY"))
	fs.Func("s3-secret-key", "S3 secret key (prefer ECOLAKE_S3_SECRET_KEY)", func(v string) error {
		cfg.SetS3Secret(v)
		return nil
	})
	fs.BoolVar(&cfg.S3.Secure, "s3-secure", os.Getenv("ECOLAKE_S3_SECURE") == "true", "use https for S3")
	fs.StringVar(&cfg.S3.Region, "s3-region", os.Getenv("ECOLAKE_S3_REGION"), "S3 region")
}
