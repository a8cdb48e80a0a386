// Package api is the HTTP side of the service's doors: the handlers (Server), their request and
// response types, the directory document shared with `ecolake entry import`, and the one mapping
// from an error to what a caller is told: HTTP status, code, and a Simplified-Chinese message
// without internals. Every access question is asked of the catalogue; none is decided here.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cqeco/ecolake/schemas"
)

// statusOfCode maps the codes of schemas.CodeOf to HTTP statuses.
var statusOfCode = map[string]int{
	schemas.CodeInvalid:         http.StatusBadRequest,
	schemas.CodeNotFound:        http.StatusNotFound,
	schemas.CodeConflict:        http.StatusConflict,
	schemas.CodeForbidden:       http.StatusForbidden,
	schemas.CodeUnauthenticated: http.StatusUnauthorized,
	schemas.CodeTooLarge:        http.StatusRequestEntityTooLarge,
	schemas.CodeBusy:            http.StatusTooManyRequests,
	schemas.CodeInternal:        http.StatusInternalServerError,
}

// genericMessage is what a caller is told when no part of the error was written for users.
var genericMessage = map[string]string{
	schemas.CodeInvalid:         "请求无效",
	schemas.CodeNotFound:        "请求的对象不存在或无权访问",
	schemas.CodeConflict:        "操作与当前状态冲突，请刷新后重试",
	schemas.CodeForbidden:       "无权执行该操作",
	schemas.CodeUnauthenticated: "未认证：请提供有效的 Bearer 令牌",
	schemas.CodeTooLarge:        "请求或结果超过上限",
	schemas.CodeBusy:            "服务繁忙，请稍后重试",
	schemas.CodeInternal:        "服务内部错误",
}

// Code returns the code of err's kind (schemas.CodeOf); a request body over its bound
// (*http.MaxBytesError) is CodeTooLarge.
func Code(err error) string {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return schemas.CodeTooLarge
	}
	return schemas.CodeOf(err)
}

// Status returns the HTTP status of err's kind. Invalid content of a well-formed request
// (schemas.ErrUnprocessable: a submitted file's header or encoding) is 422, other invalid
// requests 400. A nil error is 200.
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	code := Code(err)
	if code == schemas.CodeInvalid && errors.Is(err, schemas.ErrUnprocessable) {
		return http.StatusUnprocessableEntity
	}
	return statusOfCode[code]
}

// Message returns what the caller is told, in Simplified Chinese and bounded: the outermost text
// in err written for users (schemas.UserMessage), else, for a rejected command, its problems field
// by field (schemas.InvalidError.UserText), else a message of its kind. It never contains the
// text %w wrapping added, which is for the log.
func Message(err error) string {
	if err == nil {
		return ""
	}
	if msg, ok := schemas.UserMessage(err); ok && msg != "" {
		return schemas.Clip(msg, schemas.MaxUserMessage)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Sprintf("请求体过大：不能超过 %d 字节", mbe.Limit)
	}
	code := Code(err)
	var inv *schemas.InvalidError
	if code == schemas.CodeInvalid && errors.As(err, &inv) && len(inv.Problems) > 0 {
		return inv.UserText() // bounded, Chinese, each problem under its field's path
	}
	return genericMessage[code]
}

// Detail renders err for the log. A *schemas.UserError's text hides its cause from users; the log
// shows the cause too.
func Detail(err error) string {
	s := err.Error()
	var u *schemas.UserError
	if errors.As(err, &u) && u.Err != nil {
		s += " (" + Detail(u.Err) + ")"
	}
	return s
}

// maxProblems bounds the per-field problems an error body lists.
const maxProblems = 100

// errorBody is the JSON of every HTTP error answer.
type errorBody struct {
	Error    string            `json:"error"`
	Code     string            `json:"code"`
	Problems []schemas.Problem `json:"problems,omitempty"`
}

// WriteError answers the request with err: status, {"error", "code", "problems"}. Internal
// errors are logged with their detail (log may be nil) and answered generically.
func WriteError(w http.ResponseWriter, log *slog.Logger, err error) {
	code := Code(err)
	if code == schemas.CodeInternal && log != nil {
		// The request id the door's middleware gave the answer ties the line to its request line
		// and audit event.
		log.Error("request failed", "request", w.Header().Get(HeaderRequestID), "err", Detail(err))
	}
	body := errorBody{Error: Message(err), Code: code}
	var inv *schemas.InvalidError
	if code == schemas.CodeInvalid && errors.As(err, &inv) {
		body.Problems = inv.Problems[:min(len(inv.Problems), maxProblems)]
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(Status(err))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(body)
}
