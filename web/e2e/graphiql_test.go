package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/web/webtest"
)

const editorReady = `!!document.querySelector('.graphiql-query-editor .CodeMirror') && !!document.querySelector('.graphiql-execute-button')`

// runInGraphiQL puts query in GraphiQL's editor, runs it with the run button and answers the
// response pane's JSON once it has one.
func runInGraphiQL(t *testing.T, tab *webtest.Tab, query string) map[string]any {
	t.Helper()
	waitJS[bool](t, tab, editorReady)
	eval[bool](t, tab, `(() => { const r = document.querySelector('.graphiql-response .CodeMirror'); if (r) r.CodeMirror.setValue(''); return true; })()`)
	eval[bool](t, tab, fmt.Sprintf(`(document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(%q), true)`, query))
	do(t, tab, chromedp.Click(chromedp.CSS(".graphiql-execute-button")))
	raw := waitJS[string](t, tab, `(() => { const r = document.querySelector('.graphiql-response .CodeMirror'); const v = r && r.CodeMirror.getValue(); return v && v.trim().startsWith('{') ? v : ''; })()`)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &out), raw)
	return out
}

// queryFields lists the Query fields a login's GraphiQL can ask for, by introspection.
func queryFields(t *testing.T, token string) []string {
	t.Helper()
	tab := loggedIn(t, token, "/ui/graphiql")
	res := runInGraphiQL(t, tab, `{ __schema { queryType { fields { name } } } }`)
	require.NotNil(t, res["data"], "%v", res)
	var names []string
	for _, f := range res["data"].(map[string]any)["__schema"].(map[string]any)["queryType"].(map[string]any)["fields"].([]any) {
		names = append(names, f.(map[string]any)["name"].(string))
	}
	return names
}

func TestGraphiQLMasksPersonalInformation(t *testing.T) {
	// 河长巡河记录 is 一般数据3级 (names of river chiefs: personal information raises an entry to
	// 3级 at least), so the demo's 3级 scene account reads it; every reader gets names masked.
	tab := loggedIn(t, "demo-air-app", "/ui/graphiql")
	res := runInGraphiQL(t, tab, `{ river_chief_patrols(limit: 5) { chief_name } }`)
	require.Nil(t, res["errors"], "%v", res["errors"])
	rows := res["data"].(map[string]any)["river_chief_patrols"].([]any)
	require.NotEmpty(t, rows)
	masked := regexp.MustCompile(`^\p{Han}\*+$`) // a Chinese name keeps its surname only
	for _, r := range rows {
		assert.Regexp(t, masked, r.(map[string]any)["chief_name"])
	}
	screenshot(t, tab, "07-graphiql")

	// The token went in the fetcher's header only: GraphiQL kept nothing in localStorage, and its
	// own keys in sessionStorage hold no token.
	st := eval[storage](t, tab, readStorage)
	assert.Empty(t, st.Local)
	assert.NotContains(t, st.Href, "demo-air-app")
	keys := eval[map[string]string](t, tab, `Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)]))`)
	for k, v := range keys {
		if k != "ecolake.token" {
			assert.NotContains(t, v, "demo-air-app", "sessionStorage %s", k)
		}
	}
	assert.False(t, eval[bool](t, tab, `!!document.querySelector('[aria-label="Headers"], .graphiql-editor-tool [data-name="headers"]')`), "no headers editor")
}

// An entry above a login's clearance is not in its GraphiQL schema at all.
func TestGraphiQLSchemaFollowsClearance(t *testing.T) {
	public := queryFields(t, "demo-public")
	steward := queryFields(t, "demo-steward")
	assert.Contains(t, public, "air_station_hourly")
	for _, hidden := range []string{"hazardous_waste_facilities", "river_chief_patrols", "hazardous_waste_manifests"} {
		assert.NotContains(t, public, hidden, "above 一般数据1级")
		assert.Contains(t, steward, hidden)
	}
	// Reading it anyway is refused as an unknown field, naming nothing of it.
	tab := loggedIn(t, "demo-public", "/ui/graphiql")
	res := runInGraphiQL(t, tab, `{ hazardous_waste_facilities(limit: 1) { __typename } }`)
	require.NotNil(t, res["errors"])
	assert.True(t, strings.Contains(fmt.Sprint(res["errors"]), "不存在"), "%v", res["errors"])
}

