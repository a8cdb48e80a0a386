package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The audit as stewards read it: auditEvents pages through the recorded requests with filters.
// Only accounts the catalogue allows ActReadAudit may; an entry that does not exist for the
// reader is cut out of every event (with its items, masks and scopes) and only counted, so the
// audit never names what the reader's clearance hides.

// AuditView is an audit event as a reader may see it.
type AuditView struct {
	audit.Event
	Hidden int // entries of the event that do not exist for the reader
}

func newAuditTypes() (event, page *graphql.Object) {
	nn, str := graphql.NewNonNull, graphql.String
	list := func(t graphql.Output) graphql.Output { return nn(graphql.NewList(nn(t))) }
	strs := func(desc string, get func(*AuditView) []string) *graphql.Field {
		return field(list(str), desc, func(v *AuditView) any { return get(v) })
	}
	event = graphql.NewObject(graphql.ObjectConfig{Name: "AuditEvent", Description: "一次查询请求的审计记录", Fields: graphql.Fields{
		"id":            field(nn(str), "请求编号 (与服务日志中的 request 一致)", func(v *AuditView) any { return v.ID }),
		"at":            field(nn(str), "开始时间 (RFC 3339)", func(v *AuditView) any { return v.At.UTC().Format(time.RFC3339Nano) }),
		"principal":     field(str, "账号", func(v *AuditView) any { return nilIfEmpty(v.Principal) }),
		"role":          field(str, "角色", func(v *AuditView) any { return nilIfEmpty(v.Role) }),
		"roleName":      field(str, "角色名称", func(v *AuditView) any { return schemas.Roles.NameOf(v.Role) }),
		"scene":         field(str, "应用场景账号", func(v *AuditView) any { return nilIfEmpty(v.Scene) }),
		"entries":       strs("读取的目录资源代码", func(v *AuditView) []string { return v.Entries }),
		"items":         strs("读取的信息项 (数据表.字段)", func(v *AuditView) []string { return v.Items }),
		"masked":        strs("脱敏返回的信息项 (数据表.字段:个人信息类型)", func(v *AuditView) []string { return v.Masked }),
		"unmasked":      strs("依授权明文读取的信息项", func(v *AuditView) []string { return v.Unmasked }),
		"rowScopes":     strs("施加的行范围", func(v *AuditView) []string { return v.RowScopes }),
		"grants":        strs("依据的授权", func(v *AuditView) []string { return v.Grants }),
		"snapshots":     strs("读取的快照", func(v *AuditView) []string { return v.Snapshots }),
		"rows":          field(nn(graphql.Int), "返回的行数或分组数", func(v *AuditView) any { return v.Rows }),
		"ms":            field(nn(graphql.Float), "耗时 (毫秒)", func(v *AuditView) any { return v.Millis }),
		"outcome":       field(nn(str), "结果: OK 或错误代码", func(v *AuditView) any { return v.Outcome }),
		"error":         field(str, "错误信息", func(v *AuditView) any { return nilIfEmpty(v.Error) }),
		"hiddenEntries": field(nn(graphql.Int), "本账号无权查看、未列出的目录数", func(v *AuditView) any { return v.Hidden }),
	}})
	page = graphql.NewObject(graphql.ObjectConfig{Name: "AuditPage", Description: "审计记录的一页, 按时间先后", Fields: graphql.Fields{
		"nodes":      field(list(event), "审计记录", func(p *auditPage) any { return p.nodes }),
		"nextCursor": field(str, "下一页的 after 参数, 没有下一页时为空", func(p *auditPage) any { return nilIfEmpty(p.next) }),
	}})
	return event, page
}

type auditPage struct {
	nodes []*AuditView
	next  string
}

// auditFields adds the root field auditEvents.
func (s *Service) auditFields(page *graphql.Object, fields graphql.Fields) {
	str := graphql.String
	fields["auditEvents"] = &graphql.Field{Type: graphql.NewNonNull(page), Description: "查询审计记录 (数据管理员、系统管理员)",
		Args: graphql.FieldConfigArgument{
			"from":      {Type: str, Description: "起始时间 (含), RFC 3339 或日期 2026-03-01 (重庆时间零点)"},
			"to":        {Type: str, Description: "截止时间 (不含), 格式同 from"},
			"principal": {Type: str, Description: "账号"},
			"scene":     {Type: str, Description: "应用场景账号"},
			"entry":     {Type: str, Description: "目录资源代码"},
			"outcome":   {Type: str, Description: "结果: OK 或错误代码"},
			"unmasked":  {Type: graphql.Boolean, Description: "只看有明文读取个人信息的记录"},
			"first":     {Type: graphql.Int, DefaultValue: 100, Description: fmt.Sprintf("每页条数, 最多 %d", audit.MaxPage)},
			"after":     {Type: str, Description: "上一页的 nextCursor"},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r, err := requestFrom(p.Context)
			if err != nil {
				return nil, err
			}
			r.noteField("auditEvents")
			f, err := AuditFilter(r.view, r.principal, p.Args)
			if err != nil {
				return nil, err
			}
			after, _ := p.Args["after"].(string)
			first, _ := p.Args["first"].(int)
			return s.readAudit(p.Context, r, f, after, first)
		}}
}

