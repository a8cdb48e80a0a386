package test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScheduledPull: a steward connects the demo's 露天焚烧火点监测 to a vertical system's API
// (served here on loopback); the running service's scheduler pulls it without anybody asking,
// the rows are queryable, and the schedule shows the watermark the pull ended at.
func TestScheduledPull(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fire-api-key" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []map[string]any{
			{"hdbh": "HD-2025-0001", "xzqh": "500101", "fxsj": "2025-03-01T10:20:00+08:00", "jd": 108.4, "wd": 30.8, "sfcz": true},
			{"hdbh": "HD-2025-0002", "xzqh": "500235", "fxsj": "2025-03-01T11:05:00+08:00", "jd": 108.9, "wd": 30.9, "sfcz": false},
		}})
	}))
	defer api.Close()
	s := startServer(t, t.TempDir(), nil, "--demo", "--schedule-tick", "100ms")
	// 不定时 entries are pulled by hand unless a schedule is set: this one every half hour, and at
	// once, as it has never been pulled.
	body, err := json.Marshal(map[string]any{"kind": "rest", "schedule": "*/30 * * * *", "config": map[string]string{
		"url": api.URL + "/fire-points", "token": "Bearer fire-api-key", "pagination": "none", "watermark_field": "found_at",
		"mapping": "fire_no=$.hdbh; district_code=$.xzqh; found_at=$.fxsj; lon=$.jd; lat=$.wd; handled=$.sfcz",
	}})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPut, s.base+"/api/v1/entries/0203%2F000010/connection", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer demo-steward")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var plan []struct {
		Entry       string  `json:"entry"`
		Watermark   string  `json:"watermark"`
		LastSuccess *string `json:"lastSuccess"`
		Failures    int     `json:"failures"`
	}
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v1/schedules", nil)
		req.Header.Set("Authorization", "Bearer demo-steward")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		plan = nil
		return json.NewDecoder(resp.Body).Decode(&plan) == nil && len(plan) == 1 && plan[0].LastSuccess != nil
	}, 20*time.Second, 100*time.Millisecond, "the scheduler pulls a connection never pulled at its next tick\n%s", s.out.String())
	assert.Equal(t, "2025-03-01T11:05:00+08:00", plan[0].Watermark)
	assert.Zero(t, plan[0].Failures)

	d := s.gql("demo-steward", `{ open_burning_fire_points(where: {fire_no: {in: ["HD-2025-0001", "HD-2025-0002"]}}, orderBy: [{field: fire_no}]) {
		fire_no district_code found_at handled } }`, nil).ok(t)
	got := rows(t, d, "open_burning_fire_points")
	require.Len(t, got, 2)
	assert.Equal(t, "HD-2025-0001", got[0]["fire_no"])
	assert.Equal(t, "500101", got[0]["district_code"])
	assert.Contains(t, got[0]["found_at"], "2025-03-01T10:20:00", "the wall clock as the system wrote it")
	assert.Equal(t, false, got[1]["handled"])
}
