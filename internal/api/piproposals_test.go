package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

const contactsCode = "0201/000004"

// genIDNumber is a 身份证号 with a valid check character.
func genIDNumber(r *rand.Rand) string {
	body := fmt.Sprintf("500103%04d%02d%02d%03d", 1950+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28), r.IntN(1000))
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// contactsCSV is a file of n outfall contacts: a mobile number and an ID number each.
func contactsCSV(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("排污口编号,联系电话,身份证号\n")
	for i := range n {
		fmt.Fprintf(&b, "DW%d%03d,13%09d,%s\n", seed, i, r.IntN(1_000_000_000), genIDNumber(r))
	}
	return b.String()
}

// TestPIProposalDoors: a load of contacts raises proposals that the entry's steward lists and
// decides; another department's steward is refused, a principal who cannot see the entry is
// answered as for a missing one; an acceptance becomes a change under review, and once a
// reviewer approves it the item is masked for readers.
func TestPIProposalDoors(t *testing.T) {
	srv, cat, in := submissionServerWith(t, nil)
	ctx := context.Background()
	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "DIV_WATER", Name: "水处", Kind: catalog.DepartmentDivision}))
	for _, p := range []catalog.Principal{
		{ID: "air", Name: "大气处数据管理员", Role: catalog.RoleSteward, Department: "DIV_AIR", Clearance: schemas.Core, TokenHash: catalog.HashToken("air-tok")},
		{ID: "water", Name: "水处数据管理员", Role: catalog.RoleSteward, Department: "DIV_WATER", Clearance: schemas.Core, TokenHash: catalog.HashToken("water-tok")},
		{ID: "low", Name: "大气处见习管理员", Role: catalog.RoleSteward, Department: "DIV_AIR", Clearance: schemas.General1, TokenHash: catalog.HashToken("low-tok")},
	} {
		require.NoError(t, cat.PutPrincipal(ctx, p))
	}
	require.NoError(t, cat.PutEntry(ctx, &catalog.Entry{
		ResourceCode: contactsCode, Table: "outfall_contacts", Name: "排污口联系人", CategoryCode: "0201",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "测试", FormatType: "DATABASE",
		ShareType: catalog.ShareConditional, ShareCondition: "用于排污口监管", ShareMode: "TABLE", OpenType: "NOT_OPEN",
		UpdateCycle: schemas.Irregular, Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode,
		SourceKind: "DISTRICT_SUBMISSION", Domains: []string{"AIR"}, Items: catalog.ItemsOf(
			catalog.Item{Name: "排污口编号", Field: "outfall", Type: schemas.String, Required: true, IsKey: true, Grade: schemas.General2},
			catalog.Item{Name: "联系电话", Field: "phone", Type: schemas.String, Grade: schemas.General1},
			catalog.Item{Name: "身份证号", Field: "id_no", Type: schemas.String, Grade: schemas.General2}),
	}))
	load := func(seed uint64) {
		_, err := in.Submit(ctx, ingest.Submission{Principal: catalog.Operator(), Entry: contactsCode,
			Filename: fmt.Sprintf("联系人%d.csv", seed), Body: strings.NewReader(contactsCSV(seed, 40))})
		require.NoError(t, err)
	}
	call := func(tok, method, path string, body any) (int, string) {
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, srv.URL+"/api/v1/entries/0201%2F000004/pi-proposals"+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(out)
	}
	list := func() map[string]piProposalRecordJSON {
		status, body := call("air-tok", "GET", "", nil)
		require.Equal(t, http.StatusOK, status, body)
		var got []piProposalRecordJSON
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		out := map[string]piProposalRecordJSON{}
		for _, pr := range got {
			out[pr.Field] = pr
		}
		return out
	}
	masks := func(who string) map[string]string {
		v := cat.View()
		e, err := v.Entry(contactsCode)
		require.NoError(t, err)
		p, err := v.Principal(who)
		require.NoError(t, err)
		out := map[string]string{}
		for _, it := range v.Decide(p, e, time.Now()).Items {
			out[it.Field] = it.Mask
		}
		return out
	}

	load(1)
	got := list()
	require.Len(t, got, 2)
	assert.Equal(t, "MOBILE", got["phone"].PIType)
	assert.Equal(t, "手机号", got["phone"].PITypeName)
	assert.Equal(t, "待确认", got["phone"].StatusName)
	assert.Equal(t, "ID_CARD", got["id_no"].PIType)
	assert.Equal(t, string(schemas.General4), got["id_no"].Grade)

	for _, tc := range []struct {
		name, tok, method, path string
		body                    any
		want                    int
	}{
		{"another department's steward lists", "water-tok", "GET", "", nil, http.StatusForbidden},
		{"a scene account lists", "scene-tok", "GET", "", nil, http.StatusForbidden},
		{"a steward who cannot see the entry lists", "low-tok", "GET", "", nil, http.StatusNotFound},
		{"another department's steward accepts", "water-tok", "POST", "/phone/accept", decidePIJSON{Base: got["phone"].Revision}, http.StatusForbidden},
		{"a steward who cannot see the entry dismisses", "low-tok", "POST", "/phone/dismiss", decidePIJSON{Base: got["phone"].Revision}, http.StatusNotFound},
		{"no base", "air-tok", "POST", "/phone/accept", map[string]any{"note": "x"}, http.StatusBadRequest},
		{"an unknown field in the body", "air-tok", "POST", "/phone/accept", map[string]any{"base": 1, "colour": "red"}, http.StatusBadRequest},
		{"a stale base", "air-tok", "POST", "/phone/accept", decidePIJSON{Base: got["phone"].Revision - 1}, http.StatusConflict},
		{"an item without a proposal", "air-tok", "POST", "/outfall/dismiss", decidePIJSON{Base: 1}, http.StatusNotFound},
	} {
		status, body := call(tc.tok, tc.method, tc.path, tc.body)
		assert.Equal(t, tc.want, status, "%s: %s", tc.name, body)
	}

	status, body := call("air-tok", "POST", "/phone/accept", decidePIJSON{Base: got["phone"].Revision, Note: "核实为联系人手机"})
	require.Equal(t, http.StatusOK, status, body)
	var accepted piProposalRecordJSON
	require.NoError(t, json.Unmarshal([]byte(body), &accepted))
	assert.Equal(t, catalog.PIAccepted, accepted.Status)
	assert.Equal(t, "大气处数据管理员", accepted.DecidedBy)
	c, err := cat.View().Change(contactsCode)
	require.NoError(t, err)
	assert.Equal(t, catalog.StatusPendingReview, c.Status)
	assert.Equal(t, c.Revision, accepted.Change)
	assert.Equal(t, "", masks("scene")["phone"], "nothing changes before the review")

	reviewer := &catalog.Principal{ID: "rev", Name: "审核员", Role: catalog.RoleReviewer, Clearance: schemas.Core}
	e, err := cat.View().Entry(contactsCode)
	require.NoError(t, err)
	require.NoError(t, cat.ApproveEntry(ctx, reviewer, contactsCode, catalog.Revision(e, c), "同意"))
	assert.Equal(t, "MOBILE", masks("scene")["phone"])
	assert.Equal(t, "MOBILE", masks("air")["phone"], "masked for the steward too")

	status, body = call("air-tok", "POST", "/id_no/dismiss", decidePIJSON{Base: got["id_no"].Revision, Note: "测试数据"})
	require.Equal(t, http.StatusOK, status, body)
	load(2)
	got = list()
	assert.Equal(t, catalog.PIDismissed, got["id_no"].Status, "the dismissal holds across a later load")
	assert.Equal(t, "测试数据", got["id_no"].Note)
	assert.Equal(t, catalog.PIAccepted, got["phone"].Status)
	status, body = call("air-tok", "POST", "/phone/dismiss", decidePIJSON{Base: got["phone"].Revision})
	assert.Equal(t, http.StatusConflict, status, "an accepted proposal is not dismissed: %s", body)
}
