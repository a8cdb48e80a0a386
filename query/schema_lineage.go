package query

import (
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage"
)

// Lineage through GraphQL: lineage(entry, direction, level, field, depth, asOf) walks the
// catalogue's lineage (lineage.Trace) and impact(entry) says what depends on an entry and what
// of it is stale (lineage.ImpactOf). Both ask the catalogue's decision for every entry they
// reach: an entry that does not exist for the principal is neither shown nor walked through,
// only counted as hidden.

func newLineageTypes() (graphT, impactT *graphql.Object) {
	nn, str, integer := graphql.NewNonNull, graphql.String, graphql.Int
	node := graphql.NewObject(graphql.ObjectConfig{Name: "LineageNode", Description: "血缘节点", Fields: graphql.Fields{
		"id":       field(nn(str), "节点标识", func(n lineage.Node) any { return n.ID }),
		"kind":     field(nn(str), "类型: entry, column, source, scene, business_item", func(n lineage.Node) any { return string(n.Kind) }),
		"kindName": field(nn(str), "类型的中文名称", func(n lineage.Node) any { return lineage.KindNames[n.Kind] }),
		"entry":    field(str, "信息资源代码 (目录与信息项)", func(n lineage.Node) any { return nilIfEmpty(n.Entry) }),
		"field":    field(str, "信息项字段标识", func(n lineage.Node) any { return nilIfEmpty(n.Field) }),
		"name":     field(nn(str), "名称", func(n lineage.Node) any { return n.Name }),
		"snapshot": field(str, "本血缘所指的快照", func(n lineage.Node) any { return nilIfEmpty(n.Snapshot) }),
		"depth":    field(nn(integer), "距起点的层数", func(n lineage.Node) any { return n.Depth }),
	}})
	edge := graphql.NewObject(graphql.ObjectConfig{Name: "LineageEdge", Description: "血缘关系: 由读取的一方指向生成的一方", Fields: graphql.Fields{
		"from":     field(nn(str), "读取的一方", func(e edgeOut) any { return e.from }),
		"to":       field(nn(str), "生成的一方", func(e edgeOut) any { return e.to }),
		"kind":     field(nn(str), "关系: derived, load, serves, 或信息项间的 direct, aggregate, window, filter, group", func(e edgeOut) any { return e.kind }),
		"kindName": field(nn(str), "关系的中文名称", func(e edgeOut) any { return lineage.EdgeName(e.kind) }),
	}})
	graphT = graphql.NewObject(graphql.ObjectConfig{Name: "LineageGraph", Description: "血缘图", Fields: graphql.Fields{
		"root":      field(nn(str), "起点节点", func(g *lineage.Graph) any { return g.Root }),
		"nodes":     field(nn(graphql.NewList(nn(node))), "节点, 由近及远", func(g *lineage.Graph) any { return g.Nodes }),
		"edges":     field(nn(graphql.NewList(nn(edge))), "关系", edgesOut),
		"hidden":    field(nn(integer), "无权查看、未展开的关联目录数", func(g *lineage.Graph) any { return g.Hidden }),
		"truncated": field(nn(graphql.Boolean), "节点数达到上限, 部分节点未列出", func(g *lineage.Graph) any { return g.Truncated }),
	}})
	impacted := graphql.NewObject(graphql.ObjectConfig{Name: "ImpactedEntry", Description: "受影响的下游目录", Fields: graphql.Fields{
		"entry":  field(nn(str), "信息资源代码", func(e lineage.ImpactedEntry) any { return e.Code }),
		"name":   field(nn(str), "信息资源名称", func(e lineage.ImpactedEntry) any { return e.Name }),
		"depth":  field(nn(integer), "距起点的层数", func(e lineage.ImpactedEntry) any { return e.Depth }),
		"stale":  field(nn(graphql.Boolean), "当前是否因此过期", func(e lineage.ImpactedEntry) any { return e.Stale }),
		"reason": field(str, "过期原因", func(e lineage.ImpactedEntry) any { return nilIfEmpty(e.Reason) }),
	}})
	ref := graphql.NewObject(graphql.ObjectConfig{Name: "LineageRef", Description: "应用场景或业务事项", Fields: graphql.Fields{
		"code": field(nn(str), "代码", func(r lineage.Ref) any { return r.Code }),
		"name": field(nn(str), "名称", func(r lineage.Ref) any { return r.Name }),
		"kind": field(str, "类型 (场景: one_thing 一件事, composite 综合场景)", func(r lineage.Ref) any { return nilIfEmpty(r.Kind) }),
	}})
	figure := graphql.NewObject(graphql.ObjectConfig{Name: "FigureImpact", Description: "受影响的管理指标", Fields: graphql.Fields{
		"figure":  field(nn(str), "指标: collection_rate, business_coverage, one_thing_rate", func(f lineage.FigureImpact) any { return f.Figure }),
		"name":    field(nn(str), "指标名称", func(f lineage.FigureImpact) any { return f.Name }),
		"entries": field(nn(integer), "计入该指标的相关目录数", func(f lineage.FigureImpact) any { return f.Entries }),
	}})
	impactT = graphql.NewObject(graphql.ObjectConfig{Name: "Impact", Description: "影响分析", Fields: graphql.Fields{
		"entry": field(nn(str), "分析的对象: 信息资源代码, 或 district:区县代码", func(im *lineage.Impact) any { return im.Root }),
		"late":  field(nn(graphql.Boolean), "本目录当前未按时归集", func(im *lineage.Impact) any { return im.Lag != nil }),
		"lateReason": field(str, "未按时归集的原因, 按时归集时为 null", func(im *lineage.Impact) any {
			if im.Lag == nil {
				return nil
			}
			return im.Lag.ReasonText
		}),
		"entries":       field(nn(graphql.NewList(nn(impacted))), "由本目录加工生成的下游目录 (各层)", func(im *lineage.Impact) any { return im.Entries }),
		"scenes":        field(nn(graphql.NewList(nn(ref))), "涉及的应用场景", func(im *lineage.Impact) any { return nonNil(im.Scenes) }),
		"businessItems": field(nn(graphql.NewList(nn(ref))), "涉及的业务事项", func(im *lineage.Impact) any { return nonNil(im.BusinessItems) }),
		"figures":       field(nn(graphql.NewList(nn(figure))), "涉及的管理指标", func(im *lineage.Impact) any { return nonNil(im.Figures) }),
		"hidden":        field(nn(integer), "无权查看的下游目录数", func(im *lineage.Impact) any { return im.Hidden }),
	}})
	return graphT, impactT
}

