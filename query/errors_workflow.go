package query

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/cqeco/ecolake/schemas"
)

// directoryError words what a directory operation was refused with, the way every GraphQL error
// is worded: the Chinese message the catalogue wrote, extensions.code from the kind
// (schemas.CodeOf: INVALID, NOT_FOUND, CONFLICT, FORBIDDEN …), and for a refused input its
// problems field by field under the GraphQL names of the fields. Errors of no kind are logged
// and answered generically.
func (s *Service) directoryError(r *request, op string, err error) error {
	var ue *userError
	if errors.As(err, &ue) {
		return ue
	}
	var inv *schemas.InvalidError
	if errors.As(err, &inv) {
		named := &schemas.InvalidError{Subject: inv.Subject, Err: inv.Err, Problems: make([]schemas.Problem, len(inv.Problems))}
		for i, p := range inv.Problems {
			named.Problems[i] = schemas.Problem{Field: inputPath(p.Field), Message: p.Message}
		}
		return &userError{msg: named.UserText(), err: err, problems: named.Problems}
	}
	if msg, ok := schemas.UserMessage(err); ok && msg != "" {
		return &userError{msg: msg, err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &userError{msg: "目录操作超时或已取消, 请查询目录确认是否已生效", err: err}
	}
	code := schemas.CodeOf(err)
	msg, ok := directoryMessages[code]
	if !ok {
		s.log.Error("directory operation failed", "user", r.principal.ID, "op", op, "err", err)
		msg = "目录操作失败"
	}
	return &userError{msg: msg, err: err}
}

// directoryMessages word the errors of a kind that carry no message of their own.
var directoryMessages = map[string]string{
	schemas.CodeInvalid:   "请求无效",
	schemas.CodeNotFound:  "目录资源不存在或无权访问",
	schemas.CodeConflict:  "操作与目录的当前状态冲突, 请刷新后重试",
	schemas.CodeForbidden: "无权执行该操作",
}

// inputPath names a field the catalogue reported (share_type, items[2] (pm25).pi_type,
// evidence.impact_object) as the GraphQL input names it (shareType, items[2] (pm25).piType,
// evidence.impactObject). What stands in brackets is an index or an item's identifier and is
// kept; so is the identifier in "items.<field>", how a grading names an item.
func inputPath(path string) string {
	if path == "category_code" {
		return "category"
	}
	if rest, ok := strings.CutPrefix(path, "items."); ok {
		return "items." + rest
	}
	var b strings.Builder
	depth, upper := 0, false
	for _, r := range path {
		switch {
		case r == '(' || r == '[':
			depth++
		case (r == ')' || r == ']') && depth > 0:
			depth--
		case r == '_' && depth == 0:
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
		}
		upper = false
		b.WriteRune(r)
	}
	return b.String()
}

// problemList is the problems as plain JSON values, the shape extensions are bounded in.
func problemList(ps []schemas.Problem) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{"field": p.Field, "message": p.Message}
	}
	return out
}
