package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Group commit: concurrent commands share one write and one fsync, and nothing is visible
// before it is durable.
//
// A command is validated against s.head (every accepted command applied, durable or not), applied
// to it in its own transaction and its framed record appended to s.pending, all under s.mu:
// commands are totally ordered and each one validates against all those before it. A command
// refused by its validation or by its apply appends nothing and leaves the others alone.
//
// The command then waits until its record is durable. The first waiter that finds no fsync under
// way becomes the leader: it seals the batch (the pending records and a snapshot of head that
// reflects exactly them), releases s.mu, writes the records to the journal and fsyncs it, and
// under s.mu again installs the snapshot as the durable state that View reads, advances the index
// and wakes every waiter. Commands that arrive meanwhile queue behind it and form the next batch,
// which the next leader writes at once: with many writers one fsync serves many commands, with
// one writer it is one fsync per command as before.
//
// Invariants: no reader sees a command (View, Index, Changed) and no caller gets success before
// the fsync covering its record has returned; commands become visible in journal order, a batch
// at a time. A failed write or fsync fails every command not yet durable and leaves the store
// refusing writes (s.failed); the journal is cut back to what the last fsync covered, as far as
// the file system still lets it. head tracks no memdb watch channels (it is not memdb's primary),
// so no watch taken on a View ever fires: live views wait on Changed.

// submit runs one command and returns once it is durable and visible, or failed.
func (s *Store) submit(ctx context.Context, typ cmdType, payload any, validate func(txn *memdb.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a, ok := appliers[typ]
	if !ok {
		return fmt.Errorf("command %s has no applier: %w", typ, ErrInvalid)
	}
	// Encoding and decoding depend on nothing in the state: outside the lock. What is applied is
	// what was decoded from the journal's bytes, exactly as replay will apply it.
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	cmd, err := a.apply.decode(body)
	if err != nil {
		return fmt.Errorf("decode %s: %w", typ, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, err := s.appendLocked(typ, a, body, cmd, validate)
	if err != nil {
		return err
	}
	// Accepted: the outcome is decided by the fsync now, not by ctx.
	for s.Index() < idx {
		if s.failed != nil {
			return fmt.Errorf("%s at index %d: journal failed before it was durable: %w: %w", typ, idx, s.failed, ErrClosed)
		}
		if s.syncing {
			s.synced.Wait()
			continue
		}
		s.syncBatchLocked()
	}
	return nil
}

// appendLocked validates, applies to head and appends the record of one command to the pending
// batch; it returns the command's index. Callers hold s.mu.
func (s *Store) appendLocked(typ cmdType, a applier, body []byte, cmd any, validate func(txn *memdb.Txn) error) (uint64, error) {
	if s.closed {
		return 0, fmt.Errorf("%s: %w", typ, ErrClosed)
	}
	if s.failed != nil {
		return 0, fmt.Errorf("%s: journal unusable after %v: %w", typ, s.failed, ErrClosed)
	}
	txn := s.head.Txn(true)
	defer txn.Abort()
	if validate != nil {
		if err := validate(txn); err != nil {
			return 0, err
		}
	}
	rec := record{Index: s.written + 1, Type: typ, Version: a.version, At: s.cfg.Clock().UTC(), Payload: body}
	// Applied before it is appended: a command that validates but does not apply is refused
	// without leaving a record the state does not reflect.
	if err := applyDecoded(txn, &rec, a, cmd); err != nil {
		return 0, fmt.Errorf("apply %s at index %d: %w", typ, rec.Index, err)
	}
	n := len(s.pending)
	pending, err := appendFramed(s.pending, func(b []byte) ([]byte, error) { return appendRecord(b, &rec) })
	if err != nil {
		return 0, fmt.Errorf("encode %s record: %w", typ, err)
	}
	txn.Commit()
	s.pending = pending
	n = len(s.pending) - n
	s.written = rec.Index
	s.sinceCkpt++
	s.sinceBytes += int64(n)
	s.statsMu.Lock()
	s.stats.JournalBytes += int64(n)
	s.statsMu.Unlock()
	return rec.Index, nil
}

// syncBatchLocked is the leader's part: write and fsync the pending batch, then make it visible.
// When a checkpoint is due it also rotates the journal at the batch's end, so that the segments
// before hold exactly what the checkpoint will cover, and starts the checkpoint once the batch is
// durable. Callers hold s.mu; it is released during the write and fsync.
func (s *Store) syncBatchLocked() {
	s.syncing = true
	upto := s.written
	snap := s.head.Snapshot()
	j, batch := s.j, s.pending
	s.pending = s.spare[:0]
	rotated := false
	if s.checkpointDue() {
		if nj, err := s.newSegment(upto + 1); err != nil {
			s.log.Error("catalog checkpoint: cannot start a new journal segment", "err", err)
		} else {
			s.j, rotated = nj, true
			s.sinceCkpt, s.sinceBytes = 0, 0
		}
	}
	s.mu.Unlock()
	err := s.commitJournal(j, batch)
	if rotated {
		if cerr := j.close(); err == nil && cerr != nil {
			err = fmt.Errorf("close journal %s: %w", j.seg.path, cerr)
		}
	}
	s.mu.Lock()
	s.syncing = false
	defer s.synced.Broadcast()
	if cap(batch) <= maxSpare {
		s.spare = batch[:0]
	}
	if err != nil {
		s.failed = err
		if !rotated {
			_ = j.cut() // best effort: drop what no fsync covered
		}
		s.log.Error("catalog journal write failed: writes refused until restart", "err", err)
		return
	}
	prev := s.Index()
	s.durable.Store(snap)
	s.advance(upto)
	s.statsMu.Lock()
	s.stats.Commands += int64(upto - prev)
	s.stats.Syncs++
	s.statsMu.Unlock()
	if rotated {
		s.checkpointAsync(snap, upto)
	}
}

// maxSpare bounds the batch buffer kept for reuse.
const maxSpare = 4 << 20

// commitJournal writes batch to j and fsyncs, after the test seam syncHook when one is set.
func (s *Store) commitJournal(j *journal, batch []byte) error {
	if s.syncHook != nil {
		if err := s.syncHook(); err != nil {
			return fmt.Errorf("sync journal %s: %w", j.seg.path, err)
		}
	}
	return j.commit(batch)
}
