package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDistrictLoadScope closes the two holes of the submission door against the demo: the 万州区
// account (demo-wanzhou) could replace the whole city-wide table of 区县涉气企业减排清单数量, and
// could submit rows of other districts. Now its rows of other districts are rejected with the
// reason, and its replacement touches only 万州区's rows.
func TestDistrictLoadScope(t *testing.T) {
	s := startServer(t, t.TempDir(), nil, "--demo")
	const code = "0201%2F000003"
	table := func() []string {
		t.Helper()
		d := s.gql("demo-steward", `{ air_emission_reduction_counts(limit: 1000) { district_code enterprise_count } }`, nil).ok(t)
		var out []string
		for _, r := range rows(t, d, "air_emission_reduction_counts") {
			out = append(out, fmt.Sprintf("%v:%v", r["district_code"], num(t, r["enterprise_count"])))
		}
		slices.Sort(out)
		return out
	}
	isWanzhou := func(r string) bool { return strings.HasPrefix(r, "500101:") }
	before := table()
	require.Greater(t, len(before), 10)
	others := slices.DeleteFunc(slices.Clone(before), isWanzhou)

	t.Run("rows of another district are rejected with the reason", func(t *testing.T) {
		status, body := submitForm(t, s, "demo-wanzhou", code, "万州区.csv", "区县,数量\n万州区,7\n江北区,99\n", nil)
		require.Equal(t, http.StatusCreated, status, body)
		var res struct {
			Run struct {
				Status, District           string
				RowsAccepted, RowsRejected int
			}
			Rejects []struct{ Column, Value, Reason string }
		}
		require.NoError(t, json.Unmarshal([]byte(body), &res), body)
		assert.Equal(t, "PARTIAL", res.Run.Status)
		assert.Equal(t, "500101", res.Run.District, "an account of one district submits for it")
		assert.Equal(t, 1, res.Run.RowsAccepted)
		require.Len(t, res.Rejects, 1)
		assert.Equal(t, "区县", res.Rejects[0].Column)
		assert.Equal(t, "江北区", res.Rejects[0].Value)
		assert.Equal(t, "区县“江北区”不在本账号的报送范围（万州区）内", res.Rejects[0].Reason)
		// The answer tells 万州 nothing of the city-wide table's size.
		var raw struct {
			Snapshot map[string]any
			Summary  string
		}
		require.NoError(t, json.Unmarshal([]byte(body), &raw))
		require.NotNil(t, raw.Snapshot)
		for _, k := range []string{"rows", "files", "bytes"} {
			assert.NotContains(t, raw.Snapshot, k)
		}
		assert.NotRegexp(t, `新快照：\S+（共`, raw.Summary)

		after := table()
		assert.NotContains(t, after, "500105:99", "the row of 江北区 is not committed")
		assert.Equal(t, others, slices.DeleteFunc(slices.Clone(after), isWanzhou))
		assert.Contains(t, after, "500101:7")
		assert.Len(t, after, len(before)+1)
	})

	t.Run("a replacement keeps the other districts' rows", func(t *testing.T) {
		status, body := submitForm(t, s, "demo-wanzhou", code, "万州区.csv", "区县,数量\n万州区,5\n", map[string]string{"replace": "true"})
		require.Equal(t, http.StatusCreated, status, body)
		after := table()
		assert.Equal(t, others, slices.DeleteFunc(slices.Clone(after), isWanzhou), "every other district's row, exactly")
		assert.Equal(t, []string{"500101:5"}, slices.DeleteFunc(slices.Clone(after), func(r string) bool { return !isWanzhou(r) }))
		assert.Len(t, after, len(others)+1)
	})

	t.Run("refusals change nothing", func(t *testing.T) {
		current := table()
		status, body := submitForm(t, s, "demo-wanzhou", code, "江北区.csv", "区县,数量\n江北区,1\n", map[string]string{"replace": "true"})
		assert.Equal(t, http.StatusUnprocessableEntity, status, body, "its only row is another district's")
		assert.Contains(t, body, "不在本账号的报送范围")
		status, body = submitForm(t, s, "demo-wanzhou", code, "报送.csv", "区县,数量\n江北区,1\n", map[string]string{"district": "江北区"})
		assert.Equal(t, http.StatusForbidden, status, body)
		assert.Contains(t, body, "不能为区县“江北区”报送数据")
		status, body = submitForm(t, s, "demo-public", code, "报送.csv", "区县,数量\n万州区,1\n", nil)
		assert.Equal(t, http.StatusForbidden, status, body, "a scene reads, it does not load")
		assert.Equal(t, current, table())
	})

	t.Run("a hidden entry is answered as a missing one", func(t *testing.T) {
		missingStatus, missing := submitForm(t, s, "demo-wanzhou", "9999%2F000001", "报送.csv", "a\n1\n", nil)
		hiddenStatus, hidden := submitForm(t, s, "demo-wanzhou", "0202%2F000005", "报送.csv", "a\n1\n", nil)
		assert.Equal(t, http.StatusNotFound, missingStatus, missing)
		assert.Equal(t, http.StatusNotFound, hiddenStatus, hidden)
		assert.Equal(t, strings.ReplaceAll(missing, "9999/000001", "CODE"), strings.ReplaceAll(hidden, "0202/000005", "CODE"))
	})
}

// submitForm posts content as the file of a submission with the extra form fields.
func submitForm(t *testing.T, s *server, token, code, name, content string, fields map[string]string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, _ = io.WriteString(fw, content)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	require.NoError(t, mw.Close())
	req, _ := http.NewRequest("POST", s.base+"/api/v1/entries/"+code+"/submissions", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}
