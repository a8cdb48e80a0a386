package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/internal/api"
	"github.com/cqeco/ecolake/schemas"
)

// RunEntryImport registers the departments and entries of a directory document (see
// internal/api/directory.go) offline, as the operator.
func RunEntryImport(ctx context.Context, cfg Config, file string, out io.Writer, log *slog.Logger) int {
	if file == "" {
		fmt.Fprintln(out, "错误: 必须给出目录文件, 如 ecolake entry import examples/entry.json")
		return ExitFailed
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(out, "错误: 无法打开文件 %s: %v\n", file, err)
		return ExitFailed
	}
	defer f.Close()
	doc, err := api.DecodeDirectory(f)
	if err != nil {
		fmt.Fprintf(out, "错误: %s: %v\n", file, err)
		return ExitFailed
	}
	return asOperator(ctx, cfg, out, log, catalog.ActEditDirectory, func(cat *catalog.Store) int {
		res, err := api.ImportDirectory(ctx, cat, catalog.Operator(), doc)
		printImport(out, res)
		if err != nil {
			return failed(out, "登记目录", err)
		}
		fmt.Fprintf(out, "完成: %d 个处室, %d 条目录。\n", len(res.Departments), len(res.Entries))
		return ExitOK
	})
}

func printImport(out io.Writer, res api.ImportResult) {
	verb := map[bool]string{true: "已登记", false: "已更新"}
	for _, d := range res.Departments {
		fmt.Fprintf(out, "%s处室 %s %s\n", verb[d.Created], d.Code, d.Name)
	}
	for _, e := range res.Entries {
		fmt.Fprintf(out, "%s目录 %s %s (表 %s, %s)\n", verb[e.Created], e.ResourceCode, e.Name, e.Table, schemas.EntryStatuses.NameOf(e.Status))
	}
}
