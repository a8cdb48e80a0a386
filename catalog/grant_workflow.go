package catalog

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// The grant workflow: 待审批 → 已批准 or 已驳回; 待审批 or 已批准 → 已撤销. A grant is requested by
// its grantee (or a curator on its behalf), decided by a reviewer of the department that owns the
// entry (or an admin) who is neither its requester nor its grantee, and revoked by such a
// reviewer, an admin or the grantee. Every step is one journal command naming who and the
// revision it was based on.

const (
	cmdRequestGrant cmdType = "request_grant"
	cmdApproveGrant cmdType = "approve_grant"
	cmdRefuseGrant  cmdType = "refuse_grant"
	cmdRevokeGrant  cmdType = "revoke_grant"
)

type (
	// requestGrantCmd carries what was asked for; id, status, times and history follow on apply.
	requestGrantCmd struct {
		Actor        Actor     `json:"actor"`
		Entry        string    `json:"entry"`
		Grantee      string    `json:"grantee"`
		Items        []string  `json:"items,omitempty"`
		Purpose      string    `json:"purpose"`
		Expires      time.Time `json:"expires"`
		Mode         string    `json:"mode"`
		MinGroupSize int       `json:"min_group_size,omitempty"`
		Unmasked     []string  `json:"unmasked,omitempty"`
	}
	// grantStepCmd is an approval, refusal or revocation of grant ID based on revision Base.
	grantStepCmd struct {
		Actor Actor  `json:"actor"`
		ID    string `json:"id"`
		Base  uint64 `json:"base"`
		Note  string `json:"note,omitempty"`
	}
)

// grantSteps gives each step command the status it leads to.
var grantSteps = map[cmdType]string{
	cmdApproveGrant: GrantApproved, cmdRefuseGrant: GrantRefused, cmdRevokeGrant: GrantRevoked,
}

func init() {
	appliers[cmdRequestGrant] = applier{cmdVersion1, decodeApply(applyRequestGrant)}
	for typ := range grantSteps {
		appliers[typ] = applier{cmdVersion1, decodeApply(applyGrantStep(typ))}
	}
}

