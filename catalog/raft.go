package catalog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/cqeco/ecolake/schemas"
)

// The catalogue on several machines. With Config.Cluster set, the log of hashicorp/raft takes the
// journal's place: the leader validates and applies commands to head exactly as a single node
// does (commit.go), and where a single node writes and fsyncs a batch of framed records, the
// leader hands the same bytes to raft.Apply and waits until a quorum holds them and its own FSM
// has applied them. Every node's FSM applies the committed batches in log order to its durable
// state; the leader recognises its own batch (it is in head already) and installs the snapshot of
// head sealed with it, as a single node does after its fsync. Raft snapshots are checkpoints
// (checkpoint.go's encoding). Only a leader whose FSM has applied everything before its term
// (Barrier) takes writes; head is reset to the durable state whenever leadership is won or lost,
// failing the commands not yet handed to raft.
//
// A batch carries the catalogue indexes its leader gave its records. A batch whose first index
// does not follow the state's (one built by a deposed leader on a state that moved on) is refused
// by every node alike, as a no-op, so the state machine stays deterministic.

// ErrNotLeader is what a command fails with on a node that is not the cluster's ready leader, or
// that lost leadership before handing it to raft: it was not committed and may be sent again.
var ErrNotLeader error = &schemas.UserError{
	Msg: "本节点不是目录集群的主节点 (或主节点正在选举), 本次更改未保存, 请稍后重试",
	Err: schemas.ErrBusy,
}

// ErrOutcomeUnknown is what a command fails with when leadership was lost while raft committed
// it: it may or may not have taken effect; read before sending it again.
var ErrOutcomeUnknown error = &schemas.UserError{
	Msg: "目录集群主节点在提交过程中变更, 本次更改是否生效未知; 请先查询确认, 再决定是否重试",
	Err: schemas.ErrBusy,
}

// errStaleBatch refuses a batch whose indexes do not follow the state's.
var errStaleBatch = errors.New("catalogue batch does not follow the applied index")

const (
	raftDirName      = "raft"
	raftBatchVersion = 1
	raftApplyTimeout = 10 * time.Second
	raftBarrierWait  = time.Minute
)

// raftNode is the replication state of a clustered store. Fields below r are guarded by s.mu.
type raftNode struct {
	r     *raft.Raft
	trans *raft.NetworkTransport
	logs  *raftboltdb.BoltStore
	id    string

	prefix   string // of this process's batch tokens: node id and start time
	seq      uint64
	inflight *inflightBatch
	ready    bool // leader whose FSM has applied every entry before its term
	restores int  // snapshots restored since start
	feed     feedRing
	onLeader []func(ctx context.Context)
	// lead ends when this node stops leading (or closes); nil while it does not lead.
	lead       context.Context
	leadCancel context.CancelFunc
	gen        uint64 // leadership notifications seen

	cancel context.CancelFunc
	done   chan struct{}
}

// inflightBatch is the batch the leader's sync has handed to raft.
type inflightBatch struct {
	token   string
	snap    *memdb.MemDB
	upto    uint64
	valid   bool // snap is the state after the batch: no other batch was applied since it was sealed
	applied bool // the FSM applied it (as snap, or from its records)
}

// openRaft starts the node's raft instance under Dir/raft, bootstrapping the configured voters
// when no state exists yet. Open calls it instead of recovering a journal.
func (s *Store) openRaft(ctx context.Context) error {
	c := s.cfg.Cluster
	dir := filepath.Join(s.cfg.Dir, raftDirName)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create raft dir: %w", err)
	}
	s.durable.Store(s.head.Snapshot())
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: raftLog{s.log}, JSONFormat: true})
	logs, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		logs.Close()
		return fmt.Errorf("open raft snapshots: %w", err)
	}
	adv, err := net.ResolveTCPAddr("tcp", c.Advertise())
	if err != nil {
		logs.Close()
		return fmt.Errorf("raft address %s: %w", c.Advertise(), err)
	}
	stream, err := newRaftStream(c.BindAddr, adv)
	if err != nil {
		logs.Close()
		return fmt.Errorf("raft transport: %w", err)
	}
	trans := raft.NewNetworkTransportWithLogger(stream, 3, 10*time.Second, hlog)
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.NodeID)
	rc.Logger = hlog
	if c.HeartbeatTimeout > 0 {
		rc.HeartbeatTimeout, rc.ElectionTimeout = c.HeartbeatTimeout, c.HeartbeatTimeout
		rc.LeaderLeaseTimeout = c.HeartbeatTimeout / 2
	}
	if c.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = c.SnapshotThreshold
	}
	if c.TrailingLogs > 0 {
		rc.TrailingLogs = c.TrailingLogs
	}
	notify := make(chan bool, 16)
	rc.NotifyCh = notify
	has, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		trans.Close()
		logs.Close()
		return fmt.Errorf("read raft state: %w", err)
	}
	n := &raftNode{trans: trans, logs: logs, id: c.NodeID,
		prefix: c.NodeID + "/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/", done: make(chan struct{})}
	s.raft = n // the FSM may run from NewRaft on (snapshot restore)
	r, err := raft.NewRaft(rc, (*fsm)(s), logs, logs, snaps, trans)
	if err != nil {
		trans.Close()
		logs.Close()
		return fmt.Errorf("start raft: %w", err)
	}
	n.r = r
	if !has {
		var servers []raft.Server
		for _, p := range c.Peers {
			servers = append(servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.RaftAddr)})
		}
		if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			_ = r.Shutdown().Error()
			trans.Close()
			logs.Close()
			return fmt.Errorf("bootstrap cluster: %w", err)
		}
		s.log.Info("catalog cluster bootstrapped", "node", c.NodeID, "voters", len(servers))
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	go s.followLeadership(lctx, notify)
	s.log.Info("catalog cluster node started", "node", c.NodeID, "raft", c.Advertise(), "restored_index", s.Index())
	return nil
}

