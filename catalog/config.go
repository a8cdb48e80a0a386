package catalog

import (
	"fmt"
	"time"
)

// DefaultCheckpointMinBytes is the journal size since the last checkpoint below which no
// checkpoint is written.
const DefaultCheckpointMinBytes = 16 << 20

// Config of the catalogue store.
type Config struct {
	Dir   string           // journal, checkpoint and lock live here (created if missing)
	Clock func() time.Time // default time.Now; stamps commands
	// CheckpointMinBytes: a checkpoint is written once the journal since the last one has reached
	// both this size and the size of the last checkpoint, so that checkpoints cost in proportion
	// to the commands written, not to the size of the directory; 0 keeps the default.
	CheckpointMinBytes int64
	// CheckpointEvery, when positive, also writes a checkpoint after this many commands
	// whatever their size (tests use it); 0 leaves checkpoints to their size alone.
	CheckpointEvery int
	// Cluster, when set, replicates the catalogue through raft with the peers it names
	// (raft.go); nil is the single node with its journal.
	Cluster *ClusterConfig
	// Replica, when set, opens a read-only replica in memory that InstallCheckpoint and
	// ApplyFeed fill from a cluster node (raft_feed.go); Dir holds only scratch files.
	Replica bool
}

// ClusterConfig is one node of a replicated catalogue.
type ClusterConfig struct {
	NodeID   string
	BindAddr string // raft TCP listen address
	// AdvertiseAddr is the raft address the peers reach this node at; "" is BindAddr.
	AdvertiseAddr string
	// Peers are every voter of the cluster, this node included: bootstrapped together on a first
	// start where no node has state.
	Peers []ClusterPeer
	// HeartbeatTimeout, when positive, replaces raft's heartbeat and election timeouts (1 s).
	HeartbeatTimeout time.Duration
	// SnapshotThreshold, when positive, replaces raft's number of entries between snapshots.
	SnapshotThreshold uint64
	// TrailingLogs, when positive, replaces the number of entries raft keeps after a snapshot; a
	// node further behind is sent the snapshot.
	TrailingLogs uint64
}

// ClusterPeer is a voter of the cluster.
type ClusterPeer struct {
	ID       string
	RaftAddr string
}

// Advertise is the raft address the peers reach this node at.
func (c *ClusterConfig) Advertise() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	return c.BindAddr
}

// Validate reports the first wrong cluster setting.
func (c *ClusterConfig) Validate() error {
	if c.NodeID == "" || c.BindAddr == "" {
		return fmt.Errorf("catalog cluster: node id and raft address are required: %w", ErrInvalid)
	}
	self := false
	seen := map[string]bool{}
	for _, p := range c.Peers {
		if p.ID == "" || p.RaftAddr == "" || seen[p.ID] {
			return fmt.Errorf("catalog cluster: peer %q: id and raft address required, ids unique: %w", p.ID, ErrInvalid)
		}
		seen[p.ID] = true
		self = self || p.ID == c.NodeID
	}
	if !self {
		return fmt.Errorf("catalog cluster: node %q is not among its peers: %w", c.NodeID, ErrInvalid)
	}
	return nil
}

// DefaultConfig returns a configuration with every default filled in except Dir.
func DefaultConfig() Config {
	return Config{Dir: "data/catalog", Clock: time.Now, CheckpointMinBytes: DefaultCheckpointMinBytes}
}

// Validate reports the first wrong setting.
func (c Config) Validate() error {
	if c.Dir == "" {
		return fmt.Errorf("catalog config: dir is empty: %w", ErrInvalid)
	}
	if c.CheckpointMinBytes < 0 {
		return fmt.Errorf("catalog config: checkpoint_min_bytes %d is negative: %w", c.CheckpointMinBytes, ErrInvalid)
	}
	if c.CheckpointEvery < 0 {
		return fmt.Errorf("catalog config: checkpoint_every %d is negative: %w", c.CheckpointEvery, ErrInvalid)
	}
	if c.Cluster != nil {
		return c.Cluster.Validate()
	}
	return nil
}

// withDefaults fills the zero values that mean "default".
func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.CheckpointMinBytes == 0 {
		c.CheckpointMinBytes = DefaultCheckpointMinBytes
	}
	return c
}
