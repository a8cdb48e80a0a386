package catalog

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Query nodes (serve --role query) follow the catalogue without being part of the raft cluster:
// they fetch a checkpoint of a cluster node's state, then the batches of records applied after
// it, from a feed each clustered node keeps of its last applied batches. A query node's
// catalogue is a replica: in memory only, read-only (writes fail with ErrNotLeader and are sent
// on to the cluster at the HTTP level), and made again from a checkpoint whenever it falls
// further behind than the feed reaches.

// feedBatch is one applied batch: the records with indexes first…last, framed.
type feedBatch struct {
	first, last uint64
	frames      []byte
}

// feedLimit bounds the bytes of the batches a node keeps for the feed.
const feedLimit = 64 << 20

// feedRing is a node's recent batches, oldest first. Guarded by s.mu.
type feedRing struct {
	batches []feedBatch
	bytes   int
}

func (f *feedRing) add(first, last uint64, frames []byte) {
	if last < first {
		return
	}
	f.batches = append(f.batches, feedBatch{first: first, last: last, frames: frames})
	f.bytes += len(frames)
	for f.bytes > feedLimit && len(f.batches) > 1 {
		f.bytes -= len(f.batches[0].frames)
		f.batches[0] = feedBatch{}
		f.batches = f.batches[1:]
	}
}

func (f *feedRing) reset() { *f = feedRing{} }

// ErrFeedGone says the feed no longer holds the records after the index asked for: fetch a
// checkpoint.
var ErrFeedGone = fmt.Errorf("catalogue feed: records after that index are no longer kept: %w", ErrNotFound)

// Feed returns the framed records applied after index after, whole batches, waiting up to wait
// for one when there is none yet (nil frames then). ErrFeedGone when they are no longer kept.
func (s *Store) Feed(ctx context.Context, after uint64, wait time.Duration) ([]byte, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := s.WaitIndex(ctx, after+1); err != nil {
		if ctx.Err() != nil && s.Index() <= after {
			return nil, after, nil
		}
		return nil, after, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raft == nil {
		return nil, after, ErrFeedGone
	}
	var out []byte
	last := after
	for _, b := range s.raft.feed.batches {
		switch {
		case b.last <= after:
			continue
		case b.first != last+1:
			return nil, after, ErrFeedGone // the batch after is no longer kept, or a restore came between
		}
		out = append(out, b.frames...)
		last = b.last
		if len(out) > 8<<20 {
			break
		}
	}
	if last == after {
		return nil, after, ErrFeedGone
	}
	return out, last, nil
}

// WriteCheckpoint writes a checkpoint of the durable state to w and returns its index.
func (s *Store) WriteCheckpoint(w io.Writer) (uint64, error) {
	txn := s.durable.Load().Txn(false)
	idx := readIndex(txn)
	_, err := encodeCheckpoint(w, txn, idx, time.Now().UTC())
	return idx, err
}

// openReplica makes s a read-only replica: empty until InstallCheckpoint.
func (s *Store) openReplica() {
	s.durable.Store(s.head.Snapshot())
	s.raft = &raftNode{id: "replica", done: make(chan struct{})}
	close(s.raft.done)
}

// InstallCheckpoint replaces a replica's state with the checkpoint read from r.
func (s *Store) InstallCheckpoint(r io.Reader) (uint64, error) {
	info, err := s.restoreFrom(r)
	return info.index, err
}

// ApplyFeed applies framed records from a cluster node's feed to a replica; ErrFeedGone (nothing
// changed) when they do not follow its index.
func (s *Store) ApplyFeed(frames []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.applyFramesLocked(frames); err != nil {
		return fmt.Errorf("%v: %w", err, ErrFeedGone)
	}
	s.resetHeadLocked(ErrNotLeader)
	return nil
}

// restoreFrom replaces the state with the checkpoint read from r, loaded through the same code
// as a single node's, from a file under Dir/raft.
func (s *Store) restoreFrom(r io.Reader) (ckptInfo, error) {
	dir := filepath.Join(s.cfg.Dir, raftDirName, "restore")
	if err := os.RemoveAll(dir); err != nil {
		return ckptInfo{}, fmt.Errorf("restore snapshot: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return ckptInfo{}, fmt.Errorf("restore snapshot: %w", err)
	}
	defer os.RemoveAll(dir)
	out, err := os.Create(filepath.Join(dir, checkpointName))
	if err != nil {
		return ckptInfo{}, fmt.Errorf("restore snapshot: %w", err)
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return ckptInfo{}, fmt.Errorf("restore snapshot: %w", err)
	}
	if err := out.Close(); err != nil {
		return ckptInfo{}, fmt.Errorf("restore snapshot: %w", err)
	}
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		return ckptInfo{}, err
	}
	info, err := loadCheckpoint(context.Background(), db, dir)
	if err != nil {
		return ckptInfo{}, fmt.Errorf("restore snapshot: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.durable.Store(db.Snapshot())
	s.forceIndex(info.index)
	if n := s.raft; n != nil {
		if n.inflight != nil {
			n.inflight.valid = false
		}
		n.feed.reset()
		n.restores++
	}
	s.resetHeadLocked(ErrNotLeader)
	return info, nil
}

// forceIndex sets the durable index, up or down (a restored checkpoint), and wakes the waiters.
func (s *Store) forceIndex(idx uint64) { s.advance(idx) }
