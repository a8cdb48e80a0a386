// Package pgtest starts a real PostgreSQL server for tests: initdb into a temporary directory,
// postgres on 127.0.0.1 at a free port with password (SCRAM) authentication over TCP, one fresh
// database. The binaries are the system's (Debian's postgresql package, which `make test`
// installs); without them a test fails rather than skips.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cqeco/ecolake/internal/proctest"
	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server.
type Server struct {
	Host     string // 127.0.0.1
	Port     int
	Database string // made for the tests, owned by User
	User     string // the superuser
	Password string // User's password; TCP connections authenticate with it

	dir    string // the temporary directory: data, socket, password file
	cmd    *exec.Cmd
	exited chan struct{}
	out    *proctest.Output
	once   sync.Once
}

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	superuser    = "postgres"
	database     = "pgtest"
)

// Start runs a server for the test and stops it when the test ends; without PostgreSQL's
// binaries the test fails.
func Start(t testing.TB) *Server {
	t.Helper()
	srv, err := New()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postgres output:\n%s", srv.Log())
		}
		srv.Stop()
	})
	return srv
}

// Shared is one server for all the tests of a package: started by the first Get, stopped by
// Stop from TestMain after m.Run.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Get returns the shared server, starting it on first use; every test that asks fails when it
// could not be started.
func (s *Shared) Get(t testing.TB) *Server {
	t.Helper()
	s.once.Do(func() { s.srv, s.err = New() })
	if s.err != nil {
		t.Fatalf("pgtest: %v", s.err)
	}
	return s.srv
}

// Stop stops the shared server if one was started.
func (s *Shared) Stop() {
	if s.srv != nil {
		s.srv.Stop()
	}
}

// New starts a server; the caller stops it with Stop.
func New() (*Server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	srv := &Server{Host: "127.0.0.1", Database: database, User: superuser, Password: proctest.RandomHex(16), dir: dir}
	if err := srv.init(bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A freed port can be taken again before postgres binds it: try a few times.
	for range 3 {
		if err = srv.start(bin, cred); err == nil {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := srv.createDatabase(); err != nil {
		srv.Stop()
		return nil, err
	}
	return srv, nil
}

// serverCredential is whom initdb and postgres run as: PostgreSQL refuses to run as root, so a
// root test runs them as the postgres system user (which the Debian package creates).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: no postgres system user to run it as (%v); %s", err, installHint)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// own gives path to the server's user when the server runs as another one.
func own(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return os.Chown(path, int(cred.Uid), int(cred.Gid))
}

func (s *Server) command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = procAttr(cred)
	return cmd
}

// init makes the cluster: a superuser with a password, SCRAM over TCP on 127.0.0.1 only, trust
// on the socket in the temporary directory.
func (s *Server) init(bin string, cred *syscall.Credential) error {
	pwfile := filepath.Join(s.dir, "pwfile")
	for _, step := range []func() error{
		func() error { return own(s.dir, cred) },
		func() error { return os.Mkdir(filepath.Join(s.dir, "sock"), 0o700) },
		func() error { return own(filepath.Join(s.dir, "sock"), cred) },
		func() error { return os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600) },
		func() error { return own(pwfile, cred) },
	} {
		if err := step(); err != nil {
			return fmt.Errorf("prepare %s: %w", s.dir, err)
		}
	}
	cmd := s.command(cred, filepath.Join(bin, "initdb"), "-D", s.dataDir(), "-U", superuser,
		"--pwfile="+pwfile, "-A", "scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	hba := filepath.Join(s.dataDir(), "pg_hba.conf")
	conf := "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(hba, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	return own(hba, cred)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// start runs postgres at a free port and waits until it accepts the superuser's connection.
func (s *Server) start(bin string, cred *syscall.Credential) error {
	port, err := proctest.FreePort()
	if err != nil {
		return err
	}
	s.Port = port
	s.out = &proctest.Output{}
	s.cmd = s.command(cred, filepath.Join(bin, "postgres"), "-D", s.dataDir(),
		"-h", s.Host, "-p", strconv.Itoa(port), "-k", filepath.Join(s.dir, "sock"),
		// A test server's data need not survive a crash: no waiting on the disk.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "password_encryption=scram-sha-256", "-c", "max_connections=50")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, s.ConnString("postgres"))
		if err == nil {
			return c.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited before accepting connections:\n%s", s.out.String())
		case <-ctx.Done():
			s.kill()
			return fmt.Errorf("postgres not accepting connections after %s (%v):\n%s", startTimeout, err, s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) createDatabase() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{s.Database}.Sanitize()); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// ConnString is the superuser's keyword/value connection string to database over TCP.
func (s *Server) ConnString(database string) string {
	return fmt.Sprintf("host=%s port=%d dbname=%s user=%s password=%s sslmode=disable", s.Host, s.Port, database, s.User, s.Password)
}

// Log is what the server wrote to its standard output and error.
func (s *Server) Log() string {
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// Stop shuts the server down at once (no checkpoint: its data is thrown away) and removes its
// directory. It may be called more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.kill()
		_ = os.RemoveAll(s.dir)
	})
}

// kill sends SIGQUIT, PostgreSQL's immediate shutdown, and SIGKILL if that is not enough.
func (s *Server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}
