package audit

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"
)

// The request id ties an answer to its audit event and to its log lines: the HTTP door gives
// each request one (returned in X-Request-ID) and puts it on the request's context, and whatever
// records the request in the audit takes it from there.

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the id ctx carries, "" when none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDs numbers requests within the process; the id also carries the start time, so ids
// stay unique across restarts.
var requestIDs atomic.Uint64

// NewRequestID returns a new request id for a request started at start: its UTC time to the
// microsecond and a process-wide sequence number.
func NewRequestID(start time.Time) string {
	return start.UTC().Format("20060102T150405.000000") + "-" + strconv.FormatUint(requestIDs.Add(1), 36)
}

// RequestIDOr is the id ctx carries, or a new one for a request started at start.
func RequestIDOr(ctx context.Context, start time.Time) string {
	if id := RequestID(ctx); id != "" {
		return id
	}
	return NewRequestID(start)
}