// lineageFields adds lineage and impact to the Query root's fields.
func (s *Service) lineageFields(fields graphql.Fields) {
	graphT, impactT := newLineageTypes()
	str, nn := graphql.String, graphql.NewNonNull
	fields["lineage"] = &graphql.Field{Type: nn(graphT),
		Description: "血缘: 目录或信息项的上游 (来源) 或下游 (依赖方); 只显示本账号可见的目录",
		Args: graphql.FieldConfigArgument{
			"entry":     {Type: nn(str), Description: "信息资源代码或数据表名"},
			"direction": {Type: nn(str), Description: "upstream 上游 或 downstream 下游"},
			"level":     {Type: str, Description: "table 表级 (默认) 或 column 字段级"},
			"field":     {Type: str, Description: "字段级时只从这一信息项出发"},
			"depth":     {Type: graphql.Int, Description: "层数, 1 到 20, 默认 5"},
			"asOf":      {Type: str, Description: "上游时: 按本目录的这一快照追溯"},
			"maxNodes":  {Type: graphql.Int, Description: "节点数上限, 1 到 10000, 默认 2000; 达到上限时 truncated 为 true"},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("lineage")
			code, err := s.lineageRoot(r, p.Args["entry"].(string))
			if err != nil {
				return nil, err
			}
			o := lineage.Options{Direction: lineage.Direction(p.Args["direction"].(string))}
			if v, ok := p.Args["level"].(string); ok {
				o.Level = lineage.Level(v)
			}
			o.Field, _ = p.Args["field"].(string)
			o.AsOf, _ = p.Args["asOf"].(string)
			o.Depth, _ = p.Args["depth"].(int)
			o.MaxNodes, _ = p.Args["maxNodes"].(int)
			o.Consumers = s.consumers(r)
			g, err := lineage.Trace(r.view, r.principal, r.now, code, o)
			if err != nil {
				return nil, s.directoryError(r, "lineage", err)
			}
			return g, nil
		}}
	fields["impact"] = &graphql.Field{Type: nn(impactT),
		Description: "影响分析: 依赖本目录 (或某区县报送的目录) 的下游目录、应用场景、业务事项和管理指标, 以及其中因此过期的",
		Args: graphql.FieldConfigArgument{
			"entry":    {Type: str, Description: "信息资源代码或数据表名"},
			"district": {Type: str, Description: "或: 区县 (代码或名称), 分析它的目录未按时报送的影响"},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("impact")
			ref, _ := p.Args["entry"].(string)
			district, _ := p.Args["district"].(string)
			var im *lineage.Impact
			switch {
			case (ref == "") == (district == ""):
				return nil, invalidf("entry 与 district 须给出且只给出一个")
			case district != "":
				im, err = lineage.ImpactOfDistrict(r.view, r.principal, r.now, district)
			default:
				var code string
				if code, err = s.lineageRoot(r, ref); err != nil {
					return nil, err
				}
				im, err = lineage.ImpactOf(r.view, r.principal, r.now, code)
			}
			if err != nil {
				return nil, s.directoryError(r, "impact", err)
			}
			return im, nil
		}}
}

