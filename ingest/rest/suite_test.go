package rest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/ingest/ingesttest"
	"github.com/cqeco/ecolake/schemas"
)

// harness holds the suite's records in a fake national system, served 500 a page.
type harness struct{ ns *nationalSystem }

func (h harness) Source(t *testing.T) ingest.Source {
	t.Helper()
	src, err := ingest.OpenSource("rest", h.ns.config(map[string]string{"page_size": "500"}))
	require.NoError(t, err)
	return src
}

func (h harness) Add(_ *testing.T, recs []ingesttest.Record) { h.ns.add(recs) }

func (h harness) Secret() string { return h.ns.token }

func TestSuite(t *testing.T) {
	ingesttest.Run(t, func(t *testing.T) ingesttest.Harness { return harness{ns: newSystem(t)} })
}

// TestSuiteClientSideWatermark runs the suite against a system that ignores the since
// parameter: the connector's own filter must carry the watermark.
func TestSuiteClientSideWatermark(t *testing.T) {
	ingesttest.Run(t, func(t *testing.T) ingesttest.Harness {
		ns := newSystem(t)
		ns.ignoreSince = true
		return harness{ns: ns}
	})
}

func TestSpecResolveReportsEveryProblem(t *testing.T) {
	_, err := Spec.Resolve(map[string]string{
		"proxy":           "http://10.0.0.1:3128",
		"pagination":      "scroll",
		"mapping":         "code",
		"watermark_field": "at",
	})
	require.ErrorIs(t, err, ingest.ErrInvalidConnector)
	var inv *schemas.InvalidError
	require.True(t, errors.As(err, &inv))
	got := map[string]string{}
	for _, p := range inv.Problems {
		got[p.Field] = p.Message
	}
	require.Len(t, got, 4, "%v", inv.Problems)
	require.Contains(t, got["proxy"], "不是连接器 rest 的配置项")
	require.Contains(t, got["url"], "必填")
	require.Contains(t, got["pagination"], "page、offset、cursor、none")
	require.Contains(t, got["mapping"], "信息项字段=路径")
}

func TestSpecDocumentsEveryField(t *testing.T) {
	for _, f := range Spec.Fields {
		require.NotEmpty(t, f.Title, f.Key)
		require.NotEmpty(t, f.Description, f.Key)
		require.NotEmpty(t, f.Example, f.Key)
		if f.Default != "" {
			_, err := Spec.Resolve(map[string]string{"url": "https://x.gov.cn/a", "mapping": "at=at", "watermark_field": "at", f.Key: f.Default})
			require.NoError(t, err, "the default of %s resolves", f.Key)
		}
	}
}

// TestNewReportsWhatResolveCannotSee covers the checks of New: paths, the watermark field among
// the mapping's, the rate, a URL with a password, durations, all reported by field at once.
func TestNewReportsWhatResolveCannotSee(t *testing.T) {
	base := map[string]string{"url": "https://api.example.gov.cn/v1/data", "mapping": "code=code;at=at", "watermark_field": "at"}
	tests := []struct {
		name  string
		over  map[string]string
		field string
		msg   string
	}{
		{"watermark not mapped", map[string]string{"watermark_field": "updated"}, "watermark_field", "不是映射中的信息项字段"},
		{"unclosed bracket", map[string]string{"records": "$.data[0"}, "records", "方括号未闭合"},
		{"index not a number", map[string]string{"mapping": "code=items[x].code;at=at"}, "mapping", "不是数组下标"},
		{"empty key", map[string]string{"next_cursor": "$.page..next"}, "next_cursor", "空的键"},
		{"root then name", map[string]string{"records": "$data"}, "records", "$ 后应为 . 或 ["},
		{"password in url", map[string]string{"url": "https://u:pw@api.example.gov.cn/v1"}, "url", "不能写用户名或密码"},
		{"rate not a number", map[string]string{"rate_limit": "fast"}, "rate_limit", "每秒请求数"},
		{"negative rate", map[string]string{"rate_limit": "-1"}, "rate_limit", "每秒请求数"},
		{"zero timeout", map[string]string{"timeout": "0s"}, "timeout", "应大于 0"},
		{"bad header name", map[string]string{"auth_header": "X Api Key"}, "auth_header", "不是有效的请求头名称"},
		{"token with newline", map[string]string{"token": "Bearer a\r\nX-Evil: 1"}, "token", "换行"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			for k, v := range tt.over {
				cfg[k] = v
			}
			_, err := ingest.OpenSource("rest", cfg)
			require.ErrorIs(t, err, ingest.ErrInvalidConnector)
			var inv *schemas.InvalidError
			require.True(t, errors.As(err, &inv))
			require.Len(t, inv.Problems, 1, "%v", inv.Problems)
			require.Equal(t, tt.field, inv.Problems[0].Field)
			require.Contains(t, inv.Problems[0].Message, tt.msg)
			require.NotContains(t, err.Error(), "pw@", "the URL's password is not echoed")
		})
	}
}
