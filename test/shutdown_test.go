package test

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShutdownLetsInFlightSubmissionFinish sends SIGTERM while a district submission is still
// being uploaded: the server stops accepting, lets that request finish and commit, closes the
// journal and exits 0; after a restart the rows are there.
func TestShutdownLetsInFlightSubmissionFinish(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--demo")

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	started, resume := make(chan struct{}), make(chan struct{})
	const submitted = 5000
	go func() {
		fw, _ := mw.CreateFormFile("file", "报送.csv")
		_, _ = io.WriteString(fw, "区县,数量\n")
		for i := 0; i < submitted; i++ {
			if i == submitted/2 {
				close(started)
				<-resume
			}
			fmt.Fprintf(fw, "万州区,%d\n", i%7)
		}
		_ = mw.Close()
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/entries/0201%2F000003/submissions", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer demo-steward")
	type reply struct {
		status int
		body   string
		err    error
	}
	done := make(chan reply, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- reply{status: resp.StatusCode, body: string(b)}
	}()

	<-started
	time.Sleep(200 * time.Millisecond) // the request is in the server's hands
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "shutting down") }, 10*time.Second, 20*time.Millisecond)
	close(resume)

	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	var res struct{ Run struct{ RowsAccepted int } }
	require.NoError(t, json.Unmarshal([]byte(r.body), &res))
	assert.Equal(t, submitted, res.Run.RowsAccepted)

	select {
	case err := <-s.done:
		require.NoError(t, err, s.out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not exit:\n%s", s.out.String())
	}
	assert.Contains(t, s.out.String(), "catalog closed", "the journal is closed on the way out")

	s2 := startServer(t, dir, nil, "--demo")
	d := s2.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count } }`, nil).ok(t)
	assert.EqualValues(t, 41+submitted, num(t, rows(t, d, "air_emission_reduction_counts_aggregate")[0]["count"]))
	s2.stop(syscall.SIGTERM)
}

// TestSecondSignalForcesExit holds a submission open so that the graceful shutdown waits for it,
// then sends a second SIGTERM: the process exits at once with 143 (128 + SIGTERM) instead of
// waiting up to 30 s, without closing the journal; the catalogue then reopens clean, without the
// abandoned submission's rows.
func TestSecondSignalForcesExit(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, nil, "--demo")

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	started, resume := make(chan struct{}), make(chan struct{})
	defer close(resume)
	go func() {
		fw, _ := mw.CreateFormFile("file", "报送.csv")
		_, _ = io.WriteString(fw, "区县,数量\n")
		for i := 0; i < 1000; i++ {
			if i == 500 {
				close(started)
				<-resume
			}
			if _, err := fmt.Fprintf(fw, "万州区,%d\n", i%7); err != nil {
				return
			}
		}
		_ = mw.Close()
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/entries/0201%2F000003/submissions", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer demo-steward")
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		_ = pr.Close()
	}()

	<-started
	time.Sleep(200 * time.Millisecond) // the request is in the server's hands
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "shutting down") }, 10*time.Second, 20*time.Millisecond)
	select {
	case err := <-s.done:
		t.Fatalf("exited before the second signal, though a request was in flight: %v\n%s", err, s.out.String())
	case <-time.After(500 * time.Millisecond): // the shutdown is waiting for the submission
	}

	sent := time.Now()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		took := time.Since(sent)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, s.out.String())
		assert.Equal(t, 143, ee.ExitCode(), s.out.String())
		assert.Less(t, took, 5*time.Second)
		t.Logf("forced exit %v after the second signal", took)
	case <-time.After(10 * time.Second):
		t.Fatalf("the second signal did not force the exit:\n%s", s.out.String())
	}
	assert.Contains(t, s.out.String(), "second signal: forced exit")
	assert.NotContains(t, s.out.String(), "catalog closed", "the forced exit does not wait to close the journal")

	s2 := startServer(t, dir, nil, "--demo")
	d := s2.gql("demo-public", `{ air_emission_reduction_counts_aggregate { count } }`, nil).ok(t)
	assert.EqualValues(t, 41, num(t, rows(t, d, "air_emission_reduction_counts_aggregate")[0]["count"]),
		"the abandoned submission committed nothing")
	s2.stop(syscall.SIGTERM)
	assert.Contains(t, s2.out.String(), "catalog closed")
}
