package webtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where the tests find Chromium: Debian's chromium package (make chromium).
const ChromiumPath = "/usr/bin/chromium"

// The window every page is tested and photographed at.
const (
	Width  = 1366
	Height = 768
)

// ErrNoChromium is returned when Chromium is not installed; the tests fail with it rather than
// skip, so that a missing browser never passes for a working UI.
var ErrNoChromium = errors.New("chromium not found at " + ChromiumPath + ": run `make chromium` to install it")

// Browser is one headless Chromium shared by the tests of a package; each test opens its own tab.
type Browser struct {
	ctx     context.Context
	cancel  []context.CancelFunc
	profile string
}

// NewBrowser starts Chromium with a fresh profile. The flags keep it from reaching the network
// on its own (updates, sync, QUIC probes): on a closed network it would otherwise stall.
func NewBrowser() (*Browser, error) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		return nil, ErrNoChromium
	}
	profile, err := os.MkdirTemp("", "ecolake-chromium-")
	if err != nil {
		return nil, err
	}
	b := &Browser{profile: profile}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(Width, Height),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b.ctx, b.cancel = ctx, []context.CancelFunc{cancelBrowser, cancelAlloc}
	// The first action starts the browser; it is bound to ctx, which has no deadline.
	if err := chromedp.Do(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	return b, nil
}

// Close ends the browser and removes its profile.
func (b *Browser) Close() {
	for _, c := range b.cancel {
		c()
	}
	_ = os.RemoveAll(b.profile)
}

// Tab is one browser tab of a test, with the problems its pages reported: uncaught exceptions,
// and errors of the console and of the browser's own checks (a script or style the page's
// Content-Security-Policy refused).
type Tab struct {
	Ctx context.Context // every action of the test runs in it; bounded by the tab's timeout

	mu       sync.Mutex
	problems []string
}

// NewTab opens a tab of width×height, closed when the test ends; its actions must finish within
// timeout.
func (b *Browser) NewTab(t testing.TB, timeout time.Duration) *Tab {
	t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(b.ctx)
	tab := &Tab{}
	if err := chromedp.Listen(tabCtx, tab.note); err != nil {
		cancelTab()
		t.Fatalf("open tab: %v", err)
	}
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(Width, Height)); err != nil {
		cancelTab()
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, timeout)
	tab.Ctx = ctx
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	return tab
}

func (tab *Tab) note(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
		}
		p = "console.error: " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		e := ev.Entry
		// Refused responses (a 401 for a wrong token) are the tests' to check; everything else
		// at error level is a problem of the page.
		if e.Level != log.EntryLevelError || e.Source == log.EntrySourceNetwork {
			return
		}
		p = string(e.Source) + ": " + e.Text + " " + e.URL
	default:
		return
	}
	tab.mu.Lock()
	tab.problems = append(tab.problems, p)
	tab.mu.Unlock()
}

// Problems are what the tab's pages reported so far.
func (tab *Tab) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.problems...)
}

// ScreenshotDir is where screenshots go: $ECOLAKE_SCREENSHOTS, else test-output/screenshots at
// the root of the module.
func ScreenshotDir() (string, error) {
	if d := os.Getenv("ECOLAKE_SCREENSHOTS"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "test-output", "screenshots"), nil
}

// Screenshot saves the whole page (beyond the window's height) as <name>.png in ScreenshotDir
// and returns the file's path.
func (tab *Tab) Screenshot(name string) (string, error) {
	dir, err := ScreenshotDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	png, err := chromedp.Run(tab.Ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		return "", fmt.Errorf("screenshot %s: %w", name, err)
	}
	path := filepath.Join(dir, name+".png")
	return path, os.WriteFile(path, png, 0o644)
}
