package query

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/catalog"
)

// The Mutation root: the directory workflow of catalog/workflow.go, one field per operation.
// Every schema has it; the catalogue decides each operation itself (role, department,
// clearance, self-approval) inside the command, so a resolver only reads its arguments, calls the
// catalogue and answers with what the catalogue holds afterwards. graphql-go runs the fields of
// a mutation one after another, and each answers from a view taken after its own write.

// mutation builds the Mutation root of one schema.
func (s *Service) mutation(d *workflowTypes) *graphql.Object {
	nn, str := graphql.NewNonNull, graphql.String
	code := &graphql.ArgumentConfig{Type: nn(str), Description: "信息资源代码"}
	base := &graphql.ArgumentConfig{Type: nn(Long), Description: "操作所基于的版本号 (Entry.revision)"}
	note := func(t graphql.Input, desc string) *graphql.ArgumentConfig {
		return &graphql.ArgumentConfig{Type: t, Description: desc}
	}
	// step is an operation on an existing entry that names its code, base and a note.
	type stepFn func(ctx context.Context, p *catalog.Principal, code string, base uint64, note string) error
	step := func(name, desc, noteArg string, required bool, fn stepFn) *graphql.Field {
		t := graphql.Input(str)
		if required {
			t = nn(str)
		}
		return &graphql.Field{Type: d.entry, Description: desc,
			Args: graphql.FieldConfigArgument{"code": code, "base": base, noteArg: note(t, "原因或审核意见")},
			Resolve: s.write(name, func(ctx context.Context, r *request, args map[string]any) (any, error) {
				c := &inputCheck{}
				var n string
				c.text(args, noteArg, noteArg, maxNoteText, func(v string) { n = v })
				b, err := baseArg(args)
				if err != nil {
					return nil, err
				}
				if err := c.err("参数"); err != nil {
					return nil, err
				}
				cd, _ := args["code"].(string)
				if err := fn(ctx, r.principal, cd, b, n); err != nil {
					return nil, err
				}
				return s.working(r, cd)
			})}
	}
	fields := graphql.Fields{
		"createEntry": {Type: d.entry, Description: "登记目录资源 (草稿); 返回登记后的目录",
			Args: graphql.FieldConfigArgument{"input": {Type: nn(d.entryInput)}, "reason": note(str, "原因")},
			Resolve: s.write("createEntry", func(ctx context.Context, r *request, args map[string]any) (any, error) {
				c := &inputCheck{view: &viewLookup{r.view}}
				e := &catalog.Entry{}
				m, _ := args["input"].(map[string]any)
				c.applyEntry(m, e)
				s.applyTransform(ctx, r, c, m, e)
				var reason string
				c.text(args, "reason", "reason", maxNoteText, func(v string) { reason = v })
				if err := c.err("目录资源登记"); err != nil {
					return nil, err
				}
				n, err := s.cat.CreateEntry(ctx, r.principal, e, reason)
				if err != nil {
					return nil, err
				}
				return s.working(r, n.ResourceCode)
			})},
		"editEntry": {Type: d.entry,
			Description: "修改目录资源: 草稿就地修改, 已发布的目录生成变更申请 (发布版本不变, 审核通过后替换); 返回修改后的工作版本",
			Args:        graphql.FieldConfigArgument{"code": code, "base": base, "input": {Type: nn(d.entryInput)}, "reason": note(str, "原因")},
			Resolve: s.write("editEntry", func(ctx context.Context, r *request, args map[string]any) (any, error) {
				cd, _ := args["code"].(string)
				b, err := baseArg(args)
				if err != nil {
					return nil, err
				}
				e, err := s.working(r, cd)
				if err != nil {
					return nil, err
				}
				c := &inputCheck{view: &viewLookup{r.view}}
				m, _ := args["input"].(map[string]any)
				c.applyEntry(m, e)
				s.applyTransform(ctx, r, c, m, e)
				if e.ResourceCode != cd {
					c.add("resourceCode", "资源代码不能修改")
				}
				var reason string
				c.text(args, "reason", "reason", maxNoteText, func(v string) { reason = v })
				if err := c.err("目录 " + cd); err != nil {
					return nil, err
				}
				if err := s.cat.EditEntry(ctx, r.principal, e, b, reason); err != nil {
					return nil, err
				}
				return s.working(r, cd)
			})},
		"submitEntry":   step("submitEntry", "提交审核 (草稿或变更申请)", "comment", false, s.cat.SubmitEntry),
		"approveEntry":  step("approveEntry", "审核通过并发布 (不能审核自己修改或提交的版本)", "comment", false, s.cat.ApproveEntry),
		"sendBackEntry": step("sendBackEntry", "退回修改, 须填写审核意见", "comment", true, s.cat.SendBackEntry),
		"retireEntry":   step("retireEntry", "下线, 须填写原因", "reason", true, s.cat.RetireEntry),
		"restoreEntry":  step("restoreEntry", "恢复已下线的目录 (经审核后重新发布), 须填写原因", "reason", true, s.cat.RestoreEntry),
		"gradeEntry": {Type: nn(d.gradeResult),
			Description: "定级: 升级即时生效; 降低已发布目录的分级生成降级申请, 须填写原因并经审核",
			Args: graphql.FieldConfigArgument{"code": code, "base": base,
				"items":    {Type: graphql.NewList(nn(d.itemGradeInput)), Description: "信息项的新分级, 未列出的不变"},
				"override": {Type: str, Description: "人工调整的分级; 空字符串清除, 不提供则不变"},
				"evidence": {Type: d.evidenceInput, Description: "定级依据"},
				"reason":   note(str, "原因 (降级或低于定级矩阵建议时必填)")},
			Resolve: s.write("gradeEntry", func(ctx context.Context, r *request, args map[string]any) (any, error) {
				cd, _ := args["code"].(string)
				b, err := baseArg(args)
				if err != nil {
					return nil, err
				}
				g := catalog.Grading{Code: cd, Base: b}
				c := &inputCheck{}
				c.grading(args, &g)
				if err := c.err("目录 " + cd + " 定级"); err != nil {
					return nil, err
				}
				pending, err := s.cat.GradeEntry(ctx, r.principal, g)
				if err != nil {
					return nil, err
				}
				e, err := s.working(r, cd)
				if err != nil {
					return gradeResult{pending: pending}, nil // graded above the principal's own clearance
				}
				return gradeResult{pending: pending, entry: e}, nil
			})},
		"putBusinessItem": {Type: d.business, Description: "登记或修改业务事项",
			Args: graphql.FieldConfigArgument{"input": {Type: nn(d.businessInput)},
				"base": {Type: Long, Description: "所基于的版本号 (BusinessItem.revision), 登记时不填"}},
			Resolve: s.write("putBusinessItem", func(ctx context.Context, r *request, args map[string]any) (any, error) {
				b, err := baseArg(args)
				if err != nil {
					return nil, err
				}
				m, _ := args["input"].(map[string]any)
				var bi catalog.BusinessItem
				bi.Code, _ = m["code"].(string)
				if old, err := r.view.BusinessItem(bi.Code); err == nil {
					bi = *old
				}
				c := &inputCheck{view: &viewLookup{r.view}}
				c.linked(m, &bi.Code, &bi.Name, &bi.Department, &bi.Description, &bi.Retired)
				if err := c.err("业务事项"); err != nil {
					return nil, err
				}
				if err := s.cat.PutBusinessItem(ctx, r.principal, bi, b); err != nil {
					return nil, err
				}
				r.refresh(s.cat.View())
				return r.view.BusinessItem(bi.Code)
			})},
		"putScene": {Type: d.scene, Description: "登记或修改应用场景",
			Args: graphql.FieldConfigArgument{"input": {Type: nn(d.sceneInput)},
				"base": {Type: Long, Description: "所基于的版本号 (Scene.revision), 登记时不填"}},
			Resolve: s.write("putScene", func(ctx context.Context, r *request, args map[string]any) (any, error) {
				b, err := baseArg(args)
				if err != nil {
					return nil, err
				}
				m, _ := args["input"].(map[string]any)
				var sc catalog.Scene
				sc.Code, _ = m["code"].(string)
				if old, err := r.view.Scene(sc.Code); err == nil {
					sc = *old
				}
				c := &inputCheck{view: &viewLookup{r.view}}
				c.linked(m, &sc.Code, &sc.Name, &sc.Department, &sc.Description, &sc.Retired)
				c.text(m, "kind", "kind", maxShortText, func(v string) { sc.Kind = catalog.SceneKind(v) })
				c.list(m, "accounts", "accounts", asIs, func(v []string) { sc.Accounts = v })
				if err := c.err("应用场景"); err != nil {
					return nil, err
				}
				if err := s.cat.PutScene(ctx, r.principal, sc, b); err != nil {
					return nil, err
				}
				r.refresh(s.cat.View())
				return r.view.Scene(sc.Code)
			})},
	}
	fields["putDepartment"] = s.departmentMutation(d.department)
	s.grantMutations(d, fields)
	return graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Description: "目录维护", Fields: fields})
}

