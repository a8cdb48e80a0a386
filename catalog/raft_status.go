package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"github.com/cqeco/ecolake/schemas"
)

// ClusterStatus is what a node knows of its cluster, for /readyz and /metrics.
type ClusterStatus struct {
	Clustered    bool
	Replica      bool // a query node's read-only replica (raft_feed.go)
	NodeID       string
	State        string // Leader, Follower, Candidate, Shutdown
	LeaderID     string // "" when no leader is known
	Ready        bool   // this node is the leader and takes writes
	Term         uint64
	CommitIndex  uint64 // raft's
	AppliedIndex uint64 // raft's
	LastContact  time.Duration
	Index        uint64 // the catalogue's durable index
}

// Cluster reports the node's view of its cluster; Clustered is false on a single node.
func (s *Store) Cluster() ClusterStatus {
	n := s.raft
	if n == nil {
		return ClusterStatus{Index: s.Index()}
	}
	if n.r == nil {
		return ClusterStatus{Replica: true, NodeID: n.id, State: "Replica", Index: s.Index()}
	}
	st := ClusterStatus{Clustered: true, NodeID: n.id, State: n.r.State().String(), Index: s.Index()}
	_, id := n.r.LeaderWithID()
	st.LeaderID = string(id)
	s.mu.Lock()
	st.Ready = n.ready
	s.mu.Unlock()
	stats := n.r.Stats()
	st.Term, _ = strconv.ParseUint(stats["term"], 10, 64)
	st.CommitIndex, _ = strconv.ParseUint(stats["commit_index"], 10, 64)
	st.AppliedIndex, _ = strconv.ParseUint(stats["applied_index"], 10, 64)
	if n.r.State() == raft.Leader {
		st.LastContact = 0
	} else if lc := n.r.LastContact(); !lc.IsZero() {
		st.LastContact = time.Since(lc)
	}
	return st
}

// WaitIndex returns once the durable index has reached idx (at once on a single node, whose
// index is every write's), or ctx's error. A client that got index idx back from a write reads
// its write on any node through it.
func (s *Store) WaitIndex(ctx context.Context, idx uint64) error {
	for {
		ch := s.Changed()
		if s.Index() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// StateDigest is a SHA-256 over every stored object of the durable state, table by table in key
// order, with the index it reflects: two nodes at the same index hold the same state exactly
// when their digests are equal.
func (s *Store) StateDigest() (uint64, string, error) {
	txn := s.durable.Load().Txn(false)
	h := sha256.New()
	idx := readIndex(txn)
	fmt.Fprintf(h, "index %d\n", idx)
	for _, t := range ckptTables {
		it, err := txn.Get(t.table, indexID)
		if err != nil {
			return 0, "", fmt.Errorf("digest %s: %w", t.table, err)
		}
		fmt.Fprintf(h, "table %s\n", t.table)
		for obj := it.Next(); obj != nil; obj = it.Next() {
			// A bucket's objects one by one: where buckets split depends on the order of the
			// writes, which a node restored from a snapshot did not see.
			objs := []any{obj}
			if t.rows != nil {
				objs = t.rows(obj)
			}
			for _, o := range objs {
				b, err := json.Marshal(o)
				if err != nil {
					return 0, "", fmt.Errorf("digest %s: %w", t.table, err)
				}
				h.Write(b)
				h.Write([]byte{'\n'})
			}
		}
	}
	return idx, hex.EncodeToString(h.Sum(nil)), nil
}

// MayInspectCluster decides who may read a node's state digest and cluster details: the digest
// is taken over every account and entry, so only an administrator cleared for core data (as for
// a backup).
func MayInspectCluster(p *Principal) bool {
	return known(p) && p.Role == RoleAdmin && p.Clearance.Covers(schemas.Core)
}

// MayFollowCatalogue decides who may fetch a node's checkpoint and feed (a query node's
// credentials): they carry every account and entry, so, as a backup, only an administrator
// cleared for core data.
func MayFollowCatalogue(p *Principal) bool { return MayInspectCluster(p) }
