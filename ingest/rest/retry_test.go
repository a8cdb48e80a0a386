package rest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/ingest/ingesttest"
	"github.com/cqeco/ecolake/schemas"
)

// userMessage is the error's text for users, which must name the failure.
func userMessage(t *testing.T, err error) string {
	t.Helper()
	require.ErrorIs(t, err, ingest.ErrSourceFailed)
	msg, ok := schemas.UserMessage(err)
	require.True(t, ok, "a failure of the source is told to users: %v", err)
	return msg
}

func TestTransientFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name  string
		hook  func(w http.ResponseWriter, r *http.Request, hit int) bool
		tries int // requests in all for 3 pages
	}{
		{"a slow page", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			if hit == 1 { // page 2, first try
				slowly(w, r, 5*time.Second)
				return true
			}
			return false
		}, 4},
		{"a 503 burst", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			if hit >= 1 && hit <= 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}, 6},
		{"a 429", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			if hit == 0 {
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		}, 4},
		{"a cut connection", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			if hit == 2 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					_ = conn.Close()
				}
				return true
			}
			return false
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newSystem(t)
			recs := ingesttest.Records(t0, 25)
			ns.add(recs)
			ns.setHook(tt.hook)
			p := readAll(t, context.Background(), ns.source(t, map[string]string{"page_size": "10", "timeout": "150ms"}), "")
			require.NoError(t, p.err)
			require.Len(t, p.rows, len(recs), "every record once")
			require.Len(t, ns.requests(), tt.tries)
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	ns := newSystem(t)
	ns.add(ingesttest.Records(t0, 3))
	ns.setHook(func(w http.ResponseWriter, r *http.Request, hit int) bool {
		if hit == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	begin := time.Now()
	p := readAll(t, context.Background(), ns.source(t, nil), "")
	require.NoError(t, p.err)
	require.Len(t, p.rows, 3)
	require.GreaterOrEqual(t, time.Since(begin), time.Second, "the retry waited as the system asked")
}

func TestFailuresAfterTheBudget(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		hook   func(w http.ResponseWriter, r *http.Request, hit int) bool
		url    string // instead of the system's
		want   string
		tries  int
		budget bool // failed after the retries, not at once
	}{
		{"always 503", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}, "", "HTTP 503", 4, true},
		{"always slow", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			slowly(w, r, 5*time.Second)
			return true
		}, "", "请求超时（超过 timeout 50ms）", 4, true},
		{"nobody listening", nil, closed.URL + "/api?key=" + secretPart, "连接被拒绝", 0, true},
		{"401", nil, "", "HTTP 401（接口拒绝访问，请检查令牌 token 与认证请求头 auth_header）", 1, false},
		{"403", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			w.WriteHeader(http.StatusForbidden)
			return true
		}, "", "HTTP 403", 1, false},
		{"404", func(w http.ResponseWriter, r *http.Request, hit int) bool {
			http.NotFound(w, r)
			return true
		}, "", "HTTP 404（接口地址不存在）", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newSystem(t)
			ns.add(ingesttest.Records(t0, 3))
			ns.setHook(tt.hook)
			over := map[string]string{"timeout": "50ms"}
			if tt.url != "" {
				over["url"] = tt.url
			}
			if tt.name == "401" {
				over["token"] = "Bearer expired-" + secretPart
			}
			src := ns.source(t, over)
			p := readAll(t, context.Background(), src, "")
			msg := userMessage(t, p.err)
			t.Log(msg)
			require.Contains(t, msg, "数据源 "+src.Describe()+" 第 1 页（page=1）读取失败：")
			require.Contains(t, msg, tt.want)
			require.Equal(t, tt.budget, strings.Contains(msg, "已重试 3 次"), msg)
			require.Len(t, ns.requests(), tt.tries)
			require.NotContains(t, p.err.Error(), secretPart)
			require.NotContains(t, p.err.Error(), "region=", "no query in the message")
		})
	}
}

func TestMalformedPageIsNotRetried(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", `<html>维护中</html>`, "响应不是有效的 JSON"},
		{"cut short", `{"data":[{"code":"X"`, "响应不是有效的 JSON"},
		{"records not an array", `{"data":{"code":"X"}}`, "记录路径 $.data 处不是数组"},
		{"no records", `{"code":500,"msg":"error"}`, "响应中没有记录数组 $.data"},
		{"more than asked", `{"data":[{},{},{}]}`, "返回 3 条记录，多于每页条数 page_size（2）：接口未按参数 size 分页"},
		{"too large", `{"data":[],"pad":"` + strings.Repeat("x", 2048) + `"}`, "响应超过单页上限 max_body（1024 字节）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newSystem(t)
			ns.add(ingesttest.Records(t0, 5))
			ns.setHook(func(w http.ResponseWriter, r *http.Request, hit int) bool {
				if hit == 1 {
					_, _ = io.WriteString(w, tt.body)
					return true
				}
				return false
			})
			p := readAll(t, context.Background(), ns.source(t, map[string]string{"page_size": "2", "max_body": "1024"}), "")
			require.Len(t, p.rows, 2, "the first page was read")
			msg := userMessage(t, p.err)
			t.Log(msg)
			require.Contains(t, msg, "第 2 页（page=2）")
			require.Contains(t, msg, tt.want)
			require.Len(t, ns.requests(), 2, "a malformed page is not asked for again")
		})
	}
}

