package webtest

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// Login opens base's login page in the tab, enters token and submits; it returns when the page
// the login leads to shows the logout button. next is the page to land on ("" for the default).
func (tab *Tab) Login(base, token, next string) error {
	target := base + "/ui/login"
	if next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	err := chromedp.Do(tab.Ctx,
		chromedp.Navigate(target),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("logout")),
	)
	if err != nil {
		return fmt.Errorf("log in as %s: %w", token, err)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the tab's page; a promise is awaited.
func Eval[T any](tab *Tab, expr string) (T, error) {
	return chromedp.Run(tab.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// WaitJS waits until a JavaScript expression is truthy in the tab's page and returns its value;
// it gives up after timeout. A page that navigates meanwhile (a click on a link, a redirect to
// the login page) is waited for: the expression is asked again of the page that follows.
func WaitJS[T any](tab *Tab, expr string, timeout time.Duration) (T, error) {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		v, err := chromedp.Run(tab.Ctx, chromedp.Poll[T](expr, chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return v, nil
		}
		if !navigated(err) || time.Until(deadline) <= 0 {
			return v, fmt.Errorf("wait for %s: %w", expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// navigated reports whether err says that the page went away under a running script.
func navigated(err error) bool {
	msg := err.Error()
	for _, s := range []string{"Cannot find context", "Execution context was destroyed", "Inspected target navigated", "context with specified id"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Text is the text of the first element matching a CSS selector, once it is visible.
func (tab *Tab) Text(css string) (string, error) {
	return chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
}
