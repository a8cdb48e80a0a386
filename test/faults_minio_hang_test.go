package test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hangStall is the stall limit the service runs with here: a request to a store that went silent
// fails after this long without a byte moving.
const hangStall = 2 * time.Second

// hangBound is how long a submission may take once the store froze: a few stall limits (a failed
// load makes a few requests), and well below the 20 s the transport waits for response headers,
// so that only the stall watchdog can keep within it.
const hangBound = 6 * hangStall

// TestFaultMinIOHangs freezes the MinIO server of a running `ecolake serve` with SIGSTOP: its
// process is alive and its port still takes connections, but it reads and answers nothing. A
// submission made while it is frozen, and one frozen in the middle of its load, are answered in
// Chinese that the lake store cannot be reached, within a bound, instead of hanging; /healthz and
// reads of cached data are answered meanwhile. After SIGCONT the same files load, and no row is
// lost or doubled.
func TestFaultMinIOHangs(t *testing.T) {
	m := newMinioProc(t)
	dir := t.TempDir()
	s := startServer(t, dir, m.env(), "--demo", "--lake", "s3://ecolake/hangs",
		"--s3-stall-timeout", hangStall.String())
	committed := loadRows(t, s) // also caches the current snapshot's files
	freeze := func() { require.NoError(t, m.cmd.Process.Signal(syscall.SIGSTOP)) }
	thaw := func() { require.NoError(t, m.cmd.Process.Signal(syscall.SIGCONT)) }

	// Frozen before the submission: its uploads go to a store that takes the connection and then
	// says nothing.
	csv := filepath.Join(t.TempDir(), "frozen.csv")
	faultCSV(t, csv, 20000, 31)
	freeze()
	start := time.Now()
	code, body, err := postFile(s.base, csv)
	took := time.Since(start)
	require.NoError(t, err)
	t.Logf("submission with MinIO frozen answered %d in %v", code, took)
	assert.Less(t, took, hangBound, "the submission does not hang on a frozen store")
	assert.NotEqual(t, http.StatusCreated, code, body)
	assert.Contains(t, body, lakeDownMessage, "the submitter is told the lake store is unreachable")

	// Meanwhile the service answers: liveness and a read of the cached snapshot.
	start = time.Now()
	resp, err := http.Get(s.base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the service stays up")
	r := s.gql("demo-steward", `{ air_station_hourly_aggregate { count } }`, nil)
	took = time.Since(start)
	t.Logf("cached read with MinIO frozen in %v: %s", took, r.Raw)
	assert.Less(t, took, hangBound)
	require.Empty(t, r.Errors, r.Raw)
	assert.EqualValues(t, committed, num(t, rows(t, r.Data, "air_station_hourly_aggregate")[0]["count"]))

	// Thawed: the same submission loads, once.
	thaw()
	code, body, err = postFile(s.base, csv)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, body)
	committed += 20000
	assert.Equal(t, committed, loadRows(t, s))

	// Frozen in the middle of a load: half way through a calibrated one.
	full := calibratedLoad(t, s, 32)
	committed += 200000
	for k, frac := range []float64{0.5, 0.9} {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("mid-%d.csv", k))
		faultCSV(t, file, 200000, 33+k)
		done := postAsync(s.base, file)
		time.Sleep(time.Duration(float64(full) * frac))
		freeze()
		frozen := time.Now()
		var a postAnswer
		select {
		case a = <-done:
		case <-time.After(minioBound + full):
			thaw()
			t.Fatalf("frozen at %.0f%%: the submission was not answered within %v", frac*100, minioBound+full)
		}
		afterFreeze := time.Since(frozen)
		require.NoError(t, a.err)
		t.Logf("frozen at %.0f%%: answered %d in %v, %v after the freeze", frac*100, a.code, a.took, afterFreeze)
		assert.Less(t, afterFreeze, hangBound, "frozen at %.0f%%: the submission does not hang", frac*100)
		if a.code == http.StatusCreated {
			committed += 200000 // the load had finished its work on the store
		} else {
			assert.Contains(t, a.body, lakeDownMessage, "frozen at %.0f%%", frac*100)
		}
		thaw()
		committed = retryAfterFault(t, s, file, a, committed, fmt.Sprintf("frozen at %.0f%%", frac*100))
	}
	s.stop(syscall.SIGTERM)
	checkMinIOLake(t, dir, m, "hangs", committed)
}
