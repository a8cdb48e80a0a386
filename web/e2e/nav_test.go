package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// The menu offers each account the pages it may use: reviewing only to reviewers, submitting
// only to accounts that may load (stewards, districts), and the rest to everyone.
func TestMenuFollowsTheAccount(t *testing.T) {
	for _, c := range []struct {
		token string
		want  []string
	}{
		{"demo-steward", []string{"驾驶舱", "目录", "事项场景", "报送", "授权", "血缘", "GraphiQL"}},
		{"demo-reviewer", []string{"驾驶舱", "目录", "审核", "授权", "血缘", "GraphiQL"}},
		{"demo-wanzhou", []string{"驾驶舱", "目录", "报送", "授权", "血缘", "GraphiQL"}},
		{"demo-air-app", []string{"驾驶舱", "目录", "授权", "血缘", "GraphiQL"}},
		{"demo-manager", []string{"驾驶舱", "目录", "授权", "血缘", "GraphiQL"}},
	} {
		tab := loggedIn(t, c.token, "/ui/directory")
		do(t, tab, chromedp.WaitVisible(chromedp.CSS("#account-name")))
		// The account's name and the menu are set from the same answer.
		got := eval[[]string](t, tab, `[...document.querySelectorAll('.main-nav li')]
			.filter((li) => getComputedStyle(li).display !== 'none').map((li) => li.textContent.trim())`)
		assert.Equal(t, c.want, got, c.token)
	}
}
