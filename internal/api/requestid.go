package api

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cqeco/ecolake/audit"
)

// Every request gets an id: the client's X-Request-ID when it is sane, else a new one. The id is
// on the request's context (audit.WithRequestID), so that the audit event of a GraphQL request or
// an SDL download carries it; it is returned in the X-Request-ID header and logged with the
// request line under the key "request".

// HeaderRequestID is the header that carries a request's id both ways.
const HeaderRequestID = "X-Request-ID"

// maxRequestID bounds a client-supplied request id.
const maxRequestID = 64

// saneRequestID reports whether a client's id may be used as is: 1 to 64 characters of
// [A-Za-z0-9._:-], nothing that could forge a log line or a CSV cell of the audit.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// requestIDOf is the id a request is given at start.
func requestIDOf(r *http.Request, start time.Time) string {
	if id := strings.TrimSpace(r.Header.Get(HeaderRequestID)); saneRequestID(id) {
		return id
	}
	return audit.NewRequestID(start)
}

// doorOf is the route pattern that served r (the mux sets it on the request it was given), or
// "unmatched": a label of bounded values, never the raw path.
func doorOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// tracked wraps next: each request gets its id, its line in the log (Debug; Warn for a 5xx
// answer) and its place in the HTTP metrics (m may be nil).
func tracked(next http.Handler, m *httpMetrics, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestIDOf(r, start)
		w.Header().Set(HeaderRequestID, id)
		rw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(audit.WithRequestID(r.Context(), id))
		if m != nil {
			m.inFlight.Inc()
			defer m.inFlight.Dec()
		}
		defer func() {
			// A handler that panicked answered nothing the server will send: count it a 500,
			// then let net/http see the panic as before.
			if v := recover(); v != nil {
				rw.status = http.StatusInternalServerError
				finish(m, log, r, rw, id, start)
				panic(v)
			}
			finish(m, log, r, rw, id, start)
		}()
		next.ServeHTTP(rw, r)
	})
}

// finish records one answered request in the metrics and the log.
func finish(m *httpMetrics, log *slog.Logger, r *http.Request, rw *statusWriter, id string, start time.Time) {
	took := time.Since(start)
	status := rw.code()
	door := doorOf(r)
	if m != nil {
		m.observe(door, status, took)
	}
	if log == nil {
		return
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	log.Log(r.Context(), level, "http request", "request", id, "method", r.Method, "door", door, "status", status,
		"bytes", rw.bytes, "duration", took)
}

// statusWriter remembers the status and size of an answer. It passes Flush and Hijack through
// and unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// code is the status sent, 200 when the handler wrote nothing.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
