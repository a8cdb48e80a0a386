package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// submissionCSV writes a file for entry code as a district would send it: the header is the
// entry's item names as GraphQL answers them, then good rows for 万州区 and three bad ones — a
// count that is no number, a district code that is not in the code list, and 江北区's row, which
// 万州区 may not load. Forty good rows keep the invalid ones under the 5% a load tolerates.
func submissionCSV(t *testing.T, code string) string {
	t.Helper()
	data, err := srv.GraphQL(context.Background(), "demo-wanzhou", `query($c: String!) { entry(code: $c) { items { name field } } }`, map[string]any{"c": code})
	require.NoError(t, err)
	var names []string
	for _, it := range data["entry"].(map[string]any)["items"].([]any) {
		it := it.(map[string]any)
		names = append(names, it["name"].(string))
		require.Contains(t, []string{"district_code", "enterprise_count"}, it["field"], "the rows below are of these items")
	}
	require.Equal(t, "区县", names[0])
	var b strings.Builder
	b.WriteString(strings.Join(names, ",") + "\n")
	for i := range 40 {
		fmt.Fprintf(&b, "万州区,%d\n", 100+i)
	}
	b.WriteString("万州区,很多\n")    // line 42: not a number
	b.WriteString("999999,12\n") // line 43: no such district
	b.WriteString("江北区,99\n")    // line 44: another district's
	path := filepath.Join(t.TempDir(), "万州区减排清单数量.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// TestSubmissionWithRejectedRows: 万州区 uploads a file with bad rows; the page shows the rows
// read, accepted and rejected, each rejected row with its line, column and reason, and the
// rejected rows download as CSV with the session's token; the entry's runs show the run too.
func TestSubmissionWithRejectedRows(t *testing.T) {
	const code = "0201/000003" // 区县涉气企业减排清单数量
	file := submissionCSV(t, code)
	tab := loggedIn(t, "demo-wanzhou", "/ui/submit?entry=0201%2F000003")
	headers := waitText(t, tab, "#expected-headers", "区县")
	assert.Contains(t, headers, "数量")
	assert.Contains(t, eval[string](t, tab, `document.getElementById('upload-card').innerText`), "万州区（本账号所属区县）")
	do(t, tab,
		chromedp.SetUploadFiles(chromedp.ID("submit-file"), []string{file}),
		chromedp.Click(chromedp.ID("upload")),
	)
	result := waitText(t, tab, "#result-box", "部分入库")
	assert.Regexp(t, `读取行数\s*43\s*接收行数\s*40\s*拒收行数\s*3`, eval[string](t, tab, `document.getElementById('result-counts').innerText`))
	for _, want := range []string{"很多", "999999", "江北区", "42", "43", "44"} {
		assert.Contains(t, result, want)
	}
	run := eval[string](t, tab, `document.getElementById('submit-result').dataset.run`)
	require.NotEmpty(t, run)
	assert.Equal(t, "PARTIAL", eval[string](t, tab, `document.getElementById('submit-result').dataset.status`))
	screenshot(t, tab, "23-submit-result")

	// The rejected rows download with the token (a link could not carry it).
	name, body, err := tab.Download(t.TempDir(), wait, chromedp.Click(chromedp.CSS(`#result-box button[data-rejects]`)))
	require.NoError(t, err)
	assert.Equal(t, "rejects-"+run+".csv", name)
	csv := strings.TrimPrefix(string(body), "\uFEFF")
	assert.True(t, strings.HasPrefix(csv, "行号,列,字段,值,原因"), csv)
	assert.Contains(t, csv, "很多")
	assert.Contains(t, csv, "999999")
	assert.Equal(t, 4, strings.Count(strings.TrimSpace(csv), "\n")+1, "a header and the three rejected rows")

	// The entry's detail lists the run with its counts and the same download.
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/entry?code=0201%2F000003"))
	runs := waitText(t, tab, "#sec-runs", run)
	assert.Contains(t, runs, "部分成功")
	rowOf := fmt.Sprintf(`[...document.querySelectorAll('#sec-runs tbody tr')].find((r) => r.innerText.includes(%q))`, run)
	assert.Regexp(t, `43\s+40\s+3`, eval[string](t, tab, rowOf+`.innerText`))
	name, _, err = tab.Download(t.TempDir(), wait, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#sec-runs button[data-rejects=%q]`, run))))
	require.NoError(t, err)
	assert.Equal(t, "rejects-"+run+".csv", name)

	// 万州区 reads only its own rows: the profile, which tells every row's values, is not shown
	// to it. The steward sees the new snapshot's profile, and the one before it beside it.
	waitText(t, tab, "#profile-current", "无权查看目录 0201/000003 的数据概况")
	st := loggedIn(t, "demo-steward", "/ui/entry?code=0201%2F000003")
	current := waitText(t, st, "#profile-current", "数据概况 · 当前快照")
	assert.Contains(t, current, "enterprise_count")
	do(t, st, chromedp.Click(chromedp.CSS(`#sec-snapshots button[data-profile]`)))
	waitText(t, st, "#profile-chosen", "数据概况 · 所选快照")
	assert.Positive(t, eval[int](t, st, `document.querySelectorAll('#profile-chosen .changed').length`), "the figures that differ from the current snapshot are marked")
	screenshot(t, st, "28-entry-data")
}

// TestSubmissionShowsProgress: while a large file loads, the page shows how far the run is,
// read from the run's progress door, then its outcome.
func TestSubmissionShowsProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("区县,数量\n")
	for i := range 2_500_000 {
		fmt.Fprintf(&b, "万州区,%d\n", i%1000)
	}
	path := filepath.Join(t.TempDir(), "万州区减排清单数量-大.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	tab := loggedIn(t, "demo-wanzhou", "/ui/submit?entry=0201%2F000003")
	waitText(t, tab, "#expected-headers", "区县")
	do(t, tab, chromedp.SetUploadFiles(chromedp.ID("submit-file"), []string{path}), chromedp.Click(chromedp.ID("upload")))
	progress := waitJS[string](t, tab, `(() => { const t = document.getElementById('progress-text').innerText;
	  return /已读取 [1-9]/.test(t) ? t : ''; })()`)
	assert.Regexp(t, `正在校验入库：已读取 [\d,]+ 行，接收 [\d,]+ 行，拒收 0 行`, progress)
	waitText(t, tab, "#result-box", "报送成功：2,500,000 行已入库")
	assert.True(t, eval[bool](t, tab, `document.getElementById('upload-progress').hidden`), "the progress gives way to the outcome")
}

// TestSubmissionThatFailsShowsItsRun: a file the load refuses (a required column missing) is
// answered with the refusal; the page finds the run the upload began by the upload's request id
// and shows it failed, with the reason.
func TestSubmissionThatFailsShowsItsRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "万州区减排清单数量-缺列.csv")
	require.NoError(t, os.WriteFile(path, []byte("名称,数量\n甲,1\n乙,2\n"), 0o644))
	tab := loggedIn(t, "demo-wanzhou", "/ui/submit?entry=0201%2F000003")
	waitText(t, tab, "#expected-headers", "区县")
	do(t, tab, chromedp.SetUploadFiles(chromedp.ID("submit-file"), []string{path}), chromedp.Click(chromedp.ID("upload")))
	result := waitText(t, tab, "#result-box", "报送未入库")
	assert.Contains(t, result, "区县", "the reason names the missing column")
	run := eval[string](t, tab, `document.getElementById('submit-result').dataset.run`)
	require.NotEmpty(t, run)
	assert.Equal(t, "FAILED", eval[string](t, tab, `document.getElementById('submit-result').dataset.status`))
	do(t, tab, chromedp.Navigate(srv.Base+"/ui/entry?code=0201%2F000003"))
	waitText(t, tab, "#sec-runs", run)
}
