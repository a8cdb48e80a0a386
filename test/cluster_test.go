package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// The acknowledged operations of the cluster test, checked for linearizability by porcupine:
// each department code K1…K3 is a register whose value is its name.
type kvInput struct {
	Key   string
	Write bool
	Value string
}

var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(kvInput).Key
			by[k] = append(by[k], op)
		}
		var keys []string
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(kvInput)
		if in.Write {
			return true, in.Value
		}
		return output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(kvInput)
		if in.Write {
			return fmt.Sprintf("put(%s, %s)", in.Key, in.Value)
		}
		return fmt.Sprintf("get(%s) -> %q", in.Key, output)
	},
}

var registerKeys = []string{"K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8"}

const (
	putDeptDoc   = `mutation($c: String!, $n: String!) { putDepartment(code: $c, name: $n, kind: "处室") { code } }`
	listDeptsDoc = `{ departments { code name } }`
)

// history records the operations of every client, with call and return times on one clock.
type history struct {
	began  time.Time
	mu     sync.Mutex
	ops    []porcupine.Operation
	seen   atomic.Uint64 // highest X-Ecolake-Index any client got back, from a write or a read
	unique []string      // codes of acknowledged creations, each written once
	counts map[string]int
}

func (h *history) now() int64 { return int64(time.Since(h.began)) }

func (h *history) add(op porcupine.Operation, kind string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, op)
	h.counts[kind]++
}

func (h *history) noteAcked(idx uint64) {
	for {
		cur := h.seen.Load()
		if idx <= cur || h.seen.CompareAndSwap(cur, idx) {
			return
		}
	}
}

// read lists the departments on n at an index no lower than any write acknowledged before it
// was sent, and records one read per register.
func (h *history) read(ctx context.Context, n *clusterNode, client int, token string) (map[string]string, bool) {
	call := h.now()
	r := n.gql(ctx, token, listDeptsDoc, nil, h.seen.Load())
	ret := h.now()
	if !r.ok() {
		h.mu.Lock()
		h.counts["read failed"]++
		h.mu.Unlock()
		return nil, false
	}
	h.noteAcked(r.index) // what one client has seen, the next read anywhere sees too
	names := map[string]string{}
	for _, d := range r.data["departments"].([]any) {
		m := d.(map[string]any)
		names[m["code"].(string)] = m["name"].(string)
	}
	for _, k := range registerKeys {
		h.add(porcupine.Operation{ClientId: client, Input: kvInput{Key: k}, Call: call, Output: names[k], Return: ret}, "read")
	}
	return names, true
}

// write puts the register key to value on n. An unacknowledged write may or may not have taken
// effect: it is recorded as returning at the end of time, so the checker may place it anywhere
// after its call, or nowhere visible.
func (h *history) write(ctx context.Context, n *clusterNode, client int, token, key, value string) {
	call := h.now()
	r := n.gql(ctx, token, putDeptDoc, map[string]any{"c": key, "n": value}, 0)
	if r.ok() {
		h.noteAcked(r.index)
		h.add(porcupine.Operation{ClientId: client, Input: kvInput{Key: key, Write: true, Value: value}, Call: call, Output: "", Return: h.now()}, "write acked")
		return
	}
	if notSent(r) {
		// Refused before raft had it, or never reached a node: left out of the history, so a
		// read that returned it could not be placed.
		h.mu.Lock()
		h.counts["write refused"]++
		h.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		return
	}
	h.add(porcupine.Operation{ClientId: client, Input: kvInput{Key: key, Write: true, Value: value}, Call: call, Output: "", Return: math.MaxInt64}, "write unknown")
	time.Sleep(20 * time.Millisecond)
}

// notSent reports a write that certainly did not take effect: the connection was refused, or the
// catalogue said it was not the leader (catalog.ErrNotLeader: not handed to raft).
func notSent(r gqlResult) bool {
	var op *net.OpError
	if errors.As(r.err, &op) && op.Op == "dial" {
		return true
	}
	for _, e := range r.errs {
		if strings.Contains(e, "本节点不是目录集群的主节点") {
			return true
		}
	}
	return false
}

