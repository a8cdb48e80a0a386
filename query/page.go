package query

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
)

// Time travel and pages over a table.
//
// asOf reads a table as it stood: at a snapshot of the entry (its id) or at a time (the snapshot
// current then), under today's policy. <table>_page reads a table a page at a time with a total
// count: its cursor names the snapshot the first page read, so every page of one walk reads the
// same data even when loads commit meanwhile, and the order is made total with the visible,
// unmasked items after the asked order and the key items, so that no row is seen twice or missed.

const asOfDescription = "读取历史数据: 本目录的快照编号, 或时间 (RFC 3339, 或日期 2026-03-01 表示该日结束时); 按当前的权限规则读取"

// resolveAsOf points p at the snapshot args["asOf"] names. A snapshot id of another entry is not
// one of this entry's: it answers as an unknown value, naming nothing of the other entry.
func resolveAsOf(p *Plan, view *catalog.View, e *catalog.Entry, args map[string]any) error {
	v, _ := args["asOf"].(string)
	if v == "" {
		return nil
	}
	if snap, err := view.Snapshot(v); err == nil && snap.Entry == e.ResourceCode {
		p.Snapshot, p.Past = snap.ID, snap.ID != e.CurrentSnapshot
		return nil
	}
	t, day, ok := parseWhen(v)
	if !ok {
		return invalidf("asOf: “%s”既不是目录 %s 的快照编号, 也不是时间 (RFC 3339 或日期)", v, e.ResourceCode)
	}
	if day {
		t = t.Add(24*time.Hour - time.Nanosecond) // the end of that day
	}
	p.Snapshot = ""
	if s := view.SnapshotAt(e.ResourceCode, t); s != nil {
		p.Snapshot = s.ID
	} else if h := view.HistoryPurgedBefore(); t.Before(h) {
		return invalidf("asOf: 目录 %s 在 %s 之前的快照记录已按历史保留期清理, 无法回溯到 %s", e.ResourceCode,
			h.In(audit.Zone).Format("2006-01-02 15:04"), t.In(audit.Zone).Format("2006-01-02 15:04"))
	}
	p.Past = p.Snapshot != e.CurrentSnapshot
	return nil
}

// pageCursor is what a page's endCursor carries: the snapshot read, the rows before the next
// page, and a digest of the filter and order, which a cursor must be used with again.
type pageCursor struct {
	Snapshot string `json:"s"`
	Offset   int    `json:"o"`
	Query    string `json:"q"`
}

func (c pageCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageCursor(s string) (pageCursor, bool) {
	var c pageCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Offset < 0 {
		return pageCursor{}, false
	}
	return c, true
}

// queryDigest identifies the filter and order of a page walk.
func queryDigest(args map[string]any) string {
	b, _ := json.Marshal([]any{args["where"], args["orderBy"]})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// tablePage is the answer of <table>_page.
type tablePage struct {
	nodes []map[string]any
	info  pageInfo
	count func() (any, error) // the total, computed only when asked for
}

// pageType is the type of a table's <table>_page answer (tablePage), whose rows are of obj.
func pageType(obj *graphql.Object, base, title string) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{Name: base + "Page", Description: title + " 的一页", Fields: graphql.FieldsThunk(func() graphql.Fields {
		nn := graphql.NewNonNull
		return graphql.Fields{
			"nodes":      {Type: nn(graphql.NewList(nn(obj))), Description: "本页的行", Resolve: pageNodes},
			"pageInfo":   {Type: nonNullPageInfo, Description: "分页信息", Resolve: pageInfoOf},
			"totalCount": {Type: nonNullLong, Description: "符合条件的总行数 (另做一次计数查询, 不需要时请勿请求)", Resolve: pageCount},
		}
	})})
}

// The resolvers of every table's page type, and the wrapped types they share.
var (
	nonNullLong     = graphql.NewNonNull(Long)
	nonNullPageInfo = graphql.NewNonNull(pageInfoType)
)

func pageNodes(p graphql.ResolveParams) (any, error) {
	if tp, ok := p.Source.(*tablePage); ok {
		return tp.nodes, nil
	}
	return nil, nil
}

