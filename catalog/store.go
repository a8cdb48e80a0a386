package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Store is the catalogue: a go-memdb state behind a durable command journal. Writes are
// serialised; reads take a View and never block writers.
type Store struct {
	cfg Config
	log *slog.Logger
	db  *memdb.MemDB

	mu        sync.Mutex // serialises writes, checkpoints and Close
	j         *journal
	lock      *os.File
	sinceCkpt int
	failed    error // set when the journal can no longer be trusted; writes refuse
	closed    bool

	chMu    sync.Mutex
	index   uint64
	changed chan struct{}
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
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("create state: %w", err)
	}
	s := &Store{cfg: cfg, log: log, db: db, lock: lock, changed: make(chan struct{})}
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

// recover loads the checkpoint, replays every segment after it and opens the journal for append.
func (s *Store) recover(ctx context.Context) error {
	ckptIndex, err := loadCheckpoint(s.db, s.cfg.Dir)
	if err != nil {
		return err
	}
	segs, err := listSegments(s.cfg.Dir)
	if err != nil {
		return err
	}
	last := ckptIndex
	replayed := 0
	for i, seg := range segs {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, lastIdx, err := s.replaySegment(seg, i == len(segs)-1, last, ckptIndex)
		if err != nil {
			return err
		}
		last = lastIdx
		replayed += n
	}
	s.index = last
	s.sinceCkpt = replayed
	if len(segs) > 0 {
		s.j, err = openJournal(segs[len(segs)-1])
	} else {
		s.j, err = s.newSegment(last + 1)
	}
	if err != nil {
		return err
	}
	if replayed > 0 || ckptIndex > 0 {
		s.log.Info("catalog recovered", "checkpoint_index", ckptIndex, "replayed", replayed, "index", last)
	}
	return nil
}

// replaySegment applies the records of seg whose index is after prev, each in its own
// transaction. A torn tail of the last segment is cut; anything else wrong is ErrCorrupt.
func (s *Store) replaySegment(seg segment, isLast bool, prev, ckpt uint64) (int, uint64, error) {
	data, err := os.ReadFile(seg.path)
	if err != nil {
		return 0, prev, fmt.Errorf("read journal %s: %w", seg.path, err)
	}
	applied := 0
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
		txn := s.db.Txn(true)
		defer txn.Abort()
		if err := applyRecord(txn, &rec); err != nil {
			return fmt.Errorf("%s: record %d at offset %d (index %d, %s): %w", seg.path, n, off, rec.Index, rec.Type, asCorrupt(err))
		}
		txn.Commit()
		prev = rec.Index
		applied++
		return nil
	})
	if err != nil {
		return 0, prev, err
	}
	if scan.torn {
		if !isLast {
			return 0, prev, fmt.Errorf("%s: damaged record at offset %d in a segment that is not the last: %w", seg.path, scan.good, ErrCorrupt)
		}
		if err := os.Truncate(seg.path, scan.good); err != nil {
			return 0, prev, fmt.Errorf("cut torn tail of %s: %w", seg.path, err)
		}
		s.log.Warn("journal: cut torn last record", "file", seg.path, "offset", scan.good, "bytes", int64(len(data))-scan.good)
	}
	return applied, prev, nil
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

// submit runs one command: validate against the current state, append and fsync the record,
// then apply it in the same transaction and commit. Nothing becomes visible before it is durable.
func (s *Store) submit(ctx context.Context, typ cmdType, payload any, validate func(txn *memdb.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%s: %w", typ, ErrClosed)
	}
	if s.failed != nil {
		return fmt.Errorf("%s: journal unusable after %v: %w", typ, s.failed, ErrClosed)
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	if validate != nil {
		if err := validate(txn); err != nil {
			return err
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	rec := record{Index: s.Index() + 1, Type: typ, Version: appliers[typ].version, At: s.cfg.Clock().UTC(), Payload: body}
	raw, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", typ, err)
	}
	if err := s.j.append(raw); err != nil {
		if errors.Is(err, ErrClosed) {
			s.failed = err
		}
		return err
	}
	if err := applyRecord(txn, &rec); err != nil {
		// Validated yet not applicable: the journal now holds a record the state does not
		// reflect, so stop accepting writes rather than diverge.
		s.failed = err
		return fmt.Errorf("apply %s at index %d: %w", typ, rec.Index, err)
	}
	txn.Commit()
	s.advance(rec.Index)
	s.sinceCkpt++
	if s.sinceCkpt >= s.cfg.CheckpointEvery {
		if err := s.checkpointLocked(); err != nil {
			// The command is durable in the journal; a failed checkpoint only delays compaction.
			s.log.Error("catalog checkpoint failed", "err", err)
		}
	}
	return nil
}

// advance publishes the new index and wakes everyone waiting on Changed.
func (s *Store) advance(idx uint64) {
	s.chMu.Lock()
	s.index = idx
	close(s.changed)
	s.changed = make(chan struct{})
	s.chMu.Unlock()
}

// Index returns the journal index of the last applied command.
func (s *Store) Index() uint64 {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	return s.index
}

// Changed returns a channel that is closed when the next command is applied.
func (s *Store) Changed() <-chan struct{} {
	s.chMu.Lock()
	defer s.chMu.Unlock()
	return s.changed
}

// Close writes a checkpoint, closes the journal and releases the lock.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	var errs []error
	if s.failed == nil && s.sinceCkpt > 0 {
		if err := s.checkpointLocked(); err != nil {
			errs = append(errs, err)
		}
	}
	s.closed = true
	errs = append(errs, s.j.close(), s.lock.Close())
	s.log.Info("catalog closed", "index", s.Index())
	return errors.Join(errs...)
}

// release closes files without a checkpoint (failed Open).
func (s *Store) release() {
	s.closed = true
	_ = s.j.close()
	_ = s.lock.Close()
}

// crash drops the store as a killed process would: no checkpoint, files closed, lock released.
// Tests use it to exercise recovery from the journal alone.
func (s *Store) crash() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release()
}
