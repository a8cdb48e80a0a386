// Package test holds black-box tests of the ecolake binary: it is built once, started as a real
// process on a free port, and spoken to over HTTP, as an operator or an application would.
package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecolake-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ecolake")
	if out, err := exec.Command("go", "build", "-o", binary, "../cmd/ecolake").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ecolake: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `ecolake serve` process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startServer runs `ecolake serve --data dir --addr <free> args...` and waits for /healthz.
func startServer(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{t: t, base: "http://" + addr, out: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, append([]string{"serve", "--data", dir, "--addr", addr}, args...)...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			t.Fatalf("server exited before ready: %v\n%s", err, s.out.String())
		default:
		}
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server not ready in time:\n%s", s.out.String())
	return nil
}

// stop sends sig and waits for a clean exit.
func (s *server) stop(sig syscall.Signal) {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(sig))
	select {
	case err := <-s.done:
		require.NoError(s.t, err, "server exit after %v:\n%s", sig, s.out.String())
	case <-time.After(60 * time.Second):
		s.t.Fatalf("server did not stop after %v:\n%s", sig, s.out.String())
	}
}

// gql posts a GraphQL query with a bearer token and returns the decoded response.
func (s *server) gql(token, query string, vars map[string]any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(context.Background(), "POST", s.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r gqlResponse
	require.NoError(s.t, json.Unmarshal(raw, &r), "status %d body %s", resp.StatusCode, raw)
	r.Status = resp.StatusCode
	r.Raw = string(raw)
	return r
}

type gqlResponse struct {
	Status int
	Raw    string
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func (r gqlResponse) ok(t *testing.T) map[string]any {
	t.Helper()
	require.Equal(t, 200, r.Status, r.Raw)
	require.Empty(t, r.Errors, r.Raw)
	return r.Data
}

func (r gqlResponse) errText() string {
	var s []string
	for _, e := range r.Errors {
		s = append(s, e.Message)
	}
	return strings.Join(s, "; ")
}

// rows returns data[field] as a list of objects.
func rows(t *testing.T, data map[string]any, field string) []map[string]any {
	t.Helper()
	list, ok := data[field].([]any)
	require.True(t, ok, "%s is not a list: %v", field, data[field])
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}
