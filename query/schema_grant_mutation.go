package query

import (
	"context"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
)

// The grant mutations: one catalogue command each (catalog/grant_workflow.go), which decides
// who may request, approve, refuse or revoke and refuses a step based on a stale revision,
// naming who changed the grant. The resolvers read the arguments and answer with the grant as
// the principal sees it afterwards.

// grantMutations adds requestGrant, approveGrant, refuseGrant and revokeGrant.
func (s *Service) grantMutations(d *workflowTypes, fields graphql.Fields) {
	nn, str := graphql.NewNonNull, graphql.String
	fields["requestGrant"] = &graphql.Field{Type: d.grants.grant,
		Description: "申请授权 (待审批); 由目录责任部门的审核员或系统管理员审批, 申请人与被授权人不能审批",
		Args:        graphql.FieldConfigArgument{"input": {Type: nn(d.grants.input)}},
		Resolve: s.write("requestGrant", func(ctx context.Context, r *request, args map[string]any) (any, error) {
			m, _ := args["input"].(map[string]any)
			g := catalog.Grant{Grantee: r.principal.ID}
			c := &inputCheck{}
			c.grant(m, &g)
			if err := c.err("授权申请"); err != nil {
				return nil, err
			}
			n, err := s.cat.RequestGrant(ctx, r.principal, g)
			if err != nil {
				return nil, err
			}
			r.refresh(s.cat.View())
			return grantOrNil(r, n.ID), nil
		})}
	type stepFn func(ctx context.Context, p *catalog.Principal, id string, base uint64, note string) error
	step := func(name, desc string, required bool, fn stepFn) *graphql.Field {
		t := graphql.Input(str)
		if required {
			t = nn(str)
		}
		return &graphql.Field{Type: d.grants.grant, Description: desc,
			Args: graphql.FieldConfigArgument{
				"id":   {Type: nn(str), Description: "授权编号"},
				"base": {Type: nn(Long), Description: "操作所基于的版本号 (Grant.revision)"},
				"note": {Type: t, Description: "意见或原因"},
			},
			Resolve: s.write(name, func(ctx context.Context, r *request, args map[string]any) (any, error) {
				c := &inputCheck{}
				var note string
				c.text(args, "note", "note", maxNoteText, func(v string) { note = v })
				b, err := baseArg(args)
				if err != nil {
					return nil, err
				}
				if err := c.err("参数"); err != nil {
					return nil, err
				}
				id, _ := args["id"].(string)
				if err := fn(ctx, r.principal, id, b, note); err != nil {
					return nil, err
				}
				r.refresh(s.cat.View())
				return grantOrNil(r, id), nil
			})}
	}
	fields["approveGrant"] = step("approveGrant", "批准授权 (目录责任部门的审核员或系统管理员; 不能批准本人申请或授予本人的)", false, s.cat.ApproveGrant)
	fields["refuseGrant"] = step("refuseGrant", "驳回授权, 须填写原因 (审批权限同 approveGrant)", true, s.cat.RefuseGrant)
	fields["revokeGrant"] = step("revokeGrant", "撤销待审批或已批准的授权 (目录责任部门的审核员、系统管理员或被授权账号本人); 下一次请求起不再生效", false, s.cat.RevokeGrant)
}

// grantOrNil is the grant as the principal sees it after its own write, nil when it does not.
func grantOrNil(r *request, id string) any {
	g, err := r.view.GrantFor(r.principal, id)
	if err != nil {
		return nil
	}
	return g
}

// grant applies a GrantInput to g.
func (c *inputCheck) grant(m map[string]any, g *catalog.Grant) {
	c.text(m, "entry", "entry", maxShortText, func(v string) { g.Entry = v })
	c.text(m, "grantee", "grantee", maxShortText, func(v string) {
		if v != "" {
			g.Grantee = v
		}
	})
	c.list(m, "items", "items", asIs, func(v []string) { g.Items = v })
	c.list(m, "unmasked", "unmasked", asIs, func(v []string) { g.Unmasked = v })
	c.text(m, "purpose", "purpose", maxNoteText, func(v string) { g.Purpose = v })
	c.text(m, "expires", "expires", maxShortText, func(v string) {
		t, ok := ParseExpiry(v)
		if !ok {
			c.add("expires", "“%s”不是时间, 请用 RFC 3339 (2026-03-01T08:00:00+08:00) 或日期 (2026-03-01)", v)
		}
		g.Expires = t
	})
	c.text(m, "mode", "mode", maxShortText, func(v string) { g.Mode, _ = codeOf(catalog.GrantModeNames, v) })
	if n, ok := m["minGroupSize"].(int); ok {
		g.MinGroupSize = n
	}
}

// ParseExpiry reads the expiry of a grant, for GraphQL and the command line alike: an RFC 3339
// time, or a date, which expires at the end of that day in Chongqing.
func ParseExpiry(v string) (time.Time, bool) {
	t, day, ok := parseWhen(v)
	if day {
		t = t.AddDate(0, 0, 1)
	}
	return t, ok
}
