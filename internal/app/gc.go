package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/lake"
)

// GCArgs are the arguments of `ecolake gc`.
type GCArgs struct {
	MinAge time.Duration // unreferenced objects younger than this are kept (loads in flight)
	DryRun bool
}

// RunGC removes lake objects no snapshot, manifest or run references: the orphans a killed load
// or a lost compare-and-swap leaves behind. It holds the catalogue lock, so no load of this data
// directory runs meanwhile; MinAge also protects loads of other writers of the same bucket.
func RunGC(ctx context.Context, cfg Config, args GCArgs, out io.Writer, log *slog.Logger) int {
	if args.MinAge < 0 {
		fmt.Fprintln(out, "错误: --min-age 不能为负数")
		return ExitFailed
	}
	a := openForCLI(ctx, cfg, out, log)
	if a == nil {
		return ExitFailed
	}
	defer a.Close()
	live, err := a.liveKeys(ctx)
	if err != nil {
		log.Error("gc: live keys", "err", api.Detail(err))
		fmt.Fprintln(out, "错误: 无法确定仍被引用的文件, 未删除任何文件（详情见日志）")
		return ExitFailed
	}
	res, err := lake.CollectGarbage(ctx, a.Bucket, "tables/", func(k string) bool { return live[k] }, time.Now().Add(-args.MinAge), args.DryRun)
	if err != nil {
		log.Error("gc", "err", api.Detail(err))
		fmt.Fprintf(out, "错误: 清理孤立文件失败: %s（详情见日志）\n", api.Message(err))
		return ExitFailed
	}
	verb := "删除"
	if args.DryRun {
		verb = "将删除 (试运行)"
	}
	fmt.Fprintf(out, "扫描 %d 个对象: 仍被引用 %d 个, 新近写入而保留 %d 个, %s孤立文件 %d 个 (%.1f MB)\n",
		res.Scanned, res.Live, res.Young, verb, len(res.Deleted), float64(res.Bytes)/1e6)
	for _, k := range res.Deleted {
		fmt.Fprintln(out, "  "+k)
	}
	return ExitOK
}

// liveKeys lists every object the catalogue still references: each snapshot's manifest and data
// files, and each run's rejected-rows file. Any manifest that cannot be read is an error, so
// that nothing is deleted on a partial picture.
func (a *App) liveKeys(ctx context.Context) (map[string]bool, error) {
	live := map[string]bool{}
	v := a.Cat.View()
	for _, e := range v.Entries() {
		for _, s := range v.Snapshots(e.ResourceCode) {
			m, err := lake.ReadManifest(ctx, a.Bucket, s.ManifestKey)
			if err != nil {
				return nil, fmt.Errorf("snapshot %s of %s: %w", s.ID, e.ResourceCode, err)
			}
			live[s.ManifestKey] = true
			for _, f := range m.Files {
				live[f.Key] = true
			}
		}
		for _, r := range v.Runs(e.ResourceCode) {
			if r.RejectedKey != "" {
				live[r.RejectedKey] = true
			}
		}
	}
	return live, nil
}
