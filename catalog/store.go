package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Store is the catalogue: a go-memdb state behind a durable command journal. Writes are
// ordered and their fsyncs grouped (commit.go); reads take a View of the durable state and never
// block writers; checkpoints are written in the background (checkpoint.go).
type Store struct {
	cfg Config
	log *slog.Logger

	// head is the state with every accepted command applied, including those whose record is
	// written but not yet fsynced. Only writers use it, under mu.
	head *memdb.MemDB
	// durable is what readers see: a snapshot of head installed only once the journal holds
	// every command it reflects (memdb snapshots share structure, so this costs no copy).
	durable atomic.Pointer[memdb.MemDB]

	mu      sync.Mutex // orders writes; guards everything below but the atomics
	j       *journal
	lock    *os.File
	pending []byte     // framed records accepted since the batch under way was sealed
	spare   []byte     // a batch buffer to reuse
	written uint64     // index of the last record accepted, durable or not
	waiting []*queued  // the commands whose records are in pending, in order
	syncing bool       // a writer or its goroutine is syncing batches (commit.go)
	idle    *sync.Cond // on mu: syncing became false
	failed  error      // set when the journal can no longer be trusted; writes refuse
	// headGen counts roll-backs of head after the journal was refused for want of space
	// (diskfull.go): an applier whose transaction began on an older head applies again.
	headGen   uint64
	ckptCarry ckptCarry // the journal a running checkpoint is to compact (diskfull.go)
	closed    bool
	// syncHook, when set (tests only), runs before each journal fsync; an error fails it.
	syncHook func() error

	qmu      sync.Mutex // guards queue and applying only; never held while taking mu
	queue    []*queued  // commands waiting to be applied (commit.go)
	applying bool       // a writer or its goroutine is applying the queue
	staged   []byte     // the applier's records before they join pending; only the applier uses it

	// Checkpoint bookkeeping (checkpoint.go).
	sinceCkpt  int           // commands in the journal after the last checkpoint began
	sinceBytes int64         // journal bytes after the last checkpoint began
	lastCkpt   int64         // size of the last checkpoint written or found at Open
	ckptIndex  uint64        // index the last installed checkpoint covers
	ckptDone   chan struct{} // non-nil while a background checkpoint runs; closed when it ends

	statsMu sync.Mutex
	stats   Stats

	chMu    sync.Mutex
	index   uint64 // durable index
	changed chan struct{}

	raft *raftNode // nil on a single node (raft.go)
}

// Open takes the directory lock, loads the latest checkpoint, replays the journal, seeds the
// districts on first start and returns a ready store.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create catalog dir %s: %w", cfg.Dir, err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkDirMode(cfg); err != nil {
		lock.Close()
		return nil, err
	}
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("create state: %w", err)
	}
	// head is a snapshot of the new state, not the state itself: memdb tracks and closes a watch
	// channel for every node a write replaces only in its primary, a cost per command that
	// nobody here asks for (live views wait on Changed).
	s := &Store{cfg: cfg, log: log, head: db.Snapshot(), lock: lock, changed: make(chan struct{})}
	s.idle = sync.NewCond(&s.mu)
	if cfg.Replica {
		s.openReplica()
		return s, nil
	}
	if cfg.Cluster != nil {
		// The state comes from raft's snapshot and log; districts are seeded by the first leader.
		if err := s.openRaft(ctx); err != nil {
			s.release()
			return nil, err
		}
		return s, nil
	}
	if err := s.recover(ctx); err != nil {
		s.release()
		return nil, err
	}
	if len(s.View().Districts()) == 0 {
		if err := s.submit(ctx, cmdSeedDistricts, seedDistrictsCmd{Districts: schemas.AllDistricts()}, nil); err != nil {
			s.release()
			return nil, fmt.Errorf("seed districts: %w", err)
		}
	}
	log.Info("catalog open", "dir", cfg.Dir, "index", s.Index())
	return s, nil
}

// recover loads the checkpoint, replays every segment after it (in one transaction: start-up
// either reaches the end of the journal or fails) and opens the journal for append.
func (s *Store) recover(ctx context.Context) error {
	ckpt, err := loadCheckpoint(ctx, s.head, s.cfg.Dir)
	if err != nil {
		return err
	}
	segs, err := listSegments(s.cfg.Dir)
	if err != nil {
		return err
	}
	last := ckpt.index
	replayed := 0
	var replayedBytes int64
	txn := s.head.Txn(true)
	defer txn.Abort()
	for i, seg := range segs {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, size, lastIdx, err := s.replaySegment(txn, seg, i == len(segs)-1, last, ckpt.index)
		if err != nil {
			return err
		}
		last = lastIdx
		replayed += n
		replayedBytes += size
	}
	txn.Commit()
	s.durable.Store(s.head.Snapshot())
	s.index, s.written = last, last
	s.sinceCkpt, s.sinceBytes = replayed, replayedBytes
	s.lastCkpt, s.ckptIndex = ckpt.size, ckpt.index
	if len(segs) > 0 {
		s.j, err = openJournal(segs[len(segs)-1])
	} else {
		s.j, err = s.newSegment(last + 1)
	}
	if err != nil {
		return err
	}
	if replayed > 0 || ckpt.index > 0 {
		s.log.Info("catalog recovered", "checkpoint_index", ckpt.index, "replayed", replayed, "index", last)
	}
	return nil
}

