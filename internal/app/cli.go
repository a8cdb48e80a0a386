package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// Exit codes of the command-line clients.
const (
	ExitOK       = 0
	ExitRejected = 1 // committed, but some rows were rejected (or nothing was valid)
	ExitFailed   = 2 // nothing committed: bad arguments, bad file, unknown entry …
)

// IngestArgs are the arguments of `ecolake ingest`.
type IngestArgs struct {
	Entry    string
	File     string
	District string
	Replace  bool
}

// RunIngest loads one district submission straight into the data directory (the server must not be
// running on the same directory: the catalogue lock says so) and prints a Chinese summary to out.
func RunIngest(ctx context.Context, cfg Config, args IngestArgs, out io.Writer, log *slog.Logger) int {
	if args.Entry == "" || args.File == "" {
		fmt.Fprintln(out, "用法: ecolake ingest --entry <资源代码> [--district 区县] [--replace] 文件.csv")
		return ExitFailed
	}
	if args.District != "" {
		d, ok := schemas.LookupDistrict(args.District)
		if !ok {
			fmt.Fprintf(out, "错误: 未知的区县 %q\n", args.District)
			return ExitFailed
		}
		args.District = d.Code
	}
	f, err := os.Open(args.File)
	if err != nil {
		fmt.Fprintf(out, "错误: 无法打开文件 %s: %v\n", args.File, err)
		return ExitFailed
	}
	defer f.Close()
	a := openForCLI(ctx, cfg, out, log)
	if a == nil {
		return ExitFailed
	}
	defer a.Close()
	res, err := a.Ingest.Submit(ctx, ingest.Submission{
		Entry: args.Entry, Filename: filepath.Base(args.File), Body: f,
		District: args.District, Principal: catalog.Operator(), Replace: args.Replace,
	})
	if err != nil {
		fmt.Fprintf(out, "归集失败: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintln(out, res.Summary())
	if res.Snapshot == nil || res.Run.RowsRejected > 0 {
		return ExitRejected
	}
	return ExitOK
}

// openForCLI opens the data directory for a command-line client, or explains in Chinese why it
// cannot (most often: a running server holds it) and returns nil.
func openForCLI(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) *App {
	a, err := Open(ctx, cfg, log, false)
	switch {
	case err == nil:
		return a
	case errors.Is(err, catalog.ErrLocked):
		fmt.Fprintf(out, "错误: 数据目录 %s 正被另一个 ecolake 进程使用 (服务运行中时请改用 HTTP 接口, 或先停止服务)\n", cfg.DataDir)
	default:
		fmt.Fprintf(out, "错误: %v\n", err)
	}
	return nil
}
