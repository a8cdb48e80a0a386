package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// TestServeDemoEndToEnd starts `ecolake serve --demo`, queries it as each kind of user, submits a
// district file over HTTP, stops it with SIGTERM and starts it again on the same data.
func TestServeDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	// Submissions below keep their valid rows beside rejected ones, whatever their share.
	s := startServer(t, dir, nil, "--demo", "--max-rejected-percent", "100")

	t.Run("unauthenticated is refused", func(t *testing.T) {
		r := s.gql("", `{ entries { resourceCode } }`, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status, r.Raw)
		r = s.gql("no-such-token", `{ entries { resourceCode } }`, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status, r.Raw)
	})

	t.Run("rows of the action plan's 附件1 with eq", func(t *testing.T) {
		d := s.gql("demo-public", `{ air_autumn_winter_targets(where: {district_code: {eq: "500101"}}) {
			district_code good_days_target pm25_target heavy_pollution_days_target } }`, nil).ok(t)
		rs := rows(t, d, "air_autumn_winter_targets")
		require.Len(t, rs, 1)
		assert.EqualValues(t, 116, num(t, rs[0]["good_days_target"]))
		assert.InDelta(t, 36.0, num(t, rs[0]["pm25_target"]), 1e-9)
	})

	t.Run("range, in, order, limit and offset", func(t *testing.T) {
		d := s.gql("demo-public", `{ air_autumn_winter_targets(where: {pm25_target: {gte: 40}},
			orderBy: [{field: pm25_target, direction: DESC}], limit: 2, offset: 1) { district_code pm25_target } }`, nil).ok(t)
		rs := rows(t, d, "air_autumn_winter_targets")
		require.Len(t, rs, 2)
		assert.Equal(t, "500110", rs[0]["district_code"]) // 綦江区 44.0, after 合川区 45.7
		assert.Equal(t, "500151", rs[1]["district_code"]) // 铜梁区 42.7
		d = s.gql("demo-public", `query($ds: [String!]) { air_autumn_winter_targets(where: {district_code: {in: $ds}}) { district_code } }`,
			map[string]any{"ds": []string{"500101", "500114", "' OR 1=1 --"}}).ok(t)
		assert.Len(t, rows(t, d, "air_autumn_winter_targets"), 2)
	})

	t.Run("aggregates: the 附件2 total and a groupBy", func(t *testing.T) {
		d := s.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count sum { enterprise_count } } }`, nil).ok(t)
		agg := rows(t, d, "air_emission_reduction_counts_aggregate")
		require.Len(t, agg, 1)
		assert.EqualValues(t, 41, num(t, agg[0]["count"]))
		assert.EqualValues(t, 15539, num(t, agg[0]["sum"].(map[string]any)["enterprise_count"]))

		d = s.gql("demo-air-app", `{ air_station_hourly_aggregate(groupBy: [district_code]) { group { district_code } count max { pm25 } } }`, nil).ok(t)
		groups := rows(t, d, "air_station_hourly_aggregate")
		require.Len(t, groups, 24)
		for _, g := range groups {
			assert.EqualValues(t, 72, num(t, g["count"]))
			assert.LessOrEqual(t, num(t, g["max"].(map[string]any)["pm25"]), 75.0)
		}
	})

	t.Run("collection rate with its reasons", func(t *testing.T) {
		d := s.gql("demo-steward", `{ collectionRate { rate numerator denominator
			byDepartment { key numerator denominator } byDistrict { key numerator denominator }
			lagging { entry reason reasonText } } }`, nil).ok(t)
		cr := d["collectionRate"].(map[string]any)
		assert.EqualValues(t, 17, num(t, cr["numerator"]))
		assert.EqualValues(t, 27, num(t, cr["denominator"]))
		assert.InDelta(t, 17.0/27.0, num(t, cr["rate"]), 1e-9)
		var deptSum float64
		for _, b := range cr["byDepartment"].([]any) {
			deptSum += num(t, b.(map[string]any)["denominator"])
		}
		assert.EqualValues(t, 27, deptSum)
		reasons := map[string]string{}
		for _, l := range cr["lagging"].([]any) {
			m := l.(map[string]any)
			reasons[m["entry"].(string)] = m["reason"].(string) + " " + m["reasonText"].(string)
		}
		assert.Len(t, reasons, 10)
		assert.Contains(t, reasons["0101/000007"], "NEVER_LOADED")
		assert.Contains(t, reasons["0202/000005"], "STALE")
		assert.Contains(t, reasons["0102/000017"], "失败")
		assert.NotContains(t, reasons, "0501/000028", "涉密 entries are not due")

		// The same list a page at a time: each page after the last code of the one before.
		var paged []string
		after := ""
		for range 5 {
			d := s.gql("demo-steward", fmt.Sprintf(`{ collectionRate { laggingCount lagging(first: 4, after: %q) { entry } } }`, after), nil).ok(t)
			cr := d["collectionRate"].(map[string]any)
			assert.EqualValues(t, 10, num(t, cr["laggingCount"]))
			page := cr["lagging"].([]any)
			if len(page) == 0 {
				break
			}
			for _, l := range page {
				paged = append(paged, l.(map[string]any)["entry"].(string))
			}
			after = paged[len(paged)-1]
		}
		assert.Len(t, paged, 10)
		for _, code := range paged {
			assert.Contains(t, reasons, code)
		}
		assert.IsIncreasing(t, paged)
		r := s.gql("demo-steward", `{ collectionRate { lagging(first: 501) { entry } } }`, nil)
		require.NotEmpty(t, r.Errors, r.Raw)
		assert.Contains(t, r.Errors[0].Message, "参数 first 应在 1 到 500 之间")
	})

	t.Run("an entry above the clearance does not exist for the principal", func(t *testing.T) {
		const hidden = "hazardous_waste_facilities" // 重要数据
		schema := s.gql("demo-public", `{ __schema { queryType { fields { name } } } }`, nil).ok(t)
		names := fieldNames(schema)
		assert.Contains(t, names, "air_autumn_winter_targets")
		assert.NotContains(t, names, hidden)
		assert.NotContains(t, names, "hazardous_waste_manifests") // 一般数据3级 items
		r := s.gql("demo-public", `{ hazardous_waste_facilities { facility_no } }`, nil)
		assert.NotEmpty(t, r.Errors, r.Raw)
		d := s.gql("demo-public", `{ entries { resourceCode } entry(code: "0501/000027") { name } }`, nil).ok(t)
		assert.Nil(t, d["entry"])
		for _, e := range rows(t, d, "entries") {
			assert.NotEqual(t, "0501/000027", e["resourceCode"])
		}
		sdl := func(token string) string {
			req, _ := http.NewRequest("GET", s.base+"/api/v1/schema.graphql", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			require.Equal(t, 200, resp.StatusCode, string(raw))
			return string(raw)
		}
		assert.Contains(t, sdl("demo-public"), "air_autumn_winter_targets")
		assert.NotContains(t, sdl("demo-public"), hidden)
		assert.Contains(t, sdl("demo-steward"), hidden)
		d = s.gql("demo-steward", `{ hazardous_waste_facilities(limit: 1000) { facility_no } entry(code: "0501/000027") { name grade { id } } }`, nil).ok(t)
		assert.Len(t, rows(t, d, hidden), 40)
		assert.Equal(t, "IMPORTANT", d["entry"].(map[string]any)["grade"].(map[string]any)["id"])
	})

	t.Run("district submission over HTTP in GB18030", func(t *testing.T) {
		csvText := "区县,数量\n万州区,10\n火星区,3\n"
		gb, err := simplifiedchinese.GB18030.NewEncoder().String(csvText)
		require.NoError(t, err)
		status, body := submit(t, s, "demo-steward", "0201%2F000003", "报送.csv", []byte(gb), "万州区")
		require.Equal(t, http.StatusCreated, status, body)
		var res struct {
			Run struct {
				ID, Status                 string
				RowsAccepted, RowsRejected int
			}
			Encoding string
			Rejects  []struct {
				Row            int
				Column, Reason string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(body), &res), body)
		assert.Contains(t, body, `"rowsAccepted": 1`, "the API speaks camelCase like GraphQL")
		assert.Equal(t, "GB18030", res.Encoding)
		assert.Equal(t, "PARTIAL", res.Run.Status)
		assert.Equal(t, 1, res.Run.RowsAccepted)
		require.Len(t, res.Rejects, 1)
		assert.Equal(t, 3, res.Rejects[0].Row)
		assert.Equal(t, "区县", res.Rejects[0].Column)

		d := s.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count sum { enterprise_count } } }`, nil).ok(t)
		agg := rows(t, d, "air_emission_reduction_counts_aggregate")[0]
		assert.EqualValues(t, 42, num(t, agg["count"]))
		assert.EqualValues(t, 15549, num(t, agg["sum"].(map[string]any)["enterprise_count"]))

		req, _ := http.NewRequest("GET", s.base+"/api/v1/runs/"+res.Run.ID+"/rejects", nil)
		req.Header.Set("Authorization", "Bearer demo-steward")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, string(raw), "火星区")

		status, body = submit(t, s, "demo-wanzhou", "0201%2F000003", "报送.csv", []byte(csvText), "江北区")
		assert.Equal(t, http.StatusForbidden, status, body)
		status, body = submit(t, s, "demo-steward", "9999%2F000001", "报送.csv", []byte(csvText), "")
		assert.Equal(t, http.StatusNotFound, status, body)

		// An entry above the account's clearance does not exist for it here either: no name, no items.
		status, body = submit(t, s, "demo-wanzhou", "0202%2F000005", "报送.csv", []byte("车牌\n渝A00000\n"), "")
		assert.Equal(t, http.StatusNotFound, status, body)
		assert.NotContains(t, body, "号牌号码")
		assert.NotContains(t, body, "机动车路检路查记录")
		// …nor do the rejected rows a steward's load of it left for the account's district.
		status, body = submit(t, s, "demo-steward", "0202%2F000005", "报送.csv",
			[]byte("检测编号,区县,检测时间,号牌号码,检测结果合格\nX1,万州区,不是时间,渝A12345,是\n"), "万州区")
		require.Equal(t, http.StatusUnprocessableEntity, status, body) // its only row is rejected
		var hidden struct{ Run struct{ ID string } }
		require.NoError(t, json.Unmarshal([]byte(body), &hidden))
		req, _ = http.NewRequest("GET", s.base+"/api/v1/runs/"+hidden.Run.ID+"/rejects", nil)
		req.Header.Set("Authorization", "Bearer demo-wanzhou")
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		// A hidden run answers as a missing one would: 404, not 403, which would tell it exists.
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(raw))
		assert.NotContains(t, string(raw), "渝A12345")
		status, body = submit(t, s, "demo-steward", "0201%2F000003", "报送.csv", []byte("地区,数量\n万州区,1\n"), "")
		assert.Equal(t, http.StatusUnprocessableEntity, status, body)
		assert.Contains(t, body, "区县")
	})

	s.stop(syscall.SIGTERM)
	assert.Contains(t, s.out.String(), "shutting down")

	t.Run("restart replays the journal", func(t *testing.T) {
		s2 := startServer(t, dir, nil, "--demo")
		d := s2.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count sum { enterprise_count } } }`, nil).ok(t)
		agg := rows(t, d, "air_emission_reduction_counts_aggregate")[0]
		assert.EqualValues(t, 15549, num(t, agg["sum"].(map[string]any)["enterprise_count"]))
		s2.stop(syscall.SIGINT)
	})

	t.Run("demo tokens open nothing without --demo", func(t *testing.T) {
		s3 := startServer(t, dir, nil)
		r := s3.gql("demo-steward", `{ entries { resourceCode } }`, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status, r.Raw)
		s3.stop(syscall.SIGTERM)
	})
}

func submit(t *testing.T, s *server, token, code, name string, content []byte, district string) (int, string) {
	t.Helper()
	var fields map[string]string
	if district != "" {
		fields = map[string]string{"district": district}
	}
	return submitForm(t, s, token, code, name, string(content), fields)
}

// num reads a JSON number (or a 64-bit integer sent as a string).
func num(t *testing.T, v any) float64 {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return n
	case string:
		var f float64
		require.NoError(t, json.Unmarshal([]byte(strings.Trim(n, `"`)), &f), "not a number: %q", n)
		return f
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

func fieldNames(schema map[string]any) []string {
	var names []string
	for _, f := range schema["__schema"].(map[string]any)["queryType"].(map[string]any)["fields"].([]any) {
		names = append(names, f.(map[string]any)["name"].(string))
	}
	return names
}
