package openlineage

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds of the HTTP sink, whatever it is configured with and the server says.
const (
	DefaultHTTPTimeout = 10 * time.Second
	defaultBackoff     = 250 * time.Millisecond
	maxBackoff         = 30 * time.Second
	maxRetryAfter      = time.Minute
	drainLimit         = 64 << 10 // of a response body read so the connection is reused
)

// secret is a value that prints as [redacted] however it is formatted; reveal is the one way to
// its text, for the Authorization header.
type secret string

func (s secret) String() string               { return "[redacted]" }
func (s secret) GoString() string             { return "[redacted]" }
func (s secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }
func (s secret) reveal() string               { return string(s) }

// HTTPSink POSTs each event as JSON to an OpenLineage endpoint (Marquez's /api/v1/lineage, say),
// retrying with exponential backoff on network errors, 429 and 5xx. Safe for concurrent use.
type HTTPSink struct {
	url     string
	where   string // scheme://host/path: what errors show, never the query, which may hold a key
	token   secret
	client  *http.Client
	retries int
	backoff time.Duration // ceiling of the first wait; doubles per retry up to maxBackoff
}

// NewHTTPSink sends to rawURL (http or https, no user info: the token is the credential), with
// token as a bearer token when not empty, each attempt bounded by timeout (DefaultHTTPTimeout when
// 0), and up to retries retries after the first attempt.
func NewHTTPSink(rawURL, token string, timeout time.Duration, retries int) (*HTTPSink, error) {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errors.New("血缘接收地址必须是完整的 http 或 https 地址")
	case u.User != nil:
		return nil, errors.New("血缘接收地址不得包含用户名或口令，凭据请用令牌 token")
	case strings.ContainsFunc(token, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return nil, errors.New("血缘接收令牌 token 含控制字符")
	case timeout < 0:
		return nil, errors.New("血缘发送超时 timeout 不能为负")
	case retries < 0:
		return nil, errors.New("血缘发送重试次数 retries 不能为负")
	}
	if timeout == 0 {
		timeout = DefaultHTTPTimeout
	}
	return &HTTPSink{
		url:   u.String(),
		where: (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(),
		token: secret(token),
		client: &http.Client{
			Timeout: timeout,
			// A redirect could carry the token to another host: report it instead of following.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		retries: retries,
		backoff: defaultBackoff,
	}, nil
}

// String names the sink without its token or query. fmt does not call the token's own String
// through an unexported field, so the sink itself must print safely, by value and by pointer.
func (s HTTPSink) String() string { return "HTTP " + s.where }

// GoString keeps %#v from printing the fields, the token among them.
func (s HTTPSink) GoString() string { return "openlineage.HTTPSink(" + s.where + ")" }

// attempt is one failed try: why, in Chinese and without the token or the query; whether another
// try may succeed; how long the server asked to be left alone.
type attempt struct {
	reason     string
	retry      bool
	retryAfter time.Duration
}

// Send posts ev, retrying within the sink's budget. Errors wrap ErrRejected (a status another try
// will not change), ErrSendFailed (budget spent) or ctx's error.
func (s *HTTPSink) Send(ctx context.Context, ev *RunEvent) error {
	body, err := Marshal(ev)
	if err != nil {
		return fmt.Errorf("血缘事件无法序列化：%w", err)
	}
	for n := 0; ; n++ {
		a, err := s.once(ctx, body)
		switch {
		case err != nil:
			return fmt.Errorf("向 %s 发送血缘事件中止：%w", s.where, err)
		case a == nil:
			return nil
		case !a.retry:
			return fmt.Errorf("%w：%s 返回 %s", ErrRejected, s.where, a.reason)
		case n >= s.retries:
			return fmt.Errorf("%w：%s 已重试 %d 次仍未成功，最后一次：%s", ErrSendFailed, s.where, n, a.reason)
		}
		if err := sleep(ctx, s.wait(n, a.retryAfter)); err != nil {
			return fmt.Errorf("向 %s 发送血缘事件中止：%w", s.where, err)
		}
	}
}

// once makes one request; a nil attempt and nil error is success, an error is ctx's.
func (s *HTTPSink) once(ctx context.Context, body []byte) (*attempt, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil { // the URL was parsed in NewHTTPSink; the error would quote it, query and all
		return &attempt{reason: "请求无法构造"}, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ecolake-openlineage/1")
	if tok := s.token.reveal(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return netAttempt(err, s.client.Timeout), nil
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit) // the body is never shown: it may echo the request
	code := resp.StatusCode
	a := &attempt{reason: "HTTP " + strconv.Itoa(code)}
	switch {
	case code >= 200 && code <= 299:
		return nil, nil
	case code == http.StatusTooManyRequests:
		a.reason += "（请求过于频繁）"
		a.retry = true
	case code >= 500:
		a.reason += "（接收端服务器错误）"
		a.retry = true
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		a.reason += "（拒绝访问，请检查令牌 token）"
	case code >= 300 && code <= 399:
		a.reason += "（跳转到别处，为免令牌外泄不跟随）"
	}
	if a.retry {
		a.retryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return a, nil
}

// netAttempt classifies a transport error. Its text is never shown: a *url.Error quotes the whole
// address, query and all.
func netAttempt(err error, timeout time.Duration) *attempt {
	var (
		dns      *net.DNSError
		ne       net.Error
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &hostname):
		return &attempt{reason: "服务器证书校验失败"}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &attempt{reason: fmt.Sprintf("请求超时（超过 %s）", timeout), retry: true}
	case errors.As(err, &dns):
		return &attempt{reason: "域名解析失败", retry: true}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &attempt{reason: "连接被拒绝", retry: true}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &attempt{reason: "连接被中断", retry: true}
	}
	return &attempt{reason: "网络连接失败", retry: true}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(min(max(secs, 0), int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return 0
}

// wait is the pause before retry n+1: full jitter over [0, backoff×2^n] bounded by maxBackoff, and
// at least what Retry-After asked (itself bounded).
func (s *HTTPSink) wait(n int, after time.Duration) time.Duration {
	ceil := s.backoff
	for i := 0; i < n && ceil < maxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, maxBackoff)
	return max(rand.N(ceil+1), min(after, maxRetryAfter))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
