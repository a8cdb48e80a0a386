package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The audit of governed reads: what each request read, under which masks and row scopes, is
// collected while it runs (notePlan) and recorded, durably, before its answer is handed out
// (Service.record). A request whose event cannot be recorded gets an error instead of its data.

// notePlan records what a data field is about to read, after the policy rewrote its plan.
func (r *request) notePlan(e *catalog.Entry, p *Plan, a catalog.Access) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e.ResourceCode)
	for _, c := range p.referenced() {
		r.items = append(r.items, e.Table+"."+c.Field)
	}
	for f, m := range p.Masks {
		r.masked = append(r.masked, e.Table+"."+f+":"+m)
	}
	unmasked := map[string]bool{}
	for _, it := range a.Items {
		unmasked[it.Field] = it.Unmasked
	}
	for _, c := range p.referenced() {
		if unmasked[c.Field] {
			r.unmasked = append(r.unmasked, e.Table+"."+c.Field)
		}
	}
	r.grants = append(r.grants, a.Grants...)
	if a.Rows != nil {
		r.scopes = append(r.scopes, fmt.Sprintf("%s: %s ∈ %s", e.Table, strings.Join(a.Rows.Fields, "|"), strings.Join(a.Rows.Districts, ",")))
	}
}

// event is the audit event of a finished request.
func (r *request) event(id string, p *catalog.Principal, start time.Time, res *graphql.Result) audit.Event {
	ev := audit.Event{ID: id, At: start, Millis: float64(time.Since(start).Microseconds()) / 1000, Outcome: audit.OutcomeOK}
	if p != nil {
		ev.Principal, ev.Role = p.ID, p.Role
		if p.Role == catalog.RoleScene {
			ev.Scene = p.ID
		}
	}
	if ev.Outcome = outcomeOf(res); len(res.Errors) > 0 {
		ev.Error = res.Errors[0].Message
	}
	if r == nil {
		return ev
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ev.Entries, ev.Items, ev.Masked, ev.RowScopes = uniq(r.entries), uniq(r.items), uniq(r.masked), uniq(r.scopes)
	ev.Snapshots, ev.Rows = uniq(r.snapshots), r.rows
	ev.Unmasked, ev.Grants = uniq(r.unmasked), uniq(r.grants)
	return ev
}

// noteTruncated records that the list at path was cut at limit rows, for the answer's
// extensions.truncated.
func (r *request) noteTruncated(path []any, limit int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.truncated = append(r.truncated, map[string]any{"path": path, "limit": limit,
		"message": fmt.Sprintf("结果多于 limit %d 行, 只返回了前 %d 行; 请用 offset 或 _page 字段翻页", limit, limit)})
}

func (r *request) cut() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.truncated
}

// RecordDoor records in the audit a read through a door other than GraphQL (the SDL, the audit
// export): which door, for whom, how many rows, how it ended, under the request id ctx carries
// (audit.RequestID). Without an audit it records nothing; an event that cannot be recorded is an
// error, and the door withholds its answer.
func (s *Service) RecordDoor(ctx context.Context, p *catalog.Principal, door string, start time.Time, rows int, failed error) error {
	if s.cfg.Audit == nil {
		return nil
	}
	ev := audit.Event{ID: audit.RequestIDOr(ctx, start), At: start, Principal: p.ID, Role: p.Role, Items: []string{door},
		Rows: rows, Millis: float64(time.Since(start).Microseconds()) / 1000, Outcome: audit.OutcomeOK}
	if p.Role == catalog.RoleScene {
		ev.Scene = p.ID
	}
	if failed != nil {
		ev.Outcome, ev.Error = schemas.CodeOf(failed), failed.Error()
	}
	if err := s.cfg.Audit.Record(ev); err != nil {
		s.log.Error("audit record failed: answer withheld", "door", door, "request_id", ev.ID, "user", p.ID, "err", err)
		return &userError{msg: "审计记录写入失败, 本次结果不予返回, 请联系管理员", err: err}
	}
	return nil
}