// followLeadership turns raft's leadership notifications into the store's: on winning, wait (on
// a goroutine of its own: raft blocks on the notification channel, which is read on meanwhile)
// until the FSM has applied every earlier entry, then reset head and take writes; on losing, stop
// taking writes at once. Each notification moves a generation, so a barrier that ends after a
// later loss or win changes nothing.
func (s *Store) followLeadership(ctx context.Context, notify <-chan bool) {
	n := s.raft
	var barriers sync.WaitGroup
	defer func() {
		barriers.Wait()
		close(n.done)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case leader := <-notify:
			s.mu.Lock()
			n.gen++
			gen := n.gen
			if !leader {
				n.ready = false
				if n.leadCancel != nil {
					n.leadCancel()
					n.lead, n.leadCancel = nil, nil
				}
				s.resetHeadLocked(ErrNotLeader)
			}
			s.mu.Unlock()
			if !leader {
				s.log.Info("catalog cluster: leadership lost", "node", n.id)
				continue
			}
			barriers.Add(1)
			go func() {
				defer barriers.Done()
				s.becomeLeader(ctx, gen)
			}()
		}
	}
}

// becomeLeader makes this node take writes once its FSM has applied every entry before its term,
// unless leadership moved on meanwhile (gen), and starts the leader's hooks.
func (s *Store) becomeLeader(ctx context.Context, gen uint64) {
	n := s.raft
	if err := n.r.Barrier(raftBarrierWait).Error(); err != nil {
		s.log.Warn("catalog cluster: barrier after election failed", "node", n.id, "err", err)
		return
	}
	s.mu.Lock()
	if n.gen != gen || n.r.State() != raft.Leader || ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.resetHeadLocked(ErrNotLeader)
	n.ready = true
	if n.leadCancel != nil {
		n.leadCancel()
	}
	n.lead, n.leadCancel = context.WithCancel(ctx)
	lead := n.lead
	hooks := append([]func(context.Context){s.seedOnLeader}, n.onLeader...)
	s.mu.Unlock()
	s.log.Info("catalog cluster: leader ready", "node", n.id, "index", s.Index())
	for _, h := range hooks {
		go h(lead)
	}
}

// seedOnLeader seeds the districts of a new cluster, once, from its first ready leader.
func (s *Store) seedOnLeader(ctx context.Context) {
	if len(s.View().Districts()) > 0 {
		return
	}
	if err := s.submit(ctx, cmdSeedDistricts, seedDistrictsCmd{Districts: schemas.AllDistricts()}, nil); err != nil {
		s.log.Warn("catalog cluster: seed districts", "err", err)
	}
}

// OnLeader registers fn to run, on a goroutine of its own, each time this node becomes the ready
// leader of its cluster (at once if it is now), with a context that ends when it stops leading.
// Start-up writes of a clustered service (the first administrator, districts of the code list)
// and the background work that writes go here. A single node never calls fn.
func (s *Store) OnLeader(fn func(ctx context.Context)) {
	n := s.raft
	if n == nil {
		return
	}
	s.mu.Lock()
	n.onLeader = append(n.onLeader, fn)
	lead := n.lead
	s.mu.Unlock()
	if lead != nil {
		go fn(lead)
	}
}

// resetHeadLocked makes head the durable state again, failing with cause every command applied
// to head but not yet handed to raft. Callers hold s.mu.
func (s *Store) resetHeadLocked(cause error) {
	for _, q := range s.waiting {
		q.err = fmt.Errorf("%s at index %d: %w", q.typ, q.idx, cause)
		close(q.done)
	}
	s.waiting = nil
	s.pending = s.pending[:0]
	s.head = s.durable.Load().Snapshot()
	s.written = s.Index()
	s.headGen++
}

