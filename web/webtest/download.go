package webtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download runs action, which must make the page download a file (a click on a button that
// fetches it with the session's token and hands it over as a blob), lets the browser save it
// into dir and answers the name the page gave the file and its content once the download is
// complete. It gives up after timeout.
func (tab *Tab) Download(dir string, timeout time.Duration, action chromedp.Action[chromedp.Void]) (string, []byte, error) {
	ctx, cancel := context.WithTimeout(tab.Ctx, timeout)
	defer cancel()
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	events := true
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events,
	}); err != nil {
		return "", nil, fmt.Errorf("allow downloads: %w", err)
	}
	if err := chromedp.Do(ctx, action); err != nil {
		return "", nil, err
	}
	var name, guid string
	for ev, err := range begin {
		if err != nil {
			return "", nil, fmt.Errorf("no download began: %w", err)
		}
		name, guid = ev.SuggestedFilename, ev.GUID
		break
	}
	for ev, err := range progress {
		if err != nil {
			return name, nil, fmt.Errorf("download %s did not complete: %w", name, err)
		}
		if ev.GUID != guid {
			continue
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			path := ev.FilePath
			if path == "" {
				path = filepath.Join(dir, guid) // allowAndName saves it under its guid
			}
			b, err := os.ReadFile(path)
			return name, b, err
		case browser.DownloadProgressStateCanceled:
			return name, nil, fmt.Errorf("download %s was cancelled", name)
		}
	}
	return name, nil, fmt.Errorf("download %s: no progress reported", name)
}
