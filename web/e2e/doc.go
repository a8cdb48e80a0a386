// Package e2e holds the UI's end-to-end tests: the real ecolake binary serving the demo
// directory, driven through headless Chromium (web/webtest) as a user would, with a screenshot
// of each page at 1366×768. It has no code of its own besides the tests.
package e2e
