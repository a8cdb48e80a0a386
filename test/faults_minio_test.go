package test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake/s3"
)

// minioProc is a MinIO server the test stops and starts again on the same data directory and
// port, as an operator's restart would (lake/s3/miniotest starts one that lives for the test).
type minioProc struct {
	t                 *testing.T
	bin, data         string
	endpoint, console string
	accessKey, secret string
	cmd               *exec.Cmd
	exited            chan struct{}
	out               *syncBuffer
}

func newMinioProc(t *testing.T) *minioProc {
	t.Helper()
	bin := os.Getenv("ECOLAKE_MINIO")
	if bin == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		require.NoError(t, err)
		bin = filepath.Join(filepath.SplitList(strings.TrimSpace(string(out)))[0], "bin", "minio")
	}
	_, err := os.Stat(bin)
	require.NoError(t, err, "no MinIO server binary (run `make minio`)")
	m := &minioProc{t: t, bin: bin, data: t.TempDir(), endpoint: freeAddr(t), console: freeAddr(t),
		accessKey: "akfaults", secret: "faults-secret-key-0123", out: &syncBuffer{}}
	m.start()
	t.Cleanup(func() {
		m.kill()
		if t.Failed() {
			t.Logf("minio output:\n%s", m.out.String())
		}
	})
	return m
}

func (m *minioProc) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "server", m.data, "--address", m.endpoint, "--console-address", m.console, "--quiet")
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+m.accessKey, "MINIO_ROOT_PASSWORD="+m.secret,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	require.NoError(m.t, m.cmd.Start())
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(m.cmd, m.exited)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + m.endpoint + "/minio/health/cluster")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-m.exited:
			m.t.Fatalf("minio exited at start:\n%s", m.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	m.t.Fatalf("minio not ready:\n%s", m.out.String())
}

// kill stops the server with SIGKILL, as a crash or a pulled cable would.
func (m *minioProc) kill() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGCONT) // a stopped process must run to die
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
	// The port is free again only once nothing listens on it.
	for range 100 {
		c, err := net.Dial("tcp", m.endpoint)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

func (m *minioProc) env() []string {
	return []string{"ECOLAKE_S3_ENDPOINT=" + m.endpoint, "ECOLAKE_S3_ACCESS_KEY=" + m.accessKey, "ECOLAKE_S3_SECRET_KEY=" + m.secret}
}

const (
	lakeDownMessage = "数据湖存储暂时无法访问"
	// minioBound is how long a request may take while the store is down.
	minioBound = 30 * time.Second
)

// TestFaultMinIOStops stops the MinIO server of a running `ecolake serve`: before a submission,
// and in the middle of loads (while the Parquet files are written and uploaded, and around the
// commit). A load that fails is answered in Chinese saying the lake store cannot be reached,
// within a bound, and recorded as a failed run; the service stays up, and reads of what is
// committed are answered from the local cache or refused in Chinese within the bound. Once MinIO
// is started again on the same data and port, the same submission succeeds, every row committed
// before is there, and no snapshot is partial.
func TestFaultMinIOStops(t *testing.T) {
	m := newMinioProc(t)
	dir := t.TempDir()
	lakeArgs := []string{"--lake", "s3://ecolake/stops"}
	s := startServer(t, dir, m.env(), append([]string{"--demo"}, lakeArgs...)...)
	committed := loadRows(t, s) // also caches the current snapshot's files

	// Down before the submission.
	csv := filepath.Join(t.TempDir(), "down.csv")
	faultCSV(t, csv, 20000, 1)
	m.kill()
	start := time.Now()
	code, body, err := postFile(s.base, csv)
	took := time.Since(start)
	require.NoError(t, err)
	t.Logf("submission with MinIO down answered %d in %v", code, took)
	assert.Less(t, took, minioBound)
	assert.NotEqual(t, http.StatusCreated, code, body)
	assert.Contains(t, body, lakeDownMessage, "the submitter is told the lake store is down")
	resp, err := http.Get(s.base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the service stays up")
	runs := s.gql("demo-steward", `{ entry(code: "0101/000001") { runs { status error } } }`, nil).ok(t)
	last := rows(t, runs["entry"].(map[string]any), "runs")
	assert.Contains(t, fmt.Sprint(last), lakeDownMessage, "the run is recorded failed with the reason: %v", last)

	// Reads: the cached snapshot is answered; an entry whose files are not cached is refused.
	for _, q := range []struct{ name, token, query string }{
		{"cached", "demo-steward", `{ air_station_hourly_aggregate { count } }`},
		{"not cached", "demo-public", `{ air_emission_reduction_counts_aggregate { count } }`},
	} {
		start := time.Now()
		r := s.gql(q.token, q.query, nil)
		took := time.Since(start)
		t.Logf("read (%s) with MinIO down in %v: %s", q.name, took, r.Raw)
		assert.Less(t, took, minioBound, q.name)
		if len(r.Errors) > 0 {
			assert.Contains(t, r.errText(), lakeDownMessage, r.Raw)
		} else if q.name == "cached" {
			assert.EqualValues(t, committed, num(t, rows(t, r.Data, "air_station_hourly_aggregate")[0]["count"]))
		}
	}

	// Back on the same data and port: the same submission succeeds.
	m.start()
	code, body, err = postFile(s.base, csv)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, body)
	committed += 20000
	assert.Equal(t, committed, loadRows(t, s))

	// Down in the middle of loads: at points spread over a calibrated load.
	full := calibratedLoad(t, s, 2)
	committed += 200000
	for k, frac := range []float64{0.3, 0.7, 0.95, 1.1, 1.3} {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("mid-%d.csv", k))
		faultCSV(t, file, 200000, 10+k)
		done := postAsync(s.base, file)
		time.Sleep(time.Duration(float64(full) * frac))
		m.kill()
		var a postAnswer
		select {
		case a = <-done:
		case <-time.After(minioBound + full):
			t.Fatalf("kill at %.0f%%: the submission was not answered within %v", frac*100, minioBound+full)
		}
		require.NoError(t, a.err)
		t.Logf("kill at %.0f%% (%v): answered %d in %v", frac*100, time.Duration(float64(full)*frac), a.code, a.took)
		if a.code == http.StatusCreated {
			committed += 200000
		} else {
			assert.Contains(t, a.body, lakeDownMessage, "kill at %.0f%%", frac*100)
		}
		m.start()
		committed = retryAfterFault(t, s, file, a, committed, fmt.Sprintf("kill at %.0f%%", frac*100))
	}
	s.stop(syscall.SIGTERM)
	checkMinIOLake(t, dir, m, "stops", committed)
}

