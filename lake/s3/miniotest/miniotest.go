// Package miniotest starts a real MinIO server for tests. MinIO is AGPL-licensed: it is only ever
// run as a separate process, never imported.
package miniotest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cqeco/ecolake/internal/proctest"
)

// Server is a running MinIO server.
type Server struct {
	Endpoint  string // 127.0.0.1:port
	AccessKey string
	SecretKey string
}

const startTimeout = 60 * time.Second

// Start runs a MinIO server on free local ports with a fresh data directory and stops it when the
// test ends. The binary comes from $ECOLAKE_MINIO, else $(go env GOBIN)/minio, else
// $(go env GOPATH)/bin/minio, else minio on PATH; without one the test fails.
func Start(t testing.TB) Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		t.Fatalf("miniotest: %v; run `make minio` to install the MinIO server binary", err)
	}
	dataDir := t.TempDir()
	// A freed port can be taken again before MinIO binds it: try a few times.
	var lastErr error
	for range 3 {
		srv, err := start(t, bin, dataDir)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	t.Fatalf("miniotest: %v", lastErr)
	return Server{}
}

func start(t testing.TB, bin, dataDir string) (Server, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return Server{}, err
	}
	consolePort, err := proctest.FreePort()
	if err != nil {
		return Server{}, err
	}
	srv := Server{
		Endpoint:  fmt.Sprintf("127.0.0.1:%d", port),
		AccessKey: "ak" + proctest.RandomHex(8),
		SecretKey: proctest.RandomHex(20),
	}
	out := &proctest.Output{}
	cmd := exec.Command(bin, "server", dataDir,
		"--address", srv.Endpoint,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", consolePort),
		"--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+srv.AccessKey,
		"MINIO_ROOT_PASSWORD="+srv.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return Server{}, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// "live" answers as soon as the process serves HTTP; "cluster" once the object layer
	// accepts writes. Requests before that fail with "Server not initialized yet".
	for _, path := range []string{"/minio/health/live", "/minio/health/cluster"} {
		url := "http://" + srv.Endpoint + path
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-exited:
				return Server{}, fmt.Errorf("minio exited before %s answered:\n%s", path, out.String())
			case <-ctx.Done():
				stop()
				return Server{}, fmt.Errorf("minio %s not ready after %s:\n%s", path, startTimeout, out.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("minio output:\n%s", out.String())
		}
	})
	return srv, nil
}

func findBinary() (string, error) {
	if p := os.Getenv("ECOLAKE_MINIO"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("ECOLAKE_MINIO=%s is not an executable file", p)
	}
	var tried []string
	for _, v := range []string{"GOBIN", "GOPATH"} {
		dir := goEnv(v)
		if dir == "" {
			continue
		}
		if v == "GOPATH" {
			// GOPATH may list several directories; go install uses the first.
			dir = filepath.Join(filepath.SplitList(dir)[0], "bin")
		}
		p := filepath.Join(dir, "minio")
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	tried = append(tried, "minio on PATH")
	return "", fmt.Errorf("no minio binary (tried $ECOLAKE_MINIO, %s)", strings.Join(tried, ", "))
}

func goEnv(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
