package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// testCluster is three clustered stores in one process, on loopback ports.
type testCluster struct {
	t     *testing.T
	dirs  []string
	cfgs  []*ClusterConfig
	nodes []*Store
}

func freeLoopback(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func newTestCluster(t *testing.T, threshold uint64) *testCluster {
	c := &testCluster{t: t}
	var peers []ClusterPeer
	for i := range 3 {
		peers = append(peers, ClusterPeer{ID: fmt.Sprintf("n%d", i+1), RaftAddr: freeLoopback(t)})
	}
	for i := range 3 {
		c.dirs = append(c.dirs, t.TempDir())
		c.cfgs = append(c.cfgs, &ClusterConfig{NodeID: peers[i].ID, BindAddr: peers[i].RaftAddr, Peers: peers,
			HeartbeatTimeout: 300 * time.Millisecond, SnapshotThreshold: threshold, TrailingLogs: threshold})
		c.nodes = append(c.nodes, nil)
		c.start(i)
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n != nil {
				_ = n.Close()
			}
		}
	})
	return c
}

func (c *testCluster) start(i int) {
	cfg := DefaultConfig()
	cfg.Dir = c.dirs[i]
	cfg.Cluster = c.cfgs[i]
	s, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(c.t, err)
	c.nodes[i] = s
}

func (c *testCluster) stop(i int) {
	require.NoError(c.t, c.nodes[i].Close())
	c.nodes[i] = nil
}

