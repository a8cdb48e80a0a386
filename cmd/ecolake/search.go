package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"

	"github.com/cqeco/ecolake/internal/app"
)

// searchFilterFlags are the filter flags of catalog search and the facet each sets.
var searchFilterFlags = []struct{ flag, key, usage string }{
	{"category", "category", "按信息资源`分类`筛选 (代码或名称)"},
	{"domain", "domain", "按治理`领域`筛选 (代码或名称, 如 WATER 或 治水)"},
	{"department", "department", "按责任`处室`筛选 (代码或名称)"},
	{"district", "district", "按`区县`筛选 (代码或名称, 市级为 500000)"},
	{"grade", "grade", "按数据`分级`筛选 (如 GENERAL_2 或 一般数据2级)"},
	{"share-type", "share_type", "按`共享类型`筛选"},
	{"update-cycle", "update_cycle", "按`更新周期`筛选"},
	{"status", "status", "按目录`状态`筛选 (DRAFT, PENDING_REVIEW, PUBLISHED, RETIRED 或中文)"},
}

func setupCatalogSearch(fs *flag.FlagSet, cfg *app.Config) runFunc {
	sa := app.SearchArgs{Filters: map[string][]string{}}
	fs.StringVar(&sa.As, "as", "", "以该账号 `ID` 的身份搜索 (只显示它可见的目录); 默认为本地运维")
	fs.IntVar(&sa.First, "first", 20, "每页`条数` (最多 100)")
	fs.StringVar(&sa.After, "after", "", "上一页末尾给出的`游标`")
	for _, f := range searchFilterFlags {
		key := f.key
		fs.Func(f.flag, f.usage+"; 可重复, 或用逗号分隔", func(v string) error {
			for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
				if c = strings.TrimSpace(c); c != "" {
					sa.Filters[key] = append(sa.Filters[key], c)
				}
			}
			return nil
		})
	}
	return func(ctx context.Context, pos []string, out io.Writer, log *slog.Logger) int {
		sa.Text = arg(pos, 0)
		return app.RunCatalogSearch(ctx, *cfg, sa, out, log)
	}
}
