package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

// faultPhase kills a process at a random point of one phase. It reports whether the phase's work
// was reported done before the kill (a load's exit or a submission's answer): then its rows must
// have been committed.
type faultPhase struct {
	name string
	kill func(r *faultRun) (done bool)
}

var faultPhases = []faultPhase{
	// Anywhere in an offline load, from start-up to exit.
	{"ingest", func(r *faultRun) bool {
		r.nextFile()
		return r.killCmd(r.ingestCmd(), r.uniform(0, r.timing.ingest*11/10))
	}},
	// Anywhere in a submission to a running server, from the upload to the answer.
	{"submit", func(r *faultRun) bool {
		r.nextFile()
		return r.killServe(r.uniform(0, r.timing.submit*11/10))
	}},
	// Around the moment the snapshot pointer moves: the delay straddles the commit of the
	// calibrating load, so that either outcome occurs.
	{"commit", func(r *faultRun) bool {
		r.nextFile()
		w := max(40*time.Millisecond, r.timing.commit/16)
		return r.killCmd(r.ingestCmd(), r.uniform(r.timing.commit-w, r.timing.commit+w))
	}},
	// While the catalogue writes the checkpoint every process writes as it closes, after the
	// commit: the kills that land inside it leave checkpoint.tmp, counted in the table.
	{"checkpoint", func(r *faultRun) bool {
		r.nextFile()
		return r.killCmd(r.ingestCmd(), r.uniform(r.timing.commit, r.timing.ingest+10*time.Millisecond))
	}},
	// Anywhere in a collection of orphans.
	{"gc", func(r *faultRun) bool {
		b := r.fl.open(r.t)
		r.plantOrphans(b, 100)
		b.Close()
		r.killCmd(r.gcCmd(), r.uniform(0, r.timing.gc*11/10))
		return false // gc commits no rows
	}},
	// Anywhere in an offline backup with object copies, from start-up to exit; the set it leaves
	// must be refused by restore unless the backup finished.
	{"backup", func(r *faultRun) bool {
		set := filepath.Join(r.t.TempDir(), "set")
		finished := r.killCmd(r.backupCmd(set), r.uniform(0, r.timing.backup*11/10))
		r.checkSet(set, finished)
		return false // a backup commits no rows
	}},
}

func (r *faultRun) backupCmd(set string) []string {
	return append([]string{"backup", "--data", r.dir, "--to", set, "--with-objects"}, r.fl.args...)
}

// checkSet restores what a killed backup left in set into a new directory, as an operator would.
// A set without its description must be refused, leaving nothing at the target (a kill before
// the backup made its folder leaves none, and restore says so); a set that has it (the backup
// wrote it before the kill) must restore. Anything else is counted as a bad set.
func (r *faultRun) checkSet(set string, finished bool) {
	t, f := r.t, r.row("backup")
	defer os.RemoveAll(set)
	target := filepath.Join(t.TempDir(), "restored")
	defer os.RemoveAll(target)
	_, err := os.Stat(set)
	made := err == nil
	_, err = os.Stat(filepath.Join(set, "backup.json"))
	complete := err == nil
	code, out := r.run([]string{"restore", "--from", set, "--data", target})
	_, terr := os.Stat(target)
	stages, _ := filepath.Glob(target + ".restoring-*")
	refused := code != 0 && errors.Is(terr, os.ErrNotExist) && len(stages) == 0 &&
		(strings.Contains(out, "缺少说明文件 backup.json") || !made && strings.Contains(out, "目录不存在"))
	switch {
	case !complete && finished:
		t.Errorf("backup exited 0 without writing backup.json")
		f.setBad++
	case !complete && refused:
		f.setRefused++
	case !complete:
		t.Errorf("restore of a set without backup.json: exit %d, target left: %v, stages left: %v:\n%s", code, terr == nil, stages, out)
		f.setBad++
	case code != 0:
		t.Errorf("restore of a set with backup.json failed (exit %d):\n%s", code, out)
		f.setBad++
	default:
		f.setRestored++
	}
}

// run runs the binary with args to its end and returns its exit code and output.
func (r *faultRun) run(args []string) (int, string) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), r.fl.env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(r.t, err)
	return 0, string(out)
}

// killCmd starts the binary with args and kills it with SIGKILL after delay, unless it has ended
// by then; it reports whether it ended on its own with exit code 0.
func (r *faultRun) killCmd(args []string, delay time.Duration) bool {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), r.fl.env...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(r.t, cmd.Start())
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	select {
	case err := <-ended:
		return err == nil
	case <-time.After(delay):
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-ended
	return false
}

// killServe starts the server, submits the trial's file and kills the server with SIGKILL after
// delay; it reports whether the submission was answered as committed before.
func (r *faultRun) killServe(delay time.Duration) bool {
	s := startServer(r.t, r.dir, r.fl.env, append([]string{"--demo"}, r.fl.args...)...)
	answer := make(chan int, 1)
	go func() {
		code, _, _ := postFile(s.base, r.csv)
		answer <- code
	}()
	time.Sleep(delay)
	var done bool
	select {
	case code := <-answer:
		done = code == http.StatusCreated
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	return done
}

func (r *faultRun) calibrateSubmit() time.Duration {
	r.nextFile()
	s := startServer(r.t, r.dir, r.fl.env, append([]string{"--demo"}, r.fl.args...)...)
	start := time.Now()
	code, body, err := postFile(s.base, r.csv)
	d := time.Since(start)
	require.NoError(r.t, err)
	require.Equal(r.t, http.StatusCreated, code, body)
	r.committed += r.n
	s.stop(syscall.SIGTERM)
	return d
}

// postFile submits a CSV file to faultEntry as the demo steward.
func postFile(base, path string) (int, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, "", err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "stations.csv")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(context.Background(), "POST", base+"/api/v1/entries/0101%2F000001/submissions", &buf)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer demo-steward")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), nil
}

// plantOrphans writes n objects no snapshot references beside the entry's data files, for gc.
func (r *faultRun) plantOrphans(b lake.Bucket, n int) {
	ctx := context.Background()
	for k := range n {
		key := fmt.Sprintf("tables/air_station_hourly/data/orphan-%d-%03d.parquet", r.tick, k)
		data := []byte(strings.Repeat("o", 64+k))
		require.NoError(r.t, b.Upload(ctx, key, bytes.NewReader(data), int64(len(data))))
	}
	r.tick++
}

var logTimeRE = regexp.MustCompile(`(?m)^time=(\S+) level=\w+ msg="([^"]*)"`)

// logTime is the time of the first log line of out with message msg.
func logTime(t *testing.T, out, msg string) time.Time {
	t.Helper()
	for _, m := range logTimeRE.FindAllStringSubmatch(out, -1) {
		if m[2] == msg {
			at, err := time.Parse(time.RFC3339Nano, m[1])
			require.NoError(t, err)
			return at
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, out)
	return time.Time{}
}
