package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

// profileEntry is a city-wide entry of graded code; its phone item is personal information.
func profileEntry(code, table string, grade schemas.Grade) *catalog.Entry {
	return &catalog.Entry{
		ResourceCode: code, Table: table, Name: "企业排污信息", CategoryCode: "0201",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "测试", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Yearly,
		Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode, SourceKind: "DISTRICT_SUBMISSION",
		Domains: []string{"AIR"}, Items: catalog.ItemsOf([]catalog.Item{
			{Name: "区县", Field: "district_code", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
			{Name: "排放量", Field: "amount", Type: schemas.Int, Grade: schemas.General1},
			{Name: "联系电话", Field: "phone", Type: schemas.String, PIType: "MOBILE", Grade: grade},
		}...),
	}
}

// profileServer serves two loaded entries (the first twice, so it has an earlier snapshot), the
// second graded above the analyst's clearance, and returns the first entry's snapshots, oldest
// first, and the second's.
func profileServer(t *testing.T) (*httptest.Server, *catalog.Store, []string) {
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "DIV_AIR", Name: "大气处", Kind: catalog.DepartmentDivision}))
	for _, p := range []catalog.Principal{
		{ID: "steward", Name: "数据管理员", Role: catalog.RoleSteward, Clearance: schemas.Core},
		{ID: "wanzhou", Name: "万州区", Role: catalog.RoleDistrict, Clearance: schemas.Core, Districts: []string{"500101"}},
		{ID: "manager", Name: "局领导", Role: catalog.RoleManager, Clearance: schemas.Core},
		{ID: "analyst", Name: "分析员", Role: catalog.RoleAnalyst, Clearance: schemas.General3},
	} {
		p.TokenHash = catalog.HashToken(p.ID + "-tok")
		require.NoError(t, cat.PutPrincipal(ctx, p))
	}
	require.NoError(t, cat.PutEntry(ctx, profileEntry("0201/000001", "emissions", schemas.General3)))
	require.NoError(t, cat.PutEntry(ctx, profileEntry("0201/000002", "emissions_secret", schemas.General4)))
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	in := ingest.New(cat, bucket, ingest.DefaultConfig(), nil)
	load := func(code, body string) string {
		res, err := in.Submit(ctx, ingest.Submission{Principal: catalog.Operator(), Entry: code, Filename: "报送.csv",
			Body: strings.NewReader("区县,排放量,联系电话\n" + body)})
		require.NoError(t, err)
		require.NotNil(t, res.Snapshot)
		return res.Snapshot.ID
	}
	first := load("0201/000001", "万州区,10,13800138000\n")
	second := load("0201/000001", "江北区,30,13900139000\n江北区,,\n渝中区,20,13700137000\n")
	other := load("0201/000002", "万州区,99,13600136000\n")
	srv := httptest.NewServer((&Server{Cat: cat, Bucket: bucket, Ingest: in}).Routes())
	t.Cleanup(srv.Close)
	return srv, cat, []string{first, second, other}
}

