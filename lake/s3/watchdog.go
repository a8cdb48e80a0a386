package s3

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/cqeco/ecolake/lake"
)

// DefaultStallTimeout is how long a request may wait on the store without a byte moving before
// it is abandoned (Config.StallTimeout).
const DefaultStallTimeout = 30 * time.Second

// ErrStalled is returned when the store stopped moving bytes in the middle of a request: it took
// the connection but stopped reading the upload, or sent the headers of a download and then
// nothing. It is a kind of lake.ErrUnavailable.
var ErrStalled = fmt.Errorf("数据湖存储无响应: %w", lake.ErrUnavailable)

// A watchdog cancels the context of one bucket operation once the operation has been waiting on
// the store for the stall limit with no byte moving. Only waiting on the store counts: time spent
// reading an upload's source, or by the caller between reads of a download, does not. Bytes move
// when the transport takes more of a request body, when a response body yields bytes, or when the
// connection's unacknowledged send queue shrinks (the store reading what was already sent).
type watchdog struct {
	limit  time.Duration
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	armed   map[*waiter]struct{} // requests waiting on the store now
	last    time.Time            // the last progress, or when waiting began
	timer   *time.Timer
	stalled error // set once the watchdog fired
	done    bool
}

type watchdogKey struct{}

// watch returns a context for one operation watched for stalls.
func watch(ctx context.Context, limit time.Duration) (context.Context, *watchdog) {
	wctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{limit: limit, cancel: cancel, armed: map[*waiter]struct{}{}}
	return context.WithValue(wctx, watchdogKey{}, w), w
}

// stop ends the watch and releases the context.
func (w *watchdog) stop() {
	w.mu.Lock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
	w.cancel(context.Canceled)
}

// err is the stall error once the watchdog fired, else nil.
func (w *watchdog) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled
}

// tick is how often a waiting operation is looked at.
func (w *watchdog) tick() time.Duration { return max(w.limit/4, time.Millisecond) }

func (w *watchdog) progress() {
	w.mu.Lock()
	w.last = time.Now()
	w.mu.Unlock()
}

// update re-evaluates whether r is waiting on the store after its state changed; w.mu is held.
func (w *watchdog) updateLocked(r *waiter) {
	_, was := w.armed[r]
	now := (r.inRoundTrip && !r.inSource) || r.reading > 0
	switch {
	case now && !was:
		if len(w.armed) == 0 {
			w.last = time.Now()
		}
		w.armed[r] = struct{}{}
		if w.timer == nil && !w.done && w.stalled == nil {
			w.timer = time.AfterFunc(w.tick(), w.check)
		}
	case !now && was:
		delete(w.armed, r)
	}
}

// check fires the watchdog if the operation has waited the whole limit without progress.
func (w *watchdog) check() {
	w.mu.Lock()
	w.timer = nil
	if w.done || w.stalled != nil || len(w.armed) == 0 {
		w.mu.Unlock()
		return
	}
	now := time.Now()
	for r := range w.armed {
		if r.sendQueueShrank() {
			w.last = now
		}
	}
	if now.Sub(w.last) < w.limit {
		w.timer = time.AfterFunc(w.tick(), w.check)
		w.mu.Unlock()
		return
	}
	w.stalled = fmt.Errorf("%w (%s 内无数据传输)", ErrStalled, w.limit)
	w.mu.Unlock()
	w.cancel(w.stalled)
}

// waiter is one HTTP request of a watched operation.
type waiter struct {
	w           *watchdog
	inRoundTrip bool // sending the request or waiting for the response headers
	inSource    bool // the transport is reading the request body from its source
	reading     int  // reads of the response body in progress
	conn        net.Conn
	queue       int // the connection's send queue when last looked at; -1 unknown
}

func (r *waiter) set(f func()) {
	r.w.mu.Lock()
	f()
	r.w.updateLocked(r)
	r.w.mu.Unlock()
}

// sendQueueShrank reports whether the store took bytes of the connection's send queue since the
// last look; w.mu is held.
func (r *waiter) sendQueueShrank() bool {
	if r.conn == nil {
		return false
	}
	q, ok := sendQueue(r.conn)
	if !ok {
		return false
	}
	shrank := r.queue >= 0 && q < r.queue
	r.queue = q
	return shrank
}

// watchedTransport makes the requests of watched operations report their progress.
type watchedTransport struct{ base http.RoundTripper }

func (t watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	w, ok := req.Context().Value(watchdogKey{}).(*watchdog)
	if !ok {
		return t.base.RoundTrip(req)
	}
	r := &waiter{w: w, queue: -1}
	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			w.mu.Lock()
			r.conn, r.queue = info.Conn, -1
			w.mu.Unlock()
		},
	})
	req = req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &sourceBody{rc: req.Body, r: r}
	}
	r.set(func() { r.inRoundTrip = true })
	resp, err := t.base.RoundTrip(req)
	r.set(func() { r.inRoundTrip = false })
	if err != nil {
		return nil, err
	}
	if resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = &responseBody{rc: resp.Body, r: r}
	}
	return resp, nil
}

// sourceBody is a request body: while the transport reads it, the wait is on the source, not on
// the store; each byte it takes is progress.
type sourceBody struct {
	rc io.ReadCloser
	r  *waiter
}

func (b *sourceBody) Read(p []byte) (int, error) {
	b.r.set(func() { b.r.inSource = true })
	n, err := b.rc.Read(p)
	b.r.set(func() { b.r.inSource = false })
	if n > 0 {
		b.r.w.progress()
	}
	return n, err
}

func (b *sourceBody) Close() error { return b.rc.Close() }

// responseBody is a response body: a read waits on the store, each byte it yields is progress.
type responseBody struct {
	rc io.ReadCloser
	r  *waiter
}

func (b *responseBody) Read(p []byte) (int, error) {
	b.r.set(func() { b.r.reading++ })
	n, err := b.rc.Read(p)
	if n > 0 {
		b.r.w.progress()
	}
	b.r.set(func() { b.r.reading-- })
	return n, err
}

func (b *responseBody) Close() error { return b.rc.Close() }

// watchedBody is the body Get returns: a stall while the caller reads it fails the read with
// ErrStalled, and closing it ends the watch.
type watchedBody struct {
	rc   io.ReadCloser
	w    *watchdog
	key  string
	once sync.Once
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		if stall := b.w.err(); stall != nil {
			return n, fmt.Errorf("get %s: %w", b.key, stall)
		}
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	b.once.Do(b.w.stop)
	return err
}
