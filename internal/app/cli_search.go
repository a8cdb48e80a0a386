package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/catalog/search"
	"github.com/cqeco/ecolake/schemas"
)

// SearchArgs are the arguments of `ecolake catalog search`.
type SearchArgs struct {
	Text    string
	As      string              // principal id to search as; "" is the offline operator
	Filters map[string][]string // by facet key (search.FacetCategory …)
	First   int
	After   string
}

// RunCatalogSearch searches the directory offline, as the operator or as the principal named by
// --as: what that principal would find, under the same access decision as the service.
func RunCatalogSearch(ctx context.Context, cfg Config, sa SearchArgs, out io.Writer, log *slog.Logger) int {
	cat := openCatalogForCLI(ctx, cfg, out, log, false)
	if cat == nil {
		return ExitFailed
	}
	defer closeCatalog(cat, out)
	v := cat.View()
	p := catalog.Operator()
	if sa.As != "" {
		var err error
		if p, err = v.Principal(sa.As); err != nil {
			fmt.Fprintf(out, "错误: 账号 %s 不存在\n", schemas.Clip(sa.As, 64))
			return ExitFailed
		}
	}
	ix, err := openSearch(ctx, cfg, cat, log)
	if err != nil {
		log.Error("open search index", "err", err)
		fmt.Fprintln(out, "错误: 无法打开搜索索引（详情见日志）")
		return ExitFailed
	}
	defer func() {
		if err := ix.Close(); err != nil {
			log.Warn("close search index", "err", err)
		}
	}()
	if err := ix.Wait(ctx); err != nil {
		return failed(out, "准备搜索索引", err)
	}
	r, err := ix.Search(ctx, cat.View(), p, search.Query{Text: sa.Text, Filters: sa.Filters, Limit: sa.First, Cursor: sa.After, Facets: sa.After == ""})
	if err != nil {
		return failed(out, "搜索", err)
	}
	printSearch(out, sa, r)
	return ExitOK
}

// totalText says how many entries a search found: all of them, or, when only some were verified,
// at least how many and at most how many.
func totalText(r search.Result) string {
	if r.TotalExact {
		return fmt.Sprintf("共 %d 条", r.Total)
	}
	return fmt.Sprintf("已核实 %d 条, 至多 %d 条 (其余翻页时核实)", r.Total, r.TotalAtMost)
}

func printSearch(out io.Writer, sa SearchArgs, r search.Result) {
	what := "全部目录"
	if strings.TrimSpace(sa.Text) != "" {
		what = "“" + sa.Text + "”"
	}
	fmt.Fprintf(out, "搜索%s: %s, 本页 %d 条\n", what, totalText(r), len(r.Hits))
	rows := make([][]string, 0, len(r.Hits))
	for _, h := range r.Hits {
		e := h.Entry
		var hl []string
		for _, x := range h.Highlights {
			hl = append(hl, x.Field+": "+x.Text)
		}
		rows = append(rows, []string{e.ResourceCode, e.Name, schemas.Districts.NameOf(e.District), e.Grade().Name(),
			schemas.EntryStatuses.NameOf(e.Status), strings.Join(hl, "; ")})
	}
	writeTable(out, []string{"资源代码", "名称", "区县", "分级", "状态", "命中"}, rows)
	if len(r.Facets) > 0 && r.Total > 0 {
		fmt.Fprintln(out, "\n分面:")
		for _, f := range searchFacetTitles {
			var parts []string
			for _, c := range r.Facets[f.key] {
				parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
			}
			if len(parts) > 0 {
				fmt.Fprintf(out, "  %s: %s\n", f.title, strings.Join(parts, ", "))
			}
		}
	}
	if r.NextCursor != "" {
		fmt.Fprintf(out, "\n下一页: 加上 --after %s\n", r.NextCursor)
	}
}

var searchFacetTitles = []struct{ key, title string }{
	{search.FacetCategory, "信息资源分类"}, {search.FacetDomain, "治理领域"}, {search.FacetDepartment, "责任处室"},
	{search.FacetDistrict, "区县"}, {search.FacetGrade, "数据分级"}, {search.FacetShareType, "共享类型"},
	{search.FacetUpdateCycle, "更新周期"}, {search.FacetStatus, "目录状态"},
}
