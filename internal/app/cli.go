package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/cqeco/ecolake/catalog"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/internal/api"
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
	Sheet    string // the sheet of a workbook; "" for its only one
	District string
	Replace  bool
}

// RunIngest loads one district submission straight into the data directory (the server must not be
// running on the same directory: the catalogue lock says so) and prints a Chinese summary to out.
func RunIngest(ctx context.Context, cfg Config, args IngestArgs, out io.Writer, log *slog.Logger) int {
	if args.Entry == "" || args.File == "" {
		fmt.Fprintln(out, "用法: ecolake ingest --entry <资源代码> [--district 区县] [--sheet 工作表] [--replace] 文件.csv 或 文件.xlsx")
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
		fmt.Fprintf(out, "错误: 无法打开文件 %s（%s）\n", schemas.Clip(args.File, 256), openFailure(err))
		return ExitFailed
	}
	defer f.Close()
	a := openForCLI(ctx, cfg, out, log)
	if a == nil {
		return ExitFailed
	}
	defer a.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	var shown time.Duration
	res, err := a.Ingest.Submit(ctx, ingest.Submission{
		Entry: args.Entry, Filename: filepath.Base(args.File), Body: f, Size: size, Sheet: args.Sheet,
		District: args.District, Principal: catalog.Operator(), Replace: args.Replace,
		Progress: func(p ingest.Progress) {
			// A long load says how far it is, every few seconds; a short one says nothing.
			if p.Elapsed >= progressQuiet && p.Elapsed-shown >= progressQuiet {
				shown = p.Elapsed
				fmt.Fprintln(out, progressLine(p))
			}
		},
	})
	if err != nil {
		fmt.Fprintf(out, "归集失败: %s\n", ingestFailure(args.Entry, res, err, log))
		return ExitFailed
	}
	fmt.Fprintln(out, res.Summary())
	if res.Duplicate {
		return ExitOK // loaded before: nothing to do
	}
	if res.Snapshot == nil || res.Run.RowsRejected > 0 {
		return ExitRejected
	}
	return ExitOK
}

// openForCLI opens the data directory for a command-line client, or explains in Chinese why it
// cannot (most often: a running server holds it) and returns nil.
func openForCLI(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) *App {
	a, err := Open(ctx, cfg, log, false)
	if err != nil {
		reportOpenError(out, cfg.DataDir, err, log)
		return nil
	}
	return a
}

// ingestFailure is the Chinese account of a failed submission. An entry that cannot be found is
// named as the user gave it; anything internal is logged and only said to be so.
func ingestFailure(ref string, res *ingest.Result, err error, log *slog.Logger) string {
	if res == nil && errors.Is(err, schemas.ErrNotFound) {
		return fmt.Sprintf("目录资源 %s 不存在", schemas.Clip(ref, 64))
	}
	if api.Code(err) == schemas.CodeInternal {
		log.Error("ingest failed", "err", api.Detail(err))
		return api.Message(err) + "（详情见日志）"
	}
	return api.Message(err)
}

// openFailure says in Chinese why a file could not be opened.
func openFailure(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "文件不存在"
	case errors.Is(err, fs.ErrPermission):
		return "没有读取权限"
	}
	return "无法读取"
}

// progressQuiet is how long a load runs before the command line shows its progress, and how
// often it shows it then.
const progressQuiet = 3 * time.Second

// progressLine is a load's progress as the command line shows it.
func progressLine(p ingest.Progress) string {
	share := ""
	if pct, ok := p.Percent(); ok {
		share = fmt.Sprintf("（%.0f%%）", pct)
	}
	return fmt.Sprintf("进度：已读取 %d 行%s，入库 %d 行，拒收 %d 行，每秒 %.0f 行", p.RowsRead, share, p.RowsAccepted, p.RowsRejected, p.RowsPerSecond())
}
