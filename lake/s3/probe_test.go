package s3_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

// relay forwards TCP connections to target until stop is called; then it accepts none and cuts
// the ones open, as a stopped store looks to its clients.
type relay struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newRelay(t *testing.T, target string) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, up)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *relay) stop() {
	r.ln.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
}

// TestProbe: the probe passes while the store answers and fails once it is gone.
func TestProbe(t *testing.T) {
	srv := miniotest.Start(t)
	r := newRelay(t, srv.Endpoint)
	cfg := config(srv, "probed", "")
	cfg.Endpoint = r.ln.Addr().String()
	b, err := s3.New(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, b.Probe(context.Background()))

	r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	assert.Error(t, b.Probe(ctx), "a store that no longer answers")
}
