package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// fsm is the store as raft's finite state machine. Raft calls Apply, Snapshot and Restore from
// one goroutine, in log order.
type fsm Store

var _ raft.FSM = (*fsm)(nil)

// Apply applies one committed batch. The leader's own batch, sealed with the snapshot of head
// that reflects it, installs that snapshot; any other batch is applied from its records to the
// durable state, and head follows. It returns nil or the error that refused the batch (the
// leader's raft.Apply future hands it to the sync that proposed it).
func (f *fsm) Apply(l *raft.Log) any {
	s := (*Store)(f)
	if l.Type != raft.LogCommand {
		return nil
	}
	token, frames, err := decodeRaftBatch(l.Data)
	if err != nil {
		s.log.Error("catalog cluster: unreadable raft entry skipped", "raft_index", l.Index, "err", err)
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.raft
	in := n.inflight
	if in != nil && in.token == token && in.valid {
		n.feed.add(s.Index()+1, in.upto, frames)
		s.durable.Store(in.snap)
		s.advance(in.upto)
		in.applied = true
		if !n.ready {
			s.resetHeadLocked(ErrNotLeader)
		}
		return nil
	}
	before := s.Index()
	err = s.applyFramesLocked(frames)
	if err == nil {
		n.feed.add(before+1, s.Index(), frames)
	}
	if in != nil {
		if in.token == token {
			in.applied = err == nil
		} else if err == nil {
			in.valid = false // its snapshot misses this batch
		}
	}
	if err != nil {
		s.log.Warn("catalog cluster: batch refused", "raft_index", l.Index, "err", err)
		return err
	}
	if in == nil {
		s.resetHeadLocked(ErrNotLeader)
	}
	return nil
}

// applyFramesLocked applies the records of a batch to a copy of the durable state in one
// transaction and installs it, or changes nothing: a batch whose first index does not follow
// the state's, or one a record of which does not apply, is refused whole, on every node alike.
// Callers hold s.mu.
func (s *Store) applyFramesLocked(frames []byte) error {
	db := s.durable.Load().Snapshot()
	txn := db.Txn(true)
	defer txn.Abort()
	idx := s.Index()
	first := idx
	scan, err := scanFrames("raft entry", frames, func(off int64, n int, payload []byte) error {
		var rec record
		if err := json.Unmarshal(payload, &rec); err != nil {
			return fmt.Errorf("raft entry: record %d: %v: %w", n, err, ErrCorrupt)
		}
		if rec.Index != idx+1 {
			return fmt.Errorf("record index %d after %d: %w", rec.Index, idx, errStaleBatch)
		}
		if err := applyRecord(txn, &rec); err != nil {
			return fmt.Errorf("apply %s at index %d: %w", rec.Type, rec.Index, err)
		}
		idx = rec.Index
		return nil
	})
	if err == nil && scan.torn {
		err = fmt.Errorf("raft entry: torn record: %w", ErrCorrupt)
	}
	if err != nil {
		return err
	}
	if idx == first {
		return nil
	}
	txn.Commit()
	s.durable.Store(db)
	s.advance(idx)
	s.statsMu.Lock()
	s.stats.Commands += int64(idx - first)
	s.statsMu.Unlock()
	return nil
}

// Snapshot takes the durable state as it stands after the last applied entry; Persist writes it
// as a checkpoint.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	s := (*Store)(f)
	s.mu.Lock()
	defer s.mu.Unlock()
	return &fsmSnapshot{db: s.durable.Load(), idx: s.Index(), s: s}, nil
}

// Restore replaces the state with a checkpoint received or found at start-up.
func (f *fsm) Restore(rc io.ReadCloser) error {
	s := (*Store)(f)
	defer rc.Close()
	info, err := s.restoreFrom(rc)
	if err != nil {
		return err
	}
	s.log.Info("catalog cluster: state restored from snapshot", "index", info.index, "bytes", info.size)
	return nil
}

type fsmSnapshot struct {
	s   *Store
	db  *memdb.MemDB
	idx uint64
}

func (f *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := encodeCheckpoint(sink, f.db.Txn(false), f.idx, time.Now().UTC()); err != nil {
		return errors.Join(err, sink.Cancel())
	}
	return sink.Close()
}

func (f *fsmSnapshot) Release() {}
