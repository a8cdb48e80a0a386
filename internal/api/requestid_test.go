package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/audit"
)

// TestRequestIDIsTheAuditEventsID: a GraphQL request's X-Request-ID is the id of the audit event
// that records it — a new one per request, or the client's own when it is sane.
func TestRequestIDIsTheAuditEventsID(t *testing.T) {
	e := newOpsEnv(t)
	const q = `{ entry(code: "0201/000003") { name } }`
	first := e.gql("tok", q).Header.Get(HeaderRequestID)
	second := e.gql("tok", q).Header.Get(HeaderRequestID)
	require.NotEmpty(t, first)
	assert.NotEqual(t, first, second)
	own := e.gql("tok", q, HeaderRequestID, "lb-7f3a:0001.x_y").Header.Get(HeaderRequestID)
	assert.Equal(t, "lb-7f3a:0001.x_y", own)

	evs, _, err := e.audit.Query(context.Background(), audit.Filter{Principal: "steward"}, "", 10)
	require.NoError(t, err)
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	assert.ElementsMatch(t, []string{first, second, own}, ids)
}

// TestRequestIDClientSupplied: a client's id is kept only when it is 1–64 characters of
// [A-Za-z0-9._:-]; any other is replaced by a new one, on every door.
func TestRequestIDClientSupplied(t *testing.T) {
	e := newOpsEnv(t)
	for _, c := range []struct {
		sent string
		kept bool
	}{
		{"abc-123", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"has space", false},
		{"line\\nbreak", false},
		{"引号", false},
		{"a,b", false},
		{"", false},
	} {
		resp, _ := e.do("GET", "/healthz", "", nil, HeaderRequestID, c.sent)
		got := resp.Header.Get(HeaderRequestID)
		require.NotEmpty(t, got, c.sent)
		assert.Equal(t, c.kept, got == c.sent, "%q → %q", c.sent, got)
		assert.True(t, saneRequestID(got), got)
	}
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// TestRequestLogLine: each request is logged with its id under "request", its door (the route
// pattern) and status — at Debug, and at Warn when it failed with a 5xx — and the id reaches the
// handler's context.
func TestRequestLogLine(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	var seen string
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen = audit.RequestID(r.Context())
		if r.PathValue("id") == "bad" {
			WriteError(w, log, errors.New("disk broke"))
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	m := newHTTPMetrics()
	srv := httptest.NewServer(tracked(mux, m, log))
	t.Cleanup(srv.Close)

	get := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.Header.Get(HeaderRequestID)
	}
	okID := get("/things/1")
	assert.Equal(t, okID, seen, "the handler's context carries the id")
	badID := get("/things/bad")

	lines := logs.lines(t)
	require.Len(t, lines, 3)
	assert.Equal(t, okID, lines[0]["request"])
	assert.Equal(t, "DEBUG", lines[0]["level"])
	assert.Equal(t, "GET /things/{id}", lines[0]["door"])
	assert.EqualValues(t, 200, lines[0]["status"])
	assert.Equal(t, "request failed", lines[1]["msg"], "the handler's error line")
	assert.Equal(t, badID, lines[1]["request"], "carries the request's id")
	assert.Contains(t, lines[1]["err"], "disk broke")
	assert.Equal(t, badID, lines[2]["request"])
	assert.Equal(t, "WARN", lines[2]["level"])
	assert.EqualValues(t, 500, lines[2]["status"])
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{200: "2xx", 204: "2xx", 301: "3xx", 404: "4xx", 503: "5xx", 42: "other", 700: "other"} {
		assert.Equal(t, want, statusClass(status), status)
	}
}