// AuditFilter checks that p may read the audit and turns the arguments of auditEvents (or the
// parameters of the CSV export, as strings) into a filter. An entry that does not exist for p
// is not a filter p may use: it answers as not found.
func AuditFilter(view *catalog.View, p *catalog.Principal, args map[string]any) (audit.Filter, error) {
	if !catalog.Allowed(p, catalog.ActReadAudit) {
		return audit.Filter{}, &userError{msg: "无权查看审计记录: 仅数据管理员和系统管理员可以查看", err: ErrForbidden}
	}
	var f audit.Filter
	var err error
	if f.From, err = auditTime(args, "from"); err != nil {
		return f, err
	}
	if f.To, err = auditTime(args, "to"); err != nil {
		return f, err
	}
	f.Principal, _ = args["principal"].(string)
	f.Scene, _ = args["scene"].(string)
	f.Entry, _ = args["entry"].(string)
	f.Outcome, _ = args["outcome"].(string)
	f.Unmasked, _ = args["unmasked"].(bool)
	if v, _ := args["unmasked"].(string); v == "true" || v == "1" {
		f.Unmasked = true
	}
	if f.Entry != "" {
		if e, err := view.Entry(f.Entry); err != nil || !catalog.Exists(p, e) {
			return f, notFound(f.Entry)
		}
	}
	return f, nil
}

func auditTime(args map[string]any, name string) (time.Time, error) {
	v, _ := args[name].(string)
	if v == "" {
		return time.Time{}, nil
	}
	if t, _, ok := parseWhen(v); ok {
		return t, nil
	}
	return time.Time{}, invalidf("%s: “%s”不是时间, 请用 RFC 3339 (2026-03-01T08:00:00+08:00) 或日期 (2026-03-01)", name, v)
}

func (s *Service) readAudit(ctx context.Context, r *request, f audit.Filter, after string, first int) (*auditPage, error) {
	if s.cfg.Audit == nil {
		return nil, &userError{msg: "审计记录未启用", err: ErrForbidden}
	}
	evs, next, err := s.cfg.Audit.Query(ctx, f, after, first)
	if errors.Is(err, audit.ErrBadCursor) {
		return nil, invalidf("after: 不是本查询给出的 nextCursor")
	}
	if err != nil {
		return nil, s.publicError(r, "auditEvents", err)
	}
	out := &auditPage{next: next}
	for i := range evs {
		out.nodes = append(out.nodes, RedactAudit(r.view, r.principal, evs[i]))
	}
	return out, nil
}

// RedactAudit returns ev as p may see it in view: the entries that do not exist for p are cut
// out with everything the event says of their tables, and counted.
func RedactAudit(view *catalog.View, p *catalog.Principal, ev audit.Event) *AuditView {
	v := &AuditView{Event: ev}
	var hidden []string // table name prefixes of hidden entries
	var kept []string
	for _, code := range ev.Entries {
		e, err := view.Entry(code)
		if err == nil && catalog.Exists(p, e) {
			kept = append(kept, code)
			continue
		}
		v.Hidden++
		if err == nil {
			hidden = append(hidden, e.Table)
		}
	}
	if v.Hidden == 0 {
		return v
	}
	v.Entries = kept
	drop := func(list []string, sep string) []string {
		var out []string
		for _, s := range list {
			table, _, _ := strings.Cut(s, sep)
			keep := true
			for _, h := range hidden {
				keep = keep && table != h
			}
			if keep {
				out = append(out, s)
			}
		}
		return out
	}
	v.Items, v.Masked, v.Unmasked = drop(ev.Items, "."), drop(ev.Masked, "."), drop(ev.Unmasked, ".")
	v.RowScopes = drop(ev.RowScopes, ":")
	v.Snapshots = nil // snapshot ids do not say whose they are: none are shown when any entry is hidden
	v.Error = ""      // an error text may name a hidden entry or table
	return v
}

// ExportAudit writes the events matching f as CSV for p, each as p may see it, and records the
// export itself in the audit.
func (s *Service) ExportAudit(ctx context.Context, w io.Writer, view *catalog.View, p *catalog.Principal, f audit.Filter) (int, error) {
	if s.cfg.Audit == nil {
		return 0, &userError{msg: "审计记录未启用", err: ErrForbidden}
	}
	start := time.Now()
	n, err := s.cfg.Audit.Export(ctx, w, f, func(ev *audit.Event) int {
		v := RedactAudit(view, p, *ev)
		*ev = v.Event
		return v.Hidden
	})
	if rerr := s.RecordDoor(ctx, p, "audit.csv", start, n, err); rerr != nil && err == nil {
		err = rerr
	}
	return n, err
}