func pageInfoOf(p graphql.ResolveParams) (any, error) {
	if tp, ok := p.Source.(*tablePage); ok {
		return tp.info, nil
	}
	return nil, nil
}

func pageCount(p graphql.ResolveParams) (any, error) { return p.Source.(*tablePage).count() }

func (s *Service) resolvePage(p graphql.ResolveParams, code, table string) (any, error) {
	field := table + "_page"
	r, e, a, err := target(p, code, field)
	if err != nil {
		return nil, err
	}
	first := r.cfg.DefaultLimit
	if v, ok := p.Args["first"].(int); ok {
		if v < 1 || v > r.cfg.MaxLimit {
			return nil, invalidf("first 应在 1 到 %d 之间 (请求为 %d)", r.cfg.MaxLimit, v)
		}
		first = v
	}
	cols := selection{}
	for f := range selected(p.Info)["nodes"] {
		cols[f] = map[string]bool{}
	}
	args := map[string]any{"where": p.Args["where"], "orderBy": p.Args["orderBy"]}
	plan, err := rowsPlan(r.cfg, e, args, cols)
	if err != nil {
		return nil, err
	}
	if err := resolveAsOf(plan, r.view, e, p.Args); err != nil {
		return nil, err
	}
	digest := queryDigest(args)
	if after, _ := p.Args["after"].(string); after != "" {
		c, ok := decodePageCursor(after)
		if !ok || c.Query != digest {
			return nil, invalidf("after: 不是同一查询 (相同的 where 与 orderBy) 给出的 endCursor")
		}
		// The cursor names a snapshot: it must be one of this entry's, read under today's policy.
		if c.Snapshot != "" {
			if snap, err := r.view.Snapshot(c.Snapshot); err != nil || snap.Entry != e.ResourceCode {
				return nil, invalidf("after: 不是同一查询 (相同的 where 与 orderBy) 给出的 endCursor")
			}
		}
		plan.Snapshot, plan.Offset = c.Snapshot, c.Offset
	}
	if err := applyPolicy(plan, e, a); err != nil {
		return nil, s.publicError(r, field, err)
	}
	totalOrder(plan, a)
	r.notePlan(e, plan, a)
	plan.Limit = first + 1
	rows, err := s.runWithin(p.Context, r, plan)
	if err != nil {
		return nil, s.publicError(r, field, err)
	}
	out := &tablePage{nodes: rows, info: pageInfo{hasNext: len(rows) > first}}
	if len(rows) > first {
		r.refund(len(rows) - first) // the row that told of a next page is not returned
		out.nodes = rows[:first]
	}
	if len(out.nodes) > 0 {
		out.info.endCursor = pageCursor{Snapshot: plan.Snapshot, Offset: plan.Offset + len(out.nodes), Query: digest}.encode()
	}
	out.count = func() (any, error) {
		cp := &Plan{Entry: plan.Entry, Table: plan.Table, Snapshot: plan.Snapshot, Source: plan.Source,
			Past: plan.Past, Stored: plan.Stored, Key: plan.Key, Where: plan.Where, Aggregate: true, Limit: 1}
		res, err := s.run(p.Context, r, cp)
		if err != nil {
			return nil, s.publicError(r, field, err)
		}
		if len(res) == 0 {
			return int64(0), nil
		}
		return res[0]["count"], nil
	}
	return out, nil
}

// totalOrder completes p's order with the key items and then every other visible item that is
// not masked (ordering by a masked item would rank its hidden values), so that pages of one walk
// neither repeat nor skip rows; rows equal in all of these are equal in every unmasked item.
func totalOrder(p *Plan, a catalog.Access) {
	masked := map[string]bool{}
	for _, it := range a.Items {
		masked[it.Field] = it.Mask != ""
	}
	ordered := map[string]bool{}
	for _, o := range p.OrderBy {
		ordered[o.Column.Field] = true
	}
	for _, c := range p.Source {
		if !ordered[c.Field] && !masked[c.Field] {
			p.OrderBy = append(p.OrderBy, Order{Column: c})
			ordered[c.Field] = true
		}
	}
}
