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
// internal/api/directory.go) offline, as the operator: the entries go through the directory
// workflow (new ones become drafts, changed published ones change requests), all or none.
func RunEntryImport(ctx context.Context, cfg Config, file, reason string, out io.Writer, log *slog.Logger) int {
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
		res, err := api.ImportDirectory(ctx, cat, catalog.Operator(), doc, reason)
		printImport(out, res)
		if err != nil {
			return failed(out, "登记目录", err)
		}
		fmt.Fprintf(out, "完成: %d 个处室, %d 条目录。\n", len(res.Departments), len(res.Entries))
		if len(res.Entries) > 0 {
			fmt.Fprintln(out, "新登记与修改的目录须提交审核 (ecolake catalog submit) 并经审核通过 (ecolake catalog approve) 后生效。")
		}
		return ExitOK
	})
}

func printImport(out io.Writer, res api.ImportResult) {
	verb := map[bool]string{true: "已登记", false: "已更新"}
	for _, d := range res.Departments {
		fmt.Fprintf(out, "%s处室 %s %s\n", verb[d.Created], d.Code, d.Name)
	}
	for _, e := range res.Entries {
		state := schemas.EntryStatuses.NameOf(e.Status)
		if e.ChangeStatus != "" {
			state += ", 变更申请" + schemas.EntryStatuses.NameOf(e.ChangeStatus)
		}
		fmt.Fprintf(out, "%s目录 %s %s (表 %s, %s, 版本 %d)\n", importVerbs[e.Action], e.ResourceCode, e.Name, e.Table, state, e.Revision)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(out, "注意: %s\n", n)
	}
}

var importVerbs = map[string]string{api.ImportCreated: "已登记", api.ImportChanged: "已修改", api.ImportUnchanged: "未改变"}