// calibratedLoad submits a file of 200,000 rows (tag keeps it distinct) and returns how long its
// load took, to place faults within the loads that follow.
func calibratedLoad(t *testing.T, s *server, tag int) time.Duration {
	t.Helper()
	big := filepath.Join(t.TempDir(), "calibrate.csv")
	faultCSV(t, big, 200000, tag)
	start := time.Now()
	code, body, err := postFile(s.base, big)
	full := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, body)
	t.Logf("a load of 200000 rows takes %v", full)
	return full
}

// postAnswer is a submission's answer and how long it took to come.
type postAnswer struct {
	code int
	body string
	err  error
	took time.Duration
}

// postAsync submits file to the server at base; the answer comes on the channel.
func postAsync(base, file string) <-chan postAnswer {
	done := make(chan postAnswer, 1)
	go func() {
		start := time.Now()
		code, body, err := postFile(base, file)
		done <- postAnswer{code, body, err, time.Since(start)}
	}()
	return done
}

// retryAfterFault submits file again once the store is back: loaded now, or recognised as loaded
// before when the first answer said so. It returns the rows committed since, and checks the
// entry holds exactly them.
func retryAfterFault(t *testing.T, s *server, file string, first postAnswer, committed int64, what string) int64 {
	t.Helper()
	code, body, err := postFile(s.base, file)
	require.NoError(t, err)
	if first.code == http.StatusCreated {
		assert.Equal(t, http.StatusOK, code, "a resubmission of a committed file is a duplicate: %s", body)
	} else {
		require.Equal(t, http.StatusCreated, code, body)
		committed += 200000
	}
	assert.Equal(t, committed, loadRows(t, s), what)
	return committed
}

// checkMinIOLake: every snapshot under prefix of the MinIO lake is whole, and the fault entry
// holds the committed rows once.
func checkMinIOLake(t *testing.T, dir string, m *minioProc, prefix string, committed int64) {
	t.Helper()
	b, err := s3.New(context.Background(), s3.Config{Endpoint: m.endpoint, Bucket: "ecolake", Prefix: prefix,
		AccessKey: m.accessKey, SecretKey: s3.Secret(m.secret)})
	require.NoError(t, err)
	st := inspectLake(t, dir, b)
	require.NoError(t, st.openErr)
	assert.Empty(t, st.partial)
	assert.Equal(t, committed, st.rows[faultEntry])
}
