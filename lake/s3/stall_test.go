//go:build linux

package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/lake/s3"
)

const (
	testStall = 300 * time.Millisecond
	// hangGuard only keeps a broken watchdog from hanging the test run.
	hangGuard = 30 * time.Second
)

// fakeStore is a tiny S3 endpoint that accepts connections and then misbehaves as told: it stops
// reading an upload's body, or stops writing a download's body, after a few bytes ("stall"), or
// moves the bytes slowly but steadily ("slow").
type fakeStore struct {
	t        *testing.T
	mode     string
	object   []byte        // what GET serves
	received chan []byte   // bodies of finished uploads
	release  chan struct{} // ends stalled handlers when the test ends
	addr     string
}

func newFakeStore(t *testing.T, mode string, object []byte) *fakeStore {
	f := &fakeStore{t: t, mode: mode, object: object, received: make(chan []byte, 1), release: make(chan struct{})}
	// A small receive buffer, so that a store that stops reading is felt by the client soon and
	// one that reads slowly opens the window in small steps.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(f.release) }) // runs before srv.Close, which waits for handlers
	f.addr = ln.Addr().String()
	return f
}

func (f *fakeStore) bucket(t *testing.T) *s3.Bucket {
	b, err := s3.New(context.Background(), s3.Config{
		Endpoint: f.addr, Bucket: "ecolake", Region: "us-east-1",
		AccessKey: "ak", SecretKey: "secret-key", StallTimeout: testStall,
	})
	require.NoError(t, err)
	return b
}

func (f *fakeStore) block(r *http.Request) {
	select {
	case <-f.release:
	case <-r.Context().Done():
	}
}

func (f *fakeStore) serve(w http.ResponseWriter, r *http.Request) {
	if strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 { // the bucket itself
		w.WriteHeader(http.StatusOK)
		return
	}
	switch r.Method {
	case http.MethodPut:
		var got bytes.Buffer
		if f.mode == "stall" {
			_, _ = io.CopyN(&got, r.Body, 64<<10)
			f.block(r)
			return
		}
		for {
			n, err := io.CopyN(&got, r.Body, 32<<10)
			if err != nil || n == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		f.received <- got.Bytes()
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		h := w.Header()
		h.Set("Content-Length", strconv.Itoa(len(f.object)))
		h.Set("Content-Type", "application/octet-stream")
		h.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusOK)
		if f.mode == "stall" {
			_, _ = w.Write(f.object[:100])
			w.(http.Flusher).Flush()
			f.block(r)
			return
		}
		for i := range f.object {
			if _, err := w.Write(f.object[i : i+1]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	default:
		w.WriteHeader(http.StatusNotImplemented)
	}
}

// within runs call, failing the test if it has not returned by the hang guard.
func within(t *testing.T, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangGuard):
		t.Fatalf("the call still hangs after %v", hangGuard)
		return nil
	}
}

func assertStalled(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, lake.ErrUnavailable)
	assert.ErrorIs(t, err, s3.ErrStalled)
	assert.Contains(t, err.Error(), "数据湖存储无响应")
	assert.NotErrorIs(t, err, context.Canceled, "a stall is the store's fault, not a caller giving up")
}

// TestUploadStallIsUnavailable: a store that takes the connection and stops reading the body
// part-way fails the upload with ErrUnavailable instead of blocking it forever.
func TestUploadStallIsUnavailable(t *testing.T) {
	f := newFakeStore(t, "stall", nil)
	b := f.bucket(t)
	data := bytes.Repeat([]byte("ecolake "), 1<<20) // 8 MiB: more than the sockets buffer
	err := within(t, func() error {
		return b.Upload(context.Background(), "stall/a.parquet", bytes.NewReader(data), int64(len(data)))
	})
	assertStalled(t, err)
}

// TestGetStallIsUnavailable: a store that sends the headers and a few bytes of a download and then
// nothing fails the read with ErrUnavailable; so does the read-through cache fetching through Get.
func TestGetStallIsUnavailable(t *testing.T) {
	object := bytes.Repeat([]byte("x"), 1000)
	f := newFakeStore(t, "stall", object)
	b := f.bucket(t)

	err := within(t, func() error {
		rc, err := b.Get(context.Background(), "stall/b.parquet")
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err := io.Copy(io.Discard, rc)
		assert.EqualValues(t, 100, n, "the bytes sent before the stall are read")
		return err
	})
	assertStalled(t, err)

	cache, err := lake.NewCache(b, t.TempDir(), 1<<20)
	require.NoError(t, err)
	sum := sha256.Sum256(object)
	err = within(t, func() error {
		_, _, err := cache.Acquire(context.Background(), []lake.DataFile{{Key: "stall/b.parquet", Bytes: 1000, SHA256: hex.EncodeToString(sum[:])}})
		return err
	})
	assertStalled(t, err)
}

// TestSlowStoreDoesNotStall: a store that moves bytes slowly (a download byte every 100 ms, an
// upload read 32 KiB at a time every 50 ms) but steadily is never cut off by a 300 ms stall limit,
// however long the whole transfer takes.
func TestSlowStoreDoesNotStall(t *testing.T) {
	object := []byte("slow but moving bytes")
	f := newFakeStore(t, "slow", object)
	b := f.bucket(t)

	var got []byte
	err := within(t, func() error {
		rc, err := b.Get(context.Background(), "slow/c.parquet")
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err = io.ReadAll(rc)
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, object, got)

	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	err = within(t, func() error {
		return b.Upload(context.Background(), "slow/d.parquet", bytes.NewReader(data), int64(len(data)))
	})
	require.NoError(t, err)
	body := <-f.received
	assert.Contains(t, string(body), string(data[:4096]), "the store received the upload")
	assert.GreaterOrEqual(t, len(body), len(data))
}

// TestSlowSourceDoesNotStall: time spent waiting on an upload's source, or by a reader between
// reads of a download, is not the store's silence.
func TestSlowSourceDoesNotStall(t *testing.T) {
	object := bytes.Repeat([]byte("y"), 1000)
	f := newFakeStore(t, "slow", object[:3])
	b := f.bucket(t)

	rc, err := b.Get(context.Background(), "slow/e.parquet")
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = io.ReadFull(rc, buf)
	require.NoError(t, err)
	time.Sleep(3 * testStall) // the caller dawdles; the store is not waited on
	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Len(t, rest, 2)
	require.NoError(t, rc.Close())

	src := &pausingReader{data: []byte("small body"), pause: 3 * testStall}
	require.NoError(t, within(t, func() error {
		return b.Upload(context.Background(), "slow/f.parquet", src, int64(len(src.data)))
	}))
	assert.Contains(t, string(<-f.received), "small body")
}

// pausingReader waits before its first bytes, as a source still being produced.
type pausingReader struct {
	data  []byte
	pause time.Duration
	off   int
}

func (p *pausingReader) Read(b []byte) (int, error) {
	if p.off == 0 {
		time.Sleep(p.pause)
	}
	if p.off >= len(p.data) {
		return 0, io.EOF
	}
	n := copy(b, p.data[p.off:])
	p.off += n
	return n, nil
}

func TestNegativeStallTimeoutIsInvalid(t *testing.T) {
	cfg := s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "ecolake", AccessKey: "ak", SecretKey: "secret-key", StallTimeout: -time.Second}
	assert.ErrorIs(t, cfg.Validate(), s3.ErrInvalidConfig)
	cfg.StallTimeout = 0 // the default
	assert.NoError(t, cfg.Validate())
}
