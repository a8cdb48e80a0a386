package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// clusterReport compares the catalogue on one node (its journal) with the catalogue on three
// (raft on loopback, in this process): the latency of the directory workflow's commands with one
// writer and with sixteen, and how long a new node (a follower replaced by one with an empty data
// directory while n entries were written) takes to catch up: raft sends it a snapshot, a
// checkpoint, and the log after it.
func clusterReport(ctx context.Context, dir string, n, sample int) error {
	for _, writers := range []int{1, 16} {
		single, err := latencyRun(ctx, filepath.Join(dir, fmt.Sprintf("single-%dw", writers)), 1, sample, writers)
		if err != nil {
			return err
		}
		three, err := latencyRun(ctx, filepath.Join(dir, fmt.Sprintf("three-%dw", writers)), 3, sample, writers)
		if err != nil {
			return err
		}
		fmt.Printf("  %2d writer(s), %d entries (%d commands): one node p50 %.2f ms p99 %.2f ms %.0f commands/s; three nodes p50 %.2f ms p99 %.2f ms %.0f commands/s; ratio of p50 %.2f\n",
			writers, sample, single.commands, ms(single.p50), ms(single.p99), single.rate, ms(three.p50), ms(three.p99), three.rate,
			three.p50.Seconds()/single.p50.Seconds())
	}
	return catchUpRun(ctx, filepath.Join(dir, "catch-up"), n)
}

// latency is one run's commands and how long they took each.
type latency struct {
	commands int
	p50, p99 time.Duration
	rate     float64 // commands per second
}

// latencyRun writes entries through a catalogue of nodes nodes with writers writers and times
// each command (a workflow step: create, submit, approve, and for one in loadEvery a run and its
// snapshot).
func latencyRun(ctx context.Context, dir string, nodes, entries, writers int) (latency, error) {
	c, err := openBenchCluster(dir, nodes)
	if err != nil {
		return latency{}, err
	}
	defer c.close()
	cat := c.leader()
	actors, err := setUpActors(ctx, cat)
	if err != nil {
		return latency{}, err
	}
	cats, districts := fourDigitCategories(), schemas.AllDistricts()
	var mu sync.Mutex
	var took []time.Duration
	start := time.Now()
	err = inParallel(entries, writers, func(i int) error {
		t := time.Now()
		k, err := registerEntry(ctx, cat, actors, i, cats, districts)
		if err != nil {
			return err
		}
		per := time.Since(t) / time.Duration(max(k, 1))
		mu.Lock()
		for range k {
			took = append(took, per)
		}
		mu.Unlock()
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		return latency{}, err
	}
	slices.Sort(took)
	if len(took) == 0 {
		return latency{}, fmt.Errorf("no command was timed")
	}
	return latency{commands: len(took), p50: took[len(took)/2], p99: took[len(took)*99/100],
		rate: float64(len(took)) / elapsed.Seconds()}, nil
}

// catchUpRun writes n entries through three nodes while the third is down, then starts a new node
// in its place (same id and address, an empty data directory) and times how long it takes to
// hold everything the leader holds.
func catchUpRun(ctx context.Context, dir string, n int) error {
	c, err := openBenchCluster(dir, 3)
	if err != nil {
		return err
	}
	defer c.close()
	lead := c.leader()
	down := slices.IndexFunc(c.nodes, func(s *catalog.Store) bool { return s != lead })
	if err := c.stop(down); err != nil {
		return err
	}
	if err := os.RemoveAll(c.cfgs[down].Dir); err != nil {
		return err
	}
	if err := os.MkdirAll(c.cfgs[down].Dir, 0o750); err != nil {
		return err
	}
	t0 := time.Now()
	if err := writeThrough(ctx, lead, n, 16); err != nil {
		return err
	}
	wrote := time.Since(t0)
	target := lead.Index()
	t1 := time.Now()
	if err := c.start(down); err != nil {
		return err
	}
	for c.nodes[down].Index() < target {
		if time.Since(t1) > 10*time.Minute {
			return fmt.Errorf("the follower reached index %d of %d in 10 minutes", c.nodes[down].Index(), target)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("  catch-up: %d entries (index %d) written through two of three nodes in %.1f s; a new node in place of the third (an empty data directory) held all of it %.2f s after it started\n",
		n, target, wrote.Seconds(), time.Since(t1).Seconds())
	return nil
}

// writeThrough registers n entries through cat with writers writers.
func writeThrough(ctx context.Context, cat *catalog.Store, n, writers int) error {
	actors, err := setUpActors(ctx, cat)
	if err != nil {
		return err
	}
	cats, districts := fourDigitCategories(), schemas.AllDistricts()
	return inParallel(n, writers, func(i int) error {
		_, err := registerEntry(ctx, cat, actors, i, cats, districts)
		return err
	})
}

// benchCluster is a catalogue of one node (no cluster: the journal) or of several (raft).
type benchCluster struct {
	cfgs  []catalog.Config
	nodes []*catalog.Store
}

func openBenchCluster(dir string, n int) (*benchCluster, error) {
	c := &benchCluster{}
	var peers []catalog.ClusterPeer
	for i := range n {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		peers = append(peers, catalog.ClusterPeer{ID: fmt.Sprintf("n%d", i+1), RaftAddr: addr})
	}
	for i := range n {
		cfg := catalog.DefaultConfig()
		cfg.Dir = filepath.Join(dir, peers[i].ID)
		if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
			return nil, err
		}
		if n > 1 {
			cfg.Cluster = &catalog.ClusterConfig{NodeID: peers[i].ID, BindAddr: peers[i].RaftAddr, Peers: peers}
		}
		c.cfgs = append(c.cfgs, cfg)
		c.nodes = append(c.nodes, nil)
	}
	// Three nodes open together: each waits for the others only to elect, not to open.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.start(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			c.close()
			return nil, err
		}
	}
	if c.leader() == nil {
		c.close()
		return nil, fmt.Errorf("no leader elected among %d nodes", n)
	}
	return c, nil
}

func (c *benchCluster) start(i int) error {
	s, err := catalog.Open(context.Background(), c.cfgs[i], slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("open node %d: %w", i+1, err)
	}
	c.nodes[i] = s
	return nil
}

func (c *benchCluster) stop(i int) error {
	err := c.nodes[i].Close()
	c.nodes[i] = nil
	return err
}

// leader waits (up to 30 s) for the node that takes writes: the only one of a single node.
func (c *benchCluster) leader() *catalog.Store {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range c.nodes {
			if s == nil {
				continue
			}
			if st := s.Cluster(); !st.Clustered || st.Ready && len(s.View().Districts()) > 0 {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (c *benchCluster) close() {
	for i, s := range c.nodes {
		if s != nil {
			_ = s.Close()
			c.nodes[i] = nil
		}
	}
}

// freeAddr is a loopback address no one listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
