package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cqeco/ecolake/catalog"
)

// A clustered service (serve --cluster) is three (or five) nodes, each with its own data
// directory and a shared lake (S3). The catalogue is replicated by raft (catalog/raft.go); a
// write is taken only by the leader. Any node accepts any request: cluster_http.go serves reads
// from the local catalogue and passes writes on to the leader over HTTP. Start-up writes (the
// first administrator, the districts of the code list, interrupted runs) and the background work
// that writes (scheduled pulls, gc, the figures' daily history) run on the leader.

// ClusterConfig is this node's place in a cluster; Enabled false is the single node.
type ClusterConfig struct {
	Enabled  bool
	NodeID   string
	RaftAddr string // raft TCP address listened on (and dialled from); the peers use this node's Peers entry
	Peers    []ClusterPeer
	// MinIndexWait bounds how long a read carrying X-Ecolake-Min-Index waits for this node to
	// reach that index.
	MinIndexWait time.Duration
	// Heartbeat, when positive, replaces raft's heartbeat and election timeouts (1 s).
	Heartbeat time.Duration
	// Query makes this a query node (serve --role query, cluster_query.go): it follows the
	// catalogue of the Peers' HTTP addresses with FollowToken, keeps it in memory only, answers
	// reads and passes writes on to the cluster.
	Query       bool
	FollowToken string
}

// replicated reports whether the catalogue is replicated: a cluster node or a query node.
func (c *ClusterConfig) replicated() bool { return c.Enabled || c.Query }

// ClusterPeer is one voter: its id, raft address and HTTP base URL.
type ClusterPeer struct {
	ID, RaftAddr, HTTP string
}

// DefaultMinIndexWait is the default of ClusterConfig.MinIndexWait.
const DefaultMinIndexWait = 5 * time.Second

// ParseClusterPeer reads "id,raft-host:port,http-host:port" (the HTTP address may carry its
// http:// or https:// scheme).
func ParseClusterPeer(v string) (ClusterPeer, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 3 {
		return ClusterPeer{}, fmt.Errorf("应为 节点名,raft地址,HTTP地址 (如 n1,10.0.0.1:7000,10.0.0.1:8080), 而不是 %q", v)
	}
	p := ClusterPeer{ID: strings.TrimSpace(parts[0]), RaftAddr: strings.TrimSpace(parts[1]), HTTP: strings.TrimSpace(parts[2])}
	if p.ID == "" {
		return ClusterPeer{}, fmt.Errorf("节点名为空: %q", v)
	}
	if _, _, err := net.SplitHostPort(p.RaftAddr); err != nil {
		return ClusterPeer{}, fmt.Errorf("raft 地址 %q 应为 主机:端口", p.RaftAddr)
	}
	if !strings.Contains(p.HTTP, "://") {
		p.HTTP = "http://" + p.HTTP
	}
	u, err := url.Parse(p.HTTP)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ClusterPeer{}, fmt.Errorf("HTTP 地址 %q 应为 主机:端口 或 http(s)://主机:端口", parts[2])
	}
	return p, nil
}

func (c *ClusterConfig) validate() error {
	if c.Query {
		var errs []error
		if c.Enabled {
			errs = append(errs, errors.New("cluster: --role query and --cluster exclude each other: a query node is not a cluster member"))
		}
		if len(c.Peers) == 0 {
			errs = append(errs, errors.New("cluster: a query node needs the cluster's nodes (cluster-peer)"))
		}
		if c.FollowToken == "" {
			errs = append(errs, errors.New("cluster: a query node needs cluster-token, a token of an administrator cleared for core data"))
		}
		return errors.Join(errs...)
	}
	if !c.Enabled {
		return nil
	}
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("cluster: node-id is required with --cluster"))
	}
	if c.RaftAddr == "" {
		errs = append(errs, errors.New("cluster: raft-addr is required with --cluster"))
	}
	if len(c.Peers) < 3 || len(c.Peers)%2 == 0 {
		errs = append(errs, fmt.Errorf("cluster: %d peers; want an odd number, at least 3, this node included", len(c.Peers)))
	}
	if c.MinIndexWait <= 0 {
		errs = append(errs, fmt.Errorf("cluster: min-index wait %s must be positive", c.MinIndexWait))
	}
	if err := c.catalog().Validate(); err != nil && c.NodeID != "" && c.RaftAddr != "" {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// catalog is the catalogue's part of the configuration.
func (c *ClusterConfig) catalog() *catalog.ClusterConfig {
	cc := &catalog.ClusterConfig{NodeID: c.NodeID, BindAddr: c.RaftAddr, HeartbeatTimeout: c.Heartbeat}
	for _, p := range c.Peers {
		cc.Peers = append(cc.Peers, catalog.ClusterPeer{ID: p.ID, RaftAddr: p.RaftAddr})
		if p.ID == c.NodeID && p.RaftAddr != c.RaftAddr {
			// The peers reach this node at its own entry's address (a NAT or proxy in between);
			// it listens on RaftAddr.
			cc.AdvertiseAddr = p.RaftAddr
		}
	}
	return cc
}

// peerHTTP returns the HTTP base URL of the peer id.
func (c *ClusterConfig) peerHTTP(id string) (*url.URL, bool) {
	for _, p := range c.Peers {
		if p.ID == id {
			u, err := url.Parse(p.HTTP)
			return u, err == nil
		}
	}
	return nil, false
}

// leaderWork runs fn each time this node becomes the ready leader (a clustered service; never on a
// query node), on a goroutine of its own, with a context that ends when it stops leading or ctx
// ends; on a single node it runs fn(ctx) now. fn must be safe to run again.
func (a *App) leaderWork(ctx context.Context, fn func(ctx context.Context)) {
	if !a.cfg.Cluster.replicated() {
		fn(ctx)
		return
	}
	a.Cat.OnLeader(func(lead context.Context) {
		both, cancel := context.WithCancel(lead)
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		if both.Err() == nil {
			fn(both)
		}
	})
}

// whileLeader runs run, which works until its context ends, on the leader only and only while it
// leads (on a single node, from now on): background work that writes, or that judges the shared
// lake by the catalogue (gc), must not run on a node whose catalogue may lag. The returned wait
// stops it and waits for it to return.
func (a *App) whileLeader(ctx context.Context, run func(ctx context.Context)) (wait func()) {
	ctx, cancel := context.WithCancel(ctx)
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		closed bool
	)
	start := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return false
		}
		wg.Add(1)
		return true
	}
	if !a.cfg.Cluster.replicated() {
		start()
		go func() { defer wg.Done(); run(ctx) }()
	} else {
		a.leaderWork(ctx, func(lead context.Context) {
			if start() {
				defer wg.Done()
				run(lead)
			}
		})
	}
	return func() {
		cancel()
		mu.Lock()
		closed = true
		mu.Unlock()
		wg.Wait()
	}
}
