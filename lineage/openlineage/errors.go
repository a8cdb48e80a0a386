package openlineage

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels of the package. Callers test with errors.Is; the messages are Chinese because an
// operator or a sending system reads them as they are.
var (
	// ErrTooLarge: an incoming event is longer than MaxEventBytes.
	ErrTooLarge = errors.New("事件超过大小上限")
	// ErrTooDeep: an incoming event nests objects and arrays deeper than MaxDepth.
	ErrTooDeep = errors.New("事件嵌套层数超过上限")
	// ErrMalformed: an incoming event is not one JSON value.
	ErrMalformed = errors.New("事件不是合法的 JSON")
	// ErrInvalid: an event breaks the specification; the error is a *ValidationError.
	ErrInvalid = errors.New("事件不符合 OpenLineage 规范")
	// ErrRejected: an endpoint refused an event with a status that another attempt will not
	// change (4xx other than 429).
	ErrRejected = errors.New("接收端拒绝了事件")
	// ErrSendFailed: an endpoint could not be reached, or kept failing, within the retry budget.
	ErrSendFailed = errors.New("事件发送失败")
	// ErrClosed: a sink was used after Close.
	ErrClosed = errors.New("已关闭")
)

// Problem is one way an event breaks the specification: where, as a JSON pointer (RFC 6901) into
// the event ("" for the event itself), and why, in Chinese.
type Problem struct {
	Pointer string
	Message string
}

// ValidationError lists every problem found in one event, ordered by pointer.
type ValidationError struct {
	Problems []Problem
}

// maxListed bounds the problems Error spells out; Problems keeps them all.
const maxListed = 20

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "事件不符合 OpenLineage 2-0-2 规范，共 %d 处问题：", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "；另有 %d 处从略", len(e.Problems)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("；")
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "（事件本身）"
		}
		fmt.Fprintf(&b, "%s：%s", ptr, p.Message)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }
