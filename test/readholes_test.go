package test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadHolesAreClosed reproduces the read holes found against the demo, against the built binary:
// a district account read every district's rows (hole 3); the figures counted entries hidden from
// the caller, and a hidden run's rejected rows answered differently from a missing one (hole 8).
func TestReadHolesAreClosed(t *testing.T) {
	// Submissions below keep their valid rows beside rejected ones, whatever their share.
	s := startServer(t, t.TempDir(), nil, "--demo", "--max-rejected-percent", "100")

	t.Run("a district account reads only its own districts' rows and aggregates", func(t *testing.T) {
		d := s.gql("demo-wanzhou", `{ air_autumn_winter_targets(limit: 1000) { district_code }
			air_autumn_winter_targets_aggregate(groupBy: [district_code]) { group { district_code } count } }`, nil).ok(t)
		rs := rows(t, d, "air_autumn_winter_targets")
		require.Len(t, rs, 1)
		assert.Equal(t, "500101", rs[0]["district_code"])
		groups := rows(t, d, "air_autumn_winter_targets_aggregate")
		require.Len(t, groups, 1)
		assert.Equal(t, "500101", groups[0]["group"].(map[string]any)["district_code"])
		assert.EqualValues(t, 1, num(t, groups[0]["count"]))

		// A filter naming another district cannot widen the scope: it narrows to nothing.
		d = s.gql("demo-wanzhou", `{ air_autumn_winter_targets(where: {or: [{district_code: {eq: "500105"}}, {district_code: {isNull: false}}]}) { district_code } }`, nil).ok(t)
		rs = rows(t, d, "air_autumn_winter_targets")
		require.Len(t, rs, 1)
		assert.Equal(t, "500101", rs[0]["district_code"])

		// The same table as a city-wide reader: all 32 rows of 附件1.
		d = s.gql("demo-public", `{ air_autumn_winter_targets_aggregate { count } }`, nil).ok(t)
		assert.EqualValues(t, 32, num(t, rows(t, d, "air_autumn_winter_targets_aggregate")[0]["count"]))
	})

	t.Run("a manager reads aggregates, never rows", func(t *testing.T) {
		r := s.gql("demo-manager", `{ air_autumn_winter_targets { district_code } }`, nil)
		require.NotEmpty(t, r.Errors, r.Raw)
		d := s.gql("demo-manager", `{ air_autumn_winter_targets_aggregate { count } }`, nil).ok(t)
		assert.EqualValues(t, 32, num(t, rows(t, d, "air_autumn_winter_targets_aggregate")[0]["count"]))

		// Grouping by a key, or filtering down to one row, does not give rows back: groups of fewer
		// than the minimum are withheld.
		d = s.gql("demo-manager", `{ byKey: air_autumn_winter_targets_aggregate(groupBy: [district_code]) { group { district_code } count max { pm25_target } }
			one: air_autumn_winter_targets_aggregate(where: {district_code: {eq: "500101"}}) { count max { pm25_target } } }`, nil).ok(t)
		assert.Empty(t, d["byKey"], "every district is a group of one row")
		assert.Empty(t, d["one"], "a total over one row")
		// The steward, reading rows anyway, sees the groups.
		d = s.gql("demo-steward", `{ air_autumn_winter_targets_aggregate(groupBy: [district_code]) { count } }`, nil).ok(t)
		assert.Len(t, rows(t, d, "air_autumn_winter_targets_aggregate"), 32)
	})

	t.Run("the figures count only the caller's entries", func(t *testing.T) {
		q := `{ collectionRate { numerator denominator byDepartment { key denominator } lagging { entry } } entries { resourceCode } }`
		steward := s.gql("demo-steward", q, nil).ok(t)["collectionRate"].(map[string]any)
		public := s.gql("demo-public", q, nil).ok(t)
		pub := public["collectionRate"].(map[string]any)
		assert.EqualValues(t, 27, num(t, steward["denominator"]))
		assert.Less(t, num(t, pub["denominator"]), num(t, steward["denominator"]),
			"a low-clearance caller's denominator holds no entry hidden from it")
		visible := map[string]bool{}
		for _, e := range public["entries"].([]any) {
			visible[e.(map[string]any)["resourceCode"].(string)] = true
		}
		for _, l := range pub["lagging"].([]any) {
			assert.True(t, visible[l.(map[string]any)["entry"].(string)], "lagging names a hidden entry: %v", l)
		}
		var deptSum float64
		for _, b := range pub["byDepartment"].([]any) {
			deptSum += num(t, b.(map[string]any)["denominator"])
		}
		assert.Equal(t, num(t, pub["denominator"]), deptSum, "breakdowns add up to the caller's own denominator")
	})

	t.Run("a hidden run's rejected rows answer exactly as a missing run", func(t *testing.T) {
		status, body := submit(t, s, "demo-steward", "0201%2F000003", "报送.csv", []byte("区县,数量\n江北区,1\n江北区,不是数字\n"), "")
		require.Equal(t, http.StatusCreated, status, body)
		var res struct {
			Run struct{ ID string }
		}
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		run := res.Run.ID

		get := func(token, id string) (int, string) {
			req, _ := http.NewRequest("GET", s.base+"/api/v1/runs/"+id+"/rejects", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, csv := get("demo-steward", run)
		require.Equal(t, http.StatusOK, code, csv)
		assert.Contains(t, csv, "不是数字")

		// 万州 does not see a run that was not submitted for 万州: the answer is the missing run's.
		hidden, hiddenBody := get("demo-wanzhou", run)
		missing, missingBody := get("demo-wanzhou", "20260101T000000Z-0000000000000000")
		assert.Equal(t, http.StatusNotFound, hidden)
		assert.Equal(t, missing, hidden)
		assert.Equal(t, missingBody, strings.ReplaceAll(hiddenBody, run, "20260101T000000Z-0000000000000000"))

		// An application that may read the entry but not load it gets no raw rejected values.
		code, _ = get("demo-public", run)
		assert.Equal(t, http.StatusForbidden, code)
	})
}