func getProfile(t *testing.T, srv *httptest.Server, token, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// TestProfileDoor asks the door for every case of the catalogue's decision.
func TestProfileDoor(t *testing.T) {
	srv, cat, snaps := profileServer(t)
	const door = "/api/v1/entries/0201%2F000001/profile"
	// The decisions the cases stand for.
	decide := func(id string) catalog.Access {
		v := cat.View()
		p, err := v.Principal(id)
		require.NoError(t, err)
		_, a, err := v.EntryFor(p, "0201/000001", time.Now())
		require.NoError(t, err)
		return a
	}
	require.True(t, decide("wanzhou").Read && decide("wanzhou").Rows != nil, "a district account reads with a row scope")
	require.True(t, decide("manager").Read && decide("manager").AggregatesOnly, "a manager reads aggregates only")
	require.Equal(t, "MOBILE", decide("steward").Items[2].Mask, "personal information is masked")
	_, missing := getProfile(t, srv, "steward-tok", "/api/v1/entries/0201%2F999999/profile")

	tests := []struct {
		name   string
		token  string
		path   string
		status int
		check  func(t *testing.T, body []byte)
	}{
		{"steward reads every row: the profile, no values of personal information", "steward-tok", door, http.StatusOK,
			func(t *testing.T, body []byte) {
				var p EntryProfile
				require.NoError(t, json.Unmarshal(body, &p))
				assert.Equal(t, snaps[1], p.Snapshot)
				assert.Equal(t, int64(4), p.Rows)
				require.Len(t, p.Items, 3)
				d, amount, phone := p.Items[0], p.Items[1], p.Items[2]
				assert.Equal(t, []TopValue{{Value: "500105", Name: "江北区", Count: 2}, {Value: "500101", Name: "万州区", Count: 1},
					{Value: "500103", Name: "渝中区", Count: 1}}, d.Top)
				assert.Equal(t, ItemProfile{Field: "amount", Name: "排放量", Type: "INT", Rows: 4, Nulls: 1, Distinct: 3,
					Min: "10", Max: "30"}, amount)
				assert.Equal(t, ItemProfile{Field: "phone", Name: "联系电话", Type: "STRING", Rows: 4, Nulls: 1, Distinct: 3,
					Masked: true}, phone, "counts only")
				assert.NotContains(t, string(body), "138001")
			}},
		{"an earlier snapshot of the entry", "steward-tok", door + "?snapshot=" + snaps[0], http.StatusOK,
			func(t *testing.T, body []byte) {
				var p EntryProfile
				require.NoError(t, json.Unmarshal(body, &p))
				assert.Equal(t, snaps[0], p.Snapshot)
				assert.Equal(t, int64(1), p.Rows)
				assert.Equal(t, "10", p.Items[1].Max)
			}},
		{"a district account reads its rows only", "wanzhou-tok", door, http.StatusForbidden, nil},
		{"a manager reads aggregates only", "manager-tok", door, http.StatusForbidden, nil},
		{"an entry above the clearance is not found", "analyst-tok", "/api/v1/entries/0201%2F000002/profile", http.StatusNotFound,
			func(t *testing.T, body []byte) {
				assert.Equal(t, strings.ReplaceAll(string(missing), "999999", "000002"), string(body), "as a missing entry")
			}},
		{"a snapshot of another entry is not found", "steward-tok", door + "?snapshot=" + snaps[2], http.StatusNotFound,
			func(t *testing.T, body []byte) {
				// The other entry's values stay out; the snapshot id asked for is echoed, and may hold "99".
				assert.NotContains(t, strings.ReplaceAll(string(body), snaps[2], ""), "99")
			}},
		{"an unknown snapshot is not found", "steward-tok", door + "?snapshot=nope", http.StatusNotFound, nil},
		{"no token", "", door, http.StatusUnauthorized, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := getProfile(t, srv, tt.token, tt.path)
			require.Equal(t, tt.status, status, string(body))
			if status == http.StatusForbidden {
				assert.Contains(t, string(body), "无权查看目录 0201/000001 的数据概况")
				assert.NotContains(t, string(body), "500105")
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

// TestVisibleProfile: items the decision hides are left out, masked ones show counts only.
func TestVisibleProfile(t *testing.T) {
	e := profileEntry("0201/000001", "emissions", schemas.General3)
	m := &lake.Manifest{Rows: 2, Profiles: []lake.Profile{
		{Field: "district_code", Type: "STRING", Rows: 2, Distinct: 1, Min: "500101", Max: "500101",
			Codes: []lake.CodeCount{{Value: "500101", Count: 2}}},
		{Field: "amount", Type: "INT", Rows: 2, Distinct: 2, Min: "1", Max: "2"},
		{Field: "phone", Type: "STRING", Rows: 2, Distinct: 2, Min: "13800138000", Max: "13900139000"},
	}}
	snap := &catalog.Snapshot{ID: "s1"}
	tests := []struct {
		name  string
		items []catalog.ItemAccess
		want  []ItemProfile
	}{
		{"all visible, phone masked", []catalog.ItemAccess{{Field: "district_code", Visible: true}, {Field: "amount", Visible: true},
			{Field: "phone", Visible: true, Mask: "MOBILE"}}, []ItemProfile{
			{Field: "district_code", Name: "区县", Type: "STRING", Rows: 2, Distinct: 1, Min: "500101", Max: "500101",
				Top: []TopValue{{Value: "500101", Name: "万州区", Count: 2}}},
			{Field: "amount", Name: "排放量", Type: "INT", Rows: 2, Distinct: 2, Min: "1", Max: "2"},
			{Field: "phone", Name: "联系电话", Type: "STRING", Rows: 2, Distinct: 2, Masked: true}}},
		{"hidden items left out", []catalog.ItemAccess{{Field: "district_code"}, {Field: "amount", Visible: true},
			{Field: "phone", Visible: false}}, []ItemProfile{
			{Field: "amount", Name: "排放量", Type: "INT", Rows: 2, Distinct: 2, Min: "1", Max: "2"}}},
		{"unmasked under a grant", []catalog.ItemAccess{{Field: "phone", Visible: true, Unmasked: true}}, []ItemProfile{
			{Field: "phone", Name: "联系电话", Type: "STRING", Rows: 2, Distinct: 2, Min: "13800138000", Max: "13900139000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := visibleProfile(e, catalog.Access{Exists: true, Read: true, Items: tt.items}, snap, m)
			assert.Equal(t, tt.want, got.Items)
		})
	}
	old := visibleProfile(e, catalog.Access{Exists: true, Read: true}, snap, &lake.Manifest{Rows: 5})
	assert.False(t, old.Profiled, "a snapshot from before profiles")
	assert.NotEmpty(t, old.Note)
}