// syncRaftLocked is syncBatchLocked of a clustered store: the pending batch goes to raft instead
// of the journal. Callers hold s.mu and the sync role; s.mu is released while raft commits.
func (s *Store) syncRaftLocked() []*queued {
	n := s.raft
	sealed := s.waiting
	s.waiting = nil
	upto := s.written
	n.seq++
	in := &inflightBatch{token: n.prefix + strconv.FormatUint(n.seq, 36), snap: s.head.Snapshot(), upto: upto, valid: true}
	data := encodeRaftBatch(in.token, s.pending)
	s.pending = s.pending[:0]
	n.inflight = in
	prev := s.Index()
	s.mu.Unlock()
	began := time.Now()
	f := n.r.Apply(data, raftApplyTimeout)
	err := f.Error()
	if err == nil {
		if rerr, ok := f.Response().(error); ok {
			err = rerr
		}
	}
	took := time.Since(began)
	s.mu.Lock()
	n.inflight = nil
	if err != nil || !in.applied {
		cause := raftCause(err)
		for _, q := range sealed {
			q.err = fmt.Errorf("%s at index %d: %v: %w", q.typ, q.idx, err, cause)
		}
		s.resetHeadLocked(cause)
		return sealed
	}
	if !in.valid {
		s.resetHeadLocked(ErrNotLeader)
	}
	s.noteSynced(upto-prev, took)
	return sealed
}

// raftCause says what a failed raft.Apply means to the caller: not committed (send again), or
// not known.
func raftCause(err error) error {
	switch {
	case err == nil:
		return ErrOutcomeUnknown
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout),
		errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, errStaleBatch):
		return ErrNotLeader
	default:
		return ErrOutcomeUnknown
	}
}

// encodeRaftBatch is a raft log entry: version, the batch token, then the framed records exactly
// as the journal would hold them.
func encodeRaftBatch(token string, frames []byte) []byte {
	out := make([]byte, 0, 1+2+len(token)+len(frames))
	out = append(out, raftBatchVersion)
	out = binary.AppendUvarint(out, uint64(len(token)))
	out = append(out, token...)
	return append(out, frames...)
}

func decodeRaftBatch(data []byte) (token string, frames []byte, err error) {
	if len(data) < 2 || data[0] != raftBatchVersion {
		return "", nil, fmt.Errorf("raft entry: unknown version: %w", ErrCorrupt)
	}
	l, k := binary.Uvarint(data[1:])
	rest := data[1:]
	if k <= 0 || uint64(len(rest)-k) < l {
		return "", nil, fmt.Errorf("raft entry: short token: %w", ErrCorrupt)
	}
	rest = rest[k:]
	return string(rest[:l]), rest[l:], nil
}

// shutdownRaft stops the node: raft first (a Barrier waiting in followLeadership then fails),
// then the leadership goroutine, the transport and the log store. Callers do not hold s.mu: the
// FSM may need it to finish an entry.
func (s *Store) shutdownRaft() error {
	n := s.raft
	if n.r == nil {
		return nil // a replica (raft_feed.go)
	}
	var errs []error
	errs = append(errs, n.r.Shutdown().Error())
	if n.cancel != nil {
		n.cancel()
		<-n.done
	}
	errs = append(errs, n.trans.Close(), n.logs.Close())
	return errors.Join(errs...)
}

// checkDirMode refuses to open a cluster node's catalogue directory as a single node (whose
// journal would be written beside raft's log and never read by the node), and a single node's
// directory as a cluster node (whose journal raft would never read: the node would start empty).
func checkDirMode(cfg Config) error {
	if cfg.Replica {
		return nil
	}
	_, err := os.Stat(filepath.Join(cfg.Dir, raftDirName, "raft.db"))
	clusterDir := err == nil
	segs, err := listSegments(cfg.Dir)
	if err != nil {
		return err
	}
	_, err = os.Stat(filepath.Join(cfg.Dir, checkpointName))
	singleDir := len(segs) > 0 || err == nil
	switch {
	case cfg.Cluster == nil && clusterDir:
		return &schemas.UserError{Msg: fmt.Sprintf("目录库 %s 属于目录集群节点 (raft), 不能以单机方式打开: 请以 --cluster 启动该节点, 或通过运行中的集群操作", cfg.Dir), Err: ErrInvalid}
	case cfg.Cluster != nil && singleDir && !clusterDir:
		return &schemas.UserError{Msg: fmt.Sprintf("目录库 %s 是单机目录库 (有日志或检查点), 不能直接作为集群节点启动 (集群只读 raft 日志, 会从空目录开始): 请用空的数据目录启动集群节点", cfg.Dir), Err: ErrInvalid}
	}
	return nil
}
