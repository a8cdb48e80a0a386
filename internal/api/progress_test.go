package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// TestRunProgress: while a load waits for the rest of its upload, its run's progress answers
// live (rows read, share of the file); once it has ended, the run's counts. An account that may
// not see the run gets the answer of a run that does not exist.
func TestRunProgress(t *testing.T) {
	srv, cat, in := submissionServerWith(t, nil)
	require.NoError(t, cat.PutPrincipal(context.Background(), catalog.Principal{ID: "wz", Name: "万州区", Role: catalog.RoleDistrict,
		Clearance: schemas.General2, Districts: []string{"500101"}, TokenHash: catalog.HashToken("wz-tok")}))
	var b strings.Builder
	b.WriteString("区县,数量\n")
	for i := range 50000 { // half of it well beyond what the decoder reads to sniff the encoding
		fmt.Fprintf(&b, "江北区,%d\n", i)
	}
	file := b.String()
	pr, pw := io.Pipe()
	runs := make(chan string, 1)
	done := make(chan *ingest.Result, 1)
	go func() {
		once := false
		res, err := in.Submit(context.Background(), ingest.Submission{Entry: "0201/000003", Filename: "报送.csv", Body: pr,
			Size: int64(len(file)), Principal: catalog.Operator(), Progress: func(p ingest.Progress) {
				if !once {
					once = true
					runs <- p.Run
				}
			}})
		assert.NoError(t, err)
		done <- res
	}()
	_, err := io.WriteString(pw, file[:len(file)/2])
	require.NoError(t, err)
	run := <-runs
	get := func(tok string) (int, progressJSON) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/runs/"+run+"/progress", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out progressJSON
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		}
		return resp.StatusCode, out
	}
	require.Eventually(t, func() bool {
		_, p := get("tok")
		return p.Running && p.RowsRead > 10000
	}, 10*time.Second, 20*time.Millisecond, "the rows read so far, while the upload waits")
	_, live := get("tok")
	assert.Equal(t, catalog.RunRunning, live.Status)
	require.NotNil(t, live.Percent)
	assert.InDelta(t, 50, *live.Percent, 5)
	status, _ := get("wz-tok")
	assert.Equal(t, http.StatusNotFound, status, "万州 sees no run of the city's entry loaded by another account")

	_, err = io.WriteString(pw, file[len(file)/2:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	res := <-done
	status, final := get("tok")
	require.Equal(t, http.StatusOK, status)
	assert.False(t, final.Running)
	assert.Equal(t, res.Run.Status, final.Status)
	assert.EqualValues(t, 50000, final.RowsRead)
	assert.Nil(t, final.Percent)
}