// writeFn is one mutation: it reads its arguments, asks the catalogue and answers.
type writeFn func(ctx context.Context, r *request, args map[string]any) (any, error)

// write wraps a mutation: it notes the field for the audit line, starts from a view taken now
// (an earlier field of the same request may have changed the catalogue), and words what the
// catalogue refused as every GraphQL error is worded (directoryError).
func (s *Service) write(name string, fn writeFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		r, err := requestFrom(p.Context)
		if err != nil {
			return nil, err
		}
		r.noteField(name)
		r.refresh(s.cat.View())
		out, err := fn(p.Context, r, p.Args)
		if err != nil {
			return nil, s.directoryError(r, name, err)
		}
		return out, nil
	}
}

// working is the entry as an operation on it must be based on, read from a view taken now: its
// open change request's version when it has one the principal may see, the entry otherwise.
func (s *Service) working(r *request, code string) (*catalog.Entry, error) {
	r.refresh(s.cat.View())
	e, _, err := r.entry(code)
	if err != nil {
		return nil, err
	}
	if c, err := r.view.ChangeFor(r.principal, code); err == nil {
		return proposedOf(c), nil
	}
	return e, nil
}

// refresh moves the request to a later view of the catalogue. Only a mutation does, between its
// own fields, which graphql-go resolves one at a time on one goroutine.
func (r *request) refresh(v *catalog.View) { r.view = v }

// baseArg reads the version an operation names; left out (only where it is optional) it is 0,
// the version of what does not exist yet.
func baseArg(args map[string]any) (uint64, error) {
	raw, given := args["base"]
	if !given {
		return 0, nil
	}
	b, ok := raw.(int64)
	if !ok {
		return 0, invalidf("base 须为版本号 (非负整数)")
	}
	if b < 0 {
		return 0, invalidf("base 须为版本号 (非负整数), 不能为 %d", b)
	}
	return uint64(b), nil
}