// englishChrome lists GraphiQL's own English labels; collectChrome gathers the labels and texts
// of the page outside the editors and the schema's names.
var englishChrome = []string{
	"Execute query (Ctrl-Enter)", "Prettify query (Shift-Ctrl-P)", "Copy query (Shift-Ctrl-C)",
	"Merge fragments into query (Shift-Ctrl-M)", "Re-fetch GraphQL schema", "Open short keys dialog",
	"Open settings dialog", "Show Documentation Explorer", "Hide Documentation Explorer", "Show History",
	"Add tab", "Variables", "Show editor tools", "Hide editor tools", "Settings", "Theme", "Light", "Dark",
	"System", "Clear storage", "Clear data", "Close dialog", "Root Types", "All Schema Types", "Fields",
	"Query Editor", "Result Window", "History",
}

const collectChrome = `(() => {
  const skip = '.CodeMirror, .graphiql-doc-explorer-field-name, .graphiql-doc-explorer-type-name, .graphiql-doc-explorer-argument-name, .graphiql-doc-explorer-title, .graphiql-markdown-description';
  const out = [];
  const roots = [document.getElementById('graphiql'), ...document.querySelectorAll('[role="dialog"]')];
  for (const root of roots) {
    if (!root) continue;
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (el.closest(skip)) continue;
      for (const a of ['aria-label', 'title', 'placeholder']) {
        const v = el.getAttribute(a);
        if (v) out.push(v.trim());
      }
      for (const n of el.childNodes) {
        if (n.nodeType === Node.TEXT_NODE && n.nodeValue.trim()) out.push(n.nodeValue.trim());
      }
    }
  }
  return out;
})()`

// GraphiQL's own buttons, panes and dialogs speak Chinese; the query, the answer and the
// schema's names stay as they are.
func TestGraphiQLSpeaksChinese(t *testing.T) {
	tab := loggedIn(t, "demo-steward", "/ui/graphiql")
	res := runInGraphiQL(t, tab, `{ __typename }`)
	require.Equal(t, map[string]any{"__typename": "Query"}, res["data"])
	assert.Equal(t, "执行查询（Ctrl+Enter）", eval[string](t, tab, `document.querySelector('.graphiql-execute-button').getAttribute('aria-label')`))
	// The query keeps its English keywords: the editor is not translated.
	assert.Equal(t, "{ __typename }", eval[string](t, tab, `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`))

	// The documentation explorer: its headings in Chinese, the schema's names as they are.
	do(t, tab, chromedp.Click(chromedp.CSS(`[aria-label="显示文档"]`)))
	waitJS[bool](t, tab, `!!document.querySelector('.graphiql-doc-explorer') && document.querySelector('.graphiql-doc-explorer').textContent.includes('根类型')`)
	assert.True(t, eval[bool](t, tab, `document.querySelector('.graphiql-doc-explorer').textContent.includes('query')`), "the root field's name stays")
	chrome := eval[[]string](t, tab, collectChrome)
	require.NotEmpty(t, chrome)
	for _, en := range englishChrome {
		assert.NotContains(t, chrome, en, "GraphiQL label left in English")
	}
	assert.Contains(t, chrome, "隐藏文档")
	assert.Equal(t, "文档", eval[string](t, tab, `document.querySelector('.graphiql-doc-explorer-title').textContent.trim()`))
	assert.NotContains(t, eval[string](t, tab, `document.querySelector('.graphiql-doc-explorer').textContent`), "A GraphQL schema provides")

	// The settings dialog, rendered outside GraphiQL's element.
	do(t, tab, chromedp.Click(chromedp.CSS(`[aria-label="打开设置"]`)))
	waitJS[bool](t, tab, `!!document.querySelector('[role="dialog"]') && document.querySelector('[role="dialog"]').textContent.includes('主题')`)
	chrome = eval[[]string](t, tab, collectChrome)
	for _, en := range englishChrome {
		assert.NotContains(t, chrome, en, "GraphiQL label left in English in the settings dialog")
	}
	for _, zh := range []string{"设置", "主题", "浅色", "深色"} {
		assert.Contains(t, chrome, zh)
	}
	screenshot(t, tab, "07b-graphiql-settings")
}
