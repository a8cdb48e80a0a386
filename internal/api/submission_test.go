package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake/local"
	"github.com/cqeco/ecolake/schemas"
)

// submissionServer serves a catalogue with one city-level entry, a steward ("tok") and a scene
// account ("scene-tok") that may read but not load.
func submissionServer(t *testing.T) *httptest.Server {
	srv, _, _ := submissionServerWith(t, nil)
	return srv
}

// submissionServerWith is submissionServer with the given bound of uploads, and its catalogue
// and ingest service.
func submissionServerWith(t *testing.T, uploads *Uploads) (*httptest.Server, *catalog.Store, *ingest.Service) {
	ctx := context.Background()
	ccfg := catalog.DefaultConfig()
	ccfg.Dir = t.TempDir()
	cat, err := catalog.Open(ctx, ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "steward", Name: "管理员", Role: catalog.RoleSteward,
		Clearance: schemas.Core, TokenHash: catalog.HashToken("tok")}))

	require.NoError(t, cat.PutDepartment(ctx, catalog.Department{Code: "DIV_AIR", Name: "大气处", Kind: catalog.DepartmentDivision}))
	require.NoError(t, cat.PutEntry(ctx, &catalog.Entry{
		ResourceCode: "0201/000003", Table: "air_emission_reduction_counts", Name: "区县涉气企业减排清单数量", CategoryCode: "0201",
		ProviderName: "重庆市生态环境局", ProviderCode: "11500000MB0000000X", Abstract: "测试", FormatType: "DATABASE",
		ShareType: "UNCONDITIONAL", ShareMode: "TABLE", OpenType: "CONDITIONAL", UpdateCycle: schemas.Yearly,
		Status: catalog.StatusPublished, Department: "DIV_AIR", District: schemas.CityCode, SourceKind: "DISTRICT_SUBMISSION",
		Domains: []string{"AIR"}, Items: catalog.ItemsOf([]catalog.Item{
			{Name: "区县", Field: "district_code", Type: schemas.String, Required: true, CodeList: "districts", Grade: schemas.General1},
			{Name: "数量", Field: "enterprise_count", Type: schemas.Int, Required: true, Grade: schemas.General1},
		}...),
	}))

	require.NoError(t, cat.PutPrincipal(ctx, catalog.Principal{ID: "scene", Name: "应用", Role: catalog.RoleScene,
		Clearance: schemas.Core, TokenHash: catalog.HashToken("scene-tok")}))
	bucket, err := local.New(t.TempDir())
	require.NoError(t, err)
	in := ingest.New(cat, bucket, ingest.DefaultConfig(), nil)
	srv := httptest.NewServer((&Server{Cat: cat, Bucket: bucket, Ingest: in, Uploads: uploads}).Routes())
	t.Cleanup(srv.Close)
	return srv, cat, in
}

// TestSubmissionTooLargeIs413 checks that a submission over the size bound is answered 413, not
// as a malformed request.
func TestSubmissionTooLargeIs413(t *testing.T) {
	srv := submissionServer(t)
	old := maxSubmissionBytes
	maxSubmissionBytes = 1 << 10
	t.Cleanup(func() { maxSubmissionBytes = old })

	status, _ := postFile(t, srv, "报送.csv", []byte("区县,数量\n"+strings.Repeat("万州区,1\n", 1000)), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
}

// postFile submits a file to the test entry as the steward, with the form's other fields, and
// returns the status and the answer's body.
func postFile(t *testing.T, srv *httptest.Server, name string, data []byte, fields map[string]string) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, _ = fw.Write(data)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	require.NoError(t, mw.Close())
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/entries/0201%2F000003/submissions", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// countingBody is an upload that counts what the server read of it.
type countingBody struct {
	n    atomic.Int64 // the transport may still be sending when the answer has come
	size int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n := int(c.n.Load())
	if n >= c.size {
		return 0, io.EOF
	}
	k := min(len(p), c.size-n)
	for i := range k {
		p[i] = 'x'
	}
	c.n.Add(int64(k))
	return k, nil
}

// TestSubmissionRefusedBeforeTheBodyIsRead: a caller that may not load the entry, or to whom it
// does not exist, is answered before the service reads (and spools) its upload.
func TestSubmissionRefusedBeforeTheBodyIsRead(t *testing.T) {
	srv := submissionServer(t)
	for _, c := range []struct {
		token, code string
		status      int
	}{
		{"scene-tok", "0201%2F000003", http.StatusForbidden},
		{"scene-tok", "9999%2F999999", http.StatusNotFound},
		{"tok", "9999%2F999999", http.StatusNotFound},
	} {
		body := &countingBody{size: 64 << 20}
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/entries/"+c.code+"/submissions", io.NopCloser(body))
		req.ContentLength = int64(body.size)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, c.status, resp.StatusCode, "%s %s", c.token, c.code)
		// The client may have sent a first buffer before the answer came; the server read none of
		// the rest.
		require.Less(t, body.n.Load(), int64(8<<20), "%s %s: the upload was read", c.token, c.code)
	}
}