// replaySegment applies the records of seg whose index is after prev to txn and returns how many
// it applied, their bytes and the last index. A torn tail of the last segment is cut; anything
// else wrong is ErrCorrupt.
func (s *Store) replaySegment(txn *memdb.Txn, seg segment, isLast bool, prev, ckpt uint64) (int, int64, uint64, error) {
	data, err := os.ReadFile(seg.path)
	if err != nil {
		return 0, 0, prev, fmt.Errorf("read journal %s: %w", seg.path, err)
	}
	applied := 0
	var bytes int64
	scan, err := scanFrames(seg.path, data, func(off int64, n int, payload []byte) error {
		var rec record
		if err := json.Unmarshal(payload, &rec); err != nil {
			return fmt.Errorf("%s: record %d at offset %d: %v: %w", seg.path, n, off, err, ErrCorrupt)
		}
		if rec.Index <= ckpt {
			return nil // already in the checkpoint
		}
		if rec.Index != prev+1 {
			return fmt.Errorf("%s: record %d at offset %d: index %d does not follow %d: %w", seg.path, n, off, rec.Index, prev, ErrCorrupt)
		}
		if err := applyRecord(txn, &rec); err != nil {
			return fmt.Errorf("%s: record %d at offset %d (index %d, %s): %w", seg.path, n, off, rec.Index, rec.Type, asCorrupt(err))
		}
		prev = rec.Index
		applied++
		bytes += int64(frameHeader + len(payload))
		return nil
	})
	if err != nil {
		return 0, 0, prev, err
	}
	if scan.torn {
		if !isLast {
			return 0, 0, prev, fmt.Errorf("%s: damaged record at offset %d in a segment that is not the last: %w", seg.path, scan.good, ErrCorrupt)
		}
		if err := os.Truncate(seg.path, scan.good); err != nil {
			return 0, 0, prev, fmt.Errorf("cut torn tail of %s: %w", seg.path, err)
		}
		s.log.Warn("journal: cut torn last record", "file", seg.path, "offset", scan.good, "bytes", int64(len(data))-scan.good)
	}
	return applied, bytes, prev, nil
}

func asCorrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%v: %w", err, ErrCorrupt)
}

func (s *Store) newSegment(first uint64) (*journal, error) {
	j, err := openJournal(segment{path: segmentPath(s.cfg.Dir, first), first: first})
	if err != nil {
		return nil, err
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		j.close()
		return nil, err
	}
	return j, nil
}

// advance publishes the new durable index and wakes everyone waiting on Changed.
func (s *Store) advance(idx uint64) {
	s.chMu.Lock()
	s.index = idx
	close(s.changed)
	s.changed = make(chan struct{})
	s.chMu.Unlock()
}

// Index returns the journal index of the last durable command.
func (s *Store) Index() uint64 {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	return s.index
}

// Changed returns a channel that is closed when the next commands become durable and visible.
func (s *Store) Changed() <-chan struct{} {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	return s.changed
}

// Close lets the commands already accepted finish, waits for a background checkpoint, writes a
// final checkpoint, closes the journal and releases the lock.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true // refuse new commands from here on
	s.drainLocked()
	if s.raft != nil {
		s.mu.Unlock() // the FSM may need s.mu to finish an entry
		err := s.shutdownRaft()
		s.mu.Lock()
		s.log.Info("catalog closed", "index", s.Index())
		return errors.Join(err, s.lock.Close())
	}
	var errs []error
	errs = append(errs, s.j.close())
	if s.failed == nil && s.Index() > s.ckptIndex {
		if err := s.checkpointFinalLocked(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.lock.Close())
	s.log.Info("catalog closed", "index", s.Index())
	return errors.Join(errs...)
}

// drainLocked makes every written record durable (or failed) and waits for a background
// checkpoint to end. Callers hold s.mu; it is released while waiting.
func (s *Store) drainLocked() {
	s.waitSyncIdleLocked()
	s.waitCheckpointLocked()
}

// release closes files without a checkpoint (failed Open).
func (s *Store) release() {
	s.closed = true
	_ = s.j.close()
	_ = s.lock.Close()
}

// crash drops the store as a killed process would: no final checkpoint, files closed, lock
// released. Tests use it to exercise recovery; it lets an fsync or a checkpoint already under
// way finish first, so that nothing of the old store touches the directory afterwards.
func (s *Store) crash() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitSyncIdleLocked()
	s.waitCheckpointLocked()
	s.release()
}