// leader waits for a ready leader among the running nodes and returns its position.
func (c *testCluster) leader() int {
	c.t.Helper()
	var at int
	require.Eventually(c.t, func() bool {
		for i, n := range c.nodes {
			if n != nil && n.Cluster().Ready && len(n.View().Districts()) > 0 {
				at = i
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no leader elected")
	return at
}

// converged waits until every running node holds the same state at index at least idx.
func (c *testCluster) converged(idx uint64) string {
	c.t.Helper()
	var digest string
	require.Eventually(c.t, func() bool {
		digest = ""
		for _, n := range c.nodes {
			if n == nil {
				continue
			}
			i, d, err := n.StateDigest()
			require.NoError(c.t, err)
			if i < idx || (digest != "" && d != digest) {
				return false
			}
			digest = d
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "nodes did not converge")
	return digest
}

func (c *testCluster) restores(i int) int {
	s := c.nodes[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raft.restores
}

func dept(code, name string) Department {
	return Department{Code: code, Name: name, Kind: DepartmentDivision}
}

func TestClusterReplicatesAndFailsOver(t *testing.T) {
	c := newTestCluster(t, 0)
	ctx := context.Background()
	l := c.leader()
	for i := range 20 {
		require.NoError(t, c.nodes[l].PutDepartment(ctx, dept(fmt.Sprintf("D%02d", i), "部门")))
	}
	f := (l + 1) % 3
	err := c.nodes[f].PutDepartment(ctx, dept("FOLLOWER", "部门"))
	require.ErrorIs(t, err, ErrNotLeader, "a follower takes no write")
	require.ErrorIs(t, err, schemas.ErrBusy)
	idx := c.nodes[l].Index()
	before := c.converged(idx)
	got, err := c.nodes[f].View().Department("D19")
	require.NoError(t, err)
	require.Equal(t, "部门", got.Name)

	// The leader goes; another takes over with every acknowledged write and takes new ones.
	c.stop(l)
	l2 := c.leader()
	require.NotEqual(t, l, l2)
	_, d, err := c.nodes[l2].StateDigest()
	require.NoError(t, err)
	require.Equal(t, before, d)
	require.NoError(t, c.nodes[l2].PutDepartment(ctx, dept("AFTER", "新部门")))
	c.start(l)
	digest := c.converged(c.nodes[l2].Index())
	_, d, err = c.nodes[l].StateDigest()
	require.NoError(t, err)
	require.Equal(t, digest, d)
	got, err = c.nodes[l].View().Department("AFTER")
	require.NoError(t, err, "the restarted node caught up")
	require.Equal(t, "新部门", got.Name)
}

func TestClusterNodeCatchesUpFromSnapshot(t *testing.T) {
	c := newTestCluster(t, 16)
	ctx := context.Background()
	l := c.leader()
	lag := (l + 1) % 3
	c.stop(lag)
	for i := range 200 {
		require.NoError(t, c.nodes[l].PutDepartment(ctx, dept(fmt.Sprintf("S%03d", i), "部门")))
	}
	// Snapshots are taken and the log compacted (raft's trailing logs aside), so the lagging node
	// may be sent one; restarted twice, it also restores its own.
	require.NoError(t, c.nodes[l].raft.r.Snapshot().Error())
	c.start(lag)
	c.converged(c.nodes[l].Index())
	require.Equal(t, 1, c.restores(lag), "the lagging node was sent the leader's snapshot")
	_, _, err := c.nodes[lag].Feed(ctx, 0, time.Second)
	require.ErrorIs(t, err, ErrFeedGone, "a node's feed starts after the snapshot it restored")
	c.stop(lag)
	c.start(lag)
	require.Equal(t, 1, c.restores(lag), "a restarted node restores its latest snapshot")
	c.converged(c.nodes[l].Index())
	got, err := c.nodes[lag].View().Department("S199")
	require.NoError(t, err)
	require.Equal(t, "部门", got.Name)
}

func TestClusterConcurrentWritersLoseNothing(t *testing.T) {
	c := newTestCluster(t, 0)
	ctx := context.Background()
	l := c.leader()
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			var err error
			for i := range 25 {
				err = errors.Join(err, c.nodes[l].PutDepartment(ctx, dept(fmt.Sprintf("W%d_%02d", w, i), "部门")))
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
	c.converged(c.nodes[l].Index())
	for _, n := range c.nodes {
		for w := range 8 {
			for i := range 25 {
				_, err := n.View().Department(fmt.Sprintf("W%d_%02d", w, i))
				require.NoError(t, err)
			}
		}
	}
}

// TestReplicaFollowsCheckpointAndFeed: a replica made from a node's checkpoint follows its feed to
// the same state and refuses writes; a feed with nothing new answers empty after its wait.
func TestReplicaFollowsCheckpointAndFeed(t *testing.T) {
	c := newTestCluster(t, 0)
	ctx := context.Background()
	l := c.leader()
	for i := range 10 {
		require.NoError(t, c.nodes[l].PutDepartment(ctx, dept(fmt.Sprintf("R%02d", i), "部门")))
	}
	f := (l + 1) % 3
	c.converged(c.nodes[l].Index())
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.Replica = true
	r, err := Open(ctx, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer r.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := c.nodes[f].WriteCheckpoint(pw)
		pw.CloseWithError(err)
	}()
	idx, err := r.InstallCheckpoint(pr)
	require.NoError(t, err)
	require.Equal(t, c.nodes[f].Index(), idx)
	for i := range 10 {
		require.NoError(t, c.nodes[l].PutDepartment(ctx, dept(fmt.Sprintf("S%02d", i), "部门")))
	}
	want := c.converged(c.nodes[l].Index())
	for r.Index() < c.nodes[f].Index() {
		frames, _, err := c.nodes[f].Feed(ctx, r.Index(), time.Second)
		require.NoError(t, err)
		require.NoError(t, r.ApplyFeed(frames))
	}
	_, got, err := r.StateDigest()
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.ErrorIs(t, r.PutDepartment(ctx, dept("NOPE", "部门")), ErrNotLeader, "a replica takes no write")
	frames, last, err := c.nodes[f].Feed(ctx, r.Index(), 50*time.Millisecond)
	require.NoError(t, err, "nothing new: an empty answer after the wait")
	require.Nil(t, frames)
	require.Equal(t, r.Index(), last)
}

// TestStaleBatchRefusedAlike: a committed batch whose first index does not follow the applied
// index (one built by a deposed leader on a state that moved on) changes nothing and is refused
// with the same error on any node, so nodes stay equal.
func TestStaleBatchRefusedAlike(t *testing.T) {
	c := newTestCluster(t, 0)
	ctx := context.Background()
	l := c.leader()
	require.NoError(t, c.nodes[l].PutDepartment(ctx, dept("A1", "部门")))
	before := c.nodes[l].Index()
	require.NoError(t, c.nodes[l].PutDepartment(ctx, dept("A2", "部门")))
	frames, _, err := c.nodes[l].Feed(ctx, before, time.Second) // the batch of A2
	require.NoError(t, err)
	digest := c.converged(c.nodes[l].Index())
	for i, n := range c.nodes {
		n.mu.Lock()
		err := n.applyFramesLocked(frames) // A2's batch once more: its index is taken
		n.mu.Unlock()
		require.ErrorIs(t, err, errStaleBatch, "node %d", i)
		_, d, err := n.StateDigest()
		require.NoError(t, err)
		require.Equal(t, digest, d, "node %d changed", i)
	}
	// And through raft: every node refuses it, and writes go on after it.
	f := c.nodes[l].raft.r.Apply(encodeRaftBatch("stale", frames), time.Second)
	require.NoError(t, f.Error())
	require.ErrorIs(t, f.Response().(error), errStaleBatch)
	require.NoError(t, c.nodes[l].PutDepartment(ctx, dept("A3", "部门")))
	c.converged(c.nodes[l].Index())
}

// TestRaftLogGoesToSlog: raft's lines reach the store's logger at their level, with their fields.
func TestRaftLogGoesToSlog(t *testing.T) {
	var b strings.Builder
	w := raftLog{slog.New(slog.NewJSONHandler(&b, nil))}
	_, err := w.Write([]byte(`{"@level":"error","@message":"failed to contact","@module":"raft","server-id":"n2"}` + "\n"))
	require.NoError(t, err)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(b.String()), &rec))
	require.Equal(t, "ERROR", rec["level"])
	require.Equal(t, "failed to contact", rec["msg"])
	require.Equal(t, "raft", rec["component"])
	require.Equal(t, "n2", rec["server-id"])
}

// TestDirModeRefusals: a cluster node's directory is not opened as a single node's, nor a single
// node's as a cluster node's (it would start empty beside its journal).
func TestDirModeRefusals(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	clusterDir := t.TempDir()
	addr := freeLoopback(t)
	cfg := DefaultConfig()
	cfg.Dir = clusterDir
	cfg.Cluster = &ClusterConfig{NodeID: "n1", BindAddr: addr, Peers: []ClusterPeer{{ID: "n1", RaftAddr: addr}}}
	s, err := Open(ctx, cfg, log)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	cfg.Cluster = nil
	_, err = Open(ctx, cfg, log)
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "属于目录集群节点")

	single := DefaultConfig()
	single.Dir = t.TempDir()
	s, err = Open(ctx, single, log)
	require.NoError(t, err)
	require.NoError(t, s.PutDepartment(ctx, dept("SOLO", "部门")))
	require.NoError(t, s.Close())
	single.Cluster = &ClusterConfig{NodeID: "n1", BindAddr: addr, Peers: []ClusterPeer{{ID: "n1", RaftAddr: addr}}}
	_, err = Open(ctx, single, log)
	require.ErrorIs(t, err, ErrInvalid)
	require.Contains(t, err.Error(), "单机目录库")
}

// TestOnLeaderContextEndsWithLeadership: work started for a leader (OnLeader) is told, through its
// context, when the node stops leading, and the next leader's starts.
func TestOnLeaderContextEndsWithLeadership(t *testing.T) {
	c := newTestCluster(t, 0)
	l := c.leader()
	type led struct {
		node int
		ctx  context.Context
	}
	got := make(chan led, 10)
	for i, n := range c.nodes {
		n.OnLeader(func(ctx context.Context) { got <- led{i, ctx} })
	}
	first := <-got
	require.Equal(t, l, first.node, "registered on the leader, it runs at once")
	require.NoError(t, first.ctx.Err())
	require.NoError(t, c.nodes[l].raft.r.LeadershipTransfer().Error())
	select {
	case <-first.ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the old leader's work was not told it no longer leads")
	}
	select {
	case next := <-got:
		require.NotEqual(t, l, next.node)
		require.NoError(t, next.ctx.Err())
	case <-time.After(30 * time.Second):
		t.Fatal("the new leader's work did not start")
	}
}

// TestClusterNodeReplacedWithEmptyDisk: a node whose disk was lost starts again, same id and
// address, on an empty directory and is brought up to the cluster's state.
func TestClusterNodeReplacedWithEmptyDisk(t *testing.T) {
	c := newTestCluster(t, 0)
	ctx := context.Background()
	l := c.leader()
	for i := range 30 {
		require.NoError(t, c.nodes[l].PutDepartment(ctx, dept(fmt.Sprintf("E%02d", i), "部门")))
	}
	f := (l + 1) % 3
	c.converged(c.nodes[l].Index())
	c.stop(f)
	require.NoError(t, os.RemoveAll(c.dirs[f]))
	require.NoError(t, os.MkdirAll(c.dirs[f], 0o750))
	require.NoError(t, c.nodes[l].PutDepartment(ctx, dept("WHILE_AWAY", "部门")))
	c.start(f)
	c.converged(c.nodes[l].Index())
	got, err := c.nodes[f].View().Department("WHILE_AWAY")
	require.NoError(t, err)
	require.Equal(t, "部门", got.Name)
}