// TestClusterSurvivesLosingNodes runs directory edits and reads from several clients, and loads
// into an entry on a shared MinIO lake, against all three nodes while the leader is killed, then a follower (leaving one node: no quorum), then
// both are started again. After each loss that leaves a quorum a leader is elected within
// electionBound; with one node left no write is acknowledged; at the end every node holds the
// same state, every acknowledged creation is on every node, the history is linearizable, and
// every node reads every acknowledged load's rows (and no rows no load sent).
func TestClusterSurvivesLosingNodes(t *testing.T) {
	const electionBound = 30 * time.Second // measured: see the log lines "elected in"
	m := newMinioProc(t)
	c := startClusterWith(t, clusterLayout{env: m.env()}, "--lake", "s3://ecolake/cluster")
	leader, took := c.waitLeader(electionBound)
	t.Logf("first leader %s ready in %s", leader.id, took)
	entry := createLoadEntry(t, c, leader) // on the leader: its reads see its writes

	h, stop, wait := runWorkload(c)
	ackedNow := h.ackedWrites
	lctx, stopLoads := context.WithCancel(context.Background())
	var loaders sync.WaitGroup
	ld := &loads{}
	runLoader(lctx, c, entry, ld, &loaders)
	time.Sleep(3 * time.Second)
	require.Positive(t, ackedNow(), "writes are acknowledged while all nodes run")

	// 1. The leader dies.
	leader.kill()
	killed := []*clusterNode{leader}
	next, took := c.waitLeader(electionBound)
	t.Logf("leader %s killed; %s elected in %s", leader.id, next.id, took)
	before := ackedNow()
	time.Sleep(3 * time.Second)
	require.Greater(t, ackedNow(), before, "writes are acknowledged again on two nodes")

	// 2. A follower dies too: one node is left, which may not lead.
	var follower *clusterNode
	for _, n := range c.nodes {
		if n.alive() && n != next {
			follower = n
		}
	}
	follower.kill()
	killed = append(killed, follower)
	require.Eventually(t, func() bool {
		st, code, err := c.status(next, c.token)
		return err == nil && code == 200 && !st.Ready
	}, 10*time.Second, 20*time.Millisecond, "a lone node stays leader")
	require.Eventually(t, func() bool {
		code, body := httpGet(next, "/readyz", "")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "目录集群尚无主节点")
	}, 10*time.Second, 20*time.Millisecond, "/readyz of a node without a leader says so")
	noQuorum := ackedNow()
	time.Sleep(2 * time.Second)
	require.Equal(t, noQuorum, ackedNow(), "no write is acknowledged by one node of three")

	// 3. Both come back.
	for _, n := range killed {
		n.start()
	}
	next, took = c.waitLeader(electionBound)
	t.Logf("both restarted; %s elected in %s", next.id, took)
	before = ackedNow()
	time.Sleep(3 * time.Second)
	require.Greater(t, ackedNow(), before, "writes are acknowledged after the restart")
	stop()
	stopLoads()
	wait()
	loaders.Wait()
	checkHistory(t, c, h)
	checkLoads(t, c, entry, ld, h.seen.Load())
}

// checkHistory waits for every node to hold the same state, reads every register on each (the
// reads join the history), checks every acknowledged creation is on every node and the history is
// linearizable.
func checkHistory(t *testing.T, c *testCluster, h *history) {
	idx, digest := c.converge(60 * time.Second)
	t.Logf("converged at index %d, digest %s", idx, digest)
	// Final reads on every node join the history; every acknowledged creation is everywhere.
	for i, n := range c.nodes {
		names, ok := h.read(context.Background(), n, workloadClients+i, c.token)
		require.True(t, ok, n.logTail())
		for _, code := range h.unique {
			require.Contains(t, names, code, "acknowledged creation lost on %s", n.id)
		}
	}
	h.mu.Lock()
	t.Logf("operations: %v, creations acknowledged: %d", h.counts, len(h.unique))
	h.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(kvModel, h.ops, time.Minute)
	if res != porcupine.Ok {
		path := t.TempDir() + "/history.html"
		_ = porcupine.VisualizePath(kvModel, info, path)
		if dump := os.Getenv("ECOLAKE_CLUSTER_HISTORY"); dump != "" {
			b, _ := json.Marshal(h.ops)
			_ = os.WriteFile(dump, b, 0o644)
		}
		t.Fatalf("history is not linearizable (%v); see %s", res, path)
	}
}

const workloadClients = 4

// runWorkload starts clients that write and read registers and create departments on every
// running node in turn, until stop; wait returns once they have ended.
func runWorkload(c *testCluster) (h *history, stop func(), wait func()) {
	h = &history{began: time.Now(), counts: map[string]int{}}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var uniqueMu sync.Mutex
	for cl := range workloadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cl), 7))
			for i := 0; ctx.Err() == nil; i++ {
				n := c.nodes[(cl+i)%len(c.nodes)]
				if !n.alive() {
					continue
				}
				switch p := rng.IntN(10); {
				case p < 4:
					h.write(ctx, n, cl, c.token, registerKeys[rng.IntN(len(registerKeys))], fmt.Sprintf("c%d-%d", cl, i))
				case p < 8:
					h.read(ctx, n, cl, c.token)
				default:
					code := fmt.Sprintf("U%d_%d", cl, i)
					r := n.gql(ctx, c.token, putDeptDoc, map[string]any{"c": code, "n": "只写一次"}, 0)
					if r.ok() {
						h.noteAcked(r.index)
						uniqueMu.Lock()
						h.unique = append(h.unique, code)
						uniqueMu.Unlock()
					}
				}
			}
		}()
	}
	return h, stop, wg.Wait
}

func (h *history) ackedWrites() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts["write acked"]
}
