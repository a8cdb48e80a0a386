package web_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/web"
)

var pagePaths = []string{"/ui/login", "/ui/cockpit", "/ui/directory", "/ui/entry", "/ui/entry-edit", "/ui/review", "/ui/submit", "/ui/grants", "/ui/lineage", "/ui/graphiql"}

func get(t *testing.T, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestSecurityHeaders(t *testing.T) {
	for _, path := range append(pagePaths, "/ui/", "/ui/static/js/api.js", "/ui/static/nothing.js", "/ui/nothing") {
		t.Run(path, func(t *testing.T) {
			h := get(t, path).Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
				assert.Contains(t, csp, want)
			}
			assert.NotContains(t, csp, "unsafe-eval")
			assert.NotRegexp(t, `script-src[^;]*unsafe-inline`, csp)
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
			assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
		})
	}
}

func TestPagesAndRoutes(t *testing.T) {
	for _, path := range pagePaths {
		resp := get(t, path)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), path)
		b := body(t, resp)
		assert.Contains(t, b, `<html lang="zh-CN">`)
		assert.Contains(t, b, "重庆市生态环境数据资源一本账")
	}
	resp := get(t, "/ui/")
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/ui/directory", resp.Header.Get("Location"))
	assert.Equal(t, http.StatusNotFound, get(t, "/ui/nothing").StatusCode)

	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ui/login", strings.NewReader("x")))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// The pages run no inline script and carry no inline handler or style attribute: the
// Content-Security-Policy would refuse them, and a page that relied on one would break.
func TestPagesHaveNoInlineCode(t *testing.T) {
	scriptTag := regexp.MustCompile(`(?is)<script\b[^>]*>`)
	for _, path := range pagePaths {
		b := body(t, get(t, path))
		for _, tag := range scriptTag.FindAllString(b, -1) {
			assert.Contains(t, tag, ` src="/ui/static/`, "%s: %s", path, tag)
		}
		assert.NotRegexp(t, `(?i)\son[a-z]+\s*=`, b, path)
		assert.NotRegexp(t, `(?i)\sstyle\s*=`, b, path)
		assert.NotContains(t, b, "javascript:", path)
		assert.NotRegexp(t, `(?i)<style\b`, b, path)
	}
}

func TestStaticFiles(t *testing.T) {
	resp := get(t, "/ui/static/js/session.js")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	plain := body(t, resp)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	assert.Equal(t, http.StatusNotModified, get(t, "/ui/static/js/session.js", "If-None-Match", etag).StatusCode)

	resp = get(t, "/ui/static/js/session.js", "Accept-Encoding", "gzip, deflate")
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	assert.NotEqual(t, etag, resp.Header.Get("ETag"), "each encoding its own tag")
	zr, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, plain, string(unzipped))

	assert.Equal(t, "text/css; charset=utf-8", get(t, "/ui/static/css/app.css").Header.Get("Content-Type"))
	assert.Equal(t, http.StatusNotFound, get(t, "/ui/static/js/").StatusCode)
	assert.NotEqual(t, http.StatusOK, get(t, "/ui/static/../web.go").StatusCode)
	assert.Equal(t, http.StatusNotFound, get(t, "/ui/static/vendor/README").StatusCode)
}

// Each vendored file is the one vendor/README.md names, byte for byte.
func TestVendorFilesMatchREADME(t *testing.T) {
	readme, err := os.ReadFile("static/vendor/README.md")
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|.*\\| `([0-9a-f]{64})` \\|$")
	listed := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		listed[m[1]] = m[2]
	}
	require.NotEmpty(t, listed)
	seen := 0
	err = filepath.WalkDir("static/vendor", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "README.md" {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, "static/vendor/"))
		want, ok := listed[rel]
		if assert.True(t, ok, "%s is not listed in vendor/README.md", rel) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			sum := sha256.Sum256(b)
			assert.Equal(t, want, hex.EncodeToString(sum[:]), rel)
			// The file served is the file committed.
			assert.Equal(t, b, []byte(body(t, get(t, "/ui/static/vendor/"+rel))), rel)
		}
		seen++
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, len(listed), seen, "every file listed is present")
}

// The UI's own files load nothing from elsewhere (no CDN), and every module they import exists:
// with no build step, nothing else would notice a wrong path before a browser does.
func TestOwnFilesAreSelfContained(t *testing.T) {
	importRe := regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]*from\s+)?['"]([^'"]+)['"]`)
	for _, dir := range []string{"static/js", "static/css", "templates"} {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			assert.NotRegexp(t, `(?i)https?://`, string(b), e.Name())
			for _, m := range importRe.FindAllSubmatch(b, -1) {
				target := string(m[1])
				require.True(t, strings.HasPrefix(target, "./"), "%s imports %s", e.Name(), target)
				resp := get(t, "/ui/static/js/"+strings.TrimPrefix(target, "./"))
				assert.Equal(t, http.StatusOK, resp.StatusCode, "%s imports %s", e.Name(), target)
			}
		}
	}
	assert.True(t, bytes.Contains([]byte(body(t, get(t, "/ui/graphiql"))), []byte("/ui/static/vendor/graphiql/graphiql.min.js")))
}

func TestPrefersHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": true,
		"TEXT/HTML":                    true,
		"*/*":                          false,
		"":                             false,
		"application/json, text/plain": false,
		"text/htmlx":                   false,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept", accept)
		assert.Equal(t, want, web.PrefersHTML(req), accept)
	}
}

// The GraphiQL page allows style elements only with the nonce of its own response, the one its
// script hands to GraphiQL; every response has a new one; other pages allow none.
func TestGraphiQLStyleNonce(t *testing.T) {
	nonceOf := regexp.MustCompile(`style-src 'self' 'nonce-([A-Za-z0-9+/=]{24})';`)
	var seen []string
	for range 2 {
		resp := get(t, "/ui/graphiql")
		csp := resp.Header.Get("Content-Security-Policy")
		m := nonceOf.FindStringSubmatch(csp)
		require.NotNil(t, m, csp)
		assert.Contains(t, body(t, resp), `data-style-nonce="`+m[1]+`"`)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		seen = append(seen, m[1])
	}
	assert.NotEqual(t, seen[0], seen[1])
	for _, path := range pagePaths {
		if path != "/ui/graphiql" {
			assert.NotContains(t, get(t, path).Header.Get("Content-Security-Policy"), "nonce-", path)
		}
	}
}
