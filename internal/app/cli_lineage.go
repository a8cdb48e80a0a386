package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/query"
)

// LineageArgs are the arguments of `ecolake lineage upstream|downstream|impact`.
type LineageArgs struct {
	As        string // Principal.ID to read as; "" for the offline operator
	Entry     string // resource code or table
	Direction string // upstream or downstream
	Level     string // table or column; "" for table
	Field     string // column level: from this item only
	Depth     int
	AsOf      string // upstream: the entry's snapshot to trace
	District  string // impact: of a district's submissions instead of an entry
}

// DefaultLineageDepth is the depth of a traversal the command line does not set.
const DefaultLineageDepth = lineage.DefaultDepth

func (a LineageArgs) options() lineage.Options {
	return lineage.Options{Direction: lineage.Direction(a.Direction), Level: lineage.Level(a.Level), Field: a.Field,
		Depth: a.Depth, AsOf: a.AsOf}
}

// RunLineage prints the lineage of an entry as a table of nodes and one of edges, as the
// principal --as may see it.
func RunLineage(ctx context.Context, cfg Config, a LineageArgs, out io.Writer, log *slog.Logger) int {
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v, now := cat.View(), time.Now()
		e, _, err := v.EntryFor(p, a.Entry, now)
		if err != nil {
			return failed(out, "查询血缘", err)
		}
		o := a.options()
		if o.Direction == lineage.Downstream && catalog.Allowed(p, catalog.ActReadAudit) {
			o.Consumers = query.AuditConsumers(func(code string, from, to time.Time, limit int) ([]audit.Consumer, error) {
				c, err := audit.ReadConsumption(cfg.auditDir(), code, from, to, limit)
				return c.Consumers, err
			}, now, func(code string, err error) {
				log.Warn("read consumers from the audit", "dataset", code, "err", err)
			})
		}
		g, err := lineage.Trace(v, p, now, e.ResourceCode, o)
		if err != nil {
			return failed(out, "查询血缘", err)
		}
		dir := map[lineage.Direction]string{lineage.Upstream: "上游", lineage.Downstream: "下游"}[lineage.Direction(a.Direction)]
		fmt.Fprintf(out, "%s %s 的%s血缘: %d 个节点, %d 条关系\n", e.ResourceCode, e.Name, dir, len(g.Nodes), len(g.Edges))
		rows := make([][]string, 0, len(g.Nodes))
		for _, n := range g.Nodes {
			rows = append(rows, []string{strconv.Itoa(n.Depth), lineage.KindNames[n.Kind], n.ID, n.Name, n.Snapshot})
		}
		writeTable(out, []string{"层", "类型", "节点", "名称", "快照"}, rows)
		rows = rows[:0]
		for _, e := range g.Edges {
			from, to := g.Ends(e)
			rows = append(rows, []string{from, to, lineage.EdgeName(e.Kind)})
		}
		fmt.Fprintln(out)
		writeTable(out, []string{"读取", "生成", "关系"}, rows)
		if g.Hidden > 0 {
			fmt.Fprintf(out, "另有 %d 个无权查看的关联目录未展开\n", g.Hidden)
		}
		if g.Truncated {
			fmt.Fprintln(out, "节点数已达上限, 部分节点未列出 (可减小 --depth)")
		}
		return ExitOK
	})
}

// RunImpact prints what depends on an entry and what of it is stale now because of it.
func RunImpact(ctx context.Context, cfg Config, a LineageArgs, out io.Writer, log *slog.Logger) int {
	return withPrincipal(ctx, cfg, a.As, out, log, func(cat *catalog.Store, p *catalog.Principal) int {
		v, now := cat.View(), time.Now()
		var (
			im   *lineage.Impact
			what string
		)
		if a.District != "" {
			var err error
			if im, err = lineage.ImpactOfDistrict(v, p, now, a.District); err != nil {
				return failed(out, "影响分析", err)
			}
			what = "区县 " + a.District + " 报送"
		} else {
			e, _, err := v.EntryFor(p, a.Entry, now)
			if err != nil {
				return failed(out, "影响分析", err)
			}
			if im, err = lineage.ImpactOf(v, p, now, e.ResourceCode); err != nil {
				return failed(out, "影响分析", err)
			}
			what = e.ResourceCode + " " + e.Name
		}
		fmt.Fprintf(out, "%s 的影响分析\n", what)
		if im.Lag != nil {
			fmt.Fprintf(out, "本目录未按时归集: %s\n", im.Lag.ReasonText)
		}
		rows := make([][]string, 0, len(im.Entries))
		stale := 0
		for _, d := range im.Entries {
			state := "正常"
			if d.Stale {
				state, stale = "过期: "+d.Reason, stale+1
			}
			rows = append(rows, []string{strconv.Itoa(d.Depth), d.Code, d.Name, state})
		}
		fmt.Fprintf(out, "下游目录 %d 个, 其中 %d 个当前过期\n", len(im.Entries), stale)
		writeTable(out, []string{"层", "资源代码", "名称", "状态"}, rows)
		for _, r := range im.Scenes {
			fmt.Fprintf(out, "应用场景: %s %s\n", r.Code, r.Name)
		}
		for _, r := range im.BusinessItems {
			fmt.Fprintf(out, "业务事项: %s %s\n", r.Code, r.Name)
		}
		for _, f := range im.Figures {
			fmt.Fprintf(out, "管理指标: %s (相关目录 %d 个)\n", f.Name, f.Entries)
		}
		if im.Hidden > 0 {
			fmt.Fprintf(out, "另有 %d 个无权查看的下游目录\n", im.Hidden)
		}
		return ExitOK
	})
}
