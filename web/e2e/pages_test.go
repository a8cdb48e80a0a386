package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A browser asking for / is sent to the UI; curl still gets the list of doors as text.
func TestIndexLeadsBrowsersToUI(t *testing.T) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, srv.Base+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/ui/", resp.Header.Get("Location"))

	req, _ = http.NewRequest(http.MethodGet, srv.Base+"/", nil)
	req.Header.Set("Accept", "*/*")
	resp, err = client.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"))
	assert.Contains(t, string(body), "POST /graphql")

	resp, err = client.Get(srv.Base + "/ui/graphiql")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self';")
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
}

// Every page fits 1366 pixels without sideways scrolling, and its first Tab key reaches the
// skip link, then the navigation, each with a visible focus ring; the login page starts in its
// token field.
func TestPagesFitAndTakeKeyboard(t *testing.T) {
	tab := loggedIn(t, "demo-steward", "/ui/directory")
	for _, page := range []string{"/ui/cockpit", "/ui/directory", "/ui/entry?code=0101%2F000001", "/ui/entry-edit?code=0203%2F000010", "/ui/items",
		"/ui/review", "/ui/submit?entry=0201%2F000003", "/ui/grants?entry=0201%2F000004", "/ui/lineage?entry=0101/000001", "/ui/graphiql", "/ui/login"} {
		do(t, tab, chromedp.Navigate(srv.Base+page), chromedp.WaitVisible(chromedp.CSS(".site-header")))
		waitJS[bool](t, tab, `document.readyState === 'complete'`)
		assert.True(t, eval[bool](t, tab, `document.documentElement.scrollWidth <= window.innerWidth`), "%s scrolls sideways", page)
		if page == "/ui/login" {
			assert.Equal(t, "token", eval[string](t, tab, `document.activeElement.id`))
			continue
		}
		do(t, tab, chromedp.KeyEvent(kb.Tab))
		assert.Equal(t, "skip-link", eval[string](t, tab, `document.activeElement.className`), page)
		do(t, tab, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
		assert.Equal(t, "A", eval[string](t, tab, `document.activeElement.tagName`), page)
		assert.NotEqual(t, "none", eval[string](t, tab, `getComputedStyle(document.activeElement).outlineStyle`), "%s: focus is visible", page)
	}
}

// On a wall display the pages use the width (up to 2200 pixels of content) with larger type.
func TestLargeScreen(t *testing.T) {
	tab := loggedIn(t, "demo-steward", "/ui/directory")
	do(t, tab, chromedp.EmulateViewport(2560, 1440), chromedp.Reload())
	waitText(t, tab, "#result-count", "共")
	assert.True(t, eval[bool](t, tab, `document.documentElement.scrollWidth <= window.innerWidth`))
	assert.Greater(t, eval[float64](t, tab, `document.getElementById('main').getBoundingClientRect().width`), 2000.0)
	assert.Equal(t, "18px", eval[string](t, tab, `getComputedStyle(document.documentElement).fontSize`))
	screenshot(t, tab, "09-directory-2560")
}
