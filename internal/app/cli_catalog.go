package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/cqeco/ecolake/internal/api"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// openCatalogForCLI opens only the catalogue of the data directory, for the account and directory
// commands that touch nothing else. create is false for commands that make no sense on a
// directory that holds no catalogue yet. It explains in Chinese why it cannot and returns nil.
func openCatalogForCLI(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger, create bool) *catalog.Store {
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(out, "错误: 配置无效: %v\n", err)
		return nil
	}
	if !create {
		if _, err := os.Stat(cfg.catalogDir()); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(out, "错误: 数据目录 %s 中还没有目录库, 请先运行 ecolake init --data %s\n", cfg.DataDir, cfg.DataDir)
			return nil
		}
	}
	cat, err := openCatalog(ctx, cfg, log)
	if err != nil {
		reportOpenError(out, cfg.DataDir, err, log)
		return nil
	}
	return cat
}

// reportOpenError explains why a command-line client could not open the data directory, most
// often because a running server holds it.
func reportOpenError(out io.Writer, dataDir string, err error, log *slog.Logger) {
	if errors.Is(err, catalog.ErrLocked) {
		fmt.Fprintf(out, "错误: 数据目录 %s 正被另一个 ecolake 进程使用 (服务运行中时请改用 HTTP 接口, 或先停止服务)\n", dataDir)
		return
	}
	if msg, ok := StartupRefusal(err); ok {
		fmt.Fprintf(out, "错误: %s\n", msg)
		return
	}
	log.Error("open data directory", "err", api.Detail(err))
	fmt.Fprintf(out, "错误: 无法打开数据目录 %s（详情见日志）\n", dataDir)
}

// StartupRefusal returns the Chinese text of an error that refused start-up for a reason the
// operator can fix (replacement code lists that are malformed or would orphan entries, --demo
// on a real directory): the text is printed as it stands.
func StartupRefusal(err error) (string, bool) {
	var (
		cle *schemas.CodeListError
		clr *catalog.CodeListRefusal
		ue  *schemas.UserError
	)
	if errors.As(err, &cle) || errors.As(err, &clr) || errors.As(err, &ue) {
		return schemas.UserMessage(err)
	}
	return "", false
}

// closeCatalog closes the store; a failure there is reported, since the command's changes are
// already durable in the journal.
func closeCatalog(cat *catalog.Store, out io.Writer) {
	if err := cat.Close(); err != nil {
		fmt.Fprintf(out, "警告: 关闭目录库时出错: %v\n", err)
	}
}

// failed prints what failed and why, and returns the exit code of a command that changed nothing.
func failed(out io.Writer, what string, err error) int {
	fmt.Fprintf(out, "错误: 未能%s: %s\n", what, failure(err))
	return ExitFailed
}

// failure is why a command failed: the text written for users when there is one, a rejected
// command's problems field by field in Chinese (without the sentinel's English), else the kind
// and the error.
func failure(err error) string {
	if msg, ok := schemas.UserMessage(err); ok && msg != "" {
		return schemas.Clip(msg, schemas.MaxUserMessage)
	}
	var inv *schemas.InvalidError
	if errors.As(err, &inv) && len(inv.Problems) > 0 {
		return inv.UserText()
	}
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return "不存在; " + err.Error()
	case errors.Is(err, catalog.ErrConflict):
		return "与现有数据冲突; " + err.Error()
	case errors.Is(err, catalog.ErrInvalid):
		return "校验未通过; " + err.Error()
	}
	return err.Error()
}

// cliTime formats a time for the command line, in local time; zero is "-".
func cliTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// writeTable prints rows under a header, each column padded to its display width: a Chinese
// character takes two terminal columns, which text/tabwriter does not know.
func writeTable(out io.Writer, header []string, rows [][]string) {
	all := append([][]string{header}, rows...)
	widths := make([]int, len(header))
	for _, r := range all {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range all {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(out, b.String())
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "(无)")
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6) {
			n++
		}
	}
	return n
}

// operatorMay asks the one access decision for the offline operator, who holds the data
// directory and so, by design, all of it.
func operatorMay(out io.Writer, act catalog.Action) bool {
	if catalog.Allowed(catalog.Operator(), act) {
		return true
	}
	fmt.Fprintln(out, "错误: 本地运维账号无权执行此操作")
	return false
}

// asOperator runs fn on the data directory's catalogue as the offline operator, once the access
// decision allows act; otherwise, or when the catalogue cannot be opened, it says why.
func asOperator(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger, act catalog.Action, fn func(*catalog.Store) int) int {
	if !operatorMay(out, act) {
		return ExitFailed
	}
	cat := openCatalogForCLI(ctx, cfg, out, log, false)
	if cat == nil {
		return ExitFailed
	}
	defer closeCatalog(cat, out)
	return fn(cat)
}