// lineageRoot resolves an entry reference (code or table) as the principal sees it.
func (s *Service) lineageRoot(r *request, ref string) (string, error) {
	e, _, err := r.view.EntryFor(r.principal, ref, r.now)
	if err != nil {
		return "", s.directoryError(r, "lineage", err)
	}
	return e.ResourceCode, nil
}

// Consumption shown in lineage: who read an entry over the last ConsumersDays, at most
// ConsumersShown readers per entry, from the audit's daily summaries.
const (
	ConsumersDays  = 30
	ConsumersShown = 50
)

// consumers gives lineage the recent readers of entries, from the audit, when the caller may
// read the audit (the catalogue's decision); nil otherwise, or when no audit is kept.
func (s *Service) consumers(r *request) lineage.ConsumersFunc {
	if s.cfg.Audit == nil || !catalog.Allowed(r.principal, catalog.ActReadAudit) {
		return nil
	}
	return AuditConsumers(s.cfg.Audit.Consumers, time.Now(), func(code string, err error) {
		s.log.Warn("read consumers from the audit", "dataset", code, "err", err)
	})
}

// AuditConsumers adapts the audit's consumption summaries, read through read (audit.Log's, or
// the files' for a process that does not keep the audit), to lineage's readers of an entry as
// of now; a summary that cannot be read is reported to warn and shows no readers. The caller
// has asked the catalogue whether its principal may read the audit.
func AuditConsumers(read func(code string, from, to time.Time, limit int) ([]audit.Consumer, error), now time.Time,
	warn func(code string, err error)) lineage.ConsumersFunc {
	return func(code string) []lineage.Consumer {
		// The audit's events are stamped by the wall clock (audit.go).
		cs, err := read(code, now.AddDate(0, 0, -ConsumersDays), now.Add(24*time.Hour), ConsumersShown)
		if err != nil {
			warn(code, err)
			return nil
		}
		out := make([]lineage.Consumer, len(cs))
		for i, c := range cs {
			out[i] = lineage.Consumer{Principal: c.Principal, Role: c.Role, Scene: c.Scene, Requests: c.Requests, Last: c.Last, Items: c.Items}
		}
		return out
	}
}

// edgeOut is an edge as GraphQL shows it, its ends named.
type edgeOut struct{ from, to, kind string }

func edgesOut(g *lineage.Graph) any {
	out := make([]edgeOut, len(g.Edges))
	for i, e := range g.Edges {
		from, to := g.Ends(e)
		out[i] = edgeOut{from, to, e.Kind}
	}
	return out
}