// TestSubmissionBodyLabels: the run's district comes with its Chinese label beside it.
func TestSubmissionBodyLabels(t *testing.T) {
	body := submissionBody(&ingest.Result{Run: catalog.Run{ID: "r1", Entry: "0201/000003", District: "500101", Status: catalog.RunSucceeded}})
	assert.Equal(t, "500101", body.Run.District)
	assert.Equal(t, "万州区", body.Run.DistrictName)
	raw, err := json.Marshal(submissionBody(&ingest.Result{Run: catalog.Run{ID: "r2"}}))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "districtName", "no district, no label")
	assert.NotContains(t, string(raw), "headerLine", "no header was read: none is named")

	// How the file was laid out, as found.
	raw, err = json.Marshal(submissionBody(&ingest.Result{Run: catalog.Run{ID: "r3"}, Delimiter: "分号", Sheet: "5月", HeaderLine: 3}))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"delimiter":"分号","sheet":"5月","headerLine":3`)

	may := ingest.Span{From: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC)}
	raw, err = json.Marshal(submissionBody(&ingest.Result{Run: catalog.Run{ID: "r5"}, Period: may}))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"periodFrom":"2024-05-01T00:00:00Z","periodTo":"2024-05-31T00:00:00Z"`)

	raw, err = json.Marshal(submissionBody(&ingest.Result{Run: catalog.Run{ID: "r4"},
		PIProposals: []ingest.PIProposal{{Field: "phone", Name: "联系电话", PIType: "MOBILE", Grade: schemas.General3, Matched: 199, Sampled: 200}}}))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"piProposals":[{"field":"phone","name":"联系电话","piType":"MOBILE","piTypeName":"手机号","grade":"GENERAL_3","gradeName":"一般数据3级","matched":199,"sampled":200}]`)
}

// TestSubmissionOfAWorkbook: a district's workbook comes through the door like a CSV file, its
// sheet named by the form's sheet field; the answer names the sheet and the header row, and the
// same workbook sent again is answered 200 as a duplicate.
func TestSubmissionOfAWorkbook(t *testing.T) {
	srv := submissionServer(t)
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetName("Sheet1", "说明"))
	_, err := f.NewSheet("5月")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("说明", "A1", &[]any{"请在“5月”工作表填报"}))
	for i, row := range [][]any{{"渝北区 5 月涉气企业减排清单"}, {"区县", "数量"}, {"渝北区", 12}} {
		require.NoError(t, f.SetSheetRow("5月", fmt.Sprintf("A%d", i+1), &row))
	}
	var book bytes.Buffer
	require.NoError(t, f.Write(&book))
	post := func(sheet string) (int, submissionJSON) {
		var fields map[string]string
		if sheet != "" {
			fields = map[string]string{"sheet": sheet}
		}
		status, raw := postFile(t, srv, "渝北区5月.xlsx", book.Bytes(), fields)
		var out submissionJSON
		_ = json.Unmarshal(raw, &out)
		return status, out
	}
	status, _ := post("")
	assert.Equal(t, http.StatusBadRequest, status, "two sheets, none named")
	status, res := post("5月")
	require.Equal(t, http.StatusCreated, status)
	assert.Empty(t, res.PeriodFrom, "the entry has no period item")
	assert.Equal(t, "5月", res.Sheet)
	assert.Equal(t, 2, res.HeaderLine)
	assert.EqualValues(t, 1, res.Run.RowsAccepted)
	status, res = post("5月")
	assert.Equal(t, http.StatusOK, status)
	assert.True(t, res.Duplicate)
}

// TestSubmissionRunByRequestID: the page that sent a submission learns the run it began by the
// request id it sent, and no other account does; an id no submission of the caller's carried is
// not found.
func TestSubmissionRunByRequestID(t *testing.T) {
	srv, cat, _ := submissionServerWith(t, nil)
	require.NoError(t, cat.PutPrincipal(context.Background(), catalog.Principal{ID: "steward2", Name: "另一管理员", Role: catalog.RoleSteward,
		Clearance: schemas.Core, TokenHash: catalog.HashToken("tok2")}))
	ask := func(tok, request string) (int, map[string]string) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/submissions/"+request+"/run", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	status, _ := ask("tok", "upload-7f3a")
	require.Equal(t, http.StatusNotFound, status, "nothing was sent under that id yet")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "报送.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte("区县,数量\n万州区,3\n江北区,x\n"))
	require.NoError(t, mw.Close())
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/entries/0201%2F000003/submissions", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("X-Request-ID", "upload-7f3a")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var sub submissionJSON
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&sub))
	resp.Body.Close()
	require.NotEmpty(t, sub.Run.ID)

	status, out := ask("tok", "upload-7f3a")
	require.Equal(t, http.StatusOK, status, "%v", out)
	assert.Equal(t, sub.Run.ID, out["run"])
	status, out = ask("tok2", "upload-7f3a")
	assert.Equal(t, http.StatusNotFound, status, "another account's upload: %v", out)
	assert.NotContains(t, fmt.Sprint(out), sub.Run.ID)
	status, _ = ask("scene-tok", "upload-7f3a")
	assert.Equal(t, http.StatusNotFound, status)
}