// RequestGrant records a request for grant g on behalf of p and returns it as stored (待审批). p
// is the grantee itself, or a steward or admin asking for it. The entry must exist for both (if
// not, the answer is the one for an entry that does not exist), be published and be shared
// (有条件共享 or 无条件共享, the latter for unmasked items). Only the request's fields of g are
// read: ID, status and times are the catalogue's.
func (s *Store) RequestGrant(ctx context.Context, p *Principal, g Grant) (*Grant, error) {
	cmd := requestGrantCmd{Actor: actorOf(p), Entry: g.Entry, Grantee: g.Grantee, Items: g.Items,
		Purpose: clipNote(g.Purpose), Expires: g.Expires.UTC(), Mode: g.Mode, MinGroupSize: g.MinGroupSize, Unmasked: g.Unmasked}
	var id string
	err := s.submit(ctx, cmdRequestGrant, cmd, func(txn *memdb.Txn) error {
		if err := validateGrantRequest(txn, p, &cmd, s.cfg.Clock()); err != nil {
			return err
		}
		id = nextGrantID(txn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.View().Grant(id)
}

// ApproveGrant approves a requested grant on behalf of p: a reviewer of the department owning the
// entry, or an admin, who neither requested the grant nor receives it. base is the revision p
// saw; a grant changed since is ErrConflict naming who changed it.
func (s *Store) ApproveGrant(ctx context.Context, p *Principal, id string, base uint64, note string) error {
	return s.stepGrant(ctx, cmdApproveGrant, p, id, base, note)
}

// RefuseGrant refuses a requested grant, with the reason in note; who may is as for ApproveGrant.
func (s *Store) RefuseGrant(ctx context.Context, p *Principal, id string, base uint64, note string) error {
	return s.stepGrant(ctx, cmdRefuseGrant, p, id, base, note)
}

// RevokeGrant revokes a requested or approved grant on behalf of p: a reviewer of the department
// owning the entry, an admin, or the grantee. From the next request on it opens nothing.
func (s *Store) RevokeGrant(ctx context.Context, p *Principal, id string, base uint64, note string) error {
	return s.stepGrant(ctx, cmdRevokeGrant, p, id, base, note)
}

func (s *Store) stepGrant(ctx context.Context, typ cmdType, p *Principal, id string, base uint64, note string) error {
	cmd := grantStepCmd{Actor: actorOf(p), ID: id, Base: base, Note: clipNote(note)}
	return s.submit(ctx, typ, cmd, func(txn *memdb.Txn) error {
		return validateGrantStep(txn, typ, p, &cmd, s.cfg.Clock())
	})
}

func validateGrantRequest(txn *memdb.Txn, p *Principal, cmd *requestGrantCmd, now time.Time) error {
	if !known(p) {
		return schemas.Userf(schemas.ErrForbidden, "无权申请授权: 账号无效或已停用")
	}
	if p.ID != cmd.Grantee && !MayRequestGrantsForOthers(p) {
		return schemas.Userf(schemas.ErrForbidden, "只能为本账号申请授权; 数据管理员与系统管理员可代为申请")
	}
	grantee, err := first[Principal](txn, tablePrincipals, "principal", cmd.Grantee)
	if err != nil || grantee.Disabled {
		return schemas.Userf(ErrInvalid, "被授权账号 %s 不存在或已停用", schemas.Clip(cmd.Grantee, 64))
	}
	e, err := entryTxn(txn, cmd.Entry)
	if err != nil {
		return err
	}
	if !exists(p, e) || !exists(grantee, e) {
		return entryNotFound(cmd.Entry) // exactly as for an entry that does not exist
	}
	pr := newProblems("授权申请（目录 %s）", e.ResourceCode)
	if e.Status != StatusPublished || e.Secret {
		pr.add("entry", "目录未发布或为涉密目录，没有可授权的数据")
	}
	if e.ShareType != ShareConditional && e.ShareType != ShareUnconditional {
		pr.add("entry", "共享类型为%s，授权不能开放", schemas.ShareTypes.NameOf(e.ShareType))
	}
	pr.required("purpose", cmd.Purpose)
	switch {
	case cmd.Expires.IsZero():
		pr.add("expires", "必填")
	case !cmd.Expires.After(now):
		pr.add("expires", "到期时间 %s 须晚于当前时间", cmd.Expires.In(beijing).Format("2006-01-02 15:04"))
	}
	if _, ok := GrantModeNames[cmd.Mode]; !ok {
		pr.add("mode", "须为 %s（明细数据）或 %s（仅汇总统计）", GrantRows, GrantAggregates)
	}
	switch {
	case cmd.MinGroupSize < 0:
		pr.add("min_group_size", "不能为负数")
	case cmd.MinGroupSize > 0 && cmd.Mode != GrantAggregates:
		pr.add("min_group_size", "只有仅汇总统计的授权可设最小分组")
	case cmd.MinGroupSize > 0 && cmd.MinGroupSize < MinGroupAggregatesOnly:
		pr.add("min_group_size", "最小分组不能小于 %d", MinGroupAggregatesOnly)
	}
	checkGrantItems(pr, e, cmd.Items, cmd.Unmasked)
	return pr.err()
}

// checkGrantItems refuses item fields the entry does not have, repeated ones, and unmasked
// items that are no personal information or lie outside the grant's items.
func checkGrantItems(pr *problems, e *Entry, items, unmasked []string) {
	for i, f := range items {
		if _, _, ok := e.Items.Field(f); !ok {
			pr.add(fmt.Sprintf("items[%d]", i), "目录没有信息项%s", schemas.Quote(f))
		} else if slices.Index(items, f) < i {
			pr.add(fmt.Sprintf("items[%d]", i), "信息项%s重复", schemas.Quote(f))
		}
	}
	for i, f := range unmasked {
		field := fmt.Sprintf("unmasked[%d]", i)
		it, _, ok := e.Items.Field(f)
		switch {
		case !ok:
			pr.add(field, "目录没有信息项%s", schemas.Quote(f))
		case it.PIType == "":
			pr.add(field, "信息项%s不是个人信息，无需申请明文", schemas.Quote(f))
		case len(items) > 0 && !slices.Contains(items, f):
			pr.add(field, "信息项%s不在授权的信息项之内", schemas.Quote(f))
		case slices.Index(unmasked, f) < i:
			pr.add(field, "信息项%s重复", schemas.Quote(f))
		}
	}
}

func validateGrantStep(txn *memdb.Txn, typ cmdType, p *Principal, cmd *grantStepCmd, now time.Time) error {
	g, err := first[Grant](txn, tableGrants, "grant", cmd.ID)
	if err != nil {
		return schemas.Userf(ErrNotFound, "授权 %s 不存在", schemas.Clip(cmd.ID, 64))
	}
	e, err := entryTxn(txn, g.Entry)
	if err != nil || !known(p) || !exists(p, e) {
		// A grant on an entry above p's clearance is no grant p can know of.
		return schemas.Userf(ErrNotFound, "授权 %s 不存在", g.ID)
	}
	reviewer := mayDecideGrant(p, e)
	if typ == cmdRevokeGrant {
		if !reviewer && p.ID != g.Grantee {
			return schemas.Userf(schemas.ErrForbidden, "只有目录责任部门的审核员、系统管理员或被授权账号本人可以撤销授权 %s", g.ID)
		}
	} else {
		if !reviewer {
			return schemas.Userf(schemas.ErrForbidden, "只有目录责任部门（%s）的审核员或系统管理员可以审批授权 %s", e.Department, g.ID)
		}
		if p.ID == g.RequestedBy || p.ID == g.Grantee {
			return schemas.Userf(schemas.ErrForbidden, "不能审批本人申请或授予本人的授权 %s", g.ID)
		}
	}
	if g.Revision != cmd.Base {
		return schemas.Userf(ErrConflict, "%s", fmt.Sprintf("授权 %s 已被%s于 %s 修改（当前版本 %d，您的操作基于版本 %d），请刷新后重新操作",
			g.ID, g.updatedBy(), g.UpdatedAt.In(beijing).Format("2006-01-02 15:04:05"), g.Revision, cmd.Base))
	}
	from := []string{GrantRequested}
	if typ == cmdRevokeGrant {
		from = append(from, GrantApproved)
	}
	if !slices.Contains(from, g.Status) {
		return schemas.Userf(ErrConflict, "授权 %s 当前为%s，不能%s", g.ID, GrantStatus(g.Status), grantStepNames[typ])
	}
	pr := newProblems("授权 %s", g.ID)
	switch typ {
	case cmdApproveGrant:
		if !g.Expires.After(now) {
			pr.add("expires", "授权已于 %s 到期，不能批准，请重新申请", g.Expires.In(beijing).Format("2006-01-02 15:04"))
		}
	case cmdRefuseGrant:
		pr.required("note", cmd.Note) // the requester is told why
	}
	return pr.err()
}

var grantStepNames = map[cmdType]string{cmdApproveGrant: "批准", cmdRefuseGrant: "驳回", cmdRevokeGrant: "撤销"}

func applyRequestGrant(txn *memdb.Txn, rec *record, cmd *requestGrantCmd) error {
	at := rec.At.UTC()
	g := &Grant{
		ID: nextGrantID(txn), Entry: cmd.Entry, Grantee: cmd.Grantee,
		Items: slices.Clone(cmd.Items), Purpose: cmd.Purpose, Expires: cmd.Expires.UTC(),
		Mode: cmd.Mode, MinGroupSize: cmd.MinGroupSize, Unmasked: slices.Clone(cmd.Unmasked),
		Status: GrantRequested, RequestedBy: cmd.Actor.ID, Revision: rec.Index, CreatedAt: at, UpdatedAt: at,
		Events: []GrantEvent{{Action: GrantRequested, By: cmd.Actor, At: at}},
	}
	return insertGrant(txn, g)
}

func applyGrantStep(typ cmdType) func(*memdb.Txn, *record, *grantStepCmd) error {
	status := grantSteps[typ]
	return func(txn *memdb.Txn, rec *record, cmd *grantStepCmd) error {
		old, err := first[Grant](txn, tableGrants, "grant", cmd.ID)
		if err != nil {
			return err
		}
		g := copyGrant(old)
		at := rec.At.UTC()
		g.Status, g.Revision, g.UpdatedAt = status, rec.Index, at
		if typ != cmdRevokeGrant {
			g.DecidedBy, g.DecisionNote = cmd.Actor.ID, cmd.Note
		}
		g.Events = append(g.Events, GrantEvent{Action: status, By: cmd.Actor, At: at, Note: cmd.Note})
		return insertGrant(txn, g)
	}
}

// mayDecideGrant decides who approves or refuses a grant on e: the reviewers of its department,
// and administrators.
func mayDecideGrant(p *Principal, e *Entry) bool {
	return p.Role == RoleAdmin || p.Role == RoleReviewer && ownDepartment(p, e)
}

// MayDecideGrants reports whether p may decide grant requests on any entry at all (a reviewer
// of a department, an administrator): what a form offers; each request is decided by
// mayDecideGrant.
func MayDecideGrants(p *Principal) bool {
	return known(p) && (p.Role == RoleAdmin || p.Role == RoleReviewer && p.Department != "")
}

// MayRequestGrantsForOthers reports whether p may request a grant for another account.
func MayRequestGrantsForOthers(p *Principal) bool { return curator(p) }
