package openlineage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testToken = "s3cr3t-t0ken-never-shown"

func TestFileSinkConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lineage.jsonl")
	s, err := NewFileSink(path)
	require.NoError(t, err)
	const writers, each = 8, 60
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				ev := sampleEvent(t)
				ev.Run.RunID = RunUUID(fmt.Sprintf("w%d-%d", w, i))
				assert.NoError(t, s.Send(context.Background(), ev))
			}
		})
	}
	wg.Wait()
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is harmless")
	assert.ErrorIs(t, s.Send(context.Background(), sampleEvent(t)), ErrClosed)

	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, MaxEventBytes)
	seen := map[string]bool{}
	for sc.Scan() {
		ev, err := Parse(sc.Bytes())
		require.NoError(t, err, "line %d", len(seen)+1)
		seen[ev.Run.RunID] = true
	}
	require.NoError(t, sc.Err())
	assert.Len(t, seen, writers*each, "every event on a line of its own, none lost or torn")

	// Reopening appends.
	s, err = NewFileSink(path)
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), sampleEvent(t)))
	require.NoError(t, s.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, writers*each+1, countLines(b))

	_, err = NewFileSink(filepath.Join(t.TempDir(), "missing", "x.jsonl"))
	assert.Error(t, err)
}

func countLines(b []byte) (n int) {
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// endpoint is a test OpenLineage receiver answering with the statuses given, then 200.
type endpoint struct {
	*httptest.Server
	calls  atomic.Int32
	mu     sync.Mutex
	bodies [][]byte
	auth   []string
	ctype  []string
}

func newEndpoint(t *testing.T, statuses ...int) *endpoint {
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(e.calls.Add(1))
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.bodies = append(e.bodies, b)
		e.auth = append(e.auth, r.Header.Get("Authorization"))
		e.ctype = append(e.ctype, r.Header.Get("Content-Type"))
		e.mu.Unlock()
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if n <= len(statuses) {
			w.Header().Set("Location", "http://elsewhere.example/")
			w.WriteHeader(statuses[n-1])
			_, _ = io.WriteString(w, "echo: "+r.Header.Get("Authorization")) // a careless server
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(e.Close)
	return e
}

func fastSink(t *testing.T, url string, retries int) *HTTPSink {
	t.Helper()
	s, err := NewHTTPSink(url, testToken, 2*time.Second, retries)
	require.NoError(t, err)
	s.backoff = time.Millisecond
	return s
}

func TestHTTPSinkRetriesThenSucceeds(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusInternalServerError} {
		e := newEndpoint(t, status, status)
		s := fastSink(t, e.URL+"/api/v1/lineage", 3)
		require.NoError(t, s.Send(context.Background(), sampleEvent(t)), "status %d", status)
		assert.EqualValues(t, 3, e.calls.Load())
		for i := range e.bodies {
			assert.Equal(t, "Bearer "+testToken, e.auth[i])
			assert.Equal(t, "application/json", e.ctype[i])
			ev, err := Parse(e.bodies[i])
			require.NoError(t, err)
			assert.Equal(t, sampleEvent(t), ev)
		}
	}
}

func TestHTTPSinkGivesUp(t *testing.T) {
	cases := []struct {
		name      string
		statuses  []int
		retries   int
		calls     int32
		sentinel  error
		mentioned string
	}{
		{"400 is not retried", []int{400}, 3, 1, ErrRejected, "HTTP 400"},
		{"401 is not retried", []int{401}, 3, 1, ErrRejected, "令牌"},
		{"a redirect is not followed", []int{302}, 3, 1, ErrRejected, "HTTP 302"},
		{"503 until the budget is spent", []int{503, 503, 503, 503}, 2, 3, ErrSendFailed, "已重试 2 次"},
		{"no retries configured", []int{503}, 0, 1, ErrSendFailed, "HTTP 503"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEndpoint(t, c.statuses...)
			s := fastSink(t, e.URL+"/lineage?api_key=in-the-query", c.retries)
			err := s.Send(context.Background(), sampleEvent(t))
			require.ErrorIs(t, err, c.sentinel)
			assert.Equal(t, c.calls, e.calls.Load())
			assert.Contains(t, err.Error(), c.mentioned)
			assert.Contains(t, err.Error(), e.URL+"/lineage")
			assert.NotContains(t, err.Error(), testToken)
			assert.NotContains(t, err.Error(), "in-the-query")
		})
	}
}

func TestHTTPSinkUnreachable(t *testing.T) {
	url := closedPort(t)
	s := fastSink(t, url, 2)
	err := s.Send(context.Background(), sampleEvent(t))
	require.ErrorIs(t, err, ErrSendFailed)
	assert.Contains(t, err.Error(), "连接被拒绝")
	assert.NotContains(t, err.Error(), testToken)

	// A cancelled context ends the retries.
	s.backoff = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = s.Send(ctx, sampleEvent(t))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestHTTPSinkRefusesBadConfig(t *testing.T) {
	for _, url := range []string{"", "ftp://example.org/x", "file:///tmp/x", "example.org/x", "http://", "http://user:pw@example.org/x", "javascript:alert(1)"} {
		_, err := NewHTTPSink(url, "", time.Second, 1)
		assert.Error(t, err, url)
	}
	_, err := NewHTTPSink("https://example.org/x", "a\nb", time.Second, 1)
	assert.Error(t, err)
	assert.NotContains(t, err.Error(), "a\nb")
	_, err = NewHTTPSink("https://example.org/x", "", time.Second, -1)
	assert.Error(t, err)
	s, err := NewHTTPSink("https://example.org/x", testToken, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, DefaultHTTPTimeout, s.client.Timeout)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(format, s), testToken, format)
		assert.NotContains(t, fmt.Sprintf(format, *s), testToken, format)
	}
}

func TestRetryAfter(t *testing.T) {
	assert.Equal(t, 3*time.Second, retryAfter("3"))
	assert.Equal(t, maxRetryAfter, retryAfter("86400"))
	assert.Equal(t, time.Duration(0), retryAfter("-5"))
	assert.Equal(t, time.Duration(0), retryAfter(""))
	assert.Equal(t, time.Duration(0), retryAfter(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)))
	s := &HTTPSink{backoff: time.Second}
	for n := range 12 {
		w := s.wait(n, 0)
		assert.LessOrEqual(t, w, min(time.Second<<n, maxBackoff))
	}
	assert.GreaterOrEqual(t, s.wait(0, 5*time.Second), 5*time.Second)
}

// closedPort returns the URL of a port nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/api/v1/lineage"
}
