package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/web/webtest"
)

// One server (the demo directory) and one browser serve every test of the package; each test
// opens its own tab, so that its login (sessionStorage is a tab's) is its own.
var (
	srv     *webtest.Server
	browser *webtest.Browser
	binPath string // the built ecolake, for tests that start a server of their own
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "ecolake-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	started := make(chan error, 1)
	go func() {
		var err error
		browser, err = webtest.NewBrowser()
		started <- err
	}()
	ctx := context.Background()
	bin, err := webtest.Build(ctx, tmp)
	binPath = bin
	berr := <-started
	if browser != nil {
		defer browser.Close()
	}
	if berr != nil {
		fmt.Fprintln(os.Stderr, "e2e:", berr)
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	srv, err = webtest.StartServer(ctx, bin, filepath.Join(tmp, "data"), "--demo")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop ecolake:", err)
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "ecolake's output:\n%s\n", srv.Output())
	}
	return code
}

// tabTimeout bounds every test's browser actions.
const tabTimeout = 90 * time.Second

// wait bounds one wait for the page.
const wait = 20 * time.Second

// newTab opens a tab whose pages must report no problem (an uncaught exception, a console
// error, a script or style refused by the Content-Security-Policy) by the end of the test.
func newTab(t *testing.T) *webtest.Tab {
	t.Helper()
	tab := browser.NewTab(t, tabTimeout)
	t.Cleanup(func() {
		if p := tab.Problems(); len(p) > 0 {
			t.Errorf("the pages reported problems:\n%s", strings.Join(p, "\n"))
		}
	})
	return tab
}

// loggedIn opens a tab logged in as token, on page next (a path under /ui/).
func loggedIn(t *testing.T, token, next string) *webtest.Tab {
	t.Helper()
	tab := newTab(t)
	require.NoError(t, tab.Login(srv.Base, token, next))
	return tab
}

func do(t *testing.T, tab *webtest.Tab, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(tab.Ctx, actions...))
}

func eval[T any](t *testing.T, tab *webtest.Tab, expr string) T {
	t.Helper()
	v, err := webtest.Eval[T](tab, expr)
	require.NoError(t, err, expr)
	return v
}

func waitJS[T any](t *testing.T, tab *webtest.Tab, expr string) T {
	t.Helper()
	v, err := webtest.WaitJS[T](tab, expr, wait)
	require.NoError(t, err)
	return v
}

// waitText waits until the element matching css holds want in its text, and returns the text.
func waitText(t *testing.T, tab *webtest.Tab, css, want string) string {
	t.Helper()
	expr := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el && el.innerText.includes(%q) ? el.innerText : ''; })()`, css, want)
	v, err := webtest.WaitJS[string](tab, expr, wait)
	if err != nil {
		got, _ := webtest.Eval[string](tab, fmt.Sprintf(`(document.querySelector(%q) || {innerText: '(none)'}).innerText`, css))
		t.Fatalf("%s never held %q; it holds %q: %v", css, want, got, err)
	}
	return v
}

func screenshot(t *testing.T, tab *webtest.Tab, name string) {
	t.Helper()
	path, err := tab.Screenshot(name)
	require.NoError(t, err)
	t.Logf("screenshot %s", path)
}
