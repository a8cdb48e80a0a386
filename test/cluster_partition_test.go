package test

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// netSplit is the raft network of a test cluster: node i listens on 127.0.0.(i+1) and dials from
// there, and its peers reach it through a proxy on 127.0.0.1. Isolating a node's address drops
// its raft traffic both ways, silently: connections from or to it are cut, and new ones are
// accepted and never answered, as packets lost on a broken link.
type netSplit struct {
	t        *testing.T
	mu       sync.Mutex
	isolated map[string]bool
	conns    map[*splitConn]bool
	lns      []net.Listener
}

type splitConn struct {
	src, dst string
	a, b     net.Conn // b nil while held
}

func newNetSplit(t *testing.T) *netSplit {
	s := &netSplit{t: t, isolated: map[string]bool{}, conns: map[*splitConn]bool{}}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, ln := range s.lns {
			ln.Close()
		}
		for c := range s.conns {
			c.close()
		}
	})
	return s
}

func (c *splitConn) close() {
	c.a.Close()
	if c.b != nil {
		c.b.Close()
	}
}

// bind is node i's raft listen address.
func (s *netSplit) bind(i int) string {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i+1))
	require.NoError(s.t, err)
	defer l.Close()
	return l.Addr().String()
}

// proxy starts the proxy through which the peers reach target and returns its address.
func (s *netSplit) proxy(_ int, target string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	dst, _, _ := net.SplitHostPort(target)
	s.mu.Lock()
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	go func() {
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(a, dst, target)
		}
	}()
	return ln.Addr().String()
}

func (s *netSplit) serve(a net.Conn, dst, target string) {
	src, _, _ := net.SplitHostPort(a.RemoteAddr().String())
	c := &splitConn{src: src, dst: dst, a: a}
	s.mu.Lock()
	cut := s.isolated[src] || s.isolated[dst]
	s.conns[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.close()
	}()
	if cut {
		_, _ = io.Copy(io.Discard, a) // held, never answered, until healed
		return
	}
	b, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.isolated[src] || s.isolated[dst] || !s.conns[c] {
		s.mu.Unlock()
		b.Close()
		return
	}
	c.b = b
	s.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, a); done <- struct{}{} }()
	go func() { _, _ = io.Copy(a, b); done <- struct{}{} }()
	<-done
}

// isolate cuts the raft traffic of the node listening on ip.
func (s *netSplit) isolate(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.isolated[ip] = true
	for c := range s.conns {
		if c.src == ip || c.dst == ip {
			c.close()
		}
	}
}

// heal lets every node's traffic through again; connections held meanwhile are closed, so that
// the nodes dial afresh.
func (s *netSplit) heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.isolated = map[string]bool{}
	for c := range s.conns {
		if c.b == nil {
			c.close()
		}
	}
}

func hostOf(t *testing.T, addr string) string {
	h, _, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return h
}

// TestClusterPartition cuts the leader's raft traffic, both ways, while the clients of
// TestClusterSurvivesLosingNodes run against every node (each still answers HTTP): the cut-off
// leader stops taking writes, the other two elect a leader within a bound, and writes are
// acknowledged again; after healing, a follower is cut off and the leader keeps taking writes.
// At the end every node holds the same state, every acknowledged creation is everywhere and the
// history is linearizable.
func TestClusterPartition(t *testing.T) {
	const electionBound = 30 * time.Second
	split := newNetSplit(t)
	c := startClusterWith(t, clusterLayout{raftBind: split.bind, peerRaft: split.proxy})
	leader, took := c.waitLeader(electionBound)
	t.Logf("first leader %s ready in %s", leader.id, took)
	h, stop, wait := runWorkload(c)
	time.Sleep(2 * time.Second)
	require.Positive(t, h.ackedWrites(), "writes are acknowledged before the partition")

	// 1. The leader is cut off.
	split.isolate(hostOf(t, leader.raft))
	began := time.Now()
	var next *clusterNode
	require.Eventually(t, func() bool {
		for _, n := range c.nodes {
			if n == leader {
				continue
			}
			if st, code, err := c.status(n, c.token); err == nil && code == 200 && st.Ready {
				next = n
				return true
			}
		}
		return false
	}, electionBound, 20*time.Millisecond, "the majority elects no leader")
	t.Logf("leader %s cut off; %s ready in %s", leader.id, next.id, time.Since(began))
	require.Eventually(t, func() bool {
		st, code, err := c.status(leader, c.token)
		return err == nil && code == 200 && !st.Ready
	}, electionBound, 20*time.Millisecond, "the cut-off leader goes on taking writes")
	t.Logf("cut-off leader stepped down %s after the cut", time.Since(began))
	before := h.ackedWrites()
	time.Sleep(3 * time.Second)
	require.Greater(t, h.ackedWrites(), before, "the majority takes writes")

	// 2. Healed; then a follower is cut off.
	split.heal()
	time.Sleep(2 * time.Second)
	cur, _ := c.waitLeader(electionBound)
	var follower *clusterNode
	for _, n := range c.nodes {
		if n != cur {
			follower = n
			break
		}
	}
	split.isolate(hostOf(t, follower.raft))
	before = h.ackedWrites()
	time.Sleep(3 * time.Second)
	require.Greater(t, h.ackedWrites(), before, "a leader with one follower left takes writes")
	st, code, err := c.status(cur, c.token)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	require.True(t, st.Ready, "the leader stays leader when a follower is cut off")
	split.heal()
	time.Sleep(time.Second)
	stop()
	wait()
	checkHistory(t, c, h)
}
