package rest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// Bounds of the waits between attempts, whatever retry_base and the server say.
const (
	maxBackoff    = 30 * time.Second
	maxRetryAfter = time.Minute
	drainLimit    = 64 << 10 // of an error response's body read so the connection is reused
)

// failure is one failed attempt: why, in Chinese and without the address or the token; whether
// another attempt may succeed; how long the server asked to be left alone.
type failure struct {
	reason     string
	retry      bool
	retryAfter time.Duration
}

// get fetches one page within the retry budget; where names the page for messages. The error is
// a *schemas.UserError of kind ingest.ErrSourceFailed, or wraps the context's error.
func (s *Source) get(ctx context.Context, u, where string) (string, error) {
	for attempt := 0; ; attempt++ {
		if err := s.limiter.Wait(ctx); err != nil {
			if ctx.Err() == nil { // the wait would outlast ctx's deadline
				err = context.DeadlineExceeded
			}
			return "", fmt.Errorf("read %s %s: %w", s.Describe(), where, ctxErr(ctx, err))
		}
		body, f, err := s.once(ctx, u)
		switch {
		case err != nil:
			return "", fmt.Errorf("read %s %s: %w", s.Describe(), where, err)
		case f == nil:
			return body, nil
		case !f.retry:
			return "", schemas.Userf(ingest.ErrSourceFailed, "数据源 %s %s读取失败：%s", s.Describe(), where, f.reason)
		case attempt >= s.cfg.maxRetries:
			return "", schemas.Userf(ingest.ErrSourceFailed, "数据源 %s %s读取失败：已重试 %d 次（重试上限 max_retries）仍未成功，最后一次：%s", s.Describe(), where, attempt, f.reason)
		}
		wait := s.backoff(attempt, f.retryAfter)
		s.log.LogAttrs(ctx, slog.LevelWarn, "rest source retries a page", slog.String("err",
			fmt.Sprintf("数据源 %s %s：%s，%s 后第 %d 次重试", s.Describe(), where, f.reason, wait.Round(time.Millisecond), attempt+1)))
		if err := sleep(ctx, wait); err != nil {
			return "", fmt.Errorf("read %s %s: %w", s.Describe(), where, err)
		}
	}
}

// ctxErr prefers ctx's own error to err, which a cancel may have caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// once makes one request. A nil failure and nil error is a page's body; an error is the
// context's.
func (s *Source) once(ctx context.Context, u string) (string, *failure, error) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil { // u is built from a parsed URL; the error would quote it, query and all
		return "", &failure{reason: "请求地址无效"}, nil
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ecolake-rest/1")
	if tok := s.cfg.token.Reveal(); tok != "" {
		req.Header.Set(s.cfg.authHeader, tok)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return s.netFailure(ctx, rctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		return "", statusFailure(resp), nil
	}
	tooLarge := &failure{reason: fmt.Sprintf("响应超过单页上限 max_body（%d 字节）", s.cfg.maxBody)}
	if resp.ContentLength > s.cfg.maxBody {
		return "", tooLarge, nil
	}
	var b strings.Builder
	if resp.ContentLength > 0 {
		b.Grow(int(resp.ContentLength))
	}
	n, err := io.Copy(&b, io.LimitReader(resp.Body, s.cfg.maxBody+1))
	if err != nil {
		return s.netFailure(ctx, rctx, err)
	}
	if n > s.cfg.maxBody {
		return "", tooLarge, nil
	}
	return b.String(), nil, nil
}

// netFailure classifies an error of the transport. Its text is never shown: a *url.Error quotes
// the whole address, query and all.
func (s *Source) netFailure(ctx, rctx context.Context, err error) (string, *failure, error) {
	var (
		dns      *net.DNSError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case ctx.Err() != nil:
		return "", nil, ctx.Err()
	case rctx.Err() != nil || isTimeout(err):
		return "", &failure{reason: fmt.Sprintf("请求超时（超过 timeout %s）", s.cfg.timeout), retry: true}, nil
	case errors.Is(err, errAddressRefused):
		return "", &failure{reason: "接口地址解析到本机链路本地、组播或未指定地址（如云主机元数据服务），拒绝连接"}, nil
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &hostname):
		return "", &failure{reason: "服务器证书校验失败"}, nil
	case errors.As(err, &dns):
		return "", &failure{reason: "域名解析失败", retry: true}, nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return "", &failure{reason: "连接被拒绝", retry: true}, nil
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "", &failure{reason: "连接被中断", retry: true}, nil
	}
	return "", &failure{reason: "网络连接失败", retry: true}, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// statusFailure describes a response that is not a page: 429 and 5xx may pass, others will not.
func statusFailure(resp *http.Response) *failure {
	code := resp.StatusCode
	f := &failure{reason: fmt.Sprintf("HTTP %d", code)}
	switch {
	case code == http.StatusTooManyRequests:
		f.reason += "（请求过于频繁）"
		f.retry = true
	case code >= 500:
		f.reason += "（接口服务端错误）"
		f.retry = true
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		f.reason += "（接口拒绝访问，请检查令牌 token 与认证请求头 auth_header）"
	case code == http.StatusNotFound:
		f.reason += "（接口地址不存在）"
	case code >= 300 && code < 400:
		f.reason += "（接口跳转到其他主机或协议，为免令牌外泄不跟随）"
	}
	if f.retry {
		f.retryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return f
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// backoff is the wait before retry attempt+1: full jitter over [0, retry_base×2^attempt], the
// ceiling bounded by maxBackoff, and at least what Retry-After asked (up to maxRetryAfter).
func (s *Source) backoff(attempt int, after time.Duration) time.Duration {
	ceil := s.cfg.retryBase
	for i := 0; i < attempt && ceil < maxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, maxBackoff)
	d := rand.N(ceil + 1)
	return max(d, min(after, maxRetryAfter))
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
