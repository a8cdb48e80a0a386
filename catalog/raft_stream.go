package catalog

import (
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// raftStream is raft's TCP stream layer, except that it dials from the address it listens on
// when that names one host address: on a machine with several addresses, peers (and firewalls
// between them) see the node's raft traffic come from its raft address.
type raftStream struct {
	ln    net.Listener
	adv   net.Addr
	local *net.TCPAddr // nil: the system chooses
}

func newRaftStream(bind string, adv net.Addr) (*raftStream, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", bind, err)
	}
	s := &raftStream{ln: ln, adv: adv}
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsUnspecified() {
		s.local = &net.TCPAddr{IP: a.IP}
	}
	return s, nil
}

func (s *raftStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if s.local != nil {
		d.LocalAddr = s.local
	}
	return d.Dial("tcp", string(address))
}

func (s *raftStream) Accept() (net.Conn, error) { return s.ln.Accept() }
func (s *raftStream) Close() error              { return s.ln.Close() }
func (s *raftStream) Addr() net.Addr            { return s.adv }