func TestCancelEndsABackoffWait(t *testing.T) {
	ns := newSystem(t)
	ns.setHook(func(w http.ResponseWriter, r *http.Request, hit int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	src := ns.source(t, map[string]string{"retry_base": "20s", "max_retries": "5"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := src.Read(ctx, "")
	require.NoError(t, err)
	_, _, err = st.Next()
	require.NoError(t, err, "the header")
	time.AfterFunc(100*time.Millisecond, cancel)
	begin := time.Now()
	_, _, err = st.Next()
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ingest.ErrSourceFailed, "a cancel is not the source's failure")
	require.Less(t, time.Since(begin), 5*time.Second, "the wait ended with the cancel")
	_, _, again := st.Next()
	require.ErrorIs(t, again, context.Canceled, "the stream stays ended")
	require.NoError(t, st.Close())
}

// TestTokenNeverLeaks looks for the token and the URL's query key in everything the source says:
// Describe, the errors of every kind of failure, the log of its retries.
func TestTokenNeverLeaks(t *testing.T) {
	const queryKey = "KEY-5e6f7a8b"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ns := newSystem(t)
	ns.add(ingesttest.Records(t0, 5))
	var mode atomic.Value
	mode.Store("flaky")
	ns.setHook(func(w http.ResponseWriter, r *http.Request, hit int) bool {
		switch mode.Load() {
		case "flaky":
			if hit%2 == 0 {
				w.WriteHeader(http.StatusBadGateway)
				return true
			}
		case "down":
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		case "slow":
			slowly(w, r, 5*time.Second)
			return true
		case "garbled":
			_, _ = io.WriteString(w, "Bearer "+secretPart) // even a page echoing the token is not quoted
			return true
		}
		return false
	})
	src := ns.source(t, map[string]string{"url": ns.url() + "&appkey=" + queryKey, "timeout": "50ms", "page_size": "2"}).WithLogger(logger)
	said := []string{src.Describe()}
	p := readAll(t, context.Background(), src, "")
	require.NoError(t, p.err)
	require.Len(t, p.rows, 5)
	for _, m := range []string{"down", "slow", "garbled"} {
		mode.Store(m)
		p := readAll(t, context.Background(), src, "")
		require.Error(t, p.err, m)
		said = append(said, p.err.Error())
	}
	require.Contains(t, logs.String(), "后第 1 次重试", "the retries were logged")
	said = append(said, logs.String())
	for _, s := range said {
		require.NotContains(t, s, secretPart)
		require.NotContains(t, s, queryKey)
	}
	require.Equal(t, queryKey, ns.requests()[0].Get("appkey"))
}

func TestRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "" {
			elsewhere.Add(1)
		}
		_, _ = io.WriteString(w, `{"data":[]}`)
	}))
	defer other.Close()
	ns := newSystem(t)
	ns.add(ingesttest.Records(t0, 3))
	ns.setHook(func(w http.ResponseWriter, r *http.Request, hit int) bool {
		switch {
		case r.URL.Path == "/old":
			http.Redirect(w, r, "/api/v1/sections?"+r.URL.RawQuery, http.StatusMovedPermanently)
		case r.URL.Path == "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		case r.Header.Get("X-Api-Key") == ns.token: // the system under its own header name
			r.Header.Set("Authorization", ns.token)
			return false
		}
		return true
	})
	key := map[string]string{"auth_header": "X-Api-Key"}
	key["url"] = ns.srv.URL + "/old"
	p := readAll(t, context.Background(), ns.source(t, key), "")
	require.NoError(t, p.err, "a redirect within the host is followed")
	require.Len(t, p.rows, 3)

	key["url"] = ns.srv.URL + "/away"
	p = readAll(t, context.Background(), ns.source(t, key), "")
	require.Contains(t, userMessage(t, p.err), "HTTP 302（接口跳转到其他主机或协议，为免令牌外泄不跟随）")
	require.Zero(t, elsewhere.Load(), "the token never reached the other host")
}

func TestBackoffBounds(t *testing.T) {
	s := &Source{cfg: config{retryBase: 100 * time.Millisecond}}
	tests := []struct {
		attempt  int
		after    time.Duration
		min, max time.Duration
	}{
		{0, 0, 0, 100 * time.Millisecond},
		{3, 0, 0, 800 * time.Millisecond},
		{40, 0, 0, maxBackoff},
		{0, 2 * time.Second, 2 * time.Second, 2 * time.Second},
		{0, time.Hour, maxRetryAfter, maxRetryAfter},
	}
	for _, tt := range tests {
		for range 50 {
			d := s.backoff(tt.attempt, tt.after)
			require.GreaterOrEqual(t, d, tt.min, "attempt %d after %s", tt.attempt, tt.after)
			require.LessOrEqual(t, d, tt.max, "attempt %d after %s", tt.attempt, tt.after)
		}
	}
	require.Equal(t, 7*time.Second, retryAfter("7"))
	require.Equal(t, maxRetryAfter, retryAfter("86400"))
	require.Zero(t, retryAfter("soon"))
	require.Zero(t, retryAfter(""))
	require.Positive(t, retryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)))
	require.True(t, errors.Is(sleep(canceled(), time.Hour), context.Canceled))
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
