package api

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dashboardFile is the Grafana dashboard shipped for the service.
const dashboardFile = "../../docs/grafana/ecolake.json"

type dashPanel struct {
	Title      string `json:"title"`
	Type       string `json:"type"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

var (
	metricRef   = regexp.MustCompile(`\b(ecolake_[a-z0-9_]+)(\{[^}]*\})?`)
	matcherName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	byClause    = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// familyOf is the family a series name of the exposition belongs to: a histogram's _bucket,
// _sum and _count series belong to it.
func familyOf(fams map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if f := fams[name]; f != nil {
		return f
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f := fams[base]; f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
				return f
			}
		}
	}
	return nil
}

func labelsOf(f *dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			out[l.GetName()] = true
		}
	}
	if f.GetType() == dto.MetricType_HISTOGRAM {
		out["le"] = true
	}
	return out
}

// TestDashboardMatchesMetrics: every PromQL expression of docs/grafana/ecolake.json names only
// metrics a scrape of the service exposes, filters and groups only by labels they carry, and
// every panel reads the dashboard's Prometheus datasource variable — so the dashboard cannot
// drift from /metrics.
func TestDashboardMatchesMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var dash struct {
		SchemaVersion int `json:"schemaVersion"`
		Templating    struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []dashPanel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	assert.GreaterOrEqual(t, dash.SchemaVersion, 39)
	hasDS := false
	for _, v := range dash.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus" {
			hasDS = true
		}
	}
	require.True(t, hasDS, "a Prometheus datasource variable named datasource")

	// A scrape with every family present: a submission, a GraphQL request, a gc result.
	e := newOpsEnv(t)
	status, body := postFile(t, e.srv, "报送.csv", []byte("区县,数量\n万州区,1\n江北区,x\n"), nil)
	require.Less(t, status, 300, string(body))
	e.gql("tok", `{ entry(code: "0201/000003") { name } }`)
	fams := e.scrape("tok")

	var panels []dashPanel
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			panels = append(panels, p)
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	exprs := 0
	for _, p := range panels {
		if p.Type == "row" {
			continue
		}
		require.NotNil(t, p.Datasource, p.Title)
		assert.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			exprs++
			refs := metricRef.FindAllStringSubmatch(tg.Expr, -1)
			require.NotEmpty(t, refs, "%s: %s reads no ecolake metric", p.Title, tg.Expr)
			grouped := map[string]bool{}
			for _, ref := range refs {
				f := familyOf(fams, ref[1])
				if !assert.NotNil(t, f, "%s: %s is not exposed by /metrics", p.Title, ref[1]) {
					continue
				}
				labels := labelsOf(f)
				for k := range labels {
					grouped[k] = true
				}
				for _, m := range matcherName.FindAllStringSubmatch(ref[2], -1) {
					if m[1] != "job" {
						assert.True(t, labels[m[1]], "%s: %s has no label %s", p.Title, ref[1], m[1])
					}
				}
			}
			for _, by := range byClause.FindAllStringSubmatch(tg.Expr, -1) {
				for _, l := range strings.Split(by[1], ",") {
					if l = strings.TrimSpace(l); l != "" && l != "job" {
						assert.True(t, grouped[l], "%s: no metric of %q has label %s", p.Title, tg.Expr, l)
					}
				}
			}
		}
	}
	assert.Greater(t, exprs, 20)
}
