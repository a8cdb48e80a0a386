package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storage is what the page keeps where a token could leak: sessionStorage's token, every
// localStorage entry, the cookies, the address.
type storage struct {
	Session string            `json:"session"`
	Local   map[string]string `json:"local"`
	Cookie  string            `json:"cookie"`
	Href    string            `json:"href"`
}

const readStorage = `({
  session: sessionStorage.getItem('ecolake.token') || '',
  local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
  cookie: document.cookie,
  href: location.href,
})`

func TestLoginKeepsTokenInSessionOnly(t *testing.T) {
	tab := newTab(t)

	// A page of the UI without a session leads to the login page, which returns to it.
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/lineage?entry=0101/000001"), chromedp.WaitVisible(chromedp.ID("token")))
	loc := eval[string](t, tab, `location.pathname + location.search`)
	require.True(t, strings.HasPrefix(loc, "/ui/login?next="), loc)
	next, _ := url.ParseQuery(strings.TrimPrefix(loc, "/ui/login?"))
	assert.Equal(t, "/ui/lineage?entry=0101/000001", next.Get("next"))
	screenshot(t, tab, "01-login")

	// A wrong token is refused in Chinese and kept nowhere.
	do(t, tab, chromedp.SendKeys(chromedp.ID("token"), "not-a-token"), chromedp.Click(chromedp.ID("login-submit")))
	waitText(t, tab, "#login-message", "令牌无效或已停用")
	st := eval[storage](t, tab, readStorage)
	assert.Empty(t, st.Session)
	assert.Empty(t, st.Local)
	assert.NotContains(t, st.Href, "not-a-token")

	// The right token opens the page asked for; it is in sessionStorage and nowhere else.
	eval[bool](t, tab, `(document.getElementById('token').value = '', true)`)
	do(t, tab,
		chromedp.SendKeys(chromedp.ID("token"), "demo-steward"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("logout")),
	)
	waitJS[bool](t, tab, `location.pathname === '/ui/lineage'`)
	st = eval[storage](t, tab, readStorage)
	assert.Equal(t, "demo-steward", st.Session)
	assert.Empty(t, st.Local, "localStorage holds nothing")
	assert.Empty(t, st.Cookie)
	assert.NotContains(t, st.Href, "demo-steward")

	// The layout: the title, the navigation with the current page marked, the login link hidden.
	assert.Equal(t, "重庆市生态环境数据资源一本账", eval[string](t, tab, `document.querySelector('.brand__title').textContent`))
	nav := eval[[]string](t, tab, `[...document.querySelectorAll('.main-nav a')].map((a) => a.textContent)`)
	assert.Equal(t, []string{"驾驶舱", "目录", "事项场景", "审核", "报送", "授权", "血缘", "GraphiQL"}, nav)
	assert.Equal(t, "血缘", eval[string](t, tab, `document.querySelector('.main-nav a[aria-current="page"]').textContent`))
	assert.True(t, eval[bool](t, tab, `document.getElementById('login-link').hidden`))

	// Logging out clears the session; the pages ask for a login again.
	do(t, tab, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("token")))
	st = eval[storage](t, tab, readStorage)
	assert.Empty(t, st.Session)
	assert.Equal(t, 0, eval[int](t, tab, `sessionStorage.length`))
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/directory"), chromedp.WaitVisible(chromedp.ID("token")))
	assert.Equal(t, "/ui/login", eval[string](t, tab, `location.pathname`))
}

// A session whose token stops working ends at the login page with the service's reason.
func TestRevokedSessionReturnsToLogin(t *testing.T) {
	tab := loggedIn(t, "demo-public", "/ui/directory")
	waitText(t, tab, "#result-count", "共")
	// The token is replaced in this tab's session only, as if it had been revoked.
	eval[bool](t, tab, `(sessionStorage.setItem('ecolake.token', 'revoked-token'), true)`)
	do(t, tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("token")))
	waitText(t, tab, "#login-message", "登录已失效")
	assert.Empty(t, eval[string](t, tab, `sessionStorage.getItem('ecolake.token') || ''`))
}
