// Package webtest is the harness of the UI's end-to-end tests: the real ecolake binary, built
// once per test package and started as a process on a free port, and headless Chromium driven
// through the DevTools protocol (chromedp) at 1366×768, with full-page screenshots.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cqeco/ecolake/internal/proctest"
)

// RepoRoot is the root of the ecolake module: the first directory from the working directory up
// that holds its go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/cqeco/ecolake\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("webtest: no go.mod of github.com/cqeco/ecolake above the working directory")
		}
		dir = parent
	}
}

// Build builds cmd/ecolake of this module into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ecolake")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ecolake")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ecolake: %w\n%s", err, out)
	}
	return bin, nil
}

// Server is a running `ecolake serve` process.
type Server struct {
	Base string // http://127.0.0.1:<port>
	cmd  *exec.Cmd
	out  *proctest.Output
	done chan error
}

// StartServer runs `bin serve --data data --addr 127.0.0.1:<free port> args...` and waits until
// it answers /healthz.
func StartServer(ctx context.Context, bin, data string, args ...string) (*Server, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &Server{Base: "http://" + addr, out: &proctest.Output{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, append([]string{"serve", "--data", data, "--addr", addr}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ecolake: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("ecolake exited before it was ready: %v\n%s", err, s.out.String())
		case <-ctx.Done():
			_ = s.Close()
			return nil, fmt.Errorf("ecolake not ready: %w\n%s", ctx.Err(), s.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(s.Base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
}

// Output is what the server wrote so far.
func (s *Server) Output() string { return s.out.String() }

// Close stops the server: SIGTERM, then SIGKILL if it has not exited after 30 seconds.
func (s *Server) Close() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-s.done:
		s.done <- err
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("ecolake did not stop after SIGTERM: killed")
	}
}

// GraphQL posts a query with a bearer token and answers its data; errors in the answer are an
// error naming their messages.
func (s *Server) GraphQL(ctx context.Context, token, query string, vars map[string]any) (map[string]any, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("graphql: status %d, body %s: %w", resp.StatusCode, raw, err)
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Message
		}
		return r.Data, fmt.Errorf("graphql: %s", strings.Join(msgs, "; "))
	}
	return r.Data, nil
}
