package api

import (
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// heldUpload is a submission whose body the test writes while the server reads it.
type heldUpload struct {
	pw    *io.PipeWriter
	mw    *multipart.Writer
	wrote chan struct{} // the file part's start is written
	done  chan *http.Response
}

// startUpload sends a submission whose file part is left open, so that it stays in progress.
func startUpload(t *testing.T, url, token string) *heldUpload {
	pr, pw := io.Pipe()
	u := &heldUpload{pw: pw, mw: multipart.NewWriter(pw), wrote: make(chan struct{}), done: make(chan *http.Response, 1)}
	req, err := http.NewRequest("POST", url+"/api/v1/entries/0201%2F000003/submissions", pr)
	require.NoError(t, err)
	req.Header.Set("Content-Type", u.mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			u.done <- nil
			return
		}
		u.done <- resp
	}()
	go func() {
		defer close(u.wrote)
		fw, err := u.mw.CreateFormFile("file", "报送.csv")
		if err == nil {
			_, _ = fw.Write([]byte("区县,数量\n"))
		}
	}()
	return u
}

// finish completes the body and returns the answer.
func (u *heldUpload) finish(t *testing.T) *http.Response {
	<-u.wrote
	require.NoError(t, u.mw.Close())
	require.NoError(t, u.pw.Close())
	resp := <-u.done
	require.NotNil(t, resp)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestUploadsAreBounded: with at most one submission per principal and two in all, a second
// upload of a principal and a third in all are answered 429 at once, before their bodies are
// read, while the admitted ones go on; the places are given back when they end.
func TestUploadsAreBounded(t *testing.T) {
	uploads := NewUploads(2, 1)
	srv, cat, _ := submissionServerWith(t, uploads)
	for _, id := range []string{"steward2", "steward3"} {
		require.NoError(t, cat.PutPrincipal(context.Background(), catalog.Principal{ID: id, Name: "管理员", Role: catalog.RoleSteward,
			Clearance: schemas.Core, TokenHash: catalog.HashToken(id + "-tok")}))
	}
	inProgress := func(id string) int {
		uploads.mu.Lock()
		defer uploads.mu.Unlock()
		return uploads.by[id]
	}
	refused := func(token, why string) {
		t.Helper()
		body := &countingBody{size: 64 << 20}
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/entries/0201%2F000003/submissions", io.NopCloser(body))
		req.ContentLength = int64(body.size)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, why)
		var eb errorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb))
		assert.Equal(t, schemas.CodeBusy, eb.Code, why)
		assert.Contains(t, eb.Error, "报送繁忙: 同时进行的报送已达上限 (每个账号 1 个, 全部 2 个)", why)
		assert.Less(t, body.n.Load(), int64(8<<20), "%s: the upload was read", why)
	}

	first := startUpload(t, srv.URL, "tok")
	require.Eventually(t, func() bool { return inProgress("steward") == 1 }, 10*time.Second, time.Millisecond)
	refused("tok", "a second upload of the same principal")

	second := startUpload(t, srv.URL, "steward2-tok")
	require.Eventually(t, func() bool { return inProgress("steward2") == 1 }, 10*time.Second, time.Millisecond,
		"another principal is admitted while the first one's upload is in progress")
	refused("steward3-tok", "a third upload in all")

	for _, u := range []*heldUpload{first, second} {
		resp := u.finish(t)
		assert.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode)
	}
	uploads.mu.Lock()
	assert.Zero(t, uploads.n, "every place is given back")
	assert.Empty(t, uploads.by)
	uploads.mu.Unlock()

	again := startUpload(t, srv.URL, "steward3-tok")
	require.Eventually(t, func() bool { return inProgress("steward3") == 1 }, 10*time.Second, time.Millisecond)
	assert.NotEqual(t, http.StatusTooManyRequests, again.finish(t).StatusCode)
}
